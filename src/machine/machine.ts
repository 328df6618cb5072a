import { EventEmitter } from 'eventemitter3';
import { Cpu, StopReason, type CpuOptions } from '../cpu/cpu.js';
import { UsageError, hex32 } from '../errors.js';
import { Access, Cause } from '../fault/cause.js';
import { ExceptionTable } from '../fault/exception-table.js';
import { DISPOSE, FaultChain, PENDING, type FaultHandler, type RegisterOptions, type Unregister } from '../fault/fault-chain.js';
import { HandlerError, LivelockError } from '../fault/handler-error.js';
import { FaultStatus } from '../fault/status.js';
import { UserContext } from '../fault/user-context.js';
import { AddressSpace } from '../memory/address-space.js';
import { DEFAULT_QUOTA, PhysicalMemory } from '../memory/physical-memory.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../memory/page.js';
import { loadProgram, type LoadOptions } from '../loader/load-program.js';
import type { Program } from '../loader/program.js';
import { performSyscall, syscallRange } from '../syscalls/linux.js';
import { LinuxMemory } from '../syscalls/linux-memory.js';
import { Syscall } from '../syscalls/numbers.js';
import type { MachineEvents } from './events.js';
import { GuestHandlerRegistry, NestedStop, accessibleNow } from './guest-handlers.js';
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
  /** Stop with `{ kind: 'limit' }` after this many more instructions (default: no limit). */
  readonly maxInstructions?: number;
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

const DEFAULT_LIVELOCK_LIMIT = 1000;
const discard: OutputSink = () => {};

/** a0 and a7 as register numbers. */
const A0 = 10, A7 = 17;

/** Internal outcome of {@link Machine.advance}: a result is ready, or a handler's promise must be awaited. */
const DONE = 0;

