import { EventEmitter } from 'eventemitter3';
import { Cpu, StopReason, type CpuOptions } from '../cpu/cpu.js';
import { UsageError } from '../errors.js';
import { Access } from '../fault/cause.js';
import { describeValue } from '../fault/describe-value.js';
import { ExceptionTable } from '../fault/exception-table.js';
import { FaultChain, PendingWalk, type FaultHandler, type RegisterOptions, type Unregister } from '../fault/fault-chain.js';
import { HandlerError } from '../fault/handler-error.js';
import { RunEnding } from '../fault/run-ending.js';
import { FaultStatus } from '../fault/status.js';
import { UserContext } from '../fault/user-context.js';
import { AddressSpace } from '../memory/address-space.js';
import { PhysicalMemory } from '../memory/physical-memory.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../memory/page.js';
import { validateLoadArguments, validateMachineOptions, validateRunOptions } from './validate.js';
import { loadProgram, type LoadOptions } from '../loader/load-program.js';
import type { Program } from '../loader/program.js';
import { performSyscall, syscallRange } from '../syscalls/linux.js';
import { LinuxMemory } from '../syscalls/linux-memory.js';
import { Syscall } from '../syscalls/numbers.js';
import type { MachineEvents } from './events.js';
import { GuestHandlerRegistry } from './guest-handlers.js';
import { LivelockTracker } from './livelock.js';
import type { OutputSink } from './output.js';
import type { Plugin, Uninstall } from './plugin.js';
import { signalForCause, type RunResult } from './run-result.js';

/**
 * Options of a {@link Machine}.
 *
 * @example
 * ```ts
 * const machine = new Machine({
 *   memoryQuota: 64 << 20,                      // 64 MiB of guest memory
 *   stdout: (bytes) => process.stdout.write(bytes),
 *   livelockLimit: 100,
 * });
 * ```
 */
export interface MachineOptions {
  /** Bytes of guest backing memory the machine may use (default 1 GiB). */
  readonly memoryQuota?: number;
  /**
   * Bytes of host memory to set aside for guest frames up front (default
   * 1 MiB). The buffer doubles when it runs out, copying what it holds; a
   * machine that will hold much memory (a restore, a large guest) starts
   * faster with the size it needs.
   */
  readonly memoryInitialSize?: number;
  /** Where the guest's fd 1 goes (default: discarded). */
  readonly stdout?: OutputSink;
  /** Where the guest's fd 2 goes (default: discarded). */
  readonly stderr?: OutputSink;
  /**
   * How many times in a row a handler may answer `Fixed` while the same
   * instruction faults again at the same address with nothing retired in
   * between, before the run stops with a {@link LivelockError} (default 1000).
   */
  readonly livelockLimit?: number;
  /** Compile hot basic blocks to JavaScript (default true); see {@link CpuOptions.jit}. */
  readonly jit?: boolean;
  /** Executions of a block start before it is compiled; see {@link CpuOptions.jitThreshold}. */
  readonly jitThreshold?: number;
}

/**
 * Options of {@link Machine.run} and {@link Machine.runAsync}.
 *
 * @example
 * ```ts
 * // Run in slices of a million instructions, e.g. to checkpoint between them.
 * let result = machine.run({ maxInstructions: 1_000_000 });
 * while (result.kind === 'limit') result = machine.run({ maxInstructions: 1_000_000 });
 * ```
 */
export interface RunOptions {
  /**
   * Stop with `{ kind: 'limit' }` after this many more instructions
   * (default: no limit). A non-negative integer, or `Infinity`. Instructions
   * guest fault handlers execute count too (they are not retired by the
   * thread), so a spinning guest handler is bounded by it.
   */
  readonly maxInstructions?: number;
  /**
   * {@link Machine.runAsync} only: how long to wait for one handler's
   * promise, in milliseconds (default: no bound). When it runs out the run
   * stops with a HandlerError naming the handler and the fault; the thread
   * stays at the faulting instruction and a later settlement is ignored.
   */
  readonly timeoutMs?: number;
}

