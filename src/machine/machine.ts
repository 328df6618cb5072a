import { EventEmitter } from 'eventemitter3';
import { Cpu, DEFAULT_TIER, type CpuOptions, type Tier } from '../cpu/cpu.js';
import { UsageError } from '../errors.js';
import { describeValue } from '../fault/describe-value.js';
import { ExceptionTable } from '../fault/exception-table.js';
import { DISPOSE, FaultChain, PendingWalk, type FaultHandler, type RegisterOptions, type Unregister } from '../fault/fault-chain.js';
import { HandlerError } from '../fault/handler-error.js';
import { RunEnding } from '../fault/run-ending.js';
import { UserContext } from '../fault/user-context.js';
import { AddressSpace } from '../memory/address-space.js';
import { DEFAULT_QUOTA, PhysicalMemory, wasmMemorySupported } from '../memory/physical-memory.js';
import { validateLoadArguments, validateMachineOptions, validateRunOptions } from './validate.js';
import { RseqEvent } from '../threads/rseq-registration.js';
import { loadProgram, type LoadOptions } from '../loader/load-program.js';
import type { Program } from '../loader/program.js';
import { LinuxMemory } from '../syscalls/linux-memory.js';
import type { MachineEvents } from './events.js';
import { GuestHandlerRegistry } from './guest-handlers.js';
import { RunLoop, Step } from './run-loop.js';
import type { OutputSink } from './output.js';
import type { Plugin, Uninstall } from './plugin.js';
import type { RunResult } from './run-result.js';
import type { GuestThread } from '../threads/guest-thread.js';
import { DEFAULT_TIME_SLICE, Scheduler } from '../threads/scheduler.js';
import { GuestClock } from '../handles/clock.js';
import { FileSystem } from '../fs/file-system.js';
import type { MountedDirectory } from '../fs/mounted-directory.js';
import { HandleSpace } from '../handles/handle-space.js';
import { OpenFlag } from '../handles/open-file.js';
import { GuestRandom } from '../handles/random.js';
import { ServiceRegistry } from '../handles/services.js';
import { InputStream, OutputStream, inputFromBytes, type InputSource, type StdinOption } from '../handles/stream.js';

/**
 * A memory backed by a shared WebAssembly memory (the wasm tier's code
 * reaches frames, TLBs and registers in it), or a plain one when the
 * runtime cannot reserve another (it limits the address space all wasm
 * memories of a process take): the cpu then runs the block tier.
 */
function wasmBackedOrPlain(options: { quota: number; initialSize?: number }): PhysicalMemory {
  try {
    return new PhysicalMemory({ ...options, wasm: true });
  } catch (error) {
    if (error instanceof RangeError) return new PhysicalMemory(options);
    throw error;
  }
}

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
  /**
   * Instructions a thread runs before the next runnable thread gets the
   * hart (default 100,000). Switches happen only at slice ends, blocking
   * calls, yields and exits, so runs are deterministic (docs/design.md §10).
   */
  readonly timeSlice?: number;
  /** Compile hot basic blocks to JavaScript (default true); see {@link CpuOptions.jit}. */
  readonly jit?: boolean;
  /** Executions of a block start before it is compiled; see {@link CpuOptions.jitThreshold}. */
  readonly jitThreshold?: number;
  /** Execution tier for hot code: 'interp', 'block' (default), 'region' or 'wasm'; see {@link CpuOptions.tier}. */
  readonly tier?: Tier;
  /**
   * The guest's fd 0: bytes, text (UTF-8) or an {@link InputSource}
   * (default: empty, reads give end of file). An asynchronous source
   * ({@link inputFromAsyncIterable}) needs {@link Machine.runAsync}.
   */
  readonly stdin?: StdinOption;
  /** The guest reads the host's clocks instead of virtual time (default false; sleeps stay virtual). */
  readonly hostTime?: boolean;
  /** Seed of `getrandom` (default 0): a non-negative safe integer. */
  readonly seed?: number;
  /** The process umask (default 0o022): an integer 0..0o777. */
  readonly umask?: number;
  /** Slots of the handle table (default 1024, Linux's RLIMIT_NOFILE): 3..65536. */
  readonly handleLimit?: number;
  /**
   * The guest's file system (default: a new, empty in-memory tree whose
   * clock is the machine's virtual time; the guest sees in-memory times
   * shifted by the clock's epoch). Pass one to share a tree set up
   * beforehand.
   */
  readonly fileSystem?: FileSystem;
  /** Host directories to mount, in order, before the guest runs. */
  readonly mounts?: readonly MachineMount[];
  /** The guest's working directory: an absolute path to a directory (default `/`). */
  readonly cwd?: string;
  /**
   * Virtual CPUs (default 1, at most 512): the `cpu_id` restartable
   * sequences see (docs/rseq.md). Thread `tid` starts on CPU
   * `(tid - 1) mod cpus`; {@link Machine.migrate} moves it.
   */
  readonly cpus?: number;
}

