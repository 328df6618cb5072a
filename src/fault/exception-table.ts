import { FormatError, hex32 } from '../errors.js';
import type { ExtableEntry } from '../loader/program.js';
import { Errno } from '../syscalls/errno.js';
import type { UserContext } from './user-context.js';

/**
 * Exception-table entry types (docs/design.md §3).
 *
 * - `Fixup` (0): pc ← fixup.
 * - `UaccessErrZero` (1): Linux riscv's `EX_TYPE_UACCESS_ERR_ZERO`: the
 *   register in `data` bits 0–4 gets `-EFAULT`, the register in bits 5–9
 *   gets 0, pc ← fixup.
 *
 * @example
 * ```ts
 * const table = new ExceptionTable([{ insn: 0x10080, fixup: 0x100a0, type: ExtableType.Fixup, data: 0 }]);
 * ```
 *
 * @enum
 */
export const ExtableType = {
  /** 0 (`EX_TYPE_FIXUP`): pc ← fixup; registers are left alone. */
  Fixup: 0,
  /** 1 (`EX_TYPE_UACCESS_ERR_ZERO`): error register ← -EFAULT, zero register ← 0, pc ← fixup. */
  UaccessErrZero: 1,
} as const;

/** Linux riscv `EX_DATA_REG_ERR` (bits 4:0) and `EX_DATA_REG_ZERO` (bits 9:5). */
const REG_ERR_MASK = 0x1f, REG_ZERO_SHIFT = 5;

/**
 * A Linux-style exception table: (faulting instruction → fixup) pairs,
 * sorted once at construction, searched by bisection at fault time. The
 * machine consults it as the last resort, after every handler answered
 * `Continue`.
 *
 * @example
 * ```ts
 * const table = new ExceptionTable(program.extable);
 * const k = table.lookup(fault.pc);
 * if (k >= 0) table.apply(k, context);
 * ```
 */
export class ExceptionTable {
  private readonly insn: Uint32Array;
  private readonly fixup: Int32Array;
  private readonly type: Uint8Array;
  private readonly data: Int32Array;
  /** Keys minus {@link lowest}, for the branch-free search. */
  private readonly relative: Int32Array;
  private readonly lowest: number;
  private readonly span: number;
  /** True when every relative key fits in 31 bits. */
  private readonly narrow: boolean;