/**
 * Options of {@link Machine.load}.
 *
 * @example
 * ```ts
 * machine.load(program, { argv: ['prog', '--verbose'], envp: ['HOME=/'], exceptionTable: false });
 * ```
 */
export interface MachineLoadOptions extends LoadOptions {
  /** Install the program's exception table as the last-resort fixup (default true). */
  readonly exceptionTable?: boolean;
}

const DEFAULT_QUOTA = 1 << 30;
const DEFAULT_LIVELOCK_LIMIT = 1000;
const discard: OutputSink = () => {};
const noop = (): void => {};
const DISPOSE: typeof Symbol.dispose = (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('Symbol.dispose') as typeof Symbol.dispose);

/** a0 and a7 as register numbers. */
const A0 = 10, A7 = 17;

/** Internal outcome of {@link Machine.advance}: a result is ready (else a {@link PendingWalk} must be awaited). */
const DONE = 0;

/**
 * An emulated RV32IMA user-mode machine: a CPU, an address space with its
 * MMU, the Linux system calls of docs/design.md §2, and the fault-handler
 * chain every synchronous exception goes through (docs/design.md §3).
 *
 * Misuse has defined outcomes (docs/fault-model.md): wrong argument types
 * throw UsageError naming the parameter; `run()` from inside a handler
 * throws UsageError; `run()` after the guest exited answers the same exit
 * again; a plugin object installed twice throws UsageError.
 *
 * @example
 * ```ts
 * const out = new CollectedOutput();
 * const machine = new Machine({ stdout: out.sink });
 * machine.load(assemble('li a0, 7\n li a7, 93\n ecall\n'));
 * machine.registerFaultHandler((fault) => FaultStatus.Continue);
 * const result = machine.run();   // { kind: 'exit', exitCode: 7 }
 * ```
 */
export class Machine {
  /** Backing store of all guest memory, bounded by the quota. */
  readonly memory: PhysicalMemory;
  /** The guest's address space: region maps, protections, TLBs. */
  readonly addressSpace: AddressSpace;
  /** The Linux memory calls (`mmap`, `munmap`, `mprotect`, `brk`) of the address space; the guest's system calls use it. */
  readonly linuxMemory: LinuxMemory;
  /** The hart. */
  readonly cpu: Cpu;
  /** The faulting thread's context as handlers see it (live view of the hart). */
  readonly context: UserContext;
  /** Sink of guest fd 1. */
  readonly stdout: OutputSink;
  /** Sink of guest fd 2. */
  readonly stderr: OutputSink;
  /** Faults, fixes, system calls and exits, for tools that watch. */
  readonly events = new EventEmitter<MachineEvents>();
  /** The fault-handler chain. */
  readonly chain = new FaultChain();
  /** Guest functions registered as fault handlers with `register_fault_handler` (0x1000). */
  readonly guestHandlers: GuestHandlerRegistry;
  /** The last-resort exception table (installed by {@link Machine.load}), or null. */
  exceptionTable: ExceptionTable | null = null;
  /** The loaded program, if any. */
  program: Program | null = null;
  /** Exit status once the guest has exited, else null. */
  exitCode: number | null = null;

  private readonly args = new Int32Array(6);
  /** Livelock detection of the (one, for now) thread. */
  private readonly livelock: LivelockTracker;
  /** The livelock bound, for the guest-handler run's own tracker. @internal */
  readonly livelockLimit: number;
  /** Plugin objects installed now (a second install is refused). */
  private readonly plugins = new Set<Plugin>();
  // A system call whose guest memory is being faulted in (docs/design.md §3).
  private syscallActive = false;
  private rangeAddress = 0;
  private rangeLength = 0;
  private rangeAccess = 0;
  private rangeDone = 0;
  /** The faulting thread's suspended walk (threads will hold one each), or null. */
  private suspended: PendingWalk | null = null;
  private result: RunResult | null = null;
  private isRunning = false;
  /** instret at which the current run stops. */
  private stopAt = 0;
  /** Instructions guest fault handlers executed during the current run (charged to its limit). */
  private handlerInstructions = 0;

