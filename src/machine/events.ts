import type { Fault } from '../fault/fault.js';

/**
 * Events a {@link Machine} emits on `machine.events` (eventemitter3). With
 * no listener attached they cost one property test per fault or system
 * call and nothing per instruction. Listeners must not throw; the `Fault`
 * they get is the machine's reused object (snapshot it to keep it).
 *
 * @example
 * ```ts
 * machine.events.on('fault', (fault) => console.log(fault.describe()));
 * machine.events.on('exit', (code) => console.log('exit', code));
 * ```
 */
export interface MachineEvents {
  /**
   * A fault is about to be dispatched to the chain.
   *
   * @param fault - the machine's reused fault object
   */
  fault: (fault: Fault) => void;
  /**
   * A fault was resolved.
   *
   * @param fault - the machine's reused fault object
   * @param by - the name of the handler that answered `Fixed`, or `'exception table'`
   */
  fixed: (fault: Fault, by: string) => void;
  /**
   * A fault stayed unresolved: the run stops, or, inside a system call, the
   * call returns `-EFAULT` (or a short count).
   *
   * @param fault - the machine's reused fault object
   * @param by - the handler that answered `Fail`, or null when the chain ran out
   */
  unresolved: (fault: Fault, by: string | null) => void;
  /**
   * A system call returned.
   *
   * @param number - the call's number ({@link Syscall})
   * @param result - what it returned in `a0` (for exit calls, the status)
   */
  syscall: (number: number, result: number) => void;
  /**
   * The guest exited.
   *
   * @param code - its exit status, masked to 8 bits
   */
  exit: (code: number) => void;
  /**
   * A guest thread was created (`clone`), or the first one at load.
   *
   * @param tid - its thread id
   */
  threadStart: (tid: number) => void;
  /**
   * A guest thread ended (`exit`, or every thread at `exit_group`). It is
   * still in `machine.threads` while listeners run.
   *
   * @param tid - its thread id
   * @param status - the status it ended with
   */
  threadExit: (tid: number, status: number) => void;
  /**
   * A thread inside a restartable sequence's critical section was moved to
   * its abort handler, `rseq_cs` cleared (docs/rseq.md).
   *
   * @param tid - the thread
   * @param from - the pc it was at, inside the section
   * @param to - the section's `abort_ip`, where it goes on
   * @param why - {@link RseqEvent} bits: what happened since it last ran
   */
  rseqAbort: (tid: number, from: number, to: number, why: number) => void;
}
