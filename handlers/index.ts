export * from './demand-paging.js';
export { dirtyLog, type DirtyLog, type DirtyLogOptions } from './dirty-log.js';
export { writeTracking, type WriteTracking, type WriteTrackingOptions, type TrackOptions, type TrackedRegion, type WriteRecord } from './write-tracking.js';