  /**
   * Creates a machine with an empty address space and no program; call
   * {@link Machine.load} next. Throws UsageError for a bad option (quota,
   * sinks that are not functions, livelock limit, JIT threshold), naming
   * the option and the value.
   *
   * @param options - quota, output sinks, livelock bound and JIT settings
   */
  constructor(options: MachineOptions = {}) {
    validateMachineOptions(options);
    this.memory = new PhysicalMemory({ quota: options.memoryQuota ?? DEFAULT_QUOTA, ...(options.memoryInitialSize === undefined ? {} : { initialSize: options.memoryInitialSize }) });
    this.addressSpace = new AddressSpace({ memory: this.memory });
    this.linuxMemory = new LinuxMemory(this.addressSpace);
    this.cpu = new Cpu(this.addressSpace, { jit: options.jit ?? true, jitThreshold: options.jitThreshold });
    this.context = new UserContext(this.cpu);
    this.stdout = options.stdout ?? discard;
    this.stderr = options.stderr ?? discard;
    this.livelockLimit = options.livelockLimit ?? DEFAULT_LIVELOCK_LIMIT;
    this.livelock = new LivelockTracker(this.livelockLimit);
    this.guestHandlers = new GuestHandlerRegistry(this);
  }

  /**
   * Maps `program` and sets up registers and the stack as Linux's `execve`
   * does; installs its exception table unless `exceptionTable: false`.
   * Throws UsageError if a program is already loaded or an argument has the
   * wrong type, FormatError if its segments collide, QuotaExceededError when
   * it does not fit.
   *
   * @param program - from {@link parseElf} or {@link assemble}
   * @param options - argv, envp, stack size, whether to install the exception table
   */
  load(program: Program, options: MachineLoadOptions = {}): void {
    validateLoadArguments(program, options);
    if (this.program !== null) throw new UsageError(`Machine.load: a program is already loaded (${this.program.name})`);
    const table = options.exceptionTable === false || program.extable.length === 0 ? null : new ExceptionTable(program.extable);
    const image = loadProgram(this.linuxMemory, program, options);
    this.program = program;
    this.exceptionTable = table;
    this.cpu.x.fill(0);
    this.cpu.x[2] = image.sp;
    this.cpu.pc = image.entry;
  }

  /**
   * Adds `handler` to the fault chain: at the head (asked first) by
   * default, at the tail with `{ tail: true }`. Returns a function (also
   * `Disposable`) that unregisters it. Throws UsageError if it is already
   * registered. A change during a dispatch takes effect from the next fault.
   *
   * @param handler - the function the chain calls with each fault
   * @param options - `tail` to add at the tail, `name` for reports
   */
  registerFaultHandler(handler: FaultHandler, options: RegisterOptions = {}): Unregister {
    return this.chain.register(handler, options);
  }

  /**
   * Removes `handler` from the chain; returns whether it was there. During
   * a dispatch the walk under way still asks it (copy-on-write).
   *
   * @param handler - a function given to {@link Machine.registerFaultHandler}
   */
  unregisterFaultHandler(handler: FaultHandler): boolean {
    return this.chain.unregister(handler);
  }

