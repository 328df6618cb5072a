import { StopReason } from '../cpu/cpu.js';
import { PendingWalk } from '../fault/fault-chain.js';
import { HandlerError } from '../fault/handler-error.js';
import { FaultStatus } from '../fault/status.js';
import { describeSyscall, expandSyscall, performSyscall } from '../syscalls/linux.js';
import { RESTART, ioCall, isIoCall } from '../syscalls/io-calls.js';
import { isTimeCall, timeCall } from '../syscalls/time-calls.js';
import { isPathCall, pathCall } from '../syscalls/path-calls.js';
import { BLOCKED, type HandleObject } from '../handles/open-file.js';
import { waitKeyOf } from '../handles/handle-space.js';
import { Errno } from '../syscalls/errno.js';
import { Syscall } from '../syscalls/numbers.js';
import { NO_RESULT, endWait, expireWaits, isThreadCall, threadCall, type ThreadCallHost } from '../syscalls/thread-calls.js';
import { Wait, type GuestThread } from '../threads/guest-thread.js';
import { RseqEvent, rseqResume } from '../threads/rseq-registration.js';
import { rseqCall } from '../syscalls/rseq-call.js';
import type { Scheduler } from '../threads/scheduler.js';
import type { Machine } from './machine.js';
import { signalForCause, type RunResult } from './run-result.js';

/** a0 and a7 as register numbers. */
const A0 = 10, A7 = 17;

/** The most instructions one `cpu.run` call is given. */
const MAX_BUDGET = 0x4000_0000;

/** Wall-clock ms between yields to the host while a thread waits for an asynchronous handler. */
const YIELD_INTERVAL_MS = 2;

/**
 * What {@link RunLoop.advance} stopped for.
 * @internal
 */
export const enum Step {
  /** The run's result is ready ({@link RunLoop.takeResult}). */
  Done = 0,
  /** Every live thread waits for an asynchronous handler: await {@link RunLoop.wakeup}. */
  Wait = 1,
  /** Threads run while others wait for asynchronous handlers: let the host's event loop turn. */
  Yield = 2,
}

/** The wall clock, where the host has one (only asynchronous waits use it). */
const wallClock: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

/**
 * The machine's execution engine: schedules the guest threads on the hart,
 * runs them, performs their system calls (faulting the calls' guest memory
 * in through the chain first, docs/design.md §3) and dispatches their
 * faults. Each thread's fault-in and suspended walk is its own, so an
 * asynchronous handler blocks only the faulting thread (docs/design.md
 * §10). The machine owns one; nothing else calls it.
 * @internal
 */
export class RunLoop implements ThreadCallHost {
  readonly cpu;
  readonly addressSpace;
  /** instret at which the current run stops. */
  stopAt = 0;
  /** Instructions guest fault handlers executed during the current run (charged to its limit). */
  handlerInstructions = 0;
  /** Threads whose asynchronous handler has not answered yet. */
  private waitingOnFault = 0;
  /** Threads in an Io wait on an asynchronous source (stdin, a service) that has a `ready()` promise. */
  private waitingOnInput = 0;
  private result: RunResult | null = null;
  private readonly args = new Int32Array(6);
  private lastYield = 0;
  private notify: (() => void) | null = null;

  constructor(private readonly m: Machine, readonly scheduler: Scheduler) {
    this.cpu = m.cpu;
    this.addressSpace = m.addressSpace;
  }

  /** Starts a run of at most `maxInstructions` more instructions. */
  begin(maxInstructions: number): void {
    this.result = null;
    this.handlerInstructions = 0;
    this.stopAt = this.cpu.instret + maxInstructions;
    this.lastYield = wallClock();
  }

  /** The result {@link advance} made ready. */
  takeResult(): RunResult {
    const r = this.result!;
    this.result = null;
    return r;
  }

