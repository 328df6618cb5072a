import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExceptionTable, ExtableType } from '../../src/fault/exception-table.js';
import { FaultStatus } from '../../src/fault/status.js';
import type { ExtableEntry } from '../../src/loader/program.js';
import { ECALL, TEXT_BASE, iType, li, machineFromWords } from '../helpers/guest-program.js';

/** Distinct word-aligned instruction addresses, in random order. */
const entries = (max: number) =>
  // Both the branch-free path (keys within 2 GiB) and the wide one.
  fc.oneof(fc.constant(0x3fffffff), fc.constant(0x0000ffff), fc.constant(0x1fffffff)).chain((top) => fc.uniqueArray(fc.integer({ min: 0, max: top }), { maxLength: max })).map((slots) =>
    slots.map((s, k): ExtableEntry => ({ insn: (s * 4) >>> 0, fixup: k * 4, type: k % 2, data: k & 0x3ff })),
  );

function linear(table: readonly ExtableEntry[], pc: number): ExtableEntry | undefined {
  return table.find((e) => e.insn >>> 0 === pc >>> 0);
}

describe('ExceptionTable', () => {
  it('finds exactly what a linear scan finds (random tables, hits and misses)', () => {
    fc.assert(
      fc.property(entries(2000), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 50 }), (list, probes) => {
        const table = new ExceptionTable(list);
        for (const pc of [...probes, ...list.slice(0, 50).flatMap((e) => [e.insn, e.insn + 4, e.insn - 4])]) {
          const k = table.lookup(pc);
          const expected = linear(list, pc);
          if (expected === undefined) expect(k).toBe(-1);
          else expect(table.fixupOf(k)).toBe(expected.fixup);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a linear scan on a 1,000,000-entry table', () => {
    const n = 1_000_000;
    const list: ExtableEntry[] = [];
    for (let k = 0; k < n; k++) list.push({ insn: (((k * 2654435761) >>> 0) & ~3) >>> 0, fixup: k, type: 0, data: 0 });
    const unique = [...new Map(list.map((e) => [e.insn, e])).values()];
    const table = new ExceptionTable(unique);
    const byInsn = new Map(unique.map((e) => [e.insn, e.fixup]));
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...unique.slice(0, 1000).map((e) => e.insn)), fc.integer({ min: 0, max: 0xffffffff })), (pc) => {
        const k = table.lookup(pc);
        const expected = byInsn.get(pc >>> 0);
        if (expected === undefined) expect(k).toBe(-1);
        else expect(table.fixupOf(k)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    // A full linear scan for a few probes, independent of the Map.
    for (const pc of [unique[0]!.insn, unique[n / 2]!.insn, 0xfffffffc, 2]) {
      expect(table.lookup(pc) >= 0).toBe(linear(unique, pc) !== undefined);
    }
  });

  it('refuses unknown types and duplicate instructions', () => {
    expect(() => new ExceptionTable([{ insn: 4, fixup: 8, type: 3, data: 0 }])).toThrow(/unknown type 3/);
    expect(() => new ExceptionTable([{ insn: 4, fixup: 8, type: 0, data: 0 }, { insn: 4, fixup: 12, type: 0, data: 0 }])).toThrow(/two entries/);
  });
});

describe('exception-table fixups in the machine', () => {
  const HOLE = 0x5000_0000;
  // lw a1, 0(t0) at TEXT_BASE+8 faults; fixup at TEXT_BASE+12 exits with a0.
  const words = [...li(5, HOLE), iType(0x03, 2, 11, 5, 0), ...li(17, 93), ECALL];
  const insn = TEXT_BASE + 8, fixup = TEXT_BASE + 12;

  it('FIXUP sets pc to the fixup and nothing else', () => {
    const m = machineFromWords(words);
    m.exceptionTable = new ExceptionTable([{ insn, fixup, type: ExtableType.Fixup, data: 0 }]);
    m.cpu.x[10] = 5;
    m.cpu.x[11] = 77;
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 5 });
    expect(m.cpu.x[11]).toBe(77);
  });

  it('UACCESS_ERR_ZERO puts -EFAULT in the error register and zeroes the value register (Linux riscv data layout)', () => {
    const m = machineFromWords(words);
    // err = a0 (x10), zero = a1 (x11): data = 10 | 11 << 5
    m.exceptionTable = new ExceptionTable([{ insn, fixup, type: ExtableType.UaccessErrZero, data: 10 | (11 << 5) }]);
    m.cpu.x[11] = 77;
    expect(m.run()).toEqual({ kind: 'exit', exitCode: -14 & 0xff });
    expect(m.cpu.x[10]).toBe(-14);
    expect(m.cpu.x[11]).toBe(0);
  });

  it('is the last resort: asked only after every handler continued, never after Fail, and behind later tail handlers', () => {
    const m = machineFromWords(words);
    m.exceptionTable = new ExceptionTable([{ insn, fixup, type: ExtableType.Fixup, data: 0 }]);
    const order: string[] = [];
    m.events.on('fixed', (_f, by) => order.push(`fixed by ${by}`));
    m.registerFaultHandler(() => { order.push('head'); return FaultStatus.Continue; });
    m.registerFaultHandler(() => { order.push('tail'); return FaultStatus.Continue; }, { tail: true });
    m.cpu.x[10] = 1;
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 1 });
    expect(order).toEqual(['head', 'tail', 'fixed by exception table']);

    const f = machineFromWords(words);
    f.exceptionTable = new ExceptionTable([{ insn, fixup, type: ExtableType.Fixup, data: 0 }]);
    f.registerFaultHandler(() => FaultStatus.Fail, { name: 'veto' });
    const r = f.run();
    expect(r.kind === 'fault' && r.handler).toBe('veto');
  });

  it('a fault outside every entry is not fixed', () => {
    const m = machineFromWords(words);
    m.exceptionTable = new ExceptionTable([{ insn: insn + 4, fixup, type: ExtableType.Fixup, data: 0 }]);
    expect(m.run().kind).toBe('fault');
  });
});
