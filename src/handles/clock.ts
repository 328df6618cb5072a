/**
 * The guest's clocks (`clock_gettime64`, `clock_nanosleep_time64`).
 * Virtual by default: time is derived from the machine's virtual
 * nanoseconds (one per retired instruction, plus time skipped while every
 * thread slept — the scheduler's clock, which futex timeouts use too), so
 * runs are deterministic. `hostTime` reads the host's clocks instead.
 */

import { NS_PER_S } from '../syscalls/thread-abi.js';

/**
 * Linux clock ids (include/uapi/linux/time.h).
 *
 * @example
 * ```ts
 * const t = machine.clock.read(ClockId.Monotonic, 1);
 * ```
 *
 * @enum
 */
export const ClockId = {
  /** 0: wall-clock time. */
  Realtime: 0,
  /** 1: time since the machine started (virtual) or an arbitrary host point. */
  Monotonic: 1,
  /** 2: CPU time of the process: its retired instructions, 1 ns each. */
  ProcessCputime: 2,
  /** 3: CPU time of the calling thread: its retired instructions, 1 ns each. */
  ThreadCputime: 3,
  /** 4: as {@link ClockId.Monotonic}. */
  MonotonicRaw: 4,
  /** 5: as {@link ClockId.Realtime}. */
  RealtimeCoarse: 5,
  /** 6: as {@link ClockId.Monotonic}. */
  MonotonicCoarse: 6,
  /** 7: as {@link ClockId.Monotonic} (the machine never suspends). */
  Boottime: 7,
  /** 8: as {@link ClockId.Realtime}. */
  RealtimeAlarm: 8,
  /** 9: as {@link ClockId.Boottime}. */
  BoottimeAlarm: 9,
  /** 11: as {@link ClockId.Realtime} (no leap-second offset). */
  Tai: 11,
} as const;

/**
 * The wall-clock time of virtual nanosecond 0: 2000-01-01T00:00:00Z, in
 * seconds since the Unix epoch (docs/decisions.md, "Handles").
 *
 * @example
 * ```ts
 * new Date(VIRTUAL_EPOCH_S * 1000).toISOString();   // '2000-01-01T00:00:00.000Z'
 * ```
 */
export const VIRTUAL_EPOCH_S = 946_684_800;

/**
 * A time as Linux's `struct timespec64` holds it. Seconds stay exact as
 * a JavaScript number (nanoseconds since 1970 would not).
 *
 * @example
 * ```ts
 * const t: TimeSpec = machine.clock.read(ClockId.Monotonic, 0);
 * ```
 */
export interface TimeSpec {
  /** Whole seconds. */
  sec: number;
  /** Nanoseconds, 0..999,999,999. */
  nsec: number;
}

/**
 * Options of a {@link GuestClock}.
 *
 * @example
 * ```ts
 * const options: GuestClockOptions = { hostTime: true };
 * ```
 */
export interface GuestClockOptions {
  /** Read the host's clocks instead of virtual time (default false). */
  readonly hostTime?: boolean;
  /** Wall-clock seconds of virtual time 0 (default {@link VIRTUAL_EPOCH_S}). */
  readonly epochSeconds?: number;
}

/** Wall-clock ms of the host (Date.now) and a monotonic ms counter. */
const hostNowMs = (): number => Date.now();
const hostMonotonicMs: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

/**
 * The machine's clocks. `virtualNs` is the scheduler's virtual time.
 * Sleeping always happens in virtual time (so a sleeping thread lets the
 * others run and a machine where everyone sleeps jumps ahead), even with
 * `hostTime`, which only changes what the guest reads.
 *
 * @example
 * ```ts
 * const now = machine.clock.read(ClockId.Realtime, 1);
 * console.log(new Date(now.sec * 1000).toISOString());   // 2000-01-01T00:00:00.000Z at first
 * ```
 */
export class GuestClock {
  /** Whether the guest reads the host's clocks. */
  readonly hostTime: boolean;
  /** Wall-clock seconds of virtual time 0. */
  readonly epochSeconds: number;

  /**
   * Creates the clocks of a machine.
   *
   * @param virtualNs - the machine's virtual nanoseconds
   * @param processNs - CPU nanoseconds of the process (retired instructions)
   * @param options - host time, epoch
   */
  constructor(private readonly virtualNs: () => number, private readonly processNs: () => number, options: GuestClockOptions = {}) {
    this.hostTime = options.hostTime ?? false;
    this.epochSeconds = options.epochSeconds ?? VIRTUAL_EPOCH_S;
  }

  /**
   * Whether Linux knows `id` as a clock faultline gives (the others are -EINVAL).
   *
   * @param id - a clock id
   */
  static known(id: number): boolean {
    return (id >= ClockId.Realtime && id <= ClockId.BoottimeAlarm) || id === ClockId.Tai;
  }

  /**
   * Whether `id` reads wall-clock time.
   *
   * @param id - a clock id
   */
  static isRealtime(id: number): boolean {
    return id === ClockId.Realtime || id === ClockId.RealtimeCoarse || id === ClockId.RealtimeAlarm || id === ClockId.Tai;
  }

  /**
   * The time of clock `id` (a {@link GuestClock.known} id) for a thread
   * that retired `threadNs` instructions.
   *
   * @param id - a clock id
   * @param threadNs - the calling thread's CPU nanoseconds
   */
  read(id: number, threadNs: number): TimeSpec {
    if (id === ClockId.ThreadCputime) return split(threadNs);
    if (id === ClockId.ProcessCputime) return split(this.processNs());
    if (this.hostTime) {
      if (GuestClock.isRealtime(id)) {
        const ms = hostNowMs();
        return { sec: Math.floor(ms / 1000), nsec: Math.floor((ms % 1000) * 1e6) };
      }
      return split(Math.floor(hostMonotonicMs() * 1e6));
    }
    const t = split(this.virtualNs());
    if (GuestClock.isRealtime(id)) t.sec += this.epochSeconds;
    return t;
  }

  /**
   * The virtual nanosecond at which an absolute time `at` of clock `id`
   * arrives (for `TIMER_ABSTIME` sleeps): wall-clock times are taken
   * relative to what the clock reads now.
   *
   * @param id - a clock id
   * @param at - the absolute time
   * @param threadNs - the calling thread's CPU nanoseconds
   */
  deadlineOf(id: number, at: TimeSpec, threadNs: number): number {
    const now = this.read(id, threadNs);
    const delta = (at.sec - now.sec) * NS_PER_S + (at.nsec - now.nsec);
    return this.virtualNs() + Math.max(0, delta);
  }
}

/** Nanoseconds as seconds and nanoseconds. */
function split(ns: number): TimeSpec {
  const sec = Math.floor(ns / NS_PER_S);
  return { sec, nsec: ns - sec * NS_PER_S };
}
