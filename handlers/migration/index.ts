/**
 * Live migration (docs/migration.md): {@link migrateOut} on the source,
 * {@link migrateIn} on the destination, over any {@link MigrationChannel}
 * (`faultline/node` has TCP). Pre-copy sends incremental images while the
 * guest runs and stops it only for the last delta; post-copy starts the
 * destination at once and pulls pages on demand.
 */
export { migrateOut, type MigrateOutOptions, type MigrateOutResult, type MigrationReport, type MigrationRound, type DowntimePhases, type MigratedResult, type EndedResult } from './source.js';
export { migrateIn, type IncomingInfo, type IncomingMigration, type MigrateInOptions } from './destination.js';
export { memoryChannelPair, type MigrationChannel } from './channel.js';
export { MigrationError } from './errors.js';
export type { PreCopyBounds } from './policy.js';
