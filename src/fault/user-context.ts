import type { Cpu } from '../cpu/cpu.js';

/**
 * The faulting thread's user context: its 32 integer registers and pc. A
 * handler may change them; the changes take effect when the thread resumes
 * (after `Fixed`). Writes to `regs[0]` are ignored, as x0 is hard-wired to 0.
 *
 * The machine hands every handler the same live object (no allocation per
 * fault); it reads and writes the hart directly.
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

  /** @param cpu - the hart whose state this exposes */
  constructor(private readonly cpu: Cpu) {
    this.regs = cpu.x.subarray(0, 32);
  }

  /** Address of the instruction the thread resumes at. */
  get pc(): number {
    return this.cpu.pc;
  }

  set pc(value: number) {
    this.cpu.pc = value | 0;
  }
}
