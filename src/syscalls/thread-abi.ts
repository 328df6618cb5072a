/**
 * Linux's thread ABI constants (include/uapi/linux/sched.h and futex.h)
 * as rv32 uses them.
 */

/**
 * `clone` flags faultline knows.
 *
 * @example
 * ```ts
 * const threadFlags = CloneFlag.Vm | CloneFlag.Fs | CloneFlag.Files | CloneFlag.Sighand | CloneFlag.Thread | CloneFlag.Sysvsem;
 * ```
 *
 * @enum
 */
export const CloneFlag = {
  /** 0x100: share the address space. */
  Vm: 0x100,
  /** 0x200: share cwd and umask. */
  Fs: 0x200,
  /** 0x400: share the file-descriptor table. */
  Files: 0x400,
  /** 0x800: share signal handlers. */
  Sighand: 0x800,
  /** 0x10000: same thread group (a thread, not a process). */
  Thread: 0x10000,
  /** 0x40000: share System V semaphore undo lists. */
  Sysvsem: 0x40000,
  /** 0x80000: set the new thread's `tp` to the `tls` argument. */
  Settls: 0x80000,
  /** 0x100000: store the new tid at `parent_tid`. */
  ParentSettid: 0x100000,
  /** 0x200000: clear and wake `child_tid` when the thread exits. */
  ChildCleartid: 0x200000,
  /** 0x400000: ignored, as Linux ignores it. */
  Detached: 0x400000,
  /** 0x1000000: store the new tid at `child_tid` in the new thread. */
  ChildSettid: 0x1000000,
} as const;

/** The low byte of the flags: the signal sent to the parent on exit (ignored for threads). */
export const CLONE_SIGNAL_MASK = 0xff;

/** Every flag a thread-creating `clone` may carry; any other makes it -EINVAL. */
export const CLONE_THREAD_FLAGS_ALLOWED =
  CloneFlag.Vm | CloneFlag.Fs | CloneFlag.Files | CloneFlag.Sighand | CloneFlag.Thread | CloneFlag.Sysvsem |
  CloneFlag.Settls | CloneFlag.ParentSettid | CloneFlag.ChildCleartid | CloneFlag.Detached | CloneFlag.ChildSettid |
  CLONE_SIGNAL_MASK;

/**
 * `futex` operations (the command in the low bits of `op`).
 *
 * @example
 * ```ts
 * const privateWait = FutexOp.Wait | FutexOp.PrivateFlag;
 * ```
 *
 * @enum
 */
export const FutexOp = {
  /** 0: wait while the word holds `val` (relative timeout). */
  Wait: 0,
  /** 1: wake up to `val` waiters. */
  Wake: 1,
  /** 9: wait with a bitset (absolute timeout). */
  WaitBitset: 9,
  /** 10: wake waiters whose bitset matches. */
  WakeBitset: 10,
  /** 128: the futex is private to the process. */
  PrivateFlag: 128,
  /** 256: an absolute timeout is against CLOCK_REALTIME. */
  ClockRealtime: 256,
} as const;

/** The command of a futex `op` (without the private and clock flags). */
export function futexCommand(op: number): number {
  return op & ~(FutexOp.PrivateFlag | FutexOp.ClockRealtime);
}

/** Bytes of `struct timespec64` on rv32: 64-bit seconds, 64-bit nanoseconds. */
export const TIMESPEC64_SIZE = 16;

/** Nanoseconds per second. */
export const NS_PER_S = 1_000_000_000;