/**
 * A host directory the machine mounts at `guestPath` (see the
 * `mounts` option); `faultline/node` gives a `MountedDirectory` for a
 * host path.
 *
 * @example
 * ```ts
 * const machine = new Machine({ mounts: [{ guestPath: '/data', directory: hostDirectory('/tmp/data'), readOnly: true }] });
 * ```
 */
export interface MachineMount {
  /** Absolute guest path of the mount point (created when missing). */
  readonly guestPath: string;
  /** The host directory. */
  readonly directory: MountedDirectory;
  /** Refuse every change under it with EROFS (default false). */
  readonly readOnly?: boolean;
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

const DEFAULT_LIVELOCK_LIMIT = 1000;
const discard: OutputSink = () => {};
const noop = (): void => {};


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
  /** The guest's file system: the in-memory tree and the mounts. */
  readonly fileSystem: FileSystem;
  /** The guest's handles: the handle table, open files, pipes, cwd and umask (docs/design.md §12). */
  readonly handles: HandleSpace;
  /** The guest's clocks: virtual time unless `hostTime`. */
  readonly clock: GuestClock;
  /** The seeded generator behind `getrandom`. */
  readonly random: GuestRandom;
  /** Host services the guest opens at `/dev/service/NAME`. */
  readonly services = new ServiceRegistry();
  /** The signal the process died of (SIGPIPE), else null. @internal */
  killedBy: { signal: number; message: string } | null = null;

