import { hex32 } from '../errors.js';
import type { Fault } from '../fault/fault.js';
import { LivelockError } from '../fault/handler-error.js';

/**
 * Livelock detection for one faulting thread: counts how often in a row a
 * handler answered `Fixed` while the same instruction faulted again at the
 * same address with the same cause and nothing retired in between. One
 * tracker per thread (and one for the accesses of a running guest
 * handler), so fixes elsewhere do not reset another thread's count.
 *
 * @internal
 */
export class LivelockTracker {
  private pc = 0;
  private address = 0;
  private cause = -1;
  private instret = -1;
  private repeats = 0;

  /** @param limit - fixes in a row without progress that make a livelock */
  constructor(private readonly limit: number) {}

  /**
   * Notes that `by` answered Fixed for `fault` and the thread will resume at
   * `pcAfter` with `instret` instructions retired. Throws LivelockError
   * (naming `by`, the pc and the address) at the limit. Never allocates
   * otherwise.
   */
  fixed(fault: Fault, by: string, pcAfter: number, instret: number): void {
    if (pcAfter !== fault.pc) { this.repeats = 0; return; }
    if (fault.pc === this.pc && fault.address === this.address && fault.cause === this.cause && instret === this.instret) {
      if (++this.repeats >= this.limit) {
        this.repeats = 0;
        throw new LivelockError(
          `fault handler '${by}' answered Fixed ${this.limit} times but the instruction at ${hex32(fault.pc)} keeps faulting at ${hex32(fault.address)} (livelock)`,
          by,
          fault.snapshot(),
        );
      }
      return;
    }
    this.pc = fault.pc;
    this.address = fault.address;
    this.cause = fault.cause;
    this.instret = instret;
    this.repeats = 1;
  }
}
