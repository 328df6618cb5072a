/**
 * Time, randomness and the system's name (docs/design.md §12):
 * clock_gettime64, clock_getres_time64, clock_nanosleep_time64 (sleeping
 * in virtual time), getrandom (seeded) and uname.
 */

import { Access } from '../fault/cause.js';
import { ClockId, GuestClock, type TimeSpec } from '../handles/clock.js';
import type { GuestRandom } from '../handles/random.js';
import type { AddressSpace } from '../memory/address-space.js';
import { Wait, type GuestThread } from '../threads/guest-thread.js';
import type { Scheduler } from '../threads/scheduler.js';
import { Errno } from './errno.js';
import { Syscall } from './numbers.js';
import type { SyscallRanges } from './syscall-ranges.js';
import { NO_RESULT } from './thread-calls.js';
import { NS_PER_S, TIMESPEC64_SIZE } from './thread-abi.js';

/** `clock_nanosleep` flag: the request is an absolute time. */
const TIMER_ABSTIME = 1;
/** `getrandom` flags. */
const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
/** The most bytes one `getrandom` gives (Linux: INT_MAX >> (SECTOR_SHIFT + 3)). */
export const GETRANDOM_MAX = 33_554_431;
/** Bytes of one `struct new_utsname` field, and of the whole struct (six fields). */
const UTS_FIELD = 65, UTSNAME_SIZE = 6 * UTS_FIELD;

/**
 * What `uname` reports: Linux as a kernel name, the machine `riscv32`
 * (as qemu-riscv32 reports it), a fixed release (docs/decisions.md,
 * "Handles").
 */
export const UNAME = {
  sysname: 'Linux',
  nodename: 'faultline',
  release: '6.1.0-faultline',
  version: '#1 faultline',
  machine: 'riscv32',
  domainname: '(none)',
} as const;

/** What the time calls need from the machine. @internal */
export interface TimeCallHost {
  readonly addressSpace: AddressSpace;
  readonly scheduler: Scheduler;
  readonly clock: GuestClock;
  readonly random: GuestRandom;
}

/** Whether `nr` is a call of this file. @internal */
export function isTimeCall(nr: number): boolean {
  switch (nr) {
    case Syscall.ClockGettime64: case Syscall.ClockGetresTime64: case Syscall.ClockNanosleepTime64:
    case Syscall.Getrandom: case Syscall.Uname:
      return true;
    default:
      return false;
  }
}

/** Notes the guest memory of time call `nr`. @internal */
export function describeTimeCall(nr: number, x: Int32Array, ranges: SyscallRanges): void {
  switch (nr) {
    case Syscall.ClockGettime64:
      ranges.add(x[11]!, TIMESPEC64_SIZE, Access.Write);
      return;
    case Syscall.ClockGetresTime64:
      if (x[11] !== 0) ranges.add(x[11]!, TIMESPEC64_SIZE, Access.Write);
      return;
    case Syscall.ClockNanosleepTime64:
      ranges.add(x[12]!, TIMESPEC64_SIZE, Access.Read);
      return;
    case Syscall.Getrandom: {
      const n = Math.min(x[11]! >>> 0, GETRANDOM_MAX);
      if (n > 0) ranges.add(x[10]!, n, Access.Write);
      return;
    }
    case Syscall.Uname:
      ranges.add(x[10]!, UTSNAME_SIZE, Access.Write);
      return;
    default:
      return;
  }
}

/** Writes `t` as a `struct timespec64` at `at`. */
function writeTimespec(as: AddressSpace, at: number, t: TimeSpec): void {
  as.writeU32(at, t.sec >>> 0);
  as.writeU32(at + 4, Math.floor(t.sec / 2 ** 32) >>> 0);
  as.writeU32(at + 8, t.nsec);
  as.writeU32(at + 12, 0);
}

/**
 * Performs time call `nr` for thread `t`. A sleep blocks the thread
 * (Wait.Sleep until its virtual deadline; a0 is written when it wakes)
 * and returns NO_RESULT; inside a guest fault handler (`nested`) a sleep
 * returns 0 at once.
 * @internal
 */
