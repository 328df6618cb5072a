/**
 * Calls system calls one at a time on a real machine: the guest is a row
 * of `ecall`s, each call sets a7 and a0..a5, runs exactly one
 * instruction and reads a0. Buffers live in the data segment.
 */

import { Machine, type MachineOptions } from '../../src/machine/machine.js';
import type { RunResult } from '../../src/machine/run-result.js';
import { DATA_BASE, TEXT_BASE, programFromWords } from '../helpers/guest-program.js';

/** `ecall`. */
const ECALL = 0x0000_0073;
/** Bytes of the data segment the tests use for buffers. */
export const DATA_SIZE = 64 * 1024;
export { DATA_BASE };

/** A machine whose guest does nothing but the calls a test makes. */
export class CallDriver {
  readonly machine: Machine;
  /** The last run's result (a `limit` after a call that completed). */
  last: RunResult | null = null;

  /**
   * A new machine with the row of `ecall`s loaded, or `restored`: a
   * machine restored from a checkpoint of a driver's machine.
   */
  constructor(options: MachineOptions = {}, restored?: Machine) {
    if (restored !== undefined) {
      this.machine = restored;
      return;
    }
    this.machine = new Machine({ memoryQuota: 64 << 20, ...options });
    this.machine.load(programFromWords([ECALL, ECALL, ECALL, ECALL], new Uint8Array(DATA_SIZE)));
  }

  /** Performs call `nr` with `args`; returns a0 as a signed number. Throws when the run did not end at the instruction limit. */
  call(nr: number, ...args: number[]): number {
    const r = this.start(nr, ...args);
    if (r.kind !== 'limit') throw new Error(`call ${nr} ended the run: ${JSON.stringify(r)}`);
    return this.machine.cpu.x[10]!;
  }

  /** Starts call `nr` and returns how the one-instruction run ended (a blocking call: `deadlock`). */
  start(nr: number, ...args: number[]): RunResult {
    const cpu = this.machine.cpu;
    cpu.pc = TEXT_BASE;
    for (let k = 0; k < 6; k++) cpu.x[10 + k] = args[k] ?? 0;
    cpu.x[17] = nr;
    this.last = this.machine.run({ maxInstructions: 1 });
    return this.last;
  }

  /** Writes `text` and a NUL at `at`; returns `at`. */
  str(at: number, text: string): number {
    this.machine.addressSpace.writeBytes(at, new TextEncoder().encode(`${text}\0`));
    return at;
  }

  /** Writes `bytes` at `at`; returns `at`. */
  put(at: number, bytes: Uint8Array | string): number {
    this.machine.addressSpace.writeBytes(at, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    return at;
  }

  /** `n` bytes at `at`. */
  bytes(at: number, n: number): Uint8Array {
    return this.machine.addressSpace.readBytes(at, n);
  }

  /** `n` bytes at `at` as text. */
  text(at: number, n: number): string {
    return new TextDecoder().decode(this.bytes(at, n));
  }

  /** The 32-bit word at `at`. */
  u32(at: number): number {
    return this.machine.addressSpace.readU32(at);
  }
}