  /** The livelock bound, for each thread's and the guest-handler run's tracker. @internal */
  readonly livelockLimit: number;
  /** Plugin objects installed now (a second install is refused). */
  private readonly plugins = new Set<Plugin>();
  /** The guest threads and their round-robin order. @internal */
  readonly scheduler: Scheduler;
  /** Runs the threads, their system calls and their faults. @internal */
  readonly runLoop: RunLoop;
  /** `timeoutMs` of the current {@link Machine.runAsync} (Infinity: none). @internal */
  asyncTimeoutMs = Infinity;
  private isRunning = false;
  /** Critical sections aborted so far, every thread. @internal */
  rseqAbortCount = 0;

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
    const memoryOptions = {
      quota: options.memoryQuota ?? DEFAULT_QUOTA,
      ...(options.memoryInitialSize === undefined ? {} : { initialSize: options.memoryInitialSize }),
    };
    this.memory = (options.tier ?? DEFAULT_TIER) === 'wasm' && options.jit !== false && wasmMemorySupported()
      ? wasmBackedOrPlain(memoryOptions)
      : new PhysicalMemory(memoryOptions);
    this.addressSpace = new AddressSpace({ memory: this.memory });
    this.linuxMemory = new LinuxMemory(this.addressSpace);
    this.cpu = new Cpu(this.addressSpace, { jit: options.jit ?? true, jitThreshold: options.jitThreshold, tier: options.tier });
    this.stdout = options.stdout ?? discard;
    this.stderr = options.stderr ?? discard;
    this.livelockLimit = options.livelockLimit ?? DEFAULT_LIVELOCK_LIMIT;
    this.scheduler = new Scheduler(this.cpu, this.addressSpace, options.timeSlice ?? DEFAULT_TIME_SLICE, this.livelockLimit);
    this.scheduler.cpus = options.cpus ?? 1;
    this.scheduler.switchTo(this.scheduler.create());
    this.runLoop = new RunLoop(this, this.scheduler);
    this.guestHandlers = new GuestHandlerRegistry(this);
    const s = this.scheduler;
    this.clock = new GuestClock(() => s.now(), () => this.cpu.instret, { hostTime: options.hostTime ?? false });
    this.random = new GuestRandom(options.seed ?? 0);
    this.fileSystem = options.fileSystem ?? new FileSystem({ clock: () => s.now() });
    for (const mount of options.mounts ?? []) this.fileSystem.mount(mount.guestPath, mount.directory, { readOnly: mount.readOnly ?? false });
    this.handles = new HandleSpace(this.fileSystem, options.handleLimit);
    if (options.cwd !== undefined) {
      const node = this.fileSystem.resolve(options.cwd);
      if (typeof node === 'number' || node.kind !== 'directory' || !options.cwd.startsWith('/')) {
        throw new UsageError(`new Machine: cwd ${JSON.stringify(options.cwd)} is not an absolute path to a directory of the file system`);
      }
      this.handles.changeDirectory(node);
    }
    if (options.umask !== undefined) this.handles.umask = options.umask;
    this.handles.changed = (key) => this.runLoop.wakeIo(key);
    const stdin = options.stdin;
    const source: InputSource = stdin === undefined ? () => null
      : typeof stdin === 'string' ? inputFromBytes(new TextEncoder().encode(stdin))
      : stdin instanceof Uint8Array ? inputFromBytes(stdin) : stdin;
    this.handles.stdin = new InputStream(source);
    this.handles.open(this.handles.stdin, OpenFlag.ReadOnly);
    this.handles.open(new OutputStream('stdout', this.stdout), OpenFlag.WriteOnly);
    this.handles.open(new OutputStream('stderr', this.stderr), OpenFlag.WriteOnly);
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
    this.events.emit('threadStart', this.scheduler.current!.tid);
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
   * After the guest exited it answers the same exit again at once. Threads
   * take turns in time slices (docs/design.md §10); the run also ends when
   * every thread that could run is paused (`paused`) or every live thread
   * waits forever (`deadlock`). Throws HandlerError when a handler throws,
   * answers nonsense, livelocks, or returns a promise (use
   * {@link Machine.runAsync} for those); UsageError for bad options or when
   * called while running (from a handler). The machine stays inspectable
   * after any of these: the thread is at the faulting instruction, as it
   * was at the fault.
   *
   * @param options - an instruction limit for this call
   */
  run(options: RunOptions = {}): RunResult {
    this.beginRun(options, 'run');
    const loop = this.runLoop;
    try {
      const walk = loop.advance(false);
      if (!(walk instanceof PendingWalk)) return loop.takeResult();
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
   * Like {@link Machine.run}, but awaits handlers that return promises. A
   * promise blocks only the thread whose fault it serves: the other threads
   * keep running, and the machine waits only when every live thread waits
   * (docs/design.md §10). `timeoutMs` bounds each wait. Throws HandlerError
   * as {@link Machine.run} does, also when a promise rejects or a wait
   * times out.
   *
   * @param options - an instruction limit and a handler timeout for this call
   */
  async runAsync(options: RunOptions = {}): Promise<RunResult> {
    this.beginRun(options, 'runAsync');
    this.asyncTimeoutMs = options.timeoutMs ?? Infinity;
    const loop = this.runLoop;
    try {
      for (;;) {
        const step = loop.advance(true);
        if (step === Step.Done) return loop.takeResult();
        if (step === Step.Wait) await loop.wakeup();
        else await loop.yieldToHost();
        if (loop.resumeSettled()) return loop.takeResult();
      }
    } catch (err) {
      if (err instanceof RunEnding) return this.endWith(err);
      throw err;
    } finally {
      this.asyncTimeoutMs = Infinity;
      this.endRun();
    }
  }

  private beginRun(options: RunOptions, fn: string): void {
    validateRunOptions(options, fn);
    if (this.isRunning) throw new UsageError(`Machine.${fn}: the machine is already running (a handler may not call run())`);
    if (this.program === null && this.cpu.pc === 0) throw new UsageError(`Machine.${fn}: no program loaded`);
    this.isRunning = true;
    this.runLoop.begin(options.maxInstructions ?? Infinity);
  }

  private endRun(): void {
    this.isRunning = false;
    this.runLoop.abandonWaits();
    this.scheduler.syncCurrent();
  }

  /** The result a {@link RunEnding} stands for; emits `unresolved` for a fault. */
  private endWith(ending: RunEnding): RunResult {
    if (ending.kind === 'limit') return { kind: 'limit' };
    this.events.emit('unresolved', ending.fault, ending.handler);
    return { kind: 'fault', fault: ending.fault, signal: ending.signal, message: ending.message, handler: ending.handler };
  }

  /** True while {@link Machine.run} or {@link Machine.runAsync} is under way (e.g. seen from a handler). */
  get running(): boolean {
    return this.isRunning;
  }

  /**
   * The context of the thread on the hart — during a dispatch, the
   * faulting thread's — as handlers see it (a live view of the hart).
   */
  get context(): UserContext {
    return this.scheduler.current!.context;
  }

  /**
   * The live guest threads in round-robin order (tid, state, pc, counts).
   * A thread's `pc` and `snapshot()` are current between runs and, during
   * a run, for every thread but the one on the hart.
   *
   * @example
   * ```ts
   * for (const t of machine.threads) console.log(t.tid, t.state);
   * ```
   */
  get threads(): readonly GuestThread[] {
    return this.scheduler.threads.slice();
  }

  /** The thread on the hart (during a dispatch, the faulting one). */
  get currentThread(): GuestThread {
    return this.scheduler.current!;
  }

  /**
   * Instructions per time slice (docs/design.md §10). Setting it takes
   * effect from the next slice. Throws UsageError unless a positive integer.
   */
  get timeSlice(): number {
    return this.scheduler.timeSlice;
  }

  /**
   * Sets the time slice (see the getter).
   *
   * @param value - instructions per slice, a positive integer
   */
  set timeSlice(value: number) {
    if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`Machine.timeSlice: must be a positive integer number of instructions, got ${describeValue(value)}`);
    this.scheduler.timeSlice = value;
  }

  /**
   * Pauses thread `tid` at an instruction boundary: it does not run, and
   * takes no faults, until {@link Machine.resume}; its registers, pc and
   * memory stay exactly as they are. Called from a handler of its own
   * fault, it pauses once that dispatch ends. Pausing a paused thread does
   * nothing. Throws UsageError for a tid that is not a live thread.
   *
   * @param tid - the thread's id
   * @example
   * ```ts
   * machine.pause(2);
   * region.detach(0);          // the paused thread cannot see a half-done change
   * machine.resume(2);
   * ```
   */
  pause(tid: number): void {
    const t = this.liveThread('pause', tid);
    t.paused = true;
    // A pause preempts it: a critical section it is in restarts (docs/rseq.md).
    if (t.rseq !== null) t.rseqEvent |= RseqEvent.Preempt;
  }

  /**
   * Lets paused thread `tid` run again (see {@link Machine.pause}); does
   * nothing for a thread that is not paused. Throws UsageError for a tid
   * that is not a live thread.
   *
   * @param tid - the thread's id
   */
  resume(tid: number): void {
    this.liveThread('resume', tid).paused = false;
  }

  private liveThread(fn: string, tid: number): GuestThread {
    const t = this.scheduler.threads.find((x) => x.tid === tid && !x.exited);
    if (t === undefined) throw new UsageError(`Machine.${fn}: no live thread ${describeValue(tid)} (threads: ${this.scheduler.threads.filter((x) => !x.exited).map((x) => x.tid).join(', ') || 'none'})`);
    return t;
  }

  /**
   * Virtual CPUs the threads are placed on (docs/rseq.md; the `cpus`
   * option, default 1).
   *
   * @example
   * ```ts
   * const perCpu = new Array(machine.cpus).fill(0);
   * ```
   */
  get cpus(): number {
    return this.scheduler.cpus;
  }

  /**
   * Restartable-sequence critical sections aborted so far, in every
   * thread (each thread's own count is {@link GuestThread.rseqAborts}).
   *
   * @example
   * ```ts
   * machine.run();
   * console.log(`${machine.rseqAborts} aborts`);
   * ```
   */
  get rseqAborts(): number {
    return this.rseqAbortCount;
  }

  /**
   * Preempts thread `tid` as a slice end would, without switching: if it
   * registered `rseq` and is inside a critical section, it goes to the
   * section's `abort_ip` before it runs again (docs/rseq.md). Between runs,
   * or from a handler. Throws UsageError for a tid that is not a live thread.
   *
   * @param tid - the thread's id
   * @example
   * ```ts
   * machine.run({ maxInstructions: 5 });   // stop anywhere
   * machine.preempt(machine.currentThread.tid);
   * machine.run();                        // an interrupted section restarts
   * ```
   */
  preempt(tid: number): void {
    const t = this.liveThread('preempt', tid);
    if (t.rseq !== null) t.rseqEvent |= RseqEvent.Preempt;
  }

  /**
   * Moves thread `tid` to virtual CPU `cpu` (0 ≤ cpu < {@link cpus}): from
   * the next time it runs, its `cpu_id` says so, and a critical section it
   * was in restarts, as after Linux's migration (docs/rseq.md). Moving it
   * to the CPU it is on does nothing. Throws UsageError for a tid that is
   * not a live thread or a CPU out of range.
   *
   * @param tid - the thread's id
   * @param cpu - the virtual CPU it moves to
   * @example
   * ```ts
   * const machine = new Machine({ cpus: 4 });
   * // ...
   * machine.migrate(2, 3);
   * ```
   */
  migrate(tid: number, cpu: number): void {
    const t = this.liveThread('migrate', tid);
    if (!Number.isSafeInteger(cpu) || cpu < 0 || cpu >= this.scheduler.cpus) {
      throw new UsageError(`Machine.migrate: cpu must be a whole number from 0 to ${this.scheduler.cpus - 1} (cpus), got ${describeValue(cpu)}`);
    }
    if (t.cpu === cpu) return;
    t.cpu = cpu;
    if (t.rseq !== null) t.rseqEvent |= RseqEvent.Migrate;
  }

  /**
   * Instructions the current run may still execute (its limit minus what
   * the threads retired and guest handlers executed). @internal
   */
  instructionsLeft(): number {
    const loop = this.runLoop;
    return loop.stopAt - this.cpu.instret - loop.handlerInstructions;
  }

  /** Charges `count` instructions a guest handler executed to the current run. @internal */
  chargeHandlerInstructions(count: number): void {
    this.runLoop.handlerInstructions += count;
  }

  /**
   * Performs the system call at pc for a running guest fault handler, its
   * guest memory already resolved in the current thread's ranges (nothing
   * blocks there). @internal
   */
  completeNestedSyscall(): void {
    this.runLoop.completeSyscall(this.scheduler.current!, true);
  }
}
