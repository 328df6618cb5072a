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
  /** A fault is about to be dispatched to the chain. */
  fault: (fault: Fault) => void;
  /** A fault was resolved by `by` (a handler name, or `'exception table'`). */
  fixed: (fault: Fault, by: string) => void;
  /** A fault stayed unresolved; `by` is the handler that answered Fail, or null at the end of the chain. */
  unresolved: (fault: Fault, by: string | null) => void;
  /** A system call returned `result` (for exit calls, the status). */
  syscall: (number: number, result: number) => void;
  /** The guest exited with `code`. */
  exit: (code: number) => void;
}
