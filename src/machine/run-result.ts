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
 * - `paused`: every thread that could run is paused by the host
 *   ({@link Machine.pause}); resume one and run again.
 * - `deadlock`: every live thread waits in `futex` with no timeout and
 *   nothing can wake it (Linux would hang forever).
 * - `signal`: the process died of a signal its calls raised (SIGPIPE, 13:
 *   a write to a pipe with no reader), as Linux's default action does.
 *
 * @example
 * ```ts
 * const result = machine.run();
 * if (result.kind === 'exit') process.exitCode = result.exitCode;
 * ```
 */
export type RunResult =
  | {
      /** The guest exited. */
      readonly kind: 'exit';
      /** Its exit status, masked to 8 bits (0..255). */
      readonly exitCode: number;
    }
  | {
      /** A fault stayed unresolved. */
      readonly kind: 'fault';
      /** A snapshot of the fault (stays valid). */
      readonly fault: Fault;
      /** The {@link Signal} Linux would send for it. */
      readonly signal: number;
      /** One line describing the fault, naming the failing handler if any. */
      readonly message: string;
      /**
       * The handler that answered `Fail`; the guest handler that faulted;
       * the handler that ran out of guest memory (signal SIGBUS); or null
       * when every handler answered `Continue`.
       */
      readonly handler: string | null;
    }
  | {
      /** The run's instruction limit was reached; `run()` again continues. */
      readonly kind: 'limit';
    }
  | {
      /** No thread can run because the host paused every one that could; resume one and run again. */
      readonly kind: 'paused';
      /** The tids of the paused threads. */
      readonly paused: readonly number[];
    }
  | {
      /** Every live thread waits (in `futex`, with no timeout) and nothing can wake it: the guest would hang forever. */
      readonly kind: 'deadlock';
      /** One line naming each thread and what it waits on. */
      readonly message: string;
    }
  | {
      /** The process died of a signal a system call raised (SIGPIPE). */
      readonly kind: 'signal';
      /** The signal number (13 for SIGPIPE). */
      readonly signal: number;
      /** One line naming the signal and why, e.g. the pipe written to. */
      readonly message: string;
    };

/**
 * Linux signal numbers used for unresolved faults.
 *
 * @example
 * ```ts
 * const result = machine.run();
 * if (result.kind === 'fault' && result.signal === Signal.SIGSEGV) console.log('segfault');
 * ```
 *
 * @enum
 */
export const Signal = {
  /** 4: illegal instruction. */
  SIGILL: 4,
  /** 5: breakpoint (`ebreak`). */
  SIGTRAP: 5,
  /** 7: misaligned fetch, AMO, `lr.w` or `sc.w`. */
  SIGBUS: 7,
  /** 11: page fault (unmapped or protection). */
  SIGSEGV: 11,
  /** 13: a write to a pipe with no reader. */
  SIGPIPE: 13,
} as const;

/**
 * The signal Linux sends a user process for an exception with `cause`:
 * SIGBUS for misaligned accesses, SIGILL for illegal instructions, SIGTRAP
 * for breakpoints and SIGSEGV for page and access faults. Never throws.
 *
 * @param cause - a RISC-V cause number ({@link Cause})
 * @returns a {@link Signal} number
 * @example
 * ```ts
 * signalForCause(Cause.StorePageFault);   // 11 (SIGSEGV)
 * signalForCause(Cause.Breakpoint);       // 5 (SIGTRAP)
 * ```
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
 * Exit status of a deadlocked guest: what `timeout(1)` reports for a
 * process that hangs.
 *
 * @example
 * ```ts
 * const result = machine.run();
 * if (result.kind === 'deadlock') process.exitCode = DEADLOCK_STATUS;
 * ```
 */
export const DEADLOCK_STATUS = 124;

/**
 * The status a shell sees for `result`: the exit code, or 128 + signal for
 * an unresolved fault (139 SIGSEGV, 132 SIGILL, 133 SIGTRAP, 135 SIGBUS)
 * or a signal (141 SIGPIPE),
 * {@link DEADLOCK_STATUS} for a deadlock.
 * This is what `faultline run` exits with.
 *
 * @param result - what {@link Machine.run} returned
 * @returns 0..255
 * @throws Error for a `limit` or `paused` result: the run has not ended.
 * @example
 * ```ts
 * process.exitCode = exitStatusOf(machine.run());
 * ```
 */
export function exitStatusOf(result: RunResult): number {
  if (result.kind === 'exit') return result.exitCode;
  if (result.kind === 'fault' || result.kind === 'signal') return 128 + result.signal;
  if (result.kind === 'deadlock') return DEADLOCK_STATUS;
  throw new Error(`exitStatusOf: the run has not ended (${result.kind === 'limit' ? 'instruction limit reached' : 'every runnable thread is paused'})`);
}