  /**
   * Runs threads until the run's result is ready (Done), or, when `async`,
   * until every live thread waits for a handler's promise (Wait) or the
   * host should get a turn (Yield). Under `run()` (`async` false) a
   * handler's promise is returned as the suspended walk, which `run()`
   * refuses.
   */
  advance(async: boolean): Step | PendingWalk {
    const cpu = this.cpu, s = this.scheduler, m = this.m;
    for (;;) {
      if (m.exitCode !== null) {
        const killed = m.killedBy;
        this.result = killed === null ? { kind: 'exit', exitCode: m.exitCode } : { kind: 'signal', signal: killed.signal, message: killed.message };
        return Step.Done;
      }
      let t = s.current!;
      if (!t.runnable || s.sliceLeft <= 0 || s.yieldRequested) {
        // Blocked or paused is preempted, even when no other thread takes the hart.
        if (t.rseq !== null && !t.runnable) t.rseqEvent |= RseqEvent.Preempt;
        if (s.timedWaiters > 0) expireWaits(this, s.now());
        if (this.waitingOnInput > 0) this.unblockReadyInput();
        const next = s.pickNext();
        if (next === null) {
          const idle = this.idle(async);
          if (idle !== null) return idle;
          continue;
        }
        s.switchTo(next);
        t = next;
      }
      if (t.inSyscall) {
        const walk = this.continueSyscall(t, async);
        if (walk !== null) return walk;
        continue;
      }
      const left = this.stopAt - cpu.instret - this.handlerInstructions;
      if (left <= 0) {
        this.result = { kind: 'limit' };
        return Step.Done;
      }
      // Linux's resume step for a registered thread that was preempted (docs/rseq.md).
      if (t.rseqEvent !== 0) rseqResume(m, t);
      // A thread that runs alone is not stopped at slice ends that would give it the hart back.
      const alone = this.waitingOnFault === 0 && this.waitingOnInput === 0 && s.runsAlone(t);
      const slice = alone || left < s.sliceLeft ? left : s.sliceLeft;
      const before = cpu.instret;
      const why = cpu.run(slice < MAX_BUDGET ? slice : MAX_BUDGET);
      const ran = cpu.instret - before;
      s.consumeSlice(ran);
      t.retired += ran;
      if (why === StopReason.Budget) {
        if (async && this.waitingOnFault > 0 && wallClock() - this.lastYield >= YIELD_INTERVAL_MS) return Step.Yield;
        continue;
      }
      if (why === StopReason.Breakpoint) {
        // A debugger's breakpoint (cpu.breakpoints): the run ends as at its limit.
        this.result = { kind: 'limit' };
        return Step.Done;
      }
      if (why === StopReason.Ecall) {
        describeSyscall(cpu.x[A7]!, cpu.x, t.syscall, t.clearChildTid, m.handles);
        t.inSyscall = true;
        continue;
      }
      t.faults++;
      m.events.emit('fault', t.fault);
      const status = m.chain.walk(t.fault, t.context);
      if (typeof status !== 'number') {
        if (!async) return status;
        this.block(t, status, false);
        continue;
      }
      if (this.faultOutcome(t, status)) return Step.Done;
    }
  }

  /**
   * No thread can run now. Returns null when waiting threads were woken
   * (a futex timeout: virtual time skips ahead to it), else the step or
   * result to stop with.
   */
  private idle(async: boolean): Step | null {
    const s = this.scheduler;
    const deadline = s.earliestDeadline();
    if (deadline !== Infinity) {
      const now = s.now();
      if (deadline > now) s.idleNs += deadline - now;
      expireWaits(this, s.now());
      return null;
    }
    if (this.unblockReadyInput()) return null;
    if (async && (this.waitingOnFault > 0 || this.waitingOnInput > 0)) return Step.Wait;
    const live = s.threads.filter((t) => !t.exited);
    const paused = live.filter((t) => t.paused).map((t) => t.tid);
    if (paused.length > 0) {
      this.result = { kind: 'paused', paused };
      return Step.Done;
    }
    const waits = live.map((t) => `thread ${t.tid} ${this.describeWait(t)}`).join(', ');
    this.result = { kind: 'deadlock', message: `deadlock: every thread waits and nothing can wake it (${waits})` };
    return Step.Done;
  }

  /** What `t` waits for, for a deadlock message. */
  private describeWait(t: GuestThread): string {
    if (t.wait === Wait.Io) {
      const name = (t.ioObject as HandleObject).describe();
      return `waits on ${name}${t.ioAsync ? ' (an asynchronous source: use runAsync())' : ''}`;
    }
    return `in futex wait on ${hexKey(t.futexKey)}`;
  }

