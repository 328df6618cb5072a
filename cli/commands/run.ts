import { loadProgramFile } from '../load-file.js';
import { cliMachine, reportOutcome } from '../cli-machine.js';
import { writeAllSync } from '../output.js';
import { CommandLineError, parseCommandLine, parseCount, parseGdbPort, parseSize } from '../usage-error.js';
import { QuotaExceededError } from '../../src/errors.js';
import { DEFAULT_FULL_EVERY, cliContributor, newCliState } from '../cli-state.js';
import { installCliPlugins, loadStockHandlers, parseRange } from '../cli-plugins.js';
import { runLoop } from '../run-loop.js';
import { GUEST_IO_OPTIONS, guestIo, guestIoHelp } from '../guest-io.js';
import { startProgress } from '../progress.js';
import { JSON_LOG_HELP, JSON_LOG_OPTIONS, installJsonLogs, jsonLogOptions, splitFileFlags } from '../json-logs.js';
import { TIERS, type Tier } from '../../src/cpu/cpu.js';

// Checkpoints, the debugger and the stock handlers are imported when an
// option asks for them: a plain run loads about half the modules (start-up).

/** The --tier value, or a one-line error naming the accepted ones. */
function parseTier(text: string): Tier {
  const tier = TIERS.find((t) => t === text);
  if (tier === undefined) throw new CommandLineError(`--tier: must be one of ${TIERS.join(', ')}, got '${text}'`);
  return tier;
}


/** Help text of `faultline run`. */
export const RUN_HELP = `Usage: faultline run PROGRAM [options] [--] [guest arguments...]

Runs a RISC-V RV32IMA program (an ELF executable or an assembly file .s)
in the emulated machine. The guest's stdout and stderr go to this process's;
the exit status is the guest's, or 128 + signal when a fault stays
unresolved (139 page fault, 132 illegal instruction, 133 ebreak, 135
misaligned AMO/LR/SC). Ctrl-C stops the run with one line saying where
(exit status 130).

Options:
  --max-instructions N   stop after N instructions (exit status 124)
  --memory-quota SIZE    guest memory quota (default 1G; at most 1.5G);
                         sizes take a K, M or G suffix (binary)
  --trace-faults         print one line per fault and its outcome to stderr
  --stats                print instructions, time and fault counts by cause
                         and by handler to stderr when the run ends
  --demand-paging ADDR:SIZE
                         serve the range [ADDR, ADDR+SIZE) with zero-filled
                         pages on first touch (stock demand-paging handler);
                         may be given several times
  --time-slice N         instructions each guest thread runs before the next
                         one gets the hart (default 100000); the same N gives
                         the same interleaving on every run
  --cpus N               virtual CPUs the threads are placed on (default 1,
                         at most 512): the cpu_id restartable sequences see;
                         --stats then reports rseq aborts
  --dirty-log            log the pages the guest writes (stock dirty-logging
                         handler) and print how many when the run ends
  --checkpoint-every N   write a checkpoint image every N instructions into
                         --checkpoint-dir (continue with faultline restore DIR)
  --checkpoint-dir DIR   where images go (created if needed; it must hold no
                         images yet); NNNNNNNN.ckpt
  --checkpoint-full-every K
                         start a new chain with a full image every K images,
                         deleting the run's older ones (default ${DEFAULT_FULL_EVERY})
  --gdb PORT             wait for a GDB client on 127.0.0.1:PORT (0: any
                         free port, printed on stderr) and let it control
                         the run (docs/debugging.md)
  --tier interp|block|region|wasm
                         how hot guest code runs (default block): interpreted,
                         compiled block by block to JavaScript, compiled a
                         page region at a time (experimental), or hot pages
                         compiled to WebAssembly (the fastest,
                         docs/performance.md); results and instruction counts
                         are the same
${JSON_LOG_HELP}${guestIoHelp(false)}  -h, --help             show this help
`;

