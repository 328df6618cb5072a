/**
 * Every runnable example in
 * examples/*.ts runs in the test suite and its output is checked, so none
 * can rot.
 *
 * The table is the contract: one entry per example with its full expected
 * standard output (and exit status 0, nothing on stderr). An example added
 * to examples/ without an entry here fails the last test, naming it. The
 * examples run from dist/ (test/global-setup.ts builds before the tests),
 * exactly as their headers tell a reader to run them.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface ExampleEntry {
  /** File name in examples/ without `.ts`. */
  readonly name: string;
  /** What it shows, for the test name. */
  readonly shows: string;
  /** Its whole standard output, line by line. */
  readonly stdout: readonly string[];
}

/** `count` copies of `line` (for examples that print long runs of the same line). */
function times(count: number, line: string): string[] {
  return new Array<string>(count).fill(line);
}

const EXAMPLES: readonly ExampleEntry[] = [
  {
    name: 'compose-chain',
    shows: 'host plugins and a guest handler in one chain, with the exception table last',
    stdout: [
      'fault: read at 0x30000010 -> guest handler 0x00010058, logger, zero-fill => fixed by zero-fill',
      'fault: read at 0x70000000 -> guest handler 0x00010058 => fixed by guest handler 0x00010058',
      'fault: read at 0x00000040 -> guest handler 0x00010058, logger, zero-fill => fixed by exception table',
      'chain, head first: guest handler 0x00010058, logger, zero-fill',
      'guest read 0 (zero-fill), 0x600d (guest handler), -14 (fixup); exit 0',
    ],
  },
  {
    name: 'monitor',
    shows: 'a Genode-style monitor with two guest threads: pause the target, detach its dataspaces, resume it, and it faults again',
    stdout: [
      'Handling page fault: READ_FAULT pf_addr=0x50000000 (thread 2)',
      'attached sub_ds0 at address 0x50000000',
      'Handling page fault: WRITE_FAULT pf_addr=0x50001000 (thread 2)',
      'attached sub_ds1 at address 0x50001000',
      '[target] 0',
      'paused thread 2 at pc 0x000100b4, detached 2 sub-dataspaces, thread 1 ran 500 instructions, resumed thread 2',
      'Handling page fault: READ_FAULT pf_addr=0x50000000 (thread 2)',
      'attached sub_ds0 at address 0x50000000',
      'Handling page fault: WRITE_FAULT pf_addr=0x50001000 (thread 2)',
      'attached sub_ds1 at address 0x50001000',
      '[target] 1',
      'paused thread 2 at pc 0x000100b4, detached 2 sub-dataspaces, thread 1 ran 500 instructions, resumed thread 2',
      'Handling page fault: READ_FAULT pf_addr=0x50000000 (thread 2)',
      'attached sub_ds0 at address 0x50000000',
      'Handling page fault: WRITE_FAULT pf_addr=0x50001000 (thread 2)',
      'attached sub_ds1 at address 0x50001000',
      '[target] 2',
      'paused thread 2 at pc 0x000100b4, detached 2 sub-dataspaces, thread 1 ran 500 instructions, resumed thread 2',
      'Handling page fault: READ_FAULT pf_addr=0x50000000 (thread 2)',
      'attached sub_ds0 at address 0x50000000',
      'Handling page fault: WRITE_FAULT pf_addr=0x50001000 (thread 2)',
      'attached sub_ds1 at address 0x50001000',
      '[target] 3',
      'paused thread 2 at pc 0x000100b4, detached 2 sub-dataspaces, thread 1 ran 500 instructions, resumed thread 2',
      'Handling page fault: READ_FAULT pf_addr=0x50000000 (thread 2)',
      'attached sub_ds0 at address 0x50000000',
      'Handling page fault: WRITE_FAULT pf_addr=0x50001000 (thread 2)',
      'attached sub_ds1 at address 0x50001000',
      '[target] 4',
      'paused thread 2 at pc 0x000100b4, detached 2 sub-dataspaces, thread 1 ran 500 instructions, resumed thread 2',
      '10 faults served; counter 5, mirror 4; target paused 5 times, context kept 5 times; exit 0',
    ],
  },
  {
    name: 'dirty-logging',
    shows: "mprotect-style dirty logging over epochs, keeping the guest's own mprotect",
    stdout: [
      'epoch 1: 2 dirty pages: 00011000 data+0x0000, 00013000 data+0x2000',
      'epoch 2: 3 dirty pages: 00011000 data+0x0000, 00014000 [heap]+0x0000, 00015000 [heap]+0x1000',
      'epoch 3: 2 dirty pages: 40000000 mmap+0x0000, 40003000 mmap+0x3000',
      'skipped 1 store to the page the guest made read-only (00012000)',
      '7 first-write faults in 3 epochs; the shadow copy matches guest memory: true',
    ],
  },
  {
    name: 'write-tracking',
    shows: 'read-only-attach write tracking with re-arming',
    stdout: [
      'arming 1: table page 1 at 0x50102010 by pc 0x00010024 (#1)',
      'arming 2: config page 0 at 0x50000008 by pc 0x00010044 (#2)',
      'write faults: 4 (2 tracked, 2 refused in rom); read faults: 0',
      'rom stays read-only: true; table[1][4] = 100',
    ],
  },
  {
    name: 'checkpoint-restore',
    shows: 'full and incremental checkpoints, eager and lazy restore, a damaged image refused',
    stdout: [
      'image 0: full, 3 pages, 13712 bytes',
      'image 1: incremental, 2 pages, 9604 bytes',
      'image 2: incremental, 2 pages, 9604 bytes',
      'original continues: 114 115 116 117 118',
      'restored continues: 114 115 116 117 118',
      // The counter never touches its stack, so the lazy restore copies
      // the program's and the heap's pages but not the stack's.
      'lazy restore copied 2 of 3 pages with contents before completing',
      "refused: #1: offset 0x00000124: section 'THRD' is corrupted (CRC 0x9639df30, computed 0x60321759)",
    ],
  },
  {
    name: 'async-page-source',
    shows: "demand paging from another machine's memory through an asynchronous page source under runAsync()",
    stdout: [
      // The 150-line text, each line naming the page it starts in (61 bytes a line).
      ...times(67, 'page 0: Demand paging fetched this line from another machine.'),
      ...times(66, 'page 1: Demand paging fetched this line from another machine.'),
      ...times(17, 'page 2: Demand paging fetched this line from another machine.'),
      'guest counted 150 lines; exit 0',
      'fetched 3 of 16 pages: 0x0, 0x1000, 0x2000 (each after a 2 ms delay)',
    ],
  },
  {
    name: 'access-tracking',
    shows: 'access tracking by epochs: read, written and executed pages, working set and idle pages',
    stdout: [
      'epoch 0: 8 pages (read 0, written 7, executed 1), idle 0',
      'epoch 1: 8 pages (read 0, written 7, executed 1), idle 0',
      'epoch 2: 19 pages (read 5, written 13, executed 2), idle 2',
      'epoch 3: 7 pages (read 5, written 1, executed 2), idle 8',
      'epoch 4: 7 pages (read 5, written 1, executed 2), idle 20',
      'epoch 5: 7 pages (read 5, written 1, executed 2), idle 20',
      'epoch 6: 7 pages (read 5, written 1, executed 2), idle 20',
      '7 epochs, 68 first-touch faults; exit 0',
    ],
  },
];

describe('examples', () => {
  for (const example of EXAMPLES) {
    it(`${example.name}: ${example.shows}`, () => {
      const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'examples', `${example.name}.js`)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      if (r.error !== undefined) throw r.error;
      expect(r.stderr).toBe('');
      expect(r.stdout.trimEnd().split('\n')).toEqual(example.stdout);
      expect(r.status).toBe(0);
    });
  }

  it('has an entry for every example in examples/', () => {
    const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
    const missing = files.filter((f) => !EXAMPLES.some((e) => e.name === f));
    expect(missing, 'examples without an entry in test/examples.test.ts').toEqual([]);
  });
});
