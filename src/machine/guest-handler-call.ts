/**
 * One call of a guest fault handler, nested in a dispatch of the chain: the
 * frame on the faulting thread's stack, the nested run of the guest
 * function until its `fault_return`, the faults and system calls it makes
 * on the way, and putting the thread back. The whole nested run lives
 * here; the registry (guest-handlers.ts) only decides when to call.
 */

import { HartState } from '../cpu/hart-state.js';
import { StopReason } from '../cpu/cpu.js';
import { hex32 } from '../errors.js';
import { Access } from '../fault/cause.js';
import { Fault } from '../fault/fault.js';
import { PendingWalk } from '../fault/fault-chain.js';
import { HandlerError } from '../fault/handler-error.js';
import { RunEnding } from '../fault/run-ending.js';
import { FaultStatus } from '../fault/status.js';
import { UserContext } from '../fault/user-context.js';
import { PAGE_SHIFT } from '../memory/page.js';
import { describeSyscall, expandSyscall } from '../syscalls/linux.js';
import { Syscall } from '../syscalls/numbers.js';
import { SyscallRanges } from '../syscalls/syscall-ranges.js';
import { CONTEXT_STRIDE, FRAME_SIZE, FaultInfoFlags, FaultInfoLayout, RED_ZONE, TRAMPOLINE_ADDRESS, UserContextLayout } from './guest-frame.js';
import { LivelockTracker } from './livelock.js';
import type { Machine } from './machine.js';
import { signalForCause } from './run-result.js';

/** Register numbers of the calling convention. */
const RA = 1, SP = 2, A0 = 10, A1 = 11, A7 = 17;
const noop = (): void => {};

/** Why the nested run stopped. */
const Stop = { Returned: 0, Exited: 1, Limit: 2 } as const;
type Stop = (typeof Stop)[keyof typeof Stop];

/**
 * Runs guest fault handlers for one machine, one call at a time (guest
 * handlers do not nest: while one runs, every guest handler answers
 * Continue, so its own faults go to the host handlers only).
 *
 * Rules of a call (docs/guest-handlers.md):
 * - The handler's own accesses — its frame on the stack, globals it
 *   writes, buffers of its system calls — fault through the host handlers
 *   like any other access (the dirty log, demand paging, checkpoints serve
 *   them). A fault no host handler fixes (nor the exception table) ends
 *   the run like an unresolved fault: a `'fault'` result naming the guest
 *   handler, exit status 128 + signal (139 for a page fault). A frame that
 *   cannot be built ends it the same way (Linux kills a process whose
 *   signal frame cannot be written with SIGSEGV).
 * - A host handler that answers such a fault with a promise is a
 *   HandlerError: the nested run is synchronous.
 * - The handler runs at most `limit` instructions (HandlerError past it)
 *   and at most what the run has left of its `maxInstructions`: when that
 *   runs out first the run ends with `{ kind: 'limit' }`, the thread at the
 *   faulting instruction (a later run calls the handler afresh). Its
 *   instructions are charged to the run but not retired by the thread.
 *
 * @internal Made by {@link GuestHandlerRegistry}.
 */
export class GuestHandlerCall {
  /** The thread at the fault, put back after the call. */
  private readonly saved = new HartState();
  /** The fault being handled (nested faults reuse the hart's record). */
  private readonly savedFault = new Fault();
  /** Context the host handlers get for the guest handler's own faults. */
  private readonly context: UserContext;
  /** Livelock detection of the guest handler's own faults. */
  private readonly livelock: LivelockTracker;
  private readonly frameBytes = new Uint8Array(FRAME_SIZE);
  private readonly frame = new DataView(this.frameBytes.buffer);
  /** Name of the guest handler running now, or null. */
  running: string | null = null;

  constructor(private readonly machine: Machine) {
    this.context = new UserContext(machine.cpu);
    this.livelock = new LivelockTracker(machine.livelockLimit);
  }