/**
 * An emulated RV32IMA user-mode machine: a CPU, an address space with its
 * MMU, the Linux system calls of DESIGN §2, and the fault-handler chain
 * every synchronous exception goes through (DESIGN §3).
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

  private readonly livelockLimit: number;
  private readonly args = new Int32Array(6);
  // Livelock tracking: the last fix that left pc at the faulting instruction.
  private lastFixPc = 0;
  private lastFixAddress = 0;
  private lastFixCause = -1;
  private lastFixInstret = -1;
  private fixRepeats = 0;
  // A system call whose guest memory is being faulted in (DESIGN §3).
  private syscallActive = false;
  private rangeAddress = 0;
  private rangeLength = 0;
  private rangeAccess = 0;
  private rangeDone = 0;
  // What advance() stopped for, and the result once DONE.
  private pendingIsSyscall = false;
  private result: RunResult | null = null;
  private isRunning = false;

  /**
   * Creates a machine with an empty address space and no program; call
   * {@link Machine.load} next. Throws UsageError for a bad option (quota,
   * livelock limit, JIT threshold), naming the value.
   *
   * @param options - quota, output sinks, livelock bound and JIT settings
   */
  constructor(options: MachineOptions = {}) {
    this.memory = new PhysicalMemory({ quota: options.memoryQuota ?? DEFAULT_QUOTA, ...(options.memoryInitialSize === undefined ? {} : { initialSize: options.memoryInitialSize }) });
    this.addressSpace = new AddressSpace({ memory: this.memory });
    this.linuxMemory = new LinuxMemory(this.addressSpace);
    this.cpu = new Cpu(this.addressSpace, { jit: options.jit ?? true, jitThreshold: options.jitThreshold });
    this.context = new UserContext(this.cpu);
    this.stdout = options.stdout ?? discard;
    this.stderr = options.stderr ?? discard;
    const limit = options.livelockLimit ?? DEFAULT_LIVELOCK_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`Machine: livelockLimit must be a positive integer, got ${limit}`);
    this.livelockLimit = limit;
    this.guestHandlers = new GuestHandlerRegistry(this, (budget) => this.runNested(budget));
  }

  /**
   * Maps `program` and sets up registers and the stack as Linux's `execve`
   * does; installs its exception table unless `exceptionTable: false`.
   * Throws UsageError if a program is already loaded, FormatError if its
   * segments collide, QuotaExceededError when it does not fit.
   *
   * @param program - from {@link parseElf} or {@link assemble}
   * @param options - argv, envp, stack size, whether to install the exception table
   */
  load(program: Program, options: MachineLoadOptions = {}): void {
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
   * Removes `handler` from the chain; returns whether it was there.
   *
   * @param handler - a function given to {@link Machine.registerFaultHandler}
   */
  unregisterFaultHandler(handler: FaultHandler): boolean {
    return this.chain.unregister(handler);
  }

  /**
   * Installs `plugin`; returns the function (also `Disposable`) that
   * uninstalls it, which answers false when called again. Throws
   * UsageError for something that is not a plugin.
   *
   * @param plugin - the product of a plugin factory, e.g. `demandPaging({...})`
   */
  use(plugin: Plugin): Uninstall {
    if (plugin === null || typeof plugin !== 'object' || typeof plugin.install !== 'function') {
      throw new UsageError(`Machine.use: expected a plugin with an install(machine) method, got ${String(plugin)}`);
    }
    const undo = plugin.install(this);
    if (typeof undo !== 'function') throw new UsageError(`Machine.use: plugin '${plugin.name}' install() must return an uninstall function`);
    let installed = true;
    const off = (() => {
      if (!installed) return false;
      installed = false;
      undo();
      return true;
    }) as Uninstall;
    off[DISPOSE] = () => { off(); };
    return off;
  }

  /**
   * Runs the guest until it exits, a fault stays unresolved, or
   * `maxInstructions` more have retired; may be called again after a
   * `limit`. Throws HandlerError when a handler throws, answers nonsense,
   * livelocks, or returns a promise (use {@link Machine.runAsync} for those).
   *
   * @param options - an instruction limit for this call
   */
  run(options: RunOptions = {}): RunResult {
    const stopAt = this.beginRun(options);
    try {
      for (;;) {
        if (this.advance(stopAt) === DONE) return this.takeResult();
        const entry = this.chain.pendingList[this.chain.pendingIndex];
        const name = entry?.name ?? 'anonymous handler';
        this.chain.pending = null;
        throw new HandlerError(
          `fault handler '${name}' returned a promise under run(); use runAsync() for asynchronous handlers`,
          name,
          this.cpu.fault.snapshot(),
        );
      }
    } finally {
      this.isRunning = false;
    }
  }

  /**
   * Like {@link Machine.run}, but awaits handlers that return promises:
   * the faulting thread waits while the promise is pending. Throws
   * HandlerError as {@link Machine.run} does, also when a promise rejects.
   *
   * @param options - an instruction limit for this call
   */
  async runAsync(options: RunOptions = {}): Promise<RunResult> {
    const stopAt = this.beginRun(options);
    try {
      while (this.advance(stopAt) !== DONE) {
        let value: unknown;
        const entry = this.chain.pendingList[this.chain.pendingIndex]!;
        try {
          value = await this.chain.pending!;
        } catch (err) {
          this.chain.pending = null;
          throw new HandlerError(`fault handler '${entry.name}' rejected: ${err instanceof Error ? err.message : String(err)}`, entry.name, this.cpu.fault.snapshot(), err);
        }
        const status = this.chain.resume(value, this.cpu.fault, this.context);
        if (status === PENDING) continue;
        if (this.pendingIsSyscall) this.syscallFaultOutcome(status);
        else if (this.guestFaultOutcome(status)) return this.takeResult();
      }
      return this.takeResult();
    } finally {
      this.isRunning = false;
    }
  }

  private beginRun(options: RunOptions): number {
    if (this.isRunning) throw new UsageError('Machine.run: the machine is already running (a handler may not call run())');
    if (this.program === null && this.cpu.pc === 0) throw new UsageError('Machine.run: no program loaded');
    this.isRunning = true;
    this.result = null;
    if (this.chain.pending !== null) {
      this.chain.pending = null;
    }
    return this.cpu.instret + (options.maxInstructions ?? Infinity);
  }

  /** True while {@link Machine.run} or {@link Machine.runAsync} is under way (e.g. seen from a handler). */
  get running(): boolean {
    return this.isRunning;
  }

  private takeResult(): RunResult {
    const r = this.result!;
    this.result = null;
    return r;
  }

  /**
   * Runs until a result is ready (DONE, in `this.result`) or a handler's
   * promise must be awaited (PENDING, `chain.pending`).
   */
  private advance(stopAt: number): number {
    const cpu = this.cpu;
    for (;;) {
      if (this.exitCode !== null) {
        this.result = { kind: 'exit', exitCode: this.exitCode };
        return DONE;
      }
      if (this.syscallActive) {
        if (this.continueSyscall() === PENDING) return PENDING;
        continue;
      }
      const left = stopAt - cpu.instret;
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
      if (status === PENDING) {
        this.pendingIsSyscall = false;
        return PENDING;
      }
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
      this.checkLivelock(by);
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

  /** Throws LivelockError when `by` keeps "fixing" the same fault with no progress. */
  private checkLivelock(by: string): void {
    const cpu = this.cpu, fault = cpu.fault;
    if (cpu.pc !== fault.pc) { this.fixRepeats = 0; return; }
    if (fault.pc === this.lastFixPc && fault.address === this.lastFixAddress && fault.cause === this.lastFixCause && cpu.instret === this.lastFixInstret) {
      if (++this.fixRepeats >= this.livelockLimit) {
        this.fixRepeats = 0;
        throw new LivelockError(
          `fault handler '${by}' answered Fixed ${this.livelockLimit} times but the instruction at ${hex32(fault.pc)} keeps faulting at ${hex32(fault.address)} (livelock)`,
          by,
          fault.snapshot(),
        );
      }
      return;
    }
    this.lastFixPc = fault.pc;
    this.lastFixAddress = fault.address;
    this.lastFixCause = fault.cause;
    this.lastFixInstret = cpu.instret;
    this.fixRepeats = 1;
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
   * then performs the call. PENDING when a handler's promise is awaited.
   */
  private continueSyscall(): number {
    const as = this.addressSpace;
    while (this.rangeDone < this.rangeLength) {
      const at = (this.rangeAddress + this.rangeDone) >>> 0;
      const table = this.rangeAccess === Access.Write ? as.writeTlb : as.readTlb;
      if (table[at >>> PAGE_SHIFT]! >= 0 || as.translate(at, this.rangeAccess) >= 0) {
        this.rangeDone += PAGE_SIZE - (at & PAGE_MASK);
        continue;
      }
      const fault = this.cpu.fault;
      const tf = as.fault;
      fault.cause = this.rangeAccess === Access.Write ? Cause.StorePageFault : Cause.LoadPageFault;
      fault.access = this.rangeAccess;
      fault.address = at | 0;
      fault.pc = this.cpu.pc;
      fault.size = 1;
      fault.protection = tf.protection;
      fault.regionMap = tf.regionMap;
      fault.regionOffset = tf.offset;
      this.events.emit('fault', fault);
      const status = this.chain.walk(fault, this.context);
      if (status === PENDING) {
        this.pendingIsSyscall = true;
        return PENDING;
      }
      this.syscallFaultOutcome(status);
    }
    this.finishSyscall(Math.min(this.rangeDone, this.rangeLength));
    return DONE;
  }

  /** A fault inside a system call: Fixed retries the page; anything else ends the accessible prefix (-EFAULT). */
  private syscallFaultOutcome(status: number): void {
    const fault = this.cpu.fault;
    if (status === FaultStatus.Fixed) {
      const by = this.chain.decidedBy!.name;
      const pc = this.cpu.pc;
      this.checkLivelock(by);
      this.cpu.pc = pc; // the thread stays at its ecall
      this.events.emit('fixed', fault, by);
      return;
    }
    this.events.emit('unresolved', fault, status === FaultStatus.Fail ? this.chain.decidedBy!.name : null);
    // Stop the prefix here: the call sees only the bytes before this page.
    this.rangeLength = Math.min(this.rangeLength, this.rangeDone);
  }

  /** Performs the call, retires the ecall and writes a0. */
  private finishSyscall(accessible: number): void {
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

  /**
   * Runs a guest fault handler for {@link GuestHandlerRegistry}, nested in a
   * dispatch: from the current pc until its `fault_return` ecall (left
   * unretired), an exit, a fault, or `budget` instructions. Other system
   * calls are performed at once; their buffers are not faulted in through
   * the chain (it is busy), so an inaccessible one gives -EFAULT. Leaves
   * the state of a system call the dispatch interrupted as it was.
   */
  private runNested(budget: number): NestedStop {
    const cpu = this.cpu, x = cpu.x;
    const stopAt = cpu.instret + budget;
    const outerSyscall = this.syscallActive;
    try {
      for (;;) {
        if (this.exitCode !== null) return NestedStop.Exited;
        const left = stopAt - cpu.instret;
        if (left <= 0) return NestedStop.Limit;
        const why = cpu.run(left < 0x4000_0000 ? left : 0x4000_0000);
        if (why === StopReason.Fault) return NestedStop.Faulted;
        if (why === StopReason.Budget) continue;
        if (x[A7] === Syscall.FaultReturn) return NestedStop.Returned;
        this.finishSyscall(accessibleNow(this.addressSpace, x[A7]!, x[A0]!, x[A0 + 1]!, x[A0 + 2]!));
      }
    } finally {
      this.syscallActive = outerSyscall;
    }
  }
}