  /**
   * Blocks `t` (on the hart, its call just performed) in an Io wait on
   * `object`: the call runs again from its `ecall` when the object
   * changes, or when an asynchronous source's `ready()` settles.
   */
  private blockOnIo(t: GuestThread, object: HandleObject): void {
    const key = waitKeyOf(object);
    t.wait = Wait.Io;
    t.ioObject = object;
    t.ioKey = key;
    t.ioReady = false;
    this.cpu.pc = (this.cpu.pc - 4) | 0;
    const ready = object.whenReady();
    if (ready === null) return;
    t.ioAsync = true;
    this.waitingOnInput++;
    ready.then(() => {
      if (t.wait === Wait.Io && t.ioKey === key && !t.ioReady) { t.ioReady = true; this.wake(); }
    }, noop);
  }

  /** Makes the threads whose asynchronous source is ready runnable again; returns whether there were any. */
  private unblockReadyInput(): boolean {
    let any = false;
    for (const t of this.scheduler.threads) {
      if (t.wait === Wait.Io && t.ioReady) {
        this.endIoWait(t);
        any = true;
      }
    }
    return any;
  }

  /** Ends `t`'s Io wait: it runs its call again. */
  private endIoWait(t: GuestThread): void {
    if (t.ioAsync) this.waitingOnInput--;
    t.wait = Wait.None;
    t.ioObject = null;
    t.ioKey = null;
    t.ioReady = false;
    t.ioAsync = false;
  }

  /**
   * Wakes every thread waiting on `key` (a pipe, a stream): each runs its
   * call again. Called by the handle space when a pipe changes.
   */
  wakeIo(key: object): void {
    for (const t of this.scheduler.threads) if (t.wait === Wait.Io && t.ioKey === key) this.endIoWait(t);
  }

  /** `t`'s fault waits for `walk`'s promise: block it, and note when the promise settles. */
  private block(t: GuestThread, walk: PendingWalk, inSyscall: boolean): void {
    t.wait = Wait.Fault;
    if (t.rseq !== null) t.rseqEvent |= RseqEvent.Fault;
    t.walk = walk;
    t.walkInSyscall = inSyscall;
    t.walkSettled = false;
    t.walkRejected = false;
    t.walkDeadlineMs = this.m.asyncTimeoutMs === Infinity ? Infinity : wallClock() + this.m.asyncTimeoutMs;
    this.waitingOnFault++;
    walk.promise.then(
      (value) => { if (t.walk === walk) { t.walkValue = value; t.walkSettled = true; this.wake(); } },
      (reason: unknown) => { if (t.walk === walk) { t.walkValue = reason; t.walkRejected = true; t.walkSettled = true; this.wake(); } },
    );
  }

  private wake(): void {
    const notify = this.notify;
    this.notify = null;
    if (notify !== null) notify();
  }

  /**
   * A promise that resolves when some waiting thread's handler settles, or
   * at the earliest walk deadline (`runAsync({ timeoutMs })`).
   */
  wakeup(): Promise<void> {
    return new Promise<void>((resolve) => {
      let deadline = Infinity;
      for (const t of this.scheduler.threads) if (t.wait === Wait.Fault && t.walkDeadlineMs < deadline) deadline = t.walkDeadlineMs;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => { if (timer !== undefined) clearTimeout(timer); this.notify = null; resolve(); };
      if (this.scheduler.threads.some((t) => (t.wait === Wait.Fault && t.walkSettled) || (t.wait === Wait.Io && t.ioReady))) { resolve(); return; }
      this.notify = done;
      if (deadline !== Infinity) timer = setTimeout(done, Math.max(0, deadline - wallClock()));
    });
  }

  /** Lets the host's event loop turn once (a macrotask), so settled promises are seen. */
  async yieldToHost(): Promise<void> {
    this.lastYield = wallClock();
    await new Promise<void>((resolve) => {
      const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
      if (immediate !== undefined) immediate(resolve);
      else setTimeout(resolve, 0);
    });
  }

