/**
 * Reverse execution's contract with the stub: step back one instruction,
 * or run backwards to the previous breakpoint or watchpoint hit.
 */

import type { GdbStub } from './gdb-stub.js';

/**
 * What the stub asks of reverse execution. `stepBack`/`continueBack`
 * leave `stub.machine` in the state of the stop and return the stop
 * reply's extra fields (`''`, or `watch:ADDR;`), or `'start'` when the
 * recorded history begins there.
 *
 * @example
 * ```ts
 * const rewinder: Rewinder = { stepBack: async () => 'start', continueBack: async () => 'start' };
 * ```
 */
export interface Rewinder {
  /**
   * Goes back one instruction (reverse-stepi).
   *
   * @param stub - the session; its machine is replaced
   */
  stepBack(stub: GdbStub): Promise<string>;
  /**
   * Goes back to the previous breakpoint or watchpoint hit (reverse-continue).
   *
   * @param stub - the session; its machine is replaced
   */
  continueBack(stub: GdbStub): Promise<string>;
  /**
   * Called before each forward slice of the debugged machine (to take
   * snapshots); returns the most instructions the slice may run.
   *
   * @param machine - the debugged machine, between runs
   */
  beforeRun?(machine: GdbStub['machine']): number;
}
