import type { Cpu } from '../cpu/cpu.js';
import { HartState } from '../cpu/hart-state.js';

/**
 * The faulting thread's user context: its 32 integer registers and pc. A
 * handler may change them; the changes take effect only when it answers
 * `Fixed`: after `Continue` or `Fail` (or a throw) the chain puts the thread
 * back as it was at the fault, so the next handler, the exception table
 * and the report see the original context. Writes to `regs[0]` are
 * ignored, as x0 is hard-wired to 0.
 *
 * The machine hands every handler the same live object (no allocation per
 * fault); it reads and writes the hart directly, and keeps a preallocated
 * snapshot of the thread taken when the dispatch began.
 *
 * @example
 * ```ts
 * machine.registerFaultHandler((fault, ctx) => {
 *   ctx.regs[10] = -14;     // a0 = -EFAULT
 *   ctx.pc = ctx.pc + 4;     // skip the faulting instruction
 *   return FaultStatus.Fixed;
 * });
 * ```
 */
export class UserContext {
  /** x0..x31 (int32); index with ABI numbers (a0 = 10, sp = 2, ...). */
  readonly regs: Int32Array;

  /**
   * Wraps a hart. The machine makes one for its CPU ({@link Machine.context});
   * user code does not normally construct these.
   *
   * @param cpu - the hart whose state this exposes
   */
  constructor(private readonly cpu: Cpu) {
    this.regs = cpu.x.subarray(0, 32);
  }

  /** The thread as it was when the dispatch began. */
  private readonly atFault = new HartState();

  /** Snapshots the thread at the start of a dispatch (no allocation). @internal */
  mark(): void {
    this.atFault.save(this.cpu);
  }

  /**
   * Puts the thread back as {@link mark} saw it (no allocation). Most
   * handlers that pass change nothing, so it compares first and copies only
   * when something differs. @internal
   */
  rollback(): void {
    if (!this.atFault.matches(this.cpu)) this.atFault.load(this.cpu);
  }

  /**
   * Address of the instruction the thread resumes at. During a dispatch it
   * is the faulting instruction's address; leave it alone to retry the
   * instruction, set it to continue elsewhere. The value is stored as a
   * signed 32-bit number (addresses from 0x80000000 read back negative; use
   * `ctx.pc >>> 0` to print them).
   */
  get pc(): number {
    return this.cpu.pc;
  }

  /**
   * Sets where the thread resumes (applied only when the handler answers `Fixed`).
   *
   * @param value - the new pc; it should be a multiple of 4, or the next fetch raises a misaligned fault
   */
  set pc(value: number) {
    this.cpu.pc = value | 0;
  }
}