  /**
   * Installs `plugin`; returns the function (also `Disposable`) that
   * uninstalls it, which answers false when called again. Throws
   * UsageError for something that is not a plugin, and for a plugin object
   * that is installed already (uninstall it first).
   *
   * @param plugin - the product of a plugin factory, e.g. `demandPaging({...})`
   */
  use(plugin: Plugin): Uninstall {
    if (plugin === null || typeof plugin !== 'object' || typeof plugin.install !== 'function') {
      throw new UsageError(`Machine.use: expected a plugin with an install(machine) method, got ${describeValue(plugin)}`);
    }
    const name = typeof plugin.name === 'string' ? plugin.name : 'unnamed plugin';
    if (this.plugins.has(plugin)) throw new UsageError(`Machine.use: plugin '${name}' is already installed on this machine`);
    const undo = plugin.install(this);
    if (typeof undo !== 'function') throw new UsageError(`Machine.use: plugin '${name}' install() must return an uninstall function`);
    this.plugins.add(plugin);
    let installed = true;
    const off = (() => {
      if (!installed) return false;
      installed = false;
      this.plugins.delete(plugin);
      undo();
      return true;
    }) as Uninstall;
    off[DISPOSE] = () => { off(); };
    return off;
  }

  /**
   * Runs the guest until it exits, a fault stays unresolved, or
   * `maxInstructions` more have run; may be called again after a `limit`.
   * After the guest exited it answers the same exit again at once. Throws
   * HandlerError when a handler throws, answers nonsense, livelocks, or
   * returns a promise (use {@link Machine.runAsync} for those); UsageError
   * for bad options or when called while running (from a handler). The
   * machine stays inspectable after any of these: the thread is at the
   * faulting instruction, as it was at the fault.
   *
   * @param options - an instruction limit for this call
   */
  run(options: RunOptions = {}): RunResult {
    this.beginRun(options, 'run');
    try {
      const walk = this.advance();
      if (walk === DONE) return this.takeResult();
      walk.promise.then(noop, noop);
      walk.abandon();
      const name = walk.entry.name;
      throw new HandlerError(
        `fault handler '${name}' returned a promise under run(); use runAsync() for asynchronous handlers`,
        name,
        this.cpu.fault.snapshot(),
      );
    } catch (err) {
      if (err instanceof RunEnding) return this.endWith(err);
      throw err;
    } finally {
      this.endRun();
    }
  }

  /**
   * Like {@link Machine.run}, but awaits handlers that return promises:
   * the faulting thread waits while the promise is pending (at most
   * `timeoutMs` when given). Throws HandlerError as {@link Machine.run}
   * does, also when a promise rejects or the wait times out.
   *
   * @param options - an instruction limit and a handler timeout for this call
   */
  async runAsync(options: RunOptions = {}): Promise<RunResult> {
    this.beginRun(options, 'runAsync');
    try {
      let walk = this.advance();
      while (walk !== DONE) {
        let status: number | PendingWalk = walk;
        while (status instanceof PendingWalk) {
          this.suspended = status;
          const value = await this.settle(status, options.timeoutMs);
          status = status.resume(value);
        }
        this.suspended = null;
        if (this.syscallActive) this.syscallFaultOutcome(status);
        else if (this.guestFaultOutcome(status)) return this.takeResult();
        walk = this.advance();
      }
      return this.takeResult();
    } catch (err) {
      if (err instanceof RunEnding) return this.endWith(err);
      throw err;
    } finally {
      this.endRun();
    }
  }

