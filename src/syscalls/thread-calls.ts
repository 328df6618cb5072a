import type { Cpu } from '../cpu/cpu.js';
import type { AddressSpace } from '../memory/address-space.js';
import { FUTEX_BITSET_ANY, futexKey } from '../threads/futex-table.js';
import { Wait, type GuestThread } from '../threads/guest-thread.js';
import { GUEST_PID, type Scheduler } from '../threads/scheduler.js';
import { Errno } from './errno.js';
import { Syscall } from './numbers.js';
import type { SyscallRanges } from './syscall-ranges.js';
import {
  CLONE_THREAD_FLAGS_ALLOWED,
  CloneFlag,
  FutexOp,
  NS_PER_S,
  TIMESPEC64_SIZE,
  futexCommand,
} from './thread-abi.js';

/** What {@link threadCall} returns when a0 is written later (the thread blocked) or never (it exited). */
export const NO_RESULT = 2 ** 32;

/** Register numbers. */
const SP = 2, TP = 4, A0 = 10;

/** What the thread and process calls need from the machine. @internal */
export interface ThreadCallHost {
  readonly cpu: Cpu;
  readonly addressSpace: AddressSpace;
  readonly scheduler: Scheduler;
  /** A thread was created by `clone`. */
  threadStarted(t: GuestThread): void;
  /** A thread ended with `exit`; ends the process when it was the last. */
  threadExited(t: GuestThread): void;
  /** The process ends with `status` (`exit_group`). */
  endProcess(status: number): void;
}

/** Whether `nr` is one of the calls {@link threadCall} performs. @internal */
export function isThreadCall(nr: number): boolean {
  switch (nr) {
    case Syscall.Clone: case Syscall.Futex: case Syscall.Exit: case Syscall.ExitGroup:
    case Syscall.SetTidAddress: case Syscall.Gettid: case Syscall.Getpid: case Syscall.SchedYield:
      return true;
    default:
      return false;
  }
}

/**
 * Performs thread or process call `nr` for thread `t` (on the hart, at
 * its `ecall`) with arguments `a`, as Linux does (docs/design.md §10).
 * Returns the value for a0, or {@link NO_RESULT} when the thread blocked
 * (a0 is written when it wakes) or exited. `nested` is true inside a
 * guest fault handler, where nothing may block: a futex wait that would
 * block times out at once and `sched_yield` does not switch.
 * @internal
 */
export function threadCall(host: ThreadCallHost, t: GuestThread, nr: number, a: Int32Array, ranges: SyscallRanges, nested: boolean): number {
  const s = host.scheduler;
  switch (nr) {
    case Syscall.Gettid:
      return t.tid;
    case Syscall.Getpid:
      return GUEST_PID;
    case Syscall.SetTidAddress:
      t.clearChildTid = a[0]! >>> 0;
      return t.tid;
    case Syscall.SchedYield:
      if (!nested) s.yieldRequested = true;
      return 0;
    case Syscall.Clone:
      return clone(host, a, ranges);
    case Syscall.Futex:
      return futex(host, t, a, ranges, nested);
    case Syscall.Exit:
      if (t.clearChildTid !== 0 && ranges.whole(0, 4)) {
        // Linux's mm_release: clear the word and wake one shared waiter.
        host.addressSpace.writeU32(t.clearChildTid, 0);
        wake(host, futexKey(t.clearChildTid, true), 1, FUTEX_BITSET_ANY);
      }
      t.exitStatus = a[0]! & 0xff;
      host.threadExited(t);
      return NO_RESULT;
    case Syscall.ExitGroup:
      host.endProcess(a[0]! & 0xff);
      return NO_RESULT;
    default:
      return -Errno.ENOSYS;
  }
}

/**
 * `clone(flags, stack, parent_tid, tls, child_tid)`: a new thread that
 * starts after the `ecall` with a0 = 0, on `stack` (or the caller's sp when
 * 0), `tp` = `tls` with CLONE_SETTLS. Only threads: without CLONE_THREAD
 * (a new process) it is -ENOSYS; CLONE_THREAD without CLONE_SIGHAND, or
 * CLONE_SIGHAND without CLONE_VM, is -EINVAL as in Linux, and so is a flag
 * faultline does not implement. The tid stores of PARENT_SETTID and
 * CHILD_SETTID are skipped when their word stayed unmapped, as Linux
 * ignores those errors.
 */
function clone(host: ThreadCallHost, a: Int32Array, ranges: SyscallRanges): number {
  const flags = a[0]! >>> 0;
  if ((flags & CloneFlag.Thread) !== 0 && (flags & CloneFlag.Sighand) === 0) return -Errno.EINVAL;
  if ((flags & CloneFlag.Sighand) !== 0 && (flags & CloneFlag.Vm) === 0) return -Errno.EINVAL;
  if ((flags & CloneFlag.Thread) === 0) return -Errno.ENOSYS;
  if ((flags & ~CLONE_THREAD_FLAGS_ALLOWED) !== 0) return -Errno.EINVAL;
  const cpu = host.cpu;
  const child = host.scheduler.create();
  const hart = child.hart;
  hart.save(cpu);
  hart.regs[A0] = 0;
  if (a[1] !== 0) hart.regs[SP] = a[1]!;
  if ((flags & CloneFlag.Settls) !== 0) hart.regs[TP] = a[3]!;
  hart.pc = cpu.pc; // the parent's ecall is already retired
  hart.reservationValid = false;
  let k = 0;
  if ((flags & CloneFlag.ParentSettid) !== 0) {
    if (ranges.whole(k, 4)) host.addressSpace.writeU32(a[2]! >>> 0, child.tid);
    k++;
  }
  if ((flags & CloneFlag.ChildSettid) !== 0 && ranges.whole(k, 4)) host.addressSpace.writeU32(a[4]! >>> 0, child.tid);
  if ((flags & CloneFlag.ChildCleartid) !== 0) child.clearChildTid = a[4]! >>> 0;
  host.threadStarted(child);
  return child.tid;
}

