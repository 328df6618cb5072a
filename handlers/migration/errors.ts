/** The error of a migration that failed (docs/migration.md, "Failure"). */

import { FaultlineError } from '../../src/index.js';

/**
 * A migration failed: the message names the peer and, where one is
 * involved, the page and the cause (a timeout, a dropped connection, a
 * frame that failed its CRC, an abort by the other side).
 *
 * @example
 * ```ts
 * try { await migrateOut(machine, cp, channel); } catch (err) { if (err instanceof MigrationError) console.error(err.message); }
 * ```
 */
export class MigrationError extends FaultlineError {
  /**
   * True when the failure came after the source committed (sent Commit):
   * the source's guest must not run on, as the destination may be running it.
   */
  committed = false;
}
