import type { Cpu } from '../cpu/cpu.js';
import type { AddressSpace } from '../memory/address-space.js';
import { FutexTable } from './futex-table.js';
import { GuestThread, Wait } from './guest-thread.js';
import { RseqEvent } from './rseq-registration.js';

/**
 * Default time slice, in retired instructions.
 *
 * @example
 * ```ts
 * const fine = new Machine({ timeSlice: DEFAULT_TIME_SLICE / 100 });
 * ```
 */
export const DEFAULT_TIME_SLICE = 100_000;

/**
 * The process id, which is also the first thread's tid (as Linux numbers
 * them); later threads get the following numbers.
 *
 * @example
 * ```ts
 * machine.threads[0]!.tid === GUEST_PID; // the first thread
 * ```
 */
export const GUEST_PID = 1;

/**
 * Deterministic round-robin scheduling of guest threads on the one hart
 * (docs/design.md §10). Threads run in creation order, each for a slice of
 * `timeSlice` retired instructions; a thread leaves the hart only at a
 * slice end, when it blocks, yields or exits. Nothing here depends on the
 * host's clock, so the same program and options always interleave the
 * same way.
 *
 * Virtual time (the futex timeouts' clock) is the count of retired
 * instructions, one nanosecond each, plus the time skipped while every
 * thread slept ({@link idleNs}).
 * @internal
 */
export class Scheduler {
  /** Live threads in round-robin order (creation order). */
  readonly threads: GuestThread[] = [];
  /** Threads waiting in futex WAIT. */
  readonly futexes = new FutexTable();
  /** The thread on the hart, or null before the first is created. */
  current: GuestThread | null = null;
  /** Instructions left in the current thread's slice. */
  sliceLeft: number;
  /** Set by `sched_yield`: switch at the next step even if the slice is not used up. */
  yieldRequested = false;
  /** Threads in a futex wait with a finite deadline. */
  timedWaiters = 0;
  /** Virtual nanoseconds skipped while every thread slept. */
  idleNs = 0;
  /** Switches between threads so far. */
  switches = 0;
  /** Virtual CPUs threads are placed on (docs/rseq.md); at least 1. */
  cpus = 1;
  private nextTid = GUEST_PID;
  /** Index of {@link current} in {@link threads} (where round-robin goes on from). */
  private cursor = -1;
  /** The first thread (its exit status is the process's when the last thread exits). */
  leader: GuestThread | null = null;

  /**
   * @param cpu - the hart threads take turns on
   * @param addressSpace - whose translation fills the running thread's fault record
   * @param timeSlice - instructions per slice (a positive integer)
   * @param livelockLimit - passed to each thread's livelock tracker
   */
  constructor(
    private readonly cpu: Cpu,
    private readonly addressSpace: AddressSpace,
    public timeSlice: number,
    private readonly livelockLimit: number,
  ) {
    this.sliceLeft = timeSlice;
  }

  /** Virtual time in nanoseconds. */
  now(): number {
    return this.cpu.instret + this.idleNs;
  }

  /**
   * Makes a thread with the next tid, appended to the round-robin order.
   * Its hart state is all zero; the caller fills it.
   */
  create(): GuestThread {
    const t = new GuestThread(this.nextTid++, this.cpu, this.livelockLimit);
    t.cpu = (t.tid - 1) % this.cpus;
    this.threads.push(t);
    if (this.leader === null) this.leader = t;
    return t;
  }

  /** Restores the tid counter (a restored machine goes on numbering where it was). */
  setNextTid(tid: number): void {
    this.nextTid = tid;
  }

  /** The tid the next thread gets. */
  get upcomingTid(): number {
    return this.nextTid;
  }

