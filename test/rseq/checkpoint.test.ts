/**
 * Registrations in checkpoints: the RSEQ block that ends a version-3 THRD
 * section (virtual CPUs, each thread's CPU, registration, pending events
 * and aborts) survives a round trip; a version-2 image (no block) still
 * restores, as one CPU with nothing registered; a hostile block is
 * refused naming the offset.
 */

import { describe, expect, it } from 'vitest';
import { FormatError, Machine, assemble } from '../../src/index.js';
import { HeaderField, SectionTag } from '../../src/checkpoint/image-format.js';
import { decodeImage } from '../../src/plugin-kit.js';
import { RSEQ_SIG } from '../../src/syscalls/rseq-abi.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/index.js';
import { concat, refreshFraming, sectionBytes, sectionsOf } from '../checkpoint/image-surgery.js';
import { counterProgram, symbol } from './programs.js';

const SHAPE = { threads: 3, iterations: 400, amount: 5, before: [0], after: [1], fallbackAfter: 0, slots: 4 };

/** A 3-thread counter machine on 4 CPUs, stopped mid-run with thread 2 moved to CPU 3. */
function midRun(): { machine: Machine; image: Uint8Array } {
  const machine = new Machine({ cpus: 4, timeSlice: 37, memoryQuota: 32 << 20 });
  machine.load(counterProgram(SHAPE));
  const cp = checkpoint();
  machine.use(cp);
  expect(machine.run({ maxInstructions: 3000 }).kind).toBe('limit');
  machine.migrate(2, 3);
  return { machine, image: cp.checkpoint() };
}

/** The THRD payload's byte offset and length in `bytes`. */
function thrd(bytes: Uint8Array): { at: number; length: number } {
  const s = sectionsOf(bytes).find((x) => x.tag === SectionTag.Threads)!;
  return { at: s.at + 16, length: s.length };
}

describe('rseq state in checkpoints', () => {
  it('round trip: version 3, the CPUs, each thread\'s CPU, registration, events and aborts; the restored run is exact', () => {
    const { machine, image } = midRun();
    const d = decodeImage(image, 'a.ckpt');
    expect(d.header.version).toBe(3);
    expect(d.threads!.cpus).toBe(4);
    expect(d.threads!.rseqAborts).toBe(machine.rseqAborts);
    expect(d.threads!.threads.map((t) => t.cpu)).toEqual([0, 3, 2]);
    for (const t of d.threads!.threads) expect(t.rseq).toEqual({ address: expect.any(Number), length: 32, signature: RSEQ_SIG });
    expect(d.threads!.threads[1]!.rseqEvent! & 4).toBe(4); // the pending migration
    const restored = new Machine({ memoryQuota: 32 << 20 });
    restoreCheckpoint(restored, [{ name: 'a.ckpt', bytes: image }]);
    expect(restored.cpus).toBe(4);
    expect(restored.threads.map((t) => [t.tid, t.cpu, t.rseq?.address, t.rseqAborts])).toEqual(machine.threads.map((t) => [t.tid, t.cpu, t.rseq?.address, t.rseqAborts]));
    expect(restored.rseqAborts).toBe(machine.rseqAborts);
    expect(restored.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const program = counterProgram(SHAPE);
    const at = symbol(program, 'counters');
    const total = [0, 1, 2, 3].reduce((n, c) => n + restored.addressSpace.readU32(at + 4 * c), 0);
    expect(total).toBe(SHAPE.threads * SHAPE.iterations * SHAPE.amount);
  });

  it('a version-2 image (THRD without the RSEQ block) restores as one CPU with nothing registered', () => {
    const m = new Machine({ memoryQuota: 32 << 20 });
    m.load(assemble('li s0, 100000\n1: addi s0, s0, -1\n bnez s0, 1b\n li a0, 9\n li a7, 93\n ecall\n'));
    const cp = checkpoint();
    m.use(cp);
    expect(m.run({ maxInstructions: 500 }).kind).toBe('limit');
    const bytes = cp.checkpoint().slice();
    const { at, length } = thrd(bytes);
    const block = 16 + 32 * 1; // tag, cpus, aborts; one thread
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(at + length - block, true)).toBe(0x51455352); // 'RSEQ'
    // Cut the block: shift everything after it back, shorten THRD, say version 2.
    const v2 = new Uint8Array(bytes.length - block);
    v2.set(bytes.subarray(0, at + length - block));
    v2.set(bytes.subarray(at + length), at + length - block);
    new DataView(v2.buffer).setUint32(at - 16 + 4, length - block, true);
    // Version 2 has no capability space either: drop HNDL and FSYS.
    const kept = sectionsOf(v2).filter((sec) => sec.tag !== SectionTag.Handles && sec.tag !== SectionTag.FileTree);
    const v2only = concat([v2.subarray(0, 64), ...kept.map((sec) => sectionBytes(v2, sec))]);
    new DataView(v2only.buffer).setUint32(HeaderField.version, 2, true);
    const image = refreshFraming(v2only);
    const d = decodeImage(image, 'v2.ckpt');
    expect(d.header.version).toBe(2);
    expect(d.threads!.cpus).toBeUndefined();
    const restored = new Machine({ memoryQuota: 32 << 20, cpus: 4 });
    restoreCheckpoint(restored, [{ name: 'v2.ckpt', bytes: image }]);
    expect(restored.cpus).toBe(1);
    expect(restored.threads.map((t) => [t.cpu, t.rseq])).toEqual([[0, null]]);
    expect(restored.run()).toEqual({ kind: 'exit', exitCode: 9 });
  });

  it('a hostile RSEQ block is refused naming the offset: a bad tag, no CPUs, a thread on a CPU past the count, a misaligned registration', () => {
    const { image } = midRun();
    const { at, length } = thrd(image);
    const block = at + length - (16 + 32 * 3);
    const cases: Array<[number, number, RegExp]> = [
      [block, 0x12345678, /0x12345678 where the RSEQ block or the end of THRD belongs/],
      [block + 4, 0, /virtual CPU count 0 is not 1\.\.512/],
      [block + 16 + 32, 4, /thread 2 is on CPU 4, but there are 4/],
      [block + 16 + 8, 0x1004, /thread 1 registered rseq at 0x00001004 with length 32/],
    ];
    for (const [offset, value, message] of cases) {
      const bytes = image.slice();
      new DataView(bytes.buffer).setUint32(offset, value, true);
      const fixed = refreshFraming(bytes);
      expect(() => decodeImage(fixed, 'x.ckpt')).toThrow(FormatError);
      expect(() => decodeImage(fixed, 'x.ckpt')).toThrow(message);
    }
  });
});
