import { Machine } from '../src/machine/machine.js';
import { exitStatusOf, type RunResult } from '../src/machine/run-result.js';
import type { CliState } from './checkpoint-dir.js';
import { describeWithInstruction } from './fault-report.js';
import { printError, writeAllSync } from './output.js';

/**
 * A machine whose guest stdout/stderr go to this process's, counting the
 * bytes in `cli` (checkpoints record the counts, so a restore knows what
 * was printed).
 */
export function cliMachine(cli: CliState, memoryQuota: number | undefined): Machine {
  return new Machine({
    memoryQuota,
    stdout: (bytes) => { cli.stdoutBytes += bytes.length; writeAllSync(1, bytes); },
    stderr: (bytes) => { cli.stderrBytes += bytes.length; writeAllSync(2, bytes); },
  });
}

/**
 * The exit status for `result`, after printing what the user must see: the
 * instruction limit (status 124) or the unresolved fault's one line.
 */
export function reportOutcome(machine: Machine, result: RunResult, maxInstructions: number | undefined): number {
  if (result.kind === 'limit') {
    printError(`faultline: stopped after ${maxInstructions} instructions (--max-instructions)`);
    return 124;
  }
  if (result.kind === 'fault') {
    const by = result.handler === null ? '' : ` (failed by handler '${result.handler}')`;
    printError(`faultline: unresolved fault: ${describeWithInstruction(machine, result.fault)}${by}`);
  }
  return exitStatusOf(result);
}
