/**
 * What a fault handler answers, numbered as in the Akaros proposal.
 *
 * - `Continue` (0): not mine; ask the next handler.
 * - `Fixed` (1): resume the thread — at the faulting instruction if the
 *   handler left `pc` alone (retry), else at the new `pc`.
 * - `Fail` (2): the fault is fatal; no later handler or fixup is asked.
 *
 * @example
 * ```ts
 * machine.registerFaultHandler((fault) =>
 *   fault.address === 0 ? FaultStatus.Fail : FaultStatus.Continue);
 * ```
 *
 * @enum
 */
export const FaultStatus = {
  /** Not mine: ask the next handler. */
  Continue: 0,
  /** Resume the thread: retry the instruction if pc is unchanged, else continue at the new pc. */
  Fixed: 1,
  /** The fault is fatal: no later handler or exception-table fixup is asked. */
  Fail: 2,
} as const;

/**
 * One of the {@link FaultStatus} values: what a {@link FaultHandler} returns.
 *
 * @example
 * ```ts
 * const answer: FaultStatus = FaultStatus.Continue;
 * ```
 */
export type FaultStatus = (typeof FaultStatus)[keyof typeof FaultStatus];
