import type { Fault } from '../fault/fault.js';

/**
 * How a run of the machine ended.
 *
 * - `exit`: the guest called `exit`/`exit_group`; `exitCode` is its status
 *   masked to 8 bits.
 * - `fault`: a fault stayed unresolved; `fault` is a snapshot of it and
 *   `signal` the Linux signal a process would get (11, 4, 5 or 7), `handler`
 *   the handler that answered Fail (null when the chain ran out).
 * - `limit`: the instruction limit of this run was reached; run again to go on.
 *
 * @example
 * ```ts
 * const result = machine.run();
 * if (result.kind === 'exit') process.exitCode = result.exitCode;
 * ```
 */
export type RunResult =
  | { readonly kind: 'exit'; readonly exitCode: number }
  | { readonly kind: 'fault'; readonly fault: Fault; readonly signal: number; readonly message: string; readonly handler: string | null }
  | { readonly kind: 'limit' };

/** Linux signal numbers used for unresolved faults. */
export const Signal = {
  SIGILL: 4,
  SIGTRAP: 5,
  SIGBUS: 7,
  SIGSEGV: 11,
} as const;

/**
 * The signal Linux sends a user process for an exception with `cause`:
 * SIGBUS for misaligned accesses, SIGILL for illegal instructions, SIGTRAP
 * for breakpoints and SIGSEGV for page and access faults.
 */
export function signalForCause(cause: number): number {
  switch (cause) {
    case 0: case 4: case 6: return Signal.SIGBUS;
    case 2: return Signal.SIGILL;
    case 3: return Signal.SIGTRAP;
    default: return Signal.SIGSEGV;
  }
}

/**
 * The status a shell sees for `result`: the exit code, or 128 + signal for
 * an unresolved fault (139 SIGSEGV, 132 SIGILL, 133 SIGTRAP, 135 SIGBUS).
 */
export function exitStatusOf(result: RunResult): number {
  if (result.kind === 'exit') return result.exitCode;
  if (result.kind === 'fault') return 128 + result.signal;
  throw new Error('exitStatusOf: the run has not ended (instruction limit reached)');
}