  /**
   * Calls guest function `fn` (chain name `name`) for `fault` (the hart's
   * fault record, which this puts back before returning) with at most
   * `limit` instructions, and returns its status. The thread's registers,
   * pc, instret and reservation are as they were, except on Fixed, where
   * the context the handler left in its frame is applied. Throws
   * HandlerError for a runaway handler or a bad status, and RunEnding when
   * the run must end (see the class comment).
   */
  call(fn: number, name: string, fault: Fault, limit: number): FaultStatus {
    const m = this.machine, cpu = m.cpu, x = cpu.x;
    if (m.exitCode !== null || this.running !== null) return FaultStatus.Continue;
    const sp = x[SP]! >>> 0;
    const top = sp - RED_ZONE - FaultInfoLayout.size;
    const saved = this.saved, savedFault = this.savedFault;
    saved.save(cpu);
    savedFault.copyFrom(fault);
    const runLeft = m.instructionsLeft();
    const budget = runLeft < limit ? runLeft : limit;
    this.running = name;
    let status: number;
    let ran = -1;
    try {
      if (top < CONTEXT_STRIDE) {
        throw new RunEnding('fault', fault.snapshot(), signalForCause(fault.cause), name,
          `${name}: no room for its frame below the faulting thread's sp ${hex32(sp)} while handling ${fault.describe()}`);
      }
      const info = (top & ~15) >>> 0;
      const ctx = info - CONTEXT_STRIDE;
      this.faultInFrame(ctx, name, sp);
      this.writeFrame(ctx);
      x[A0] = ctx;
      x[A1] = info;
      x[SP] = ctx;
      x[RA] = TRAMPOLINE_ADDRESS | 0;
      cpu.pc = fn | 0;
      cpu.reservationValid = false;
      const stop = budget > 0 ? this.runNested(budget, name) : Stop.Limit;
      ran = cpu.instret - saved.instret;
      if (stop === Stop.Limit) {
        if (budget < limit) {
          throw new RunEnding('limit', savedFault.snapshot(), 0, name, `${name} was still running when the run's instruction limit ran out`);
        }
        throw new HandlerError(`${name} did not return within ${limit} instructions (now at pc ${hex32(cpu.pc)})`, name, savedFault.snapshot());
      }
      if (stop === Stop.Exited) return FaultStatus.Fixed;
      status = x[A0]!;
      if (status !== FaultStatus.Continue && status !== FaultStatus.Fixed && status !== FaultStatus.Fail) {
        throw new HandlerError(`${name} returned ${status}, not a status (FAULT_CONTINUE 0, FAULT_FIXED 1, FAULT_FAIL 2)`, name, savedFault.snapshot());
      }
      if (status === FaultStatus.Fixed) this.readContext(ctx, name);
    } finally {
      m.chargeHandlerInstructions(ran >= 0 ? ran : cpu.instret - saved.instret);
      if (status! !== FaultStatus.Fixed) saved.load(cpu);
      fault.copyFrom(savedFault);
      this.running = null;
    }
    return status as FaultStatus;
  }

  /**
   * Makes every page of the frame at `ctx` writable for the guest, asking
   * the host handlers for those that are not (as a store by the faulting
   * instruction would). RunEnding when one stays inaccessible.
   */
  private faultInFrame(ctx: number, name: string, sp: number): void {
    const m = this.machine, as = m.addressSpace, fault = m.cpu.fault;
    const first = ctx >>> PAGE_SHIFT, last = (ctx + FRAME_SIZE - 1) >>> PAGE_SHIFT;
    for (let page = first; page <= last;) {
      const at = page === first ? ctx : page << PAGE_SHIFT;
      if (as.writeTlb[page]! > 0 || as.translate(at, Access.Write) >= 0) { page++; continue; }
      fault.pc = this.savedFault.pc;
      fault.size = 4;
      if (this.serve(name) !== FaultStatus.Fixed) {
        throw new RunEnding('fault', fault.snapshot(), signalForCause(fault.cause), name,
          `${name}: cannot build its frame at ${hex32(at)} on the faulting thread's stack (sp ${hex32(sp)}): ${fault.describe()}`);
      }
      this.saved.load(this.machine.cpu); // a host handler's Fixed may not move the thread
    }
  }

  /**
   * Runs the guest handler from pc for at most `budget` instructions: until
   * its `fault_return` ecall (left unretired), an exit, or the budget.
   */
  private runNested(budget: number, name: string): Stop {
    const m = this.machine, cpu = m.cpu, x = cpu.x;
    const stopAt = cpu.instret + budget;
    for (;;) {
      if (m.exitCode !== null || m.currentThread.exited) return Stop.Exited;
      const left = stopAt - cpu.instret;
      if (left <= 0) return Stop.Limit;
      const why = cpu.run(left < 0x4000_0000 ? left : 0x4000_0000);
      if (why === StopReason.Budget) continue;
      if (why === StopReason.Breakpoint) {
        // A debugger's breakpoints do not stop guest fault handlers: go on past it.
        cpu.breakpointResume = cpu.instret;
        continue;
      }
      if (why === StopReason.Fault) {
        this.handlerFault(name);
        continue;
      }
      if (x[A7] === Syscall.FaultReturn) return Stop.Returned;
      this.syscall(name);
    }
  }

  /**
   * A fault of the guest handler's own code: the host handlers, then the
   * exception table; unresolved, the run ends (RunEnding).
   */
  private handlerFault(name: string): void {
    const m = this.machine, fault = m.cpu.fault;
    const status = this.serve(name);
    if (status === FaultStatus.Fixed) return;
    const table = m.exceptionTable;
    if (status === FaultStatus.Continue && table !== null) {
      const k = table.lookup(fault.pc);
      if (k >= 0) {
        table.apply(k, this.context);
        m.events.emit('fixed', fault, 'exception table');
        return;
      }
    }
    const by = status === FaultStatus.Fail ? ` (failed by handler '${m.chain.decidedBy!.name}')` : '';
    throw new RunEnding('fault', fault.snapshot(), signalForCause(fault.cause), name,
      `${name} faulted while handling a fault: ${fault.describe()}${by}; it was handling ${this.savedFault.describe()}`);
  }

