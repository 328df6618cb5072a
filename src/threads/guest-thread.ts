import type { Cpu } from '../cpu/cpu.js';
import { HartState } from '../cpu/hart-state.js';
import { Fault } from '../fault/fault.js';
import type { PendingWalk } from '../fault/fault-chain.js';
import { UserContext } from '../fault/user-context.js';
import { LivelockTracker } from '../machine/livelock.js';
import { SyscallRanges } from '../syscalls/syscall-ranges.js';
import type { RseqRegistration } from './rseq-registration.js';

/**
 * What a guest thread is doing, as a monitor sees it (docs/design.md §10).
 *
 * - `runnable`: it runs when the scheduler picks it.
 * - `blocked`: it waits in `futex`, `clock_nanosleep`, a read or write
 *   that would block, or for an asynchronous fault handler.
 * - `paused`: the host paused it with {@link Machine.pause}; it keeps its
 *   state exactly and takes no faults until resumed (a paused thread that
 *   is also blocked reports `paused`).
 * - `exited`: it has ended.
 *
 * @example
 * ```ts
 * const waiting = machine.threads.filter((t) => t.state === ThreadState.Blocked);
 * ```
 *
 * @enum
 */
export const ThreadState = {
  /** Ready to run. */
  Runnable: 'runnable',
  /** Waiting in a futex or for an asynchronous fault handler. */
  Blocked: 'blocked',
  /** Paused by the host. */
  Paused: 'paused',
  /** Ended. */
  Exited: 'exited',
} as const;

/** One of the {@link ThreadState} values. */
export type ThreadState = (typeof ThreadState)[keyof typeof ThreadState];

/** Why a thread is not runnable on its own (internal). */
export const enum Wait {
  None = 0,
  /** In `futex` WAIT until woken or its deadline. */
  Futex = 1,
  /** A fault handler's promise is pending. */
  Fault = 2,
  /** A read or write that would block (a pipe, an asynchronous input): the call runs again when woken. */
  Io = 3,
  /** In `clock_nanosleep` until its deadline. */
  Sleep = 4,
}

/**
 * One guest thread: its tid, its architectural state while it is not on
 * the hart, its own fault record and context (so a thread blocked in an
 * asynchronous handler keeps its fault while others fault), its system
 * call in progress, and what it waits for.
 *
 * The machine owns these; users see them through {@link Machine.threads}
 * and read the public members only.
 *
 * @example
 * ```ts
 * for (const t of machine.threads) console.log(t.tid, t.state, hex32(t.pc));
 * ```
 */
export class GuestThread {
  /** Registers, pc and reservation while the thread is off the hart. @internal */
  readonly hart = new HartState();
  /** This thread's fault record: translation fills it while the thread runs. @internal */
  readonly fault = new Fault();
  /** The context handlers get for this thread's faults. @internal */
  readonly context: UserContext;
  /** Livelock detection of this thread's faults. @internal */
  readonly livelock: LivelockTracker;
  /** The guest memory of the system call in progress, faulted in before it runs. @internal */
  readonly syscall = new SyscallRanges();
  /** True while a system call's memory is being faulted in. @internal */
  inSyscall = false;
  /** `clear_child_tid`: cleared and woken when the thread exits (0: none). @internal */
  clearChildTid = 0;
  /** What the thread waits for. @internal */
  wait: Wait = Wait.None;
  /** Futex key waited on (address and shared bit). @internal */
  futexKey = 0;
  /** Bitset of the futex wait. @internal */
  futexBitset = 0;
  /** Virtual time (ns) at which a futex wait times out or a sleep ends; Infinity: never. @internal */
  deadline = Infinity;
  /** The handle object an Io wait waits on (its call runs again when it changes). @internal */
  ioObject: object | null = null;
  /** What wakes the Io wait: the pipe for a pipe end, else the object. @internal */
  ioKey: object | null = null;
  /** Bytes a blocking write has written so far (it goes on from there when it runs again). @internal */
  ioProgress = 0;
  /** Set when the asynchronous source an Io wait waits on said it may have more. @internal */
  ioReady = false;
  /** Whether the Io wait is on an asynchronous source (counted by the run loop). @internal */
  ioAsync = false;
  /** The suspended chain walk of a fault this thread waits on. @internal */
  walk: PendingWalk | null = null;
  /** Set when {@link walk}'s promise settled: the value, or the rejection in {@link walkError}. @internal */
  walkSettled = false;
  /** What {@link walk}'s promise resolved to. @internal */
  walkValue: unknown = undefined;
  /** Whether {@link walk}'s promise rejected (the reason is {@link walkValue}). @internal */
  walkRejected = false;
  /** Wall-clock time (ms) by which the walk must settle, under `runAsync({ timeoutMs })`. @internal */
  walkDeadlineMs = Infinity;
  /** Whether the fault in progress happened inside a system call's fault-in. @internal */
  walkInSyscall = false;
  /** Paused by the host. @internal */
  paused = false;
  /** Ended. @internal */
  exited = false;
  /** Status it ended with (`exit`'s argument). */
  exitStatus = 0;
  /** Instructions this thread retired. */
  retired = 0;
  /** Faults this thread took. */
  faults = 0;
  /**
   * The virtual CPU it runs on (docs/rseq.md): `cpu_id` of its `struct
   * rseq`. Placed at creation as `(tid - 1) mod cpus`; {@link Machine.migrate} moves it.
   */
  cpu = 0;
  /** Its `rseq` registration, or null (docs/rseq.md). */
  rseq: RseqRegistration | null = null;
  /** Pending {@link RseqEvent} bits: the resume step runs before it executes again (0: none). @internal */
  rseqEvent = 0;
  /** Critical sections of this thread that were aborted. */
  rseqAborts = 0;

  /**
   * @param tid - its thread id
   * @param cpu - the hart it runs on (its context is a view of it)
   * @param livelockLimit - fixes in a row without progress that make a livelock
   * @internal
   */
  constructor(readonly tid: number, cpu: Cpu, livelockLimit: number) {
    this.fault.tid = tid;
    this.context = new UserContext(cpu);
    this.livelock = new LivelockTracker(livelockLimit);
  }

  /** Whether the scheduler may run it now. @internal */
  get runnable(): boolean {
    return !this.exited && !this.paused && this.wait === Wait.None;
  }

  /** Its state as a monitor sees it. */
  get state(): ThreadState {
    if (this.exited) return ThreadState.Exited;
    if (this.paused) return ThreadState.Paused;
    return this.wait === Wait.None ? ThreadState.Runnable : ThreadState.Blocked;
  }

  /**
   * Where it resumes. Read it while the thread is not on the hart (between
   * runs, or from a handler of another thread's fault); for the thread on
   * the hart use the handler's context or `machine.cpu.pc`.
   */
  get pc(): number {
    return this.hart.pc;
  }

  /**
   * A copy of its registers and pc as they are while it is off the hart
   * (see {@link GuestThread.pc}).
   *
   * @example
   * ```ts
   * machine.pause(2);
   * const before = machine.threads[1]!.snapshot();
   * ```
   */
  snapshot(): HartState {
    const copy = new HartState();
    copy.copyFrom(this.hart);
    return copy;
  }
}
