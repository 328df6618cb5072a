import type { Cpu } from './cpu.js';

/**
 * The architectural state of one hart (one guest thread): x0..x31, the pc,
 * the retired-instruction count and the LR/SC reservation — everything a
 * thread needs to continue where it stopped. Decoded code, TLBs and the
 * fault record are not part of it (they belong to the address space and
 * the machine).
 *
 * A record is preallocated and reused: {@link HartState.save} and
 * {@link HartState.load} copy field by field and never allocate, so a
 * fault dispatch can snapshot the thread and a scheduler can keep one
 * record per thread. Its fields have the shape of a checkpoint image's
 * `CpuState`, so a record can be handed to the image encoder as it is.
 *
 * @example
 * ```ts
 * const saved = new HartState();
 * saved.save(machine.cpu);      // snapshot
 * machine.cpu.x[10] = 99;
 * saved.load(machine.cpu);      // a0 is back
 * ```
 */
export class HartState {
  /** x0..x31 (`regs[0]` is always 0). */
  readonly regs = new Int32Array(32);
  /** Address of the next instruction. */
  pc = 0;
  /** Instructions retired. */
  instret = 0;
  /** Whether an LR/SC reservation is held. */
  reservationValid = false;
  /** Address of the reservation. */
  reservationAddress = 0;
  /** Value the reserving `lr.w` loaded. */
  reservationValue = 0;

  /**
   * Copies the hart's state into this record. Never allocates or throws.
   *
   * @param cpu - the hart to read
   */
  save(cpu: Cpu): void {
    this.regs.set(cpu.regs);
    this.pc = cpu.pc;
    this.instret = cpu.instret;
    this.reservationValid = cpu.reservationValid;
    this.reservationAddress = cpu.reservationAddress;
    this.reservationValue = cpu.reservationValue;
  }

  /**
   * Puts this record's state into the hart (x0 stays 0). Never allocates or
   * throws.
   *
   * @param cpu - the hart to write
   */
  load(cpu: Cpu): void {
    cpu.regs.set(this.regs);
    cpu.x[0] = 0;
    cpu.pc = this.pc;
    cpu.instret = this.instret;
    cpu.reservationValid = this.reservationValid;
    cpu.reservationAddress = this.reservationAddress;
    cpu.reservationValue = this.reservationValue;
  }

  /**
   * True when the hart holds exactly this state. Written out register by
   * register without branches: a dispatch calls it after every handler that
   * passes (most change nothing), and the unrolled form is several times
   * faster than a loop. x0 is compared too: a handler that wrote
   * `ctx.regs[0]` left the hart different from any saved state (whose x0
   * is 0), so a rollback puts the 0 back. Never allocates.
   *
   * @param cpu - the hart to compare with
   */
  matches(cpu: Cpu): boolean {
    if (cpu.pc !== this.pc || cpu.instret !== this.instret || cpu.reservationValid !== this.reservationValid
      || cpu.reservationAddress !== this.reservationAddress || cpu.reservationValue !== this.reservationValue) return false;
    const x = cpu.x, r = this.regs;
    return (
      x[0]! | (x[1]! ^ r[1]!) | (x[2]! ^ r[2]!) | (x[3]! ^ r[3]!) | (x[4]! ^ r[4]!) |
      (x[5]! ^ r[5]!) | (x[6]! ^ r[6]!) | (x[7]! ^ r[7]!) | (x[8]! ^ r[8]!) |
      (x[9]! ^ r[9]!) | (x[10]! ^ r[10]!) | (x[11]! ^ r[11]!) | (x[12]! ^ r[12]!) |
      (x[13]! ^ r[13]!) | (x[14]! ^ r[14]!) | (x[15]! ^ r[15]!) | (x[16]! ^ r[16]!) |
      (x[17]! ^ r[17]!) | (x[18]! ^ r[18]!) | (x[19]! ^ r[19]!) | (x[20]! ^ r[20]!) |
      (x[21]! ^ r[21]!) | (x[22]! ^ r[22]!) | (x[23]! ^ r[23]!) | (x[24]! ^ r[24]!) |
      (x[25]! ^ r[25]!) | (x[26]! ^ r[26]!) | (x[27]! ^ r[27]!) | (x[28]! ^ r[28]!) |
      (x[29]! ^ r[29]!) | (x[30]! ^ r[30]!) | (x[31]! ^ r[31]!)
    ) === 0;
  }

  /**
   * Copies another record (or a decoded image's CPU section) into this one.
   * `regs` may be longer than 32; only x0..x31 are taken and x0 is kept 0.
   *
   * @param other - the state to copy
   */
  copyFrom(other: HartStateFields): void {
    const src = other.regs, regs = this.regs;
    regs[0] = 0;
    for (let k = 1; k < 32; k++) regs[k] = src[k]! | 0;
    this.pc = other.pc | 0;
    this.instret = other.instret;
    this.reservationValid = other.reservationValid;
    this.reservationAddress = other.reservationAddress | 0;
    this.reservationValue = other.reservationValue | 0;
  }

  /**
   * True when `other` holds the same state (register by register).
   *
   * @param other - the state to compare with
   */
  equals(other: HartStateFields): boolean {
    for (let k = 0; k < 32; k++) if ((this.regs[k]! | 0) !== (other.regs[k]! | 0)) return false;
    return this.pc === other.pc && this.instret === other.instret && this.reservationValid === other.reservationValid
      && this.reservationAddress === other.reservationAddress && this.reservationValue === other.reservationValue;
  }
}

/**
 * The fields of a {@link HartState}, as a plain shape (a checkpoint
 * image's CPU section has it too).
 *
 * @example
 * ```ts
 * const fields: HartStateFields = decodeImage(bytes, 'a.ckpt').cpu;
 * ```
 */
export interface HartStateFields {
  /** x0..x31. */
  readonly regs: ArrayLike<number>;
  /** Address of the next instruction. */
  readonly pc: number;
  /** Instructions retired. */
  readonly instret: number;
  /** Whether an LR/SC reservation is held. */
  readonly reservationValid: boolean;
  /** Address of the reservation. */
  readonly reservationAddress: number;
  /** Value the reserving `lr.w` loaded. */
  readonly reservationValue: number;
}