  /**
   * Continues the walks whose promises settled, each on its own thread (put
   * on the hart first: its context is a view of the hart), in round-robin
   * order; throws the run's end for a rejected or timed-out promise.
   * Returns true when the run's result is ready.
   */
  resumeSettled(): boolean {
    const s = this.scheduler, now = wallClock();
    for (const t of s.threads) {
      // A dispatch under way completes even if the host paused the thread meanwhile.
      if (t.wait !== Wait.Fault) continue;
      const walk = t.walk!;
      if (!t.walkSettled) {
        if (now < t.walkDeadlineMs) continue;
        walk.promise.then(noop, noop);
        s.switchTo(t);
        walk.abandon();
        const name = walk.entry.name;
        const fault = t.fault.snapshot();
        throw new HandlerError(
          `fault handler '${name}' did not settle its promise within ${this.m.asyncTimeoutMs} ms (timeoutMs) for ${fault.describe()} (thread ${t.tid})`,
          name,
          fault,
        );
      }
      s.switchTo(t);
      if (t.walkRejected) throw walk.reject(t.walkValue);
      const status = walk.resume(t.walkValue);
      if (typeof status !== 'number') {
        this.waitingOnFault--;
        this.block(t, status, t.walkInSyscall);
        continue;
      }
      t.walk = null;
      t.wait = Wait.None;
      this.waitingOnFault--;
      if (t.walkInSyscall) this.syscallFaultOutcome(t, status);
      else if (this.faultOutcome(t, status)) return true;
    }
    return false;
  }

  /** Gives up every walk still waiting (the run ended); their threads stay at the faulting instruction. */
  abandonWaits(): void {
    for (const t of this.scheduler.threads) {
      if (t.wait !== Wait.Fault) continue;
      const walk = t.walk!;
      t.walk = null;
      t.wait = Wait.None;
      t.inSyscall = t.inSyscall && t.walkInSyscall;
      walk.promise.then(noop, noop);
      if (!walk.settled) {
        this.scheduler.switchTo(t);
        walk.abandon();
      }
    }
    this.waitingOnFault = 0;
    this.notify = null;
  }

  /**
   * Acts on the chain's answer to a fault of thread `t` (on the hart).
   * Returns true when the run ends (unresolved: the result is set).
   */
  private faultOutcome(t: GuestThread, status: number): boolean {
    const m = this.m, cpu = this.cpu, fault = t.fault;
    if (status === FaultStatus.Fixed) {
      const by = m.chain.decidedBy!.name;
      t.livelock.fixed(fault, by, cpu.pc, cpu.instret);
      cpu.x[0] = 0;
      m.events.emit('fixed', fault, by);
      return false;
    }
    const table = m.exceptionTable;
    if (status === FaultStatus.Continue && table !== null) {
      const k = table.lookup(fault.pc);
      if (k >= 0) {
        table.apply(k, t.context);
        m.events.emit('fixed', fault, 'exception table');
        return false;
      }
    }
    const by = status === FaultStatus.Fail ? m.chain.decidedBy!.name : null;
    m.events.emit('unresolved', fault, by);
    const snapshot = fault.snapshot();
    const message = by === null ? snapshot.describe() : `${snapshot.describe()} (failed by handler '${by}')`;
    this.result = { kind: 'fault', fault: snapshot, signal: signalForCause(snapshot.cause), message, handler: by };
    return true;
  }

  /**
   * Faults the guest memory of `t`'s system call in through the chain,
   * range by range and page by page, then performs the call. Returns the
   * suspended walk when a handler's promise must be awaited under `run()`;
   * under `runAsync()` the thread blocks instead and null is returned.
   */
  private continueSyscall(t: GuestThread, async: boolean): PendingWalk | null {
    const m = this.m, as = this.addressSpace, r = t.syscall;
    for (; r.current < r.count || expandSyscall(this.cpu.x[A7]!, this.cpu.x, r, as, m.handles); r.current++) {
      while (r.stepToFault(r.current, as)) {
        // Translation filled the thread's fault record; add where and how big.
        const fault = t.fault;
        fault.pc = this.cpu.pc;
        fault.size = 1;
        t.faults++;
        m.events.emit('fault', fault);
        const status = m.chain.walk(fault, t.context);
        if (typeof status !== 'number') {
          if (!async) return status;
          this.block(t, status, true);
          return null;
        }
        this.syscallFaultOutcome(t, status);
      }
    }
    this.completeSyscall(t, false);
    return null;
  }

  /** A fault inside `t`'s system call: Fixed retries the page; anything else ends that range's accessible prefix. */
  private syscallFaultOutcome(t: GuestThread, status: number): void {
    const m = this.m, fault = t.fault, r = t.syscall;
    if (status === FaultStatus.Fixed) {
      const by = m.chain.decidedBy!.name;
      t.livelock.fixed(fault, by, this.cpu.pc, this.cpu.instret);
      this.cpu.pc = fault.pc; // the thread stays at its ecall
      m.events.emit('fixed', fault, by);
      return;
    }
    m.events.emit('unresolved', fault, status === FaultStatus.Fail ? m.chain.decidedBy!.name : null);
    // The call sees only the bytes before this page.
    r.truncate(r.current);
  }

