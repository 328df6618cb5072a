import { Access } from '../fault/cause.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { LinuxMemory } from './linux-memory.js';
import { Errno } from './errno.js';
import { Syscall } from './numbers.js';
import type { SyscallRanges } from './syscall-ranges.js';
import { describeRseq } from './rseq-call.js';
import { CloneFlag, FutexOp, TIMESPEC64_SIZE, futexCommand } from './thread-abi.js';
import type { HandleSpace } from '../handles/handle-space.js';
import { describeIoCall, expandIoCall } from './io-calls.js';
import { describeTimeCall } from './time-calls.js';
import { describePathCall } from './path-calls.js';

/** What the Linux memory calls need from the machine. @internal */
export interface SyscallHost {
  readonly addressSpace: AddressSpace;
  readonly linuxMemory: LinuxMemory;
}

/**
 * Notes in `ranges` the guest memory call `nr` will touch, from its
 * arguments `x[10..15]`, so the machine can fault it in through the
 * handler chain first (docs/design.md §3: system calls fault like guest
 * accesses). `clearChildTid` is the calling thread's (its `exit` clears
 * that word). Never allocates.
 * @internal
 */
export function describeSyscall(nr: number, x: Int32Array, ranges: SyscallRanges, clearChildTid: number, handles: HandleSpace): void {
  ranges.clear();
  const a0 = x[10]!, a1 = x[11]!, a2 = x[12]!, a3 = x[13]!, a4 = x[14]!;
  switch (nr) {
    case Syscall.Futex: {
      const cmd = futexCommand(a1);
      if (cmd !== FutexOp.Wait && cmd !== FutexOp.WaitBitset) return;
      ranges.add(a0, 4, Access.Read);
      if (a3 !== 0) ranges.add(a3, TIMESPEC64_SIZE, Access.Read);
      return;
    }
    case Syscall.Clone:
      if ((a0 & CloneFlag.ParentSettid) !== 0) ranges.add(a2, 4, Access.Write);
      if ((a0 & CloneFlag.ChildSettid) !== 0) ranges.add(a4, 4, Access.Write);
      return;
    case Syscall.Exit:
      if (clearChildTid !== 0) ranges.add(clearChildTid, 4, Access.Write);
      return;
    case Syscall.Rseq:
      describeRseq(x, ranges);
      return;
    default:
      describeIoCall(nr, x, ranges, handles);
      describeTimeCall(nr, x, ranges);
      describePathCall(nr, x, ranges, handles);
      return;
  }
}

/**
 * Called when every range {@link describeSyscall} noted has been faulted
 * in: adds the ranges that could only be known from guest memory (the
 * buffers of `readv`/`writev`, from their iovec array) and returns true
 * when it added some (the caller faults those in too), once per call.
 * @internal
 */
export function expandSyscall(nr: number, x: Int32Array, ranges: SyscallRanges, as: AddressSpace, handles: HandleSpace): boolean {
  if (ranges.expanded) return false;
  ranges.expanded = true;
  const before = ranges.count;
  return expandIoCall(nr, x, ranges, as, handles) && ranges.count > before;
}

/**
 * Performs Linux call `nr` with arguments `a` (a0..a5) and returns what
 * goes into a0. `ranges` holds how much of each range
 * {@link describeSyscall} noted could be resolved; the call fails with
 * -EFAULT where Linux's `copy_from_user` would. These are the memory
 * calls; the thread, handle, path and time calls have their own files
 * (the run loop picks); unknown numbers give -ENOSYS.
 * @internal
 */
export function performSyscall(host: SyscallHost, nr: number, a: Int32Array, ranges: SyscallRanges): number {
  const lm = host.linuxMemory;
  void ranges;
  switch (nr) {
    case Syscall.Brk:
      return lm.brk(a[0]! >>> 0) | 0;
    case Syscall.Munmap:
      return lm.munmap(a[0]! >>> 0, a[1]! >>> 0);
    case Syscall.Mmap:
      return lm.mmap(a[0]! >>> 0, a[1]! >>> 0, a[2]!, a[3]!, a[4]!, a[5]! >>> 0) | 0;
    case Syscall.Mprotect:
      return lm.mprotect(a[0]! >>> 0, a[1]! >>> 0, a[2]!);
    default:
      return -Errno.ENOSYS;
  }
}
