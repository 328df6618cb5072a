import { Cpu, StopReason } from '../cpu/cpu.js';
import { UsageError } from '../errors.js';
import { Access } from '../fault/cause.js';
import { AddressSpace } from '../memory/address-space.js';
import { PhysicalMemory } from '../memory/physical-memory.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../memory/page.js';
import { loadProgram, type LoadOptions } from '../loader/load-program.js';
import type { Program } from '../loader/program.js';
import { performSyscall, syscallRange } from '../syscalls/linux.js';
import type { OutputSink } from './output.js';
import { signalForCause, type RunResult } from './run-result.js';

/** Options of a {@link Machine}. */
export interface MachineOptions {
  /** Bytes of guest backing memory the machine may use (default 1 GiB). */
  readonly memoryQuota?: number;
  /** Where the guest's fd 1 goes (default: discarded). */
  readonly stdout?: OutputSink;
  /** Where the guest's fd 2 goes (default: discarded). */
  readonly stderr?: OutputSink;
}

/** Options of {@link Machine.run}. */
export interface RunOptions {
  /** Stop with `{ kind: 'limit' }` after this many instructions (default: no limit). */
  readonly maxInstructions?: number;
}

const DEFAULT_QUOTA = 1 << 30;
const discard: OutputSink = () => {};

/** a0..a7 as register numbers. */
const A0 = 10, A7 = 17;

/**
 * An emulated RV32IMA user-mode machine: a CPU, an address space with its
 * MMU, and the Linux system calls of DESIGN §2.
 *
 * @example
 * ```ts
 * const out = new CollectedOutput();
 * const machine = new Machine({ stdout: out.sink });
 * machine.load(parseElf(bytes, 'hello.elf'));
 * const result = machine.run();
 * console.log(out.text(), result);
 * ```
 */
export class Machine {
  /** Backing store of all guest memory, bounded by the quota. */
  readonly memory: PhysicalMemory;
  /** The guest's address space: region maps, protections, TLBs. */
  readonly addressSpace: AddressSpace;
  /** The hart. */
  readonly cpu: Cpu;
  /** Sink of guest fd 1. */
  readonly stdout: OutputSink;
  /** Sink of guest fd 2. */
  readonly stderr: OutputSink;
  /** The loaded program, if any. */
  program: Program | null = null;
  /** Exit status once the guest has exited, else null. */
  exitCode: number | null = null;
  private readonly args = new Int32Array(6);

  /** @param options - quota and output sinks */
  constructor(options: MachineOptions = {}) {
    this.memory = new PhysicalMemory({ quota: options.memoryQuota ?? DEFAULT_QUOTA });
    this.addressSpace = new AddressSpace({ memory: this.memory });
    this.cpu = new Cpu(this.addressSpace);
    this.stdout = options.stdout ?? discard;
    this.stderr = options.stderr ?? discard;
  }

  /**
   * Maps `program` and sets up registers and the stack as Linux's `execve`
   * does. Throws UsageError if a program is already loaded, FormatError if
   * its segments collide, QuotaExceededError when it does not fit.
   */
  load(program: Program, options: LoadOptions = {}): void {
    if (this.program !== null) throw new UsageError(`Machine.load: a program is already loaded (${this.program.name})`);
    const image = loadProgram(this.addressSpace, program, options);
    this.program = program;
    this.cpu.x.fill(0);
    this.cpu.x[2] = image.sp;
    this.cpu.pc = image.entry;
  }

  /**
   * Runs the guest until it exits, a fault stays unresolved, or
   * `maxInstructions` have retired. May be called again after a `limit`.
   */
  run(options: RunOptions = {}): RunResult {
    if (this.exitCode !== null) return { kind: 'exit', exitCode: this.exitCode };
    const cpu = this.cpu;
    const limit = options.maxInstructions ?? Infinity;
    const stopAt = cpu.instret + limit;
    for (;;) {
      const left = stopAt - cpu.instret;
      if (left <= 0) return { kind: 'limit' };
      const why = cpu.run(Math.min(left, 0x4000_0000));
      if (why === StopReason.Budget) continue;
      if (why === StopReason.Fault) {
        const fault = cpu.fault.snapshot();
        return { kind: 'fault', fault, signal: signalForCause(fault.cause), message: fault.describe() };
      }
      const exit = this.ecall();
      if (exit !== null) return exit;
    }
  }

  /** Performs the system call at pc, retires the ecall. */
  private ecall(): RunResult | null {
    const x = this.cpu.x;
    const nr = x[A7]!;
    const args = this.args;
    for (let k = 0; k < 6; k++) args[k] = x[A0 + k]!;
    const range = syscallRange(nr, args[0]!, args[1]!, args[2]!);
    const accessible = range === null ? 0 : this.accessiblePrefix(range.address, range.length, range.access);
    const outcome = performSyscall(this, nr, args, accessible);
    this.cpu.pc = (this.cpu.pc + 4) | 0;
    this.cpu.instret++;
    if (outcome.exit) {
      this.exitCode = outcome.status;
      return { kind: 'exit', exitCode: outcome.status };
    }
    x[A0] = outcome.value;
    return null;
  }

  /**
   * How many bytes from `address` the guest may access for `access`
   * without faulting (a prefix of the range, page by page).
   */
  private accessiblePrefix(address: number, length: number, access: number): number {
    const as = this.addressSpace;
    let done = 0;
    while (done < length) {
      const at = (address + done) >>> 0;
      const table = access === Access.Write ? as.writeTlb : as.readTlb;
      if (table[at >>> PAGE_SHIFT]! < 0 && as.translate(at, access) < 0) break;
      done += PAGE_SIZE - (at & PAGE_MASK);
    }
    return Math.min(done, length);
  }
}
