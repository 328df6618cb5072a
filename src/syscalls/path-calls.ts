/**
 * The path calls (docs/design.md §12). Filled in on top of the machine's
 * file system.
 */

import type { GuestThread } from '../threads/guest-thread.js';
import { Errno } from './errno.js';
import type { SyscallRanges } from './syscall-ranges.js';

/** Whether `nr` is a call of this file. @internal */
export function isPathCall(nr: number): boolean {
  void nr;
  return false;
}

/** Notes the guest memory of path call `nr`. @internal */
export function describePathCall(nr: number, x: Int32Array, ranges: SyscallRanges): void {
  void nr; void x; void ranges;
}

/** Performs path call `nr`. @internal */
export function pathCall(host: unknown, t: GuestThread, nr: number, a: Int32Array, ranges: SyscallRanges): number {
  void host; void t; void nr; void a; void ranges;
  return -Errno.ENOSYS;
}
