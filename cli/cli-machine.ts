import { Machine } from '../src/machine/machine.js';
import type { Tier } from '../src/cpu/cpu.js';
import { MAX_CPUS } from '../src/machine/validate.js';
import { exitStatusOf } from '../src/machine/run-result.js';
import { FaultlineError, hex32 } from '../src/errors.js';
import type { GuestIo } from './guest-io.js';
import { MAX_QUOTA } from '../src/memory/physical-memory.js';
import { PAGE_SIZE } from '../src/memory/page.js';
import type { CliState } from './cli-state.js';
import { describeWithInstruction } from './fault-report.js';
import { printError, writeAllSync } from './output.js';
import type { LoopOutcome } from './run-loop.js';
import { CommandLineError } from './usage-error.js';

/** Machine settings from the command line. */
export interface CliMachineOptions {
  readonly memoryQuota?: number | undefined;
  readonly timeSlice?: number | undefined;
  readonly cpus?: number | undefined;
  readonly io?: GuestIo | undefined;
  /** Execution tier (`--tier`); the machine's default when undefined. */
  readonly tier?: Tier | undefined;
}

/**
 * A machine whose guest stdout/stderr go to this process's, counting the
 * bytes in `cli` (checkpoints record the counts, so a restore knows what
 * was printed), with `timeSlice` instructions per thread slice, `cpus`
 * virtual CPUs, and the guest's mounts, stdin, clocks and seed from `io`.
 *
 * @throws CommandLineError naming --memory-quota when the quota is not a positive multiple of a page up to 1.5 GiB,
 *   --time-slice when it is 0, or --cpus outside 1..512.
 */
export function cliMachine(cli: CliState, options: CliMachineOptions): Machine {
  const { memoryQuota, timeSlice, cpus, io } = options;
  if (memoryQuota !== undefined && (memoryQuota === 0 || memoryQuota % PAGE_SIZE !== 0 || memoryQuota > MAX_QUOTA)) {
    throw new CommandLineError(`--memory-quota: must be a positive multiple of ${PAGE_SIZE} bytes up to ${MAX_QUOTA} (1.5G), got ${memoryQuota}`);
  }
  if (timeSlice !== undefined && timeSlice < 1) throw new CommandLineError(`--time-slice: must be at least 1 instruction, got ${timeSlice}`);
  if (cpus !== undefined && (cpus < 1 || cpus > MAX_CPUS)) throw new CommandLineError(`--cpus: must be from 1 to ${MAX_CPUS} virtual CPUs, got ${cpus}`);
  const machine = new Machine({
    memoryQuota,
    ...(timeSlice === undefined ? {} : { timeSlice }),
    ...(cpus === undefined ? {} : { cpus }),
    ...(options.tier === undefined ? {} : { tier: options.tier }),
    ...(io === undefined ? {} : { stdin: io.stdin, hostTime: io.hostTime, ...(io.seed === undefined ? {} : { seed: io.seed }) }),
    stdout: (bytes) => { cli.stdoutBytes += bytes.length; writeAllSync(1, bytes); },
    stderr: (bytes) => { cli.stderrBytes += bytes.length; writeAllSync(2, bytes); },
  });
  for (const mount of io?.mounts ?? []) {
    try {
      machine.fileSystem.mount(mount.guestPath, mount.directory, { readOnly: mount.readOnly ?? false });
    } catch (err) {
      if (!(err instanceof FaultlineError)) throw err;
      throw new CommandLineError(`--mount ${mount.text}: ${err.message.replace(/^[\w.]+: /, '')}`);
    }
  }
  return machine;
}

/**
 * The exit status for `outcome`, after printing what the user must see:
 * the instruction limit (status 124), the unresolved fault's one line, a
 * deadlock's one line (status 124, as a hung process under `timeout`),
 * or, for a signal, where the run stopped (128 + signal).
 *
 * @param newestImage - the newest image the run wrote, named in the signal line
 */
export function reportOutcome(machine: Machine, cli: CliState, outcome: LoopOutcome, maxInstructions: number | undefined, newestImage: string | null): number {
  if (outcome.kind === 'signal') {
    const image = newestImage === null ? '' : `; newest image ${newestImage}`;
    printError(`faultline: interrupted by ${outcome.signal} at pc ${hex32(machine.cpu.pc)} after ${machine.cpu.instret} instructions, ${cli.faults} faults${image}`);
    return outcome.status;
  }
  const result = outcome.result;
  if (result.kind === 'limit') {
    printError(`faultline: stopped after ${maxInstructions} instructions (--max-instructions)`);
    return 124;
  }
  if (result.kind === 'fault') {
    if (result.message.startsWith('out of memory')) {
      printError(`faultline: ${result.message}`);
    } else {
      const by = result.handler === null ? '' : ` (failed by handler '${result.handler}')`;
      // A threaded guest's fault names its thread; a one-thread guest's need not.
      const thread = machine.scheduler.upcomingTid > 2 ? ` in thread ${result.fault.tid}` : '';
      printError(`faultline: unresolved fault${thread}: ${describeWithInstruction(machine, result.fault)}${by}`);
    }
  }
  if (result.kind === 'deadlock') printError(`faultline: ${result.message}`);
  if (result.kind === 'signal') printError(`faultline: ${result.message}`);
  if (result.kind === 'paused') throw new Error('reportOutcome: the command line pauses no thread');
  return exitStatusOf(result);
}
