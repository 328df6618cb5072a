import { parseArgs } from 'node:util';
import { loadProgramFile } from '../load-file.js';
import { cliMachine, reportOutcome } from '../cli-machine.js';
import { demandPaging, dirtyLog } from '../../handlers/index.js';
import { hex32 } from '../../src/errors.js';
import { PAGE_SIZE } from '../../src/memory/page.js';
import { FaultStats, traceFaults } from '../fault-report.js';
import { printError, writeAllSync } from '../output.js';
import { CommandLineError, parseCount } from '../usage-error.js';
import { checkpoint } from '../../handlers/checkpoint/index.js';
import { cliContributor, runWithCheckpoints, type CliState } from '../checkpoint-dir.js';

/** Images per chain (one full, then incremental ones) unless --checkpoint-full-every says otherwise. */
export const DEFAULT_FULL_EVERY = 16;

/** Help text of `faultline run`. */
export const RUN_HELP = `Usage: faultline run PROGRAM [options] [--] [guest arguments...]

Runs a RISC-V RV32IMA program (an ELF executable or an assembly file .s)
in the emulated machine. The guest's stdout and stderr go to this process's;
the exit status is the guest's, or 128 + signal when a fault stays
unresolved (139 page fault, 132 illegal instruction, 133 ebreak, 135
misaligned AMO/LR/SC).

Options:
  --max-instructions N   stop after N instructions (exit status 124)
  --memory-quota BYTES   guest memory quota (default 1073741824 = 1 GiB)
  --trace-faults         print one line per fault and its outcome to stderr
  --stats                print instructions, time and fault counts by cause
                         and by handler to stderr when the run ends
  --demand-paging ADDR:SIZE
                         serve the range [ADDR, ADDR+SIZE) with zero-filled
                         pages on first touch (stock demand-paging handler);
                         may be given several times
  --dirty-log            log the pages the guest writes (stock dirty-logging
                         handler) and print how many when the run ends
  --checkpoint-every N   write a checkpoint image every N instructions into
                         --checkpoint-dir (continue with faultline restore DIR)
  --checkpoint-dir DIR   where images go (created if needed; NNNNNNNN.ckpt)
  --checkpoint-full-every K
                         start a new chain with a full image every K images,
                         deleting the older ones (default ${DEFAULT_FULL_EVERY})
  -h, --help             show this help
`;

/** `faultline run`: returns the process exit status. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'max-instructions': { type: 'string' },
      'memory-quota': { type: 'string' },
      'trace-faults': { type: 'boolean' },
      stats: { type: 'boolean' },
      'checkpoint-every': { type: 'string' },
      'demand-paging': { type: 'string', multiple: true },
      'dirty-log': { type: 'boolean' },
      'checkpoint-dir': { type: 'string' },
      'checkpoint-full-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(RUN_HELP));
    return 0;
  }
  const [path, ...guestArgs] = positionals;
  if (path === undefined) throw new CommandLineError('run: missing PROGRAM (see faultline run --help)');
  const maxInstructions = values['max-instructions'] === undefined ? undefined : parseCount('max-instructions', values['max-instructions']);
  const memoryQuota = values['memory-quota'] === undefined ? undefined : parseCount('memory-quota', values['memory-quota']);

  const every = values['checkpoint-every'] === undefined ? 0 : parseCount('checkpoint-every', values['checkpoint-every']);
  const dir = values['checkpoint-dir'];
  if ((every > 0) !== (dir !== undefined)) throw new CommandLineError('run: --checkpoint-every N (N > 0) and --checkpoint-dir DIR go together');
  const fullEvery = values['checkpoint-full-every'] === undefined ? DEFAULT_FULL_EVERY : parseCount('checkpoint-full-every', values['checkpoint-full-every']);
  if (fullEvery < 1) throw new CommandLineError('--checkpoint-full-every: must be at least 1');

  const lazyRanges = (values['demand-paging'] ?? []).map(parseRange);

  const program = await loadProgramFile(path);
  const cli: CliState = { stdoutBytes: 0, stderrBytes: 0, every, fullEvery };
  const machine = cliMachine(cli, memoryQuota);
  machine.load(program, { argv: [path, ...guestArgs] });
  for (const range of lazyRanges) {
    machine.use(demandPaging({ at: range.at, size: range.size, backing: { kind: 'zero' }, name: `demand-paging ${hex32(range.at)}` }));
  }
  const log = values['dirty-log'] ? dirtyLog() : null;
  if (log !== null) machine.use(log);
  if (values['trace-faults']) traceFaults(machine, printError);
  const stats = values.stats ? new FaultStats(machine) : null;
  const started = performance.now();
  const runOptions = maxInstructions === undefined ? {} : { maxInstructions };
  let result;
  if (dir !== undefined) {
    const cp = checkpoint({ contributors: [cliContributor(cli)] });
    machine.use(cp);
    result = await runWithCheckpoints(machine, cp, { dir, every, fullEvery, ...runOptions });
  } else {
    result = machine.run(runOptions);
  }
  if (stats !== null) for (const line of stats.lines(machine.cpu.instret, (performance.now() - started) / 1000)) printError(line);
  if (log !== null) printError(`[dirty-log] ${log.dirtyCount} pages written, ${log.faults} first-write faults`);
  return reportOutcome(machine, result, maxInstructions);
}

/**
 * Parses `ADDR:SIZE` of --demand-paging (each decimal or 0x hex; both page
 * aligned, the range inside 32 bits).
 */
function parseRange(text: string): { at: number; size: number } {
  const parts = text.split(':');
  if (parts.length !== 2) throw new CommandLineError(`--demand-paging: expected ADDR:SIZE, got '${text}'`);
  const at = parseCount('demand-paging', parts[0]!);
  const size = parseCount('demand-paging', parts[1]!);
  if (at % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || size === 0 || at + size > 2 ** 32) {
    throw new CommandLineError(`--demand-paging: ADDR and SIZE must be multiples of ${PAGE_SIZE}, SIZE > 0, within 4 GiB; got '${text}'`);
  }
  return { at, size };
}