export function timeCall(host: TimeCallHost, t: GuestThread, nr: number, a: Int32Array, ranges: SyscallRanges, nested: boolean): number {
  const as = host.addressSpace;
  switch (nr) {
    case Syscall.ClockGettime64: {
      const id = a[0]!;
      if (!GuestClock.known(id)) return -Errno.EINVAL;
      if (!ranges.whole(0, TIMESPEC64_SIZE)) return -Errno.EFAULT;
      writeTimespec(as, a[1]! >>> 0, host.clock.read(id, t.retired));
      return 0;
    }
    case Syscall.ClockGetresTime64: {
      if (!GuestClock.known(a[0]!)) return -Errno.EINVAL;
      if (a[1] === 0) return 0;
      if (!ranges.whole(0, TIMESPEC64_SIZE)) return -Errno.EFAULT;
      writeTimespec(as, a[1]! >>> 0, { sec: 0, nsec: 1 });
      return 0;
    }
    case Syscall.ClockNanosleepTime64:
      return nanosleep(host, t, a, ranges, nested);
    case Syscall.Getrandom: {
      const flags = a[2]! >>> 0;
      if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) !== 0) return -Errno.EINVAL;
      if ((flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) return -Errno.EINVAL;
      const n = Math.min(a[1]! >>> 0, GETRANDOM_MAX);
      if (n === 0) return 0;
      const accessible = ranges.count > 0 ? ranges.accessible[0]! : 0;
      if (accessible === 0) return -Errno.EFAULT;
      const bytes = new Uint8Array(Math.min(n, accessible));
      host.random.fill(bytes);
      as.writeBytes(a[0]! >>> 0, bytes);
      return bytes.length;
    }
    case Syscall.Uname: {
      if (!ranges.whole(0, UTSNAME_SIZE)) return -Errno.EFAULT;
      const out = new Uint8Array(UTSNAME_SIZE);
      const enc = new TextEncoder();
      [UNAME.sysname, UNAME.nodename, UNAME.release, UNAME.version, UNAME.machine, UNAME.domainname]
        .forEach((s, k) => out.set(enc.encode(s).subarray(0, UTS_FIELD - 1), k * UTS_FIELD));
      as.writeBytes(a[0]! >>> 0, out);
      return 0;
    }
    default:
      return -Errno.ENOSYS;
  }
}

/**
 * `clock_nanosleep_time64(clockid, flags, request, remain)`: the thread
 * waits until the virtual time the request names. Linux's checks:
 * unknown ids are -EINVAL, clocks that cannot sleep (the thread CPU
 * clock, the coarse and raw ones, the alarms) -EOPNOTSUPP, then the
 * request is read (-EFAULT) and validated (-EINVAL). `remain` is written
 * only when a signal interrupts the sleep, which never happens here.
 */
function nanosleep(host: TimeCallHost, t: GuestThread, a: Int32Array, ranges: SyscallRanges, nested: boolean): number {
  const id = a[0]!, abs = (a[1]! & TIMER_ABSTIME) !== 0;
  if (!GuestClock.known(id)) return -Errno.EINVAL;
  if (id === ClockId.ThreadCputime || id === ClockId.MonotonicRaw || id === ClockId.RealtimeCoarse || id === ClockId.MonotonicCoarse
    || id === ClockId.RealtimeAlarm || id === ClockId.BoottimeAlarm) return -Errno.EOPNOTSUPP;
  if (!ranges.whole(0, TIMESPEC64_SIZE)) return -Errno.EFAULT;
  const as = host.addressSpace, at = a[2]! >>> 0;
  const secHi = as.readU32(at + 4) | 0;
  const nsec = as.readU32(at + 8) | 0;
  if (secHi < 0 || nsec < 0 || nsec >= NS_PER_S) return -Errno.EINVAL;
  const sec = secHi * 2 ** 32 + as.readU32(at);
  const s = host.scheduler;
  const deadline = abs ? host.clock.deadlineOf(id, { sec, nsec }, t.retired) : s.now() + sec * NS_PER_S + nsec;
  if (nested || deadline <= s.now()) return 0;
  t.wait = Wait.Sleep;
  t.deadline = deadline;
  s.timedWaiters++;
  return NO_RESULT;
}
