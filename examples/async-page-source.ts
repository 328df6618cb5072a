/**
 * async-page-source.ts — demand paging from another machine, asynchronously.
 *
 * What it shows (docs/design.md §3, §5):
 * - a "remote" {@link Machine} whose memory holds a text, as a host would
 *   hold pages another host asks for;
 * - a local machine whose guest reads that text from a managed region it
 *   has never been given: the {@link demandPaging} plugin with a `source`
 *   backing fetches each page from the remote machine's memory on first
 *   touch, after a simulated network delay (`setTimeout`), while the
 *   faulting thread waits — the run uses `runAsync()`, as `userfaultfd`
 *   would block a thread;
 * - the guest touches the region two ways: a `write` system call straight
 *   from the region (the call faults its buffer in through the chain) and a
 *   loop that counts the lines with loads;
 * - only the pages the guest touches are fetched (the region is bigger).
 *
 * Run it:
 *
 *     npm run build && node dist/examples/async-page-source.js
 *
 * Output (the text, then the count and the fetch log):
 *
 *     page 0: Demand paging fetched this line from another machine.
 *     ...
 *     guest counted 150 lines; exit 0
 *     fetched 3 of 16 pages: 0x0, 0x1000, 0x2000 (each after a 2 ms delay)
 */

import { pathToFileURL } from 'node:url';
import { CollectedOutput, Machine, PAGE_SIZE, assemble } from '../src/index.js';
import { demandPaging, type PageSource } from '../handlers/index.js';

/** Where the text lives in the remote machine and appears in the local one. */
const REMOTE_ADDRESS = 0x2000_0000;
const LOCAL_ADDRESS = 0x5000_0000;
/** Pages of the managed region (the text fills fewer). */
const REGION_PAGES = 16;
/** Simulated latency of one fetch. */
const DELAY_MS = 2;

/** The guest: write(1, text, length); count '\n' in it; exit(0). */
function guestSource(length: number): string {
  return `
    .text
    .globl _start
_start:
    li      a0, 1
    li      a1, ${LOCAL_ADDRESS}
    li      a2, ${length}
    li      a7, 64
    ecall                       # write: faults the text in through the chain
    li      t0, ${LOCAL_ADDRESS}
    li      t1, ${length}
    li      t2, 10              # '\\n'
    li      s0, 0
1:  lbu     t3, 0(t0)
    bne     t3, t2, 2f
    addi    s0, s0, 1
2:  addi    t0, t0, 1
    addi    t1, t1, -1
    bnez    t1, 1b
    la      t0, lines
    sw      s0, 0(t0)
    li      a0, 0
    li      a7, 93
    ecall
    .data
lines: .word 0
`;
}

/**
 * What {@link runAsyncPageSource} reports.
 *
 * @example
 * ```ts
 * const { fetched } = await runAsyncPageSource();
 * ```
 */
export interface AsyncPageSourceReport {
  /** What the guest wrote: the text, copied page by page from the remote machine. */
  readonly output: string;
  /** The text as the remote machine holds it. */
  readonly text: string;
  /** Lines the guest counted. */
  readonly lines: number;
  /** Region offsets fetched, in order. */
  readonly fetched: number[];
  /** The guest's exit status, or -1. */
  readonly exitCode: number;
}

/**
 * Runs the example: a remote machine's memory serves the local guest's
 * pages on first touch, asynchronously. Resolves with what happened.
 *
 * @throws HandlerError (rejected) only when the page source fails.
 * @example
 * ```ts
 * const report = await runAsyncPageSource();
 * console.log(report.output === report.text); // true
 * ```
 */
export async function runAsyncPageSource(): Promise<AsyncPageSourceReport> {
  // The remote side: a machine whose memory holds the text.
  let text = '';
  for (let k = 0; k < 150; k++) text += `page ${Math.floor(text.length / PAGE_SIZE)}: Demand paging fetched this line from another machine.\n`;
  const remote = new Machine({ memoryQuota: 4 << 20 });
  const backing = remote.addressSpace.createDataspace(REGION_PAGES * PAGE_SIZE, { name: 'exported' });
  backing.write(0, new TextEncoder().encode(text));
  remote.addressSpace.root.attach(backing, { at: REMOTE_ADDRESS });

  // The page source: read the remote machine's memory after a delay.
  const fetched: number[] = [];
  const fetch: PageSource = async (offset, length) => {
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    fetched.push(offset);
    return remote.addressSpace.readBytes(REMOTE_ADDRESS + offset, length);
  };

  // The local side.
  const out = new CollectedOutput();
  const local = new Machine({ memoryQuota: 16 << 20, stdout: out.sink });
  const program = assemble(guestSource(text.length), { fileName: 'async-page-source.s' });
  local.load(program);
  local.use(demandPaging({ name: 'remote pages', at: LOCAL_ADDRESS, size: REGION_PAGES * PAGE_SIZE, backing: { kind: 'source', fetch } }));

  const result = await local.runAsync();
  return {
    output: out.text(),
    text,
    lines: local.addressSpace.readU32(program.symbols.get('lines')!),
    fetched,
    exitCode: result.kind === 'exit' ? result.exitCode : -1,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runAsyncPageSource();
  process.stdout.write(report.output);
  console.log(`guest counted ${report.lines} lines; exit ${report.exitCode}`);
  console.log(`fetched ${report.fetched.length} of ${REGION_PAGES} pages: ${report.fetched.map((o) => '0x' + o.toString(16)).join(', ')} (each after a ${DELAY_MS} ms delay)`);
}