/** `faultline run`: returns the process exit status. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('run', splitFileFlags(argv), {
    'max-instructions': { type: 'string' },
    'memory-quota': { type: 'string' },
    'time-slice': { type: 'string' },
    cpus: { type: 'string' },
    'trace-faults': { type: 'boolean' },
    stats: { type: 'boolean' },
    'checkpoint-every': { type: 'string' },
    'demand-paging': { type: 'string', multiple: true },
    'dirty-log': { type: 'boolean' },
    'checkpoint-dir': { type: 'string' },
    'checkpoint-full-every': { type: 'string' },
    tier: { type: 'string' },
    ...GUEST_IO_OPTIONS,
    gdb: { type: 'string' },
    ...JSON_LOG_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(RUN_HELP));
    return 0;
  }
  const [path, ...guestArgs] = positionals;
  if (path === undefined) throw new CommandLineError('run: missing PROGRAM (see faultline run --help)');
  const maxInstructions = values['max-instructions'] === undefined ? undefined : parseCount('max-instructions', values['max-instructions']);
  const memoryQuota = values['memory-quota'] === undefined ? undefined : parseSize('memory-quota', values['memory-quota']);
  const timeSlice = values['time-slice'] === undefined ? undefined : parseCount('time-slice', values['time-slice']);
  const cpus = values.cpus === undefined ? undefined : parseCount('cpus', values.cpus);
  const tier = values.tier === undefined ? undefined : parseTier(values.tier);

  const every = values['checkpoint-every'] === undefined ? 0 : parseCount('checkpoint-every', values['checkpoint-every']);
  const dir = values['checkpoint-dir'];
  if ((every > 0) !== (dir !== undefined)) throw new CommandLineError('run: --checkpoint-every N (N > 0) and --checkpoint-dir DIR go together');
  const fullEvery = values['checkpoint-full-every'] === undefined ? DEFAULT_FULL_EVERY : parseCount('checkpoint-full-every', values['checkpoint-full-every']);
  if (fullEvery < 1) throw new CommandLineError('--checkpoint-full-every: must be at least 1');

  const json = jsonLogOptions(values);
  if (json.statsJson && values.stats !== true) throw new CommandLineError('run: --json goes with --stats');
  const cli = newCliState(every, fullEvery, {
    demandPaging: (values['demand-paging'] ?? []).map(parseRange),
    dirtyLog: values['dirty-log'] === true,
    stats: values.stats === true,
    traceFaults: values['trace-faults'] === true,
  });
  const program = await loadProgramFile(path);
  // The image directory is checked before anything runs.
  let refresh = (): void => {};
  let cp: import('../../handlers/checkpoint/index.js').Checkpointer | null = null;
  let writer: import('../checkpoint-dir.js').ImageWriter | null = null;
  if (dir !== undefined) {
    const [{ checkpoint }, { ImageWriter }] = await Promise.all([import('../../handlers/checkpoint/index.js'), import('../checkpoint-dir.js')]);
    cp = checkpoint({ contributors: [cliContributor(cli, () => refresh())] });
    writer = await ImageWriter.open(dir, '--checkpoint-dir', cp, fullEvery);
  }
  const stock = await loadStockHandlers(cli);
  const io = guestIo(values);
  const machine = cliMachine(cli, { memoryQuota, timeSlice, cpus, io, tier });
  try {
    machine.load(program, { argv: [path, ...guestArgs], envp: io.envp });
  } catch (err) {
    if (!(err instanceof QuotaExceededError) || memoryQuota === undefined) throw err;
    throw new CommandLineError(`--memory-quota ${values['memory-quota']}: too small to load ${path} and its 8 MiB stack (${err.message.replace(/^\w+: /, '')})`);
  }
  const plugins = installCliPlugins(machine, cli, false, stock, json.statsJson);
  const logs = await installJsonLogs(machine, path, json);
  refresh = plugins.refresh;
  if (cp !== null) machine.use(cp);
  const started = performance.now(), startedAt = machine.cpu.instret;
  const gdbPort = values.gdb === undefined ? undefined : parseGdbPort(values.gdb);
  let outcome: Awaited<ReturnType<typeof runLoop>> | null = null;
  // The run's directory starts empty: the newest image's number + 1 is the count written.
  const stopProgress = startProgress(process.stderr, () => ({ instructions: machine.cpu.instret, faults: cli.faults, images: writer?.newest == null ? 0 : Number(/(\d+)\.ckpt$/.exec(writer.newest)?.[1] ?? -1) + 1 }));
  try {
    const debugged = gdbPort === undefined ? null : await (await import('../gdb-server.js')).gdbSession(machine, gdbPort, cli);
    outcome = debugged ?? await runLoop(machine, { ...(maxInstructions === undefined ? {} : { maxInstructions }), images: writer === null ? null : { writer, every }, epochs: logs.epochs });
  } finally {
    stopProgress();
    logs.finish(outcome);
  }
  plugins.report(machine.cpu.instret - startedAt, (performance.now() - started) / 1000);
  return reportOutcome(machine, cli, outcome, maxInstructions, writer?.newest ?? null);
}
