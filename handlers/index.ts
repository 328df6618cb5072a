/**
 * The stock fault handlers of faultline, each a plugin built only on the
 * public API of `faultline` (exactly as a user's plugin would be):
 *
 * - {@link demandPaging}: backs a managed region on first touch, from
 *   designated dataspaces, zero-fill or a (possibly asynchronous) page
 *   source; can evict ranges again;
 * - {@link dirtyLog}: mprotect-style dirty logging — the first write to
 *   each page faults once and is recorded; {@link DirtyLog.collect} returns
 *   the dirty pages and write-protects them again;
 * - {@link writeTracking}: read-only-attach write tracking — which
 *   dataspaces were written, where first and by which pc; re-armable;
 * - {@link checkpoint} and {@link restoreCheckpoint}: full and incremental
 *   checkpoints (built on the dirty log), restored eagerly or lazily (on
 *   demand paging) into a fresh machine.
 * - {@link accessTracking}: which pages are read, written and executed
 *   per epoch — the first touch of each page and kind faults once and is
 *   recorded with its thread and pc; working set and idle pages.
 *
 * Install any of them with `machine.use(plugin)`; the returned handle
 * uninstalls. They compose in one chain: see the guides on demand paging,
 * dirty logging, write tracking and checkpoints.
 *
 * @example
 * ```ts
 * import { Machine, assemble, hex32 } from 'faultline';
 * import { demandPaging, dirtyLog } from 'faultline/handlers';
 *
 * const machine = new Machine();
 * machine.load(assemble('li t0, 0x50000000\n li t1, 7\n sw t1, 0(t0)\n lw a0, 0(t0)\n li a7, 93\n ecall\n'));
 * const paging = demandPaging({ at: 0x5000_0000, size: 1 << 20, backing: { kind: 'zero' } });
 * const log = dirtyLog();
 * machine.use(paging);
 * machine.use(log);
 * console.log(machine.run());   // { kind: 'exit', exitCode: 7 }
 * console.log(paging.faultsServed, [...log.collect()].map(hex32)); // 1 [ '0x50000000' ]
 * ```
 *
 * @packageDocumentation
 * @module faultline/handlers
 */
export * from './demand-paging/index.js';
export { dirtyLog, type DirtyLog, type DirtyLogOptions } from './dirty-log.js';
export { writeTracking, type WriteTracking, type WriteTrackingOptions, type TrackOptions, type TrackedRegion, type WriteRecord } from './write-tracking.js';
export { checkpoint, restoreCheckpoint, inspectImage, type Checkpointer, type CheckpointOptions, type CheckpointContributor, type TakeOptions, type ImageInput, type RestoreOptions, type RestoredCheckpoint, type LazyRestore } from './checkpoint/index.js';
export { accessTracking, AccessBits, type AccessTracking, type AccessTrackingOptions, type RunEpochsOptions, type EpochRecord, type FirstTouch } from './access-tracking/index.js';
export { migrateOut, migrateIn, memoryChannelPair, MigrationError, type MigrateOutOptions, type MigrateOutResult, type MigrationReport, type MigrationRound, type IncomingInfo, type IncomingMigration, type MigrateInOptions, type MigrationChannel, type PreCopyBounds, type DowntimePhases, type MigratedResult, type EndedResult } from './migration/index.js';
export {
  RemoteImageError, RemoteChain, openRemoteChain, isRemoteUrl, restoreRemote, encodeTouchOrder, decodeTouchOrder, fetchBoundMs,
  type FetchPolicy, type TransferStats, type RemoteChainOptions, type RemoteImageInfo, type RemoteRestore, type RemoteRestoreOptions, type TouchOrder,
} from './checkpoint/index.js';
