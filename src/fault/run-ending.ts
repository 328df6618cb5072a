import type { Fault } from './fault.js';

/**
 * Thrown through the fault chain when a dispatch must end the run as a
 * run result rather than a host error:
 * - `'fault'`: like an unresolved fault (a `RunResult` of kind `'fault'`,
 *   exit status 128 + signal) — a fault inside a guest fault handler that
 *   no host handler fixed, or a handler that ran out of guest memory
 *   (quota) while serving a fault;
 * - `'limit'`: the run's `maxInstructions` ran out while a guest fault
 *   handler was running (the thread stays at the faulting instruction).
 *
 * The chain lets it pass (rolling the context back) and the machine turns
 * it into the run's result. It never reaches the user.
 * @internal
 */
export class RunEnding extends Error {
  /**
   * @param kind - how the run ends
   * @param fault - a snapshot of the fault the run ends with
   * @param signal - the signal the guest dies of (the exit status is 128 + it); 0 for a limit
   * @param handler - the handler involved, or null
   * @param message - one line for the report
   */
  constructor(readonly kind: 'fault' | 'limit', readonly fault: Fault, readonly signal: number, readonly handler: string | null, message: string) {
    super(message);
    this.name = 'RunEnding';
  }
}