/**
 * `futex_time64(uaddr, op, val, timeout, uaddr2, val3)`: WAIT and
 * WAIT_BITSET (timeouts in virtual time: relative for WAIT, absolute for
 * WAIT_BITSET), WAKE and WAKE_BITSET; other operations are -ENOSYS. The
 * checks come in Linux's order: the timeout is read and validated first
 * (-EFAULT, -EINVAL), then the bitset and the word's alignment (-EINVAL),
 * then the word is read (-EFAULT) and compared (-EAGAIN).
 */
function futex(host: ThreadCallHost, t: GuestThread, a: Int32Array, ranges: SyscallRanges, nested: boolean): number {
  const s = host.scheduler;
  const uaddr = a[0]! >>> 0, op = a[1]!, cmd = futexCommand(op), val = a[2]!;
  const shared = (op & FutexOp.PrivateFlag) === 0;
  if ((op & FutexOp.ClockRealtime) !== 0 && cmd !== FutexOp.WaitBitset) return -Errno.ENOSYS;
  switch (cmd) {
    case FutexOp.Wait:
    case FutexOp.WaitBitset: {
      let deadline = Infinity;
      if (a[3] !== 0) {
        if (!ranges.whole(1, TIMESPEC64_SIZE)) return -Errno.EFAULT;
        const at = a[3]! >>> 0, as = host.addressSpace;
        const secHi = as.readU32(at + 4) | 0;
        // A 32-bit kernel keeps the low word of tv_nsec (get_timespec64).
        const nsec = as.readU32(at + 8) | 0;
        if (secHi < 0 || nsec < 0 || nsec >= NS_PER_S) return -Errno.EINVAL;
        const ns = (secHi * 2 ** 32 + as.readU32(at)) * NS_PER_S + nsec;
        deadline = cmd === FutexOp.Wait ? s.now() + ns : ns;
      }
      const bitset = cmd === FutexOp.Wait ? FUTEX_BITSET_ANY : a[5]! >>> 0;
      if (bitset === 0) return -Errno.EINVAL;
      if ((uaddr & 3) !== 0) return -Errno.EINVAL;
      if (!ranges.whole(0, 4)) return -Errno.EFAULT;
      if ((host.addressSpace.readU32(uaddr) | 0) !== val) return -Errno.EAGAIN;
      if (nested || deadline <= s.now()) return -Errno.ETIMEDOUT;
      t.wait = Wait.Futex;
      t.futexKey = futexKey(uaddr, shared);
      t.futexBitset = bitset;
      t.deadline = deadline;
      s.futexes.enqueue(t.futexKey, t);
      if (deadline !== Infinity) s.timedWaiters++;
      return NO_RESULT;
    }
    case FutexOp.Wake:
    case FutexOp.WakeBitset: {
      const bitset = cmd === FutexOp.Wake ? FUTEX_BITSET_ANY : a[5]! >>> 0;
      if (bitset === 0) return -Errno.EINVAL;
      if ((uaddr & 3) !== 0) return -Errno.EINVAL;
      return wake(host, futexKey(uaddr, shared), val, bitset);
    }
    default:
      return -Errno.ENOSYS;
  }
}

/** Scratch list of woken threads (reused: waking allocates nothing). */
const woken: GuestThread[] = [];

/** Wakes up to `count` waiters on `key` matching `bitset` (their futex call returns 0); returns how many. */
function wake(host: ThreadCallHost, key: number, count: number, bitset: number): number {
  const s = host.scheduler;
  woken.length = 0;
  s.futexes.take(key, count, bitset, woken);
  for (const w of woken) endWait(host, w, 0);
  const n = woken.length;
  woken.length = 0;
  return n;
}

/**
 * Ends `t`'s futex wait with `result` in a0 (0 when woken, -ETIMEDOUT at
 * its deadline). The caller has taken it off its futex queue.
 * @internal
 */
export function endWait(host: ThreadCallHost, t: GuestThread, result: number): void {
  const s = host.scheduler;
  if (t.deadline !== Infinity) s.timedWaiters--;
  t.wait = Wait.None;
  t.deadline = Infinity;
  if (t === s.current) host.cpu.x[A0] = result;
  else t.hart.regs[A0] = result;
}

/**
 * Times out every futex wait whose deadline is at or before virtual time
 * `now` (their call returns -ETIMEDOUT) and ends every sleep due by then
 * (it returns 0), in round-robin order.
 * @internal
 */
export function expireWaits(host: ThreadCallHost, now: number): void {
  const s = host.scheduler;
  for (const t of s.threads) {
    if (t.wait === Wait.Futex && t.deadline <= now) {
      s.futexes.remove(t.futexKey, t);
      endWait(host, t, -Errno.ETIMEDOUT);
    } else if (t.wait === Wait.Sleep && t.deadline <= now) {
      endWait(host, t, 0);
    }
  }
}