  /**
   * What `walk`'s promise resolves to; throws what the run ends with when
   * it rejects or `timeoutMs` passes first (the walk is then abandoned).
   */
  private async settle(walk: PendingWalk, timeoutMs: number | undefined): Promise<unknown> {
    if (timeoutMs === undefined || timeoutMs === Infinity) {
      try {
        return await walk.promise;
      } catch (err) {
        throw walk.reject(err);
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = {};
    const timeout = new Promise<unknown>((resolve) => { timer = setTimeout(() => resolve(expired), timeoutMs); });
    try {
      const value = await Promise.race([walk.promise, timeout]);
      if (value !== expired) return value;
    } catch (err) {
      throw walk.reject(err);
    } finally {
      clearTimeout(timer);
    }
    walk.promise.then(noop, noop);
    walk.abandon();
    const name = walk.entry.name;
    const fault = this.cpu.fault.snapshot();
    throw new HandlerError(`fault handler '${name}' did not settle its promise within ${timeoutMs} ms (timeoutMs) for ${fault.describe()}`, name, fault);
  }

  private beginRun(options: RunOptions, fn: string): void {
    validateRunOptions(options, fn);
    if (this.isRunning) throw new UsageError(`Machine.${fn}: the machine is already running (a handler may not call run())`);
    if (this.program === null && this.cpu.pc === 0) throw new UsageError(`Machine.${fn}: no program loaded`);
    this.isRunning = true;
    this.result = null;
    this.suspended = null;
    this.handlerInstructions = 0;
    this.stopAt = this.cpu.instret + (options.maxInstructions ?? Infinity);
  }

  private endRun(): void {
    this.isRunning = false;
    const walk = this.suspended;
    this.suspended = null;
    if (walk !== null && !walk.settled) walk.abandon();
  }

  /** The result a {@link RunEnding} stands for; emits `unresolved` for a fault. */
  private endWith(ending: RunEnding): RunResult {
    this.result = null;
    if (ending.kind === 'limit') return { kind: 'limit' };
    this.events.emit('unresolved', ending.fault, ending.handler);
    return { kind: 'fault', fault: ending.fault, signal: ending.signal, message: ending.message, handler: ending.handler };
  }

  /** True while {@link Machine.run} or {@link Machine.runAsync} is under way (e.g. seen from a handler). */
  get running(): boolean {
    return this.isRunning;
  }

  /**
   * Instructions the current run may still execute (its limit minus what
   * the thread retired and guest handlers executed). @internal
   */
  instructionsLeft(): number {
    return this.stopAt - this.cpu.instret - this.handlerInstructions;
  }

  /** Charges `count` instructions a guest handler executed to the current run. @internal */
  chargeHandlerInstructions(count: number): void {
    this.handlerInstructions += count;
  }

  private takeResult(): RunResult {
    const r = this.result!;
    this.result = null;
    return r;
  }

  /**
   * Runs until a result is ready (DONE, in `this.result`) or a handler's
   * promise must be awaited (the suspended walk is returned).
   */
  private advance(): typeof DONE | PendingWalk {
    const cpu = this.cpu;
    for (;;) {
      if (this.exitCode !== null) {
        this.result = { kind: 'exit', exitCode: this.exitCode };
        return DONE;
      }
      if (this.syscallActive) {
        const walk = this.continueSyscall();
        if (walk !== DONE) return walk;
        continue;
      }
      const left = this.stopAt - cpu.instret - this.handlerInstructions;
      if (left <= 0) {
        this.result = { kind: 'limit' };
        return DONE;
      }
      const why = cpu.run(left < 0x4000_0000 ? left : 0x4000_0000);
      if (why === StopReason.Budget) continue;
      if (why === StopReason.Ecall) {
        this.beginSyscall();
        continue;
      }
      this.events.emit('fault', cpu.fault);
      const status = this.chain.walk(cpu.fault, this.context);
      if (typeof status !== 'number') return status;
      if (this.guestFaultOutcome(status)) return DONE;
    }
  }

  /**
   * Acts on the chain's answer to a fault of the guest. Returns true when
   * the run ends (unresolved: `this.result` is set).
   */
  private guestFaultOutcome(status: number): boolean {
    const cpu = this.cpu;
    const fault = cpu.fault;
    if (status === FaultStatus.Fixed) {
      const by = this.chain.decidedBy!.name;
      this.livelock.fixed(fault, by, cpu.pc, cpu.instret);
      cpu.x[0] = 0;
      this.events.emit('fixed', fault, by);
      return false;
    }
    if (status === FaultStatus.Continue && this.exceptionTable !== null) {
      const k = this.exceptionTable.lookup(fault.pc);
      if (k >= 0) {
        this.exceptionTable.apply(k, this.context);
        this.events.emit('fixed', fault, 'exception table');
        return false;
      }
    }
    const by = status === FaultStatus.Fail ? this.chain.decidedBy!.name : null;
    this.events.emit('unresolved', fault, by);
    const snapshot = fault.snapshot();
    const message = by === null ? snapshot.describe() : `${snapshot.describe()} (failed by handler '${by}')`;
    this.result = { kind: 'fault', fault: snapshot, signal: signalForCause(snapshot.cause), message, handler: by };
    return true;
  }

  /** Starts the system call at pc: notes the guest memory it will touch. */
  private beginSyscall(): void {
    const x = this.cpu.x;
    const range = syscallRange(x[A7]!, x[A0]!, x[A0 + 1]!, x[A0 + 2]!);
    this.syscallActive = true;
    this.rangeDone = 0;
    this.rangeAddress = range === null ? 0 : range.address;
    this.rangeLength = range === null ? 0 : range.length;
    this.rangeAccess = range === null ? 0 : range.access;
  }

  /**
   * Faults the call's guest range in through the chain, page by page,
   * then performs the call. Returns the suspended walk when a handler's
   * promise must be awaited.
   */
  private continueSyscall(): typeof DONE | PendingWalk {
    const as = this.addressSpace;
    while (this.rangeDone < this.rangeLength) {
      const at = (this.rangeAddress + this.rangeDone) >>> 0;
      const table = this.rangeAccess === Access.Write ? as.writeTlb : as.readTlb;
      if (table[at >>> PAGE_SHIFT]! >= 0 || as.translate(at, this.rangeAccess) >= 0) {
        this.rangeDone += PAGE_SIZE - (at & PAGE_MASK);
        continue;
      }
      // Translation filled the fault record (cpu.fault); add where and how big.
      const fault = this.cpu.fault;
      fault.pc = this.cpu.pc;
      fault.size = 1;
      this.events.emit('fault', fault);
      const status = this.chain.walk(fault, this.context);
      if (typeof status !== 'number') return status;
      this.syscallFaultOutcome(status);
    }
    this.completeSyscall(Math.min(this.rangeDone, this.rangeLength));
    return DONE;
  }

  /** A fault inside a system call: Fixed retries the page; anything else ends the accessible prefix (-EFAULT). */
  private syscallFaultOutcome(status: number): void {
    const fault = this.cpu.fault;
    if (status === FaultStatus.Fixed) {
      const by = this.chain.decidedBy!.name;
      const pc = this.cpu.pc;
      this.livelock.fixed(fault, by, pc, this.cpu.instret);
      this.cpu.pc = fault.pc; // the thread stays at its ecall
      this.events.emit('fixed', fault, by);
      return;
    }
    this.events.emit('unresolved', fault, status === FaultStatus.Fail ? this.chain.decidedBy!.name : null);
    // Stop the prefix here: the call sees only the bytes before this page.
    this.rangeLength = Math.min(this.rangeLength, this.rangeDone);
  }

  /**
   * Performs the system call at pc with `accessible` bytes of its guest
   * range resolved, retires the ecall and writes a0 (or records the exit).
   * Used by the run loop and by the guest-handler run. @internal
   */
  completeSyscall(accessible: number): void {
    const cpu = this.cpu, x = cpu.x, args = this.args;
    this.syscallActive = false;
    const nr = x[A7]!;
    for (let k = 0; k < 6; k++) args[k] = x[A0 + k]!;
    const outcome = nr >= Syscall.RegisterFaultHandler && nr <= Syscall.FaultReturn
      ? this.guestHandlers.syscall(nr, args)
      : performSyscall(this, nr, args, accessible);
    cpu.pc = (cpu.pc + 4) | 0;
    cpu.instret++;
    if (outcome.exit) {
      this.exitCode = outcome.status;
      this.events.emit('syscall', nr, outcome.status);
      this.events.emit('exit', outcome.status);
      return;
    }
    x[A0] = outcome.value;
    this.events.emit('syscall', nr, outcome.value);
  }
}