  /**
   * Puts `t` on the hart: the thread there now is saved into its record,
   * `t`'s registers, pc and reservation are loaded (the instruction counter
   * is the machine's and stays), and translation fills `t`'s fault record
   * from now on. Starts a new slice. Allocates nothing.
   */
  switchTo(t: GuestThread): void {
    const cpu = this.cpu, from = this.current;
    this.sliceLeft = this.timeSlice;
    this.yieldRequested = false;
    if (from === t) return;
    this.cursor = this.threads.indexOf(t);
    const instret = cpu.instret;
    if (from !== null) {
      from.hart.save(cpu);
      // Leaving the hart preempts it: a critical section restarts (docs/rseq.md).
      if (from.rseq !== null) from.rseqEvent |= RseqEvent.Preempt;
    }
    t.hart.load(cpu);
    cpu.instret = instret;
    cpu.fault = t.fault;
    this.addressSpace.fault.record = t.fault;
    this.current = t;
    if (from !== null) this.switches++;
  }

  /**
   * Makes `t` the thread on the hart without loading it: the hart already
   * holds its state (a restore put it there). Starts a new slice.
   */
  adoptCurrent(t: GuestThread): void {
    this.current = t;
    this.cursor = this.threads.indexOf(t);
    this.sliceLeft = this.timeSlice;
    this.yieldRequested = false;
    this.cpu.fault = t.fault;
    this.addressSpace.fault.record = t.fault;
  }

  /** Saves the thread on the hart into its record, so a monitor reads it current. */
  syncCurrent(): void {
    const t = this.current;
    if (t === null) return;
    const instret = this.cpu.instret;
    t.hart.save(this.cpu);
    t.hart.instret = instret;
  }

  /**
   * The next thread to run after the current one in round-robin order (the
   * current one only when no other is runnable), or null when none is.
   */
  pickNext(): GuestThread | null {
    const list = this.threads, n = list.length, at = this.cursor;
    for (let k = 1; k <= n; k++) {
      const t = list[(at + k) % n]!;
      if (t.runnable) return t;
    }
    return null;
  }

  /**
   * Whether a slice end now would hand the hart straight back to `t`: no
   * other thread is runnable and none can become so without `t` making a
   * system call (no futex deadline is pending). The run loop then runs
   * `t` through its slice ends instead of stopping at each (stopping and
   * re-entering compiled code mid-block costs a single-thread guest about
   * a quarter of its speed). Allocates nothing.
   */
  runsAlone(t: GuestThread): boolean {
    if (this.timedWaiters > 0) return false;
    const list = this.threads;
    for (let k = 0; k < list.length; k++) {
      const o = list[k]!;
      if (o !== t && o.runnable) return false;
    }
    return true;
  }

  /**
   * Counts `ran` retired instructions against the slice. Past the slice
   * end (only when the thread ran alone through it), the slice is where
   * renewing it at every end would have left it, so slice ends fall on
   * the same instructions as if the thread had stopped at each.
   */
  consumeSlice(ran: number): void {
    const left = this.sliceLeft - ran;
    if (left >= 0) {
      this.sliceLeft = left;
      return;
    }
    const into = -left % this.timeSlice;
    this.sliceLeft = into === 0 ? 0 : this.timeSlice - into;
  }

  /** Takes an exited thread out of the round-robin order. */
  remove(t: GuestThread): void {
    const at = this.threads.indexOf(t);
    if (at < 0) return;
    this.threads.splice(at, 1);
    // The thread after it comes next: step the cursor back over the gap.
    if (at <= this.cursor) this.cursor--;
  }

  /** The earliest futex or sleep deadline among waiting threads, or Infinity. */
  earliestDeadline(): number {
    let min = Infinity;
    for (const t of this.threads) if ((t.wait === Wait.Futex || t.wait === Wait.Sleep) && !t.paused && t.deadline < min) min = t.deadline;
    return min;
  }

  /** Whether any live thread waits for an asynchronous fault handler. */
  anyWaitingOnFault(): boolean {
    for (const t of this.threads) if (t.wait === Wait.Fault) return true;
    return false;
  }
}
