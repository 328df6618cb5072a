/**
 * What access tracking reports: one record per epoch, and the first
 * touches inside it. Plain data (JSON-able once the page lists are arrays),
 * so the command line writes them as JSON lines unchanged.
 */

/**
 * Kinds of access as bits (the same values as `Prot`: read 1, write 2,
 * execute 4), so a page's kinds in an epoch are one small number.
 *
 * @example
 * ```ts
 * if ((kinds & AccessBits.Write) !== 0) console.log('written');
 * ```
 *
 * @enum
 */
export const AccessBits = {
  /** 1: read (a load, `lr.w`, a system call reading a guest buffer). */
  Read: 1,
  /** 2: written (a store, an AMO, `sc.w`, a system call filling a guest buffer). */
  Write: 2,
  /** 4: executed (an instruction fetched from the page). */
  Execute: 4,
} as const;

/**
 * The first access of one kind to one page in an epoch: the access that
 * faulted, with the thread and the pc of the instruction.
 *
 * @example
 * ```ts
 * for (const t of record.touches) console.log(`${t.kind} ${t.page.toString(16)} by tid ${t.tid} at ${t.pc.toString(16)}`);
 * ```
 */
export interface FirstTouch {
  /** Address of the page (a multiple of 4096, unsigned). */
  readonly page: number;
  /** What the access did. */
  readonly kind: 'read' | 'write' | 'execute';
  /** The thread that made it. */
  readonly tid: number;
  /** The pc of the faulting instruction (of the `ecall` for a system call's buffer). */
  readonly pc: number;
  /** Instructions retired (machine-wide `instret`) when it faulted. */
  readonly instret: number;
}

/**
 * One epoch of access tracking: which pages were read, written and
 * executed between two epoch starts, counted in retired instructions.
 *
 * @example
 * ```ts
 * const record: EpochRecord = tracker.endEpoch();
 * console.log(`epoch ${record.epoch}: ${record.workingSet} pages, ${record.written.length} written`);
 * ```
 */
export interface EpochRecord {
  /** Epoch number, from 0 at install. */
  readonly epoch: number;
  /** Machine-wide retired instructions (`instret`) when the epoch started. */
  readonly startInstret: number;
  /** `instret` when it ended. */
  readonly endInstret: number;
  /** Pages read in the epoch, ascending (page addresses). */
  readonly read: number[];
  /** Pages written, ascending. */
  readonly written: number[];
  /** Pages executed, ascending. */
  readonly executed: number[];
  /** Pages accessed in any way: the size of the union of the three sets. */
  readonly workingSet: number;
  /**
   * Pages accessed in an earlier epoch and in none of the last
   * `idleEpochs` epochs (this one included), ascending; only pages still
   * mapped are listed.
   */
  readonly idle: number[];
  /** The `idleEpochs` option the idle list was computed with. */
  readonly idleEpochs: number;
  /** Faults this tracker resolved in the epoch. */
  readonly faults: number;
  /** First touches, in the order they happened (one per page and kind). */
  readonly touches: FirstTouch[];
}
