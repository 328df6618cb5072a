/**
 * Access tracking (docs/design.md §14): which pages a program reads, writes and
 * executes, epoch by epoch. See {@link accessTracking} and
 * docs/access-tracking.md.
 */
export { accessTracking, type AccessTracking, type AccessTrackingOptions, type RunEpochsOptions } from './plugin.js';
export { AccessBits, type EpochRecord, type FirstTouch } from './records.js';
