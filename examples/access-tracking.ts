/**
 * access-tracking.ts — which pages a program reads, writes and executes,
 * epoch by epoch (docs/design.md §14; docs/access-tracking.md).
 *
 * What it shows:
 * - the {@link accessTracking} plugin: every page loses access in the
 *   tracker's own protection layer at each epoch start; the first read,
 *   write or execute of a page in the epoch faults once, is recorded with
 *   the thread and pc, and access comes back;
 * - a guest in phases: it fills a 16-page table, maps and fills 8 more
 *   pages, then reads a hot quarter of the table over and over through a
 *   helper on a code page of its own (which saves a register on the
 *   stack); epochs of 25,000 instructions, ended by `runEpochs`;
 * - per epoch: the working set, the read / written / executed counts and
 *   the pages idle for 2 epochs (the cold part of the table, once the
 *   reading phase runs).
 *
 * The same guest drawn as a report: `faultline run guest.s --access-log
 * run.jsonl --access-epoch 25000` then `faultline report run.jsonl -o
 * report.html` (docs/images/report.png).
 *
 * Run it:
 *
 *     npm run build && node dist/examples/access-tracking.js
 *
 * Output (one line per epoch, then a total):
 *
 *     epoch 0: 8 pages (read 0, written 7, executed 1), idle 0
 *     epoch 1: 8 pages (read 0, written 7, executed 1), idle 0
 *     epoch 2: 19 pages (read 5, written 13, executed 2), idle 2
 *     epoch 3: 7 pages (read 5, written 1, executed 2), idle 8
 *     epoch 4: 7 pages (read 5, written 1, executed 2), idle 20
 *     epoch 5: 7 pages (read 5, written 1, executed 2), idle 20
 *     epoch 6: 7 pages (read 5, written 1, executed 2), idle 20
 *     7 epochs, 68 first-touch faults; exit 0
 */

import { pathToFileURL } from 'node:url';
import { Machine, assemble } from '../src/index.js';
import { accessTracking, type EpochRecord } from '../handlers/index.js';

/** The guest: fill a table, fill mapped memory, then read a hot part of the table through a helper. */
export const ACCESS_GUEST = `
    .equ    SYS_MMAP, 222
    .equ    SYS_EXIT, 93
    .text
    .globl  _start
_start:
    la      s1, table
    li      t1, 16 * 1024          # phase 1: fill the 16-page table, a word at a time
    mv      t0, s1
1:  sw      t1, 0(t0)
    addi    t0, t0, 4
    addi    t1, t1, -1
    bnez    t1, 1b
    li      a0, 0                  # phase 2: map 8 pages and write every 64th byte
    li      a1, 8 * 4096
    li      a2, 3
    li      a3, 0x22
    li      a4, -1
    li      a5, 0
    li      a7, SYS_MMAP
    ecall
    mv      s2, a0
    li      t1, 8 * 64
    mv      t0, s2
2:  sw      t1, 0(t0)
    addi    t0, t0, 64
    addi    t1, t1, -1
    bnez    t1, 2b
    li      s3, 40                 # phase 3: read the table's first 4 pages, 40 times
    li      s4, 0
3:  mv      a0, s1
    call    sum4
    add     s4, s4, a0
    addi    s3, s3, -1
    bnez    s3, 3b
    li      a0, 0
    li      a7, SYS_EXIT
    ecall

    .balign 4096
sum4:                              # sum of every 8th word of 4 pages at a0
    addi    sp, sp, -16
    sw      s0, 12(sp)
    li      s0, 0
    li      t1, 4 * 128
4:  lw      t2, 0(a0)
    add     s0, s0, t2
    addi    a0, a0, 32
    addi    t1, t1, -1
    bnez    t1, 4b
    mv      a0, s0
    lw      s0, 12(sp)
    addi    sp, sp, 16
    ret

    .data
    .balign 4096
table: .space 16 * 4096
`;

/** Runs the guest under a tracker; returns the epoch records and the exit status. */
export function trackAccesses(epochInstructions = 25_000): { records: EpochRecord[]; exitCode: number; faults: number } {
  const machine = new Machine();
  machine.load(assemble(ACCESS_GUEST, { fileName: 'access-guest.s' }));
  const tracker = accessTracking({ epochInstructions, idleEpochs: 2 });
  machine.use(tracker);
  const records: EpochRecord[] = [];
  const result = tracker.runEpochs({ onEpoch: (r) => records.push(r) });
  return { records, exitCode: result.kind === 'exit' ? result.exitCode : -1, faults: tracker.faults };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { records, exitCode, faults } = trackAccesses();
  for (const r of records) {
    console.log(`epoch ${r.epoch}: ${r.workingSet} pages (read ${r.read.length}, written ${r.written.length}, executed ${r.executed.length}), idle ${r.idle.length}`);
  }
  console.log(`${records.length} epochs, ${faults} first-touch faults; exit ${exitCode}`);
}
