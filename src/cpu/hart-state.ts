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
    const x = cpu.x, regs = this.regs;
    for (let k = 0; k < 32; k++) regs[k] = x[k]!;
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
    const x = cpu.x, regs = this.regs;
    x[0] = 0;
    for (let k = 1; k < 32; k++) x[k] = regs[k]!;
    cpu.pc = this.pc;
    cpu.instret = this.instret;
    cpu.reservationValid = this.reservationValid;
    cpu.reservationAddress = this.reservationAddress;
    cpu.reservationValue = this.reservationValue;
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