  /**
   * Walks the chain for the hart's fault record on behalf of the running
   * guest handler (guest handlers answer Continue). Fixed is checked for
   * livelock and reported. A promise is a HandlerError.
   */
  private serve(name: string): number {
    const m = this.machine, cpu = m.cpu, fault = cpu.fault;
    m.events.emit('fault', fault);
    const status = m.chain.walk(fault, this.context);
    if (status instanceof PendingWalk) {
      status.promise.then(noop, noop);
      status.abandon();
      const by = status.entry.name;
      throw new HandlerError(
        `fault handler '${by}' returned a promise for an access of ${name} (${fault.describe()}); a guest handler's own accesses are served synchronously`,
        by,
        fault.snapshot(),
      );
    }
    if (status === FaultStatus.Fixed) {
      const by = m.chain.decidedBy!.name;
      this.livelock.fixed(fault, by, cpu.pc, cpu.instret);
      cpu.x[0] = 0;
      m.events.emit('fixed', fault, by);
    } else if (status === FaultStatus.Fail) {
      m.events.emit('unresolved', fault, m.chain.decidedBy!.name);
    }
    return status;
  }

  /**
   * A Linux system call of the guest handler: its buffer is faulted in
   * through the host handlers (the accessible prefix), then the machine
   * performs it.
   */
  /** The faulting thread's system-call ranges, kept while the handler makes calls of its own. */
  private readonly outerRanges = new SyscallRanges();

  private syscall(name: string): void {
    const m = this.machine, cpu = m.cpu, as = m.addressSpace, t = m.currentThread, r = t.syscall;
    // The thread may be inside a system call whose memory this handler serves: keep its ranges.
    const outer = this.outerRanges;
    outer.copyFrom(r);
    describeSyscall(cpu.x[A7]!, cpu.x, r, t.clearChildTid, m.handles);
    const pc = cpu.pc;
    for (let k = 0; k < r.count || expandSyscall(cpu.x[A7]!, cpu.x, r, as, m.handles); k++) {
      while (r.stepToFault(k, as)) {
        cpu.fault.pc = pc;
        cpu.fault.size = 1;
        const status = this.serve(name);
        cpu.pc = pc; // the handler stays at its ecall
        if (status !== FaultStatus.Fixed) {
          r.truncate(k);
          break;
        }
      }
    }
    m.completeNestedSyscall();
    r.copyFrom(outer);
  }

  /** Writes `struct user_context` at `ctx` and `struct fault_info` after it, at `ctx + 144`. */
  private writeFrame(ctx: number): void {
    const saved = this.saved, fault = this.savedFault, view = this.frame;
    for (let k = 0; k < 32; k++) view.setInt32(UserContextLayout.regs + 4 * k, k === 0 ? 0 : saved.regs[k]!, true);
    view.setInt32(UserContextLayout.pc, saved.pc, true);
    this.frameBytes.fill(0, UserContextLayout.size, CONTEXT_STRIDE);
    const at = CONTEXT_STRIDE;
    view.setUint32(at + FaultInfoLayout.cause, fault.cause >>> 0, true);
    view.setUint32(at + FaultInfoLayout.address, fault.address >>> 0, true);
    view.setUint32(at + FaultInfoLayout.access, fault.access >>> 0, true);
    view.setUint32(at + FaultInfoLayout.flags, fault.protection ? FaultInfoFlags.Protection : 0, true);
    this.machine.addressSpace.writeBytes(ctx, this.frameBytes);
  }

  /**
   * Puts the thread back with the `struct user_context` at `ctx` applied
   * (registers 1..31 and pc; instret and reservation as at the fault).
   * HandlerError when the handler unmapped it.
   */
  private readContext(ctx: number, name: string): void {
    const m = this.machine, as = m.addressSpace, saved = this.saved, view = this.frame;
    try {
      for (let k = 1; k < 32; k++) view.setUint32(4 * k, as.readU32(ctx + UserContextLayout.regs + 4 * k), true);
      view.setUint32(UserContextLayout.pc, as.readU32(ctx + UserContextLayout.pc), true);
    } catch (err) {
      saved.load(m.cpu);
      throw new HandlerError(`${name}: its user_context at ${hex32(ctx)} is gone: ${err instanceof Error ? err.message : String(err)}`, name, this.savedFault.snapshot(), err);
    }
    for (let k = 1; k < 32; k++) saved.regs[k] = view.getInt32(4 * k, true);
    saved.pc = view.getInt32(UserContextLayout.pc, true);
    saved.load(m.cpu);
  }
}
