import { FaultlineError } from '../errors.js';
import type { Fault } from './fault.js';

/**
 * A fault handler misbehaved: it threw, returned something that is not a
 * status, returned a promise under the synchronous `run()`, or kept
 * answering `Fixed` without fixing (livelock). The run stopped with the
 * faulting instruction not retired, so the machine can be inspected and
 * even run again.
 *
 * @example
 * ```ts
 * try { machine.run(); } catch (e) {
 *   if (e instanceof HandlerError) console.log(e.handlerName, e.fault.describe());
 * }
 * ```
 */
export class HandlerError extends FaultlineError {
  /**
   * Creates the error; the machine throws it, user code rarely needs to.
   *
   * @param message - what happened
   * @param handlerName - the handler that misbehaved
   * @param fault - a snapshot of the fault being handled
   * @param cause - the error the handler threw, if any
   */
  constructor(message: string, readonly handlerName: string, readonly fault: Fault, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/**
 * A handler answered `Fixed` while the same instruction kept faulting at
 * the same address with nothing retired in between, more often than the
 * machine's `livelockLimit`.
 *
 * @example
 * ```ts
 * const machine = new Machine({ livelockLimit: 10 });
 * machine.registerFaultHandler(() => FaultStatus.Fixed);   // fixes nothing
 * try { machine.run(); } catch (e) { console.log(e instanceof LivelockError); }
 * ```
 */
export class LivelockError extends HandlerError {}
