export * from './demand-paging.js';
export { dirtyLog, type DirtyLog, type DirtyLogOptions } from './dirty-log.js';
export { writeTracking, type WriteTracking, type WriteTrackingOptions, type TrackOptions, type TrackedRegion, type WriteRecord } from './write-tracking.js';
export { checkpoint, restoreCheckpoint, inspectImage, type Checkpointer, type CheckpointOptions, type CheckpointContributor, type TakeOptions, type ImageInput, type RestoreOptions, type RestoredCheckpoint, type LazyRestore } from './checkpoint.js';
