// faultline in the browser: restore a guest lazily from checkpoint images
// on an HTTP server and run it, printing its output into the page.
//
// Serve the repository root (after `npm run build`) and a directory of
// images, e.g. from the checkout:
//   faultline run prog.elf --checkpoint-every 100000 --checkpoint-dir images --max-instructions 300000
//   faultline serve . --port 8080
// then open http://127.0.0.1:8080/examples/browser/?images=/images/
// (?images= takes a directory URL ending in /, or an image URL).
//
// Plain JavaScript on purpose: the browser loads it as it is, together
// with dist/src and dist/handlers, with no bundler.

import { Machine } from '../../dist/src/index.js';
import { openRemoteChain, restoreRemote } from '../../dist/handlers/index.js';

const status = document.getElementById('status');
const out = document.getElementById('out');
const images = new URL(new URLSearchParams(location.search).get('images') ?? '../../images/', location.href).href;
document.getElementById('images').textContent = images;

/** The run's outcome, for whoever drives the page (the headless test reads it). */
window.faultline = { done: false, stdout: '', result: null, error: null, stats: null };

async function main() {
  const decoder = new TextDecoder();
  let text = '';
  const chain = await openRemoteChain([images]);
  const machine = new Machine({
    memoryQuota: chain.plan.last.meta.memoryQuota,
    stdout: (bytes) => { text += decoder.decode(bytes, { stream: true }); out.textContent = text; },
    stderr: (bytes) => console.warn(decoder.decode(bytes)),
  });
  // The command line saves its own state in images: not needed here.
  const remote = await restoreRemote(machine, chain, { lazy: true, ignoreUnclaimedState: true });
  status.textContent = 'running';
  const result = await machine.runAsync({ timeoutMs: remote.waitBoundMs });
  const s = remote.chain.stats;
  document.getElementById('stats').textContent =
    `${s.requests} requests, ${s.bytes} bytes (${s.pageBytes} of pages); ${remote.demandFaults} faults fetched a page`;
  status.textContent = result.kind === 'exit' ? `exited with status ${result.exitCode}` : result.kind;
  Object.assign(window.faultline, { done: true, stdout: text, result, stats: { ...s, demandFaults: remote.demandFaults } });
}

main().catch((err) => {
  status.textContent = `error: ${err.message}`;
  console.error(err.message);
  Object.assign(window.faultline, { done: true, error: err.message });
});