  /**
   * Performs the system call of thread `t` (on the hart, at its `ecall`)
   * with its guest ranges resolved, retires the `ecall` and writes a0
   * (unless the thread blocked or exited). `nested`: called from a guest
   * fault handler, where nothing blocks.
   */
  completeSyscall(t: GuestThread, nested: boolean): void {
    const m = this.m, cpu = this.cpu, x = cpu.x, args = this.args;
    t.inSyscall = false;
    const nr = x[A7]!;
    for (let k = 0; k < 6; k++) args[k] = x[A0 + k]!;
    cpu.pc = (cpu.pc + 4) | 0;
    cpu.instret++;
    t.retired++;
    this.scheduler.sliceLeft--;
    let value: number;
    if (nr >= Syscall.RegisterFaultHandler && nr <= Syscall.FaultReturn) value = m.guestHandlers.syscall(nr, args);
    else if (isThreadCall(nr)) value = threadCall(this, t, nr, args, t.syscall, nested);
    else if (isIoCall(nr)) value = ioCall(this, t, nr, args, t.syscall, nested);
    else if (isTimeCall(nr)) value = timeCall(m, t, nr, args, t.syscall, nested);
    else if (isPathCall(nr)) value = pathCall(m, t, nr, args, t.syscall);
    else if (nr === Syscall.Rseq) value = rseqCall(this.addressSpace, t, args, t.syscall);
    else value = performSyscall(m, nr, args, t.syscall);
    if (value === BLOCKED || value === RESTART) {
      if (nested) {
        value = -Errno.EAGAIN;
      } else {
        if (value === BLOCKED) this.blockOnIo(t, t.ioObject as HandleObject);
        else cpu.pc = (cpu.pc - 4) | 0;
        return;
      }
    }
    if (value === NO_RESULT) {
      if (m.exitCode !== null) {
        m.events.emit('syscall', nr, m.exitCode);
        m.events.emit('exit', m.exitCode);
      } else {
        m.events.emit('syscall', nr, 0);
      }
      return;
    }
    x[A0] = value;
    m.events.emit('syscall', nr, value);
  }

  /** The handle space, for the handle calls. */
  get handles(): Machine['handles'] {
    return this.m.handles;
  }

  /**
   * The process dies of `signal` (SIGPIPE's default action): every thread
   * ends, and the run ends with `{ kind: 'signal' }`.
   */
  killBySignal(signal: number, message: string): void {
    this.m.killedBy = { signal, message };
    this.endProcess(128 + signal);
  }

  /** {@link ThreadCallHost}: a thread was created. */
  threadStarted(t: GuestThread): void {
    this.m.events.emit('threadStart', t.tid);
  }

  /** {@link ThreadCallHost}: `t` ended with `exit`; the process ends with the last thread. */
  threadExited(t: GuestThread): void {
    const s = this.scheduler;
    t.exited = true;
    if (t.wait === Wait.Futex) {
      s.futexes.remove(t.futexKey, t);
      endWait(this, t, 0);
    }
    this.m.events.emit('threadExit', t.tid, t.exitStatus);
    s.remove(t);
    if (s.threads.length === 0) this.m.exitCode = s.leader!.exitStatus;
  }

  /** {@link ThreadCallHost}: `exit_group`: every thread ends with `status`. */
  endProcess(status: number): void {
    const s = this.scheduler;
    for (const t of s.threads) {
      t.exited = true;
      t.exitStatus = status;
      if (t.wait === Wait.Futex) s.futexes.remove(t.futexKey, t);
      if (t.wait === Wait.Fault) this.waitingOnFault--;
      if (t.wait === Wait.Io) this.endIoWait(t);
      t.wait = Wait.None;
    }
    this.m.exitCode = status;
    for (const t of s.threads) this.m.events.emit('threadExit', t.tid, status);
    s.threads.length = 0;
  }
}

function noop(): void {}

/** A futex key as `0x...` (address) with `(shared)` when it is a shared one. */
function hexKey(key: number): string {
  const shared = key >= 2 ** 32;
  const address = shared ? key - 2 ** 32 : key;
  return `0x${address.toString(16).padStart(8, '0')}${shared ? ' (shared)' : ''}`;
}
