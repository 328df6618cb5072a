/**
 * `--gdb PORT` of `faultline run` and `faultline restore`: waits on
 * 127.0.0.1:PORT (0: a free port) for one GDB client, announces
 * "faultline: gdb listening on 127.0.0.1:N" on stderr, and lets the
 * protocol stub (src/debug) drive the machine until the client detaches,
 * kills, disconnects or the guest ends. The TCP side only: bytes in, bytes
 * out.
 */
import { createServer, type Socket } from 'node:net';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Machine } from '../src/machine/machine.js';
import { GdbStub, type StubEnd } from '../src/debug/gdb-stub.js';
import { checkpoint } from '../handlers/checkpoint/index.js';
import { CommandLineError } from './usage-error.js';
import { printError } from './output.js';
import type { Rewinder } from '../src/debug/rewinder.js';
import { runLoop, type LoopOutcome } from './run-loop.js';
import type { CliState } from './cli-state.js';
import { cliReverse } from './debug/rewind.js';

/** Writes a full checkpoint image of `machine` into `dir` (monitor checkpoint DIR). */
async function writeCheckpoint(machine: Machine, dir: string): Promise<string> {
  const cp = checkpoint({ incremental: false });
  const off = machine.use(cp);
  let bytes: Uint8Array;
  try {
    bytes = cp.checkpoint({ full: true });
  } finally {
    off();
  }
  await mkdir(dir, { recursive: true });
  const file = join(dir, `gdb-${machine.cpu.instret}.ckpt`);
  await writeFile(`${file}.tmp`, bytes);
  await rename(`${file}.tmp`, file);
  return `wrote ${file} (${bytes.length} bytes, instruction ${machine.cpu.instret})`;
}

/**
 * Serves one GDB session for `machine` on `port`; resolves with how it
 * ended (the stub's {@link StubEnd}) and the machine it ended on (reverse
 * execution may have replaced it).
 *
 * @param machine - loaded (or restored), not running
 * @param port - TCP port on 127.0.0.1, 0 for any free one
 * @param rewinder - reverse execution, if any
 */
export async function serveGdb(machine: Machine, port: number, rewinder?: Rewinder): Promise<{ end: StubEnd; machine: Machine }> {
  const server = createServer();
  const socket = await new Promise<Socket>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new CommandLineError(`--gdb ${port}: cannot listen on 127.0.0.1:${port} (${err.code ?? err.message})`)));
    server.once('connection', resolve);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      printError(`faultline: gdb listening on 127.0.0.1:${actual}`);
    });
  });
  server.close();
  socket.setNoDelay(true);
  const stub = new GdbStub(machine, {
    send: (bytes) => { if (!socket.destroyed) socket.write(bytes); },
    yieldToHost: () => new Promise((resolve) => setImmediate(resolve)),
    monitor: { checkpoint: writeCheckpoint },
    ...(rewinder === undefined ? {} : { rewinder }),
  });
  socket.on('data', (chunk: Buffer) => stub.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
  socket.on('close', () => stub.disconnect());
  socket.on('error', () => stub.disconnect());
  const end = await stub.done;
  // Let the last reply (W, X, OK) leave before the socket closes.
  await new Promise<void>((resolve) => socket.end(resolve));
  socket.destroy();
  return { end, machine: stub.machine };
}

/**
 * The `--gdb PORT` step of run and restore: serves the session, then says
 * how the run goes on: null when the client detached or went away (the
 * guest runs on without the debugger), else the outcome to report (the
 * guest's end, or a kill: signal 9).
 *
 * @param machine - loaded (or restored), plugins installed, not running
 * @param port - TCP port on 127.0.0.1, 0 for any free one
 */
export async function gdbSession(machine: Machine, port: number, cli: CliState): Promise<LoopOutcome | null> {
  const { end, machine: last } = await serveGdb(machine, port, cliReverse(machine, cli));
  if (end.kind === 'ended') return { kind: 'result', result: end.result };
  if (end.kind === 'kill') return { kind: 'result', result: { kind: 'signal', signal: 9, message: 'killed by the debugger (gdb kill)' } };
  // Detached after stepping back: the machine the session ended on runs on.
  return last === machine ? null : runLoop(last, {});
}