  /**
   * Copies and sorts `entries` by instruction address (the array is not
   * kept or changed).
   *
   * @param entries - the table, in any order (e.g. `program.extable`)
   * @throws FormatError for an entry of unknown type or two entries for one instruction.
   * @example
   * ```ts
   * const table = new ExceptionTable([
   *   { insn: 0x10100, fixup: 0x10200, type: ExtableType.Fixup, data: 0 },
   *   { insn: 0x10080, fixup: 0x10200, type: ExtableType.Fixup, data: 0 },
   * ]);
   * table.entries()[0].insn;   // 0x10080
   * ```
   */
  constructor(entries: readonly ExtableEntry[]) {
    const order = entries.map((_, k) => k).sort((a, b) => (entries[a]!.insn >>> 0) - (entries[b]!.insn >>> 0));
    const n = entries.length;
    this.insn = new Uint32Array(n);
    this.fixup = new Int32Array(n);
    this.type = new Uint8Array(n);
    this.data = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const e = entries[order[k]!]!;
      if (e.type !== ExtableType.Fixup && e.type !== ExtableType.UaccessErrZero) {
        throw new FormatError(`exception table: entry for ${hex32(e.insn)} has unknown type ${e.type} (0 = fixup, 1 = uaccess-err-zero)`);
      }
      if (k > 0 && this.insn[k - 1] === e.insn >>> 0) {
        throw new FormatError(`exception table: two entries for instruction ${hex32(e.insn)}`);
      }
      this.insn[k] = e.insn >>> 0;
      this.fixup[k] = e.fixup | 0;
      this.type[k] = e.type;
      this.data[k] = e.data;
    }
    this.lowest = n === 0 ? 0 : this.insn[0]!;
    this.span = n === 0 ? 0 : this.insn[n - 1]! - this.lowest;
    this.narrow = this.span < 0x8000_0000;
    this.relative = new Int32Array(n);
    for (let k = 0; k < n; k++) this.relative[k] = this.insn[k]! - this.lowest;
  }

  /** Number of entries. */
  get size(): number {
    return this.insn.length;
  }

  /**
   * Index of the entry for instruction `pc`, or -1. No allocation, never throws.
   *
   * A data-dependent branch per bisection step would be mispredicted half
   * the time (~5 ns each, ~17 steps for 100,000 entries). So the keys are
   * stored relative to the smallest one, and when they span less than
   * 2 GiB each step is branch-free: `(key[mid] - pc - 1) >> 31` is -1
   * exactly when key[mid] <= pc. Wider tables use a plain bisection.
   *
   * @param pc - address of the faulting instruction
   * @returns the entry's index for {@link ExceptionTable.apply}, or -1 when there is none
   * @example
   * ```ts
   * const k = table.lookup(fault.pc);
   * if (k >= 0) console.log('fixup at', hex32(table.fixupOf(k)));
   * ```
   */
  lookup(pc: number): number {
    const rel = this.relative;
    let length = rel.length;
    if (length === 0) return -1;
    const key = (pc >>> 0) - this.lowest;
    if (key < 0 || key > this.span) return -1;
    if (!this.narrow) return this.lookupWide(pc >>> 0);
    let base = 0;
    while (length > 1) {
      const half = length >>> 1;
      base += half & ((rel[base + half]! - key - 1) >> 31);
      length -= half;
    }
    return rel[base] === key ? base : -1;
  }

  private lookupWide(key: number): number {
    const insn = this.insn;
    let lo = 0, hi = insn.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = insn[mid]!;
      if (v < key) lo = mid + 1;
      else if (v > key) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /**
   * The fixup address of entry `index`.
   *
   * @param index - a result of {@link ExceptionTable.lookup} (not -1)
   * @returns the address the pc is set to
   * @example
   * ```ts
   * const fixup = table.fixupOf(table.lookup(fault.pc));
   * ```
   */
  fixupOf(index: number): number {
    return this.fixup[index]!;
  }

  /**
   * Applies entry `index` to `context` as Linux riscv's `fixup_exception`
   * does: for type 1 writes the error and zero registers named by `data`
   * (x0 is never written), then sets the pc to the fixup. Never throws.
   *
   * @param index - a result of {@link ExceptionTable.lookup} (not -1)
   * @param context - the faulting thread's context
   * @example
   * ```ts
   * machine.registerFaultHandler((fault, ctx) => {
   *   const k = table.lookup(fault.pc);
   *   if (k < 0) return FaultStatus.Continue;
   *   table.apply(k, ctx);
   *   return FaultStatus.Fixed;
   * });
   * ```
   */
  apply(index: number, context: UserContext): void {
    if (this.type[index] === ExtableType.UaccessErrZero) {
      const data = this.data[index]!;
      const regErr = data & REG_ERR_MASK;
      const regZero = (data >>> REG_ZERO_SHIFT) & REG_ERR_MASK;
      if (regErr !== 0) context.regs[regErr] = -Errno.EFAULT;
      if (regZero !== 0) context.regs[regZero] = 0;
    }
    context.pc = this.fixup[index]!;
  }

  /**
   * The entries, sorted by instruction address (a fresh array).
   *
   * @example
   * ```ts
   * for (const e of table.entries()) console.log(hex32(e.insn), '->', hex32(e.fixup));
   * ```
   */
  entries(): ExtableEntry[] {
    return Array.from(this.insn, (insn, k) => ({ insn, fixup: this.fixup[k]! >>> 0, type: this.type[k]!, data: this.data[k]! }));
  }
}
