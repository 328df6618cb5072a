import { stat } from 'node:fs/promises';
import { checkpoint, restoreCheckpoint, type Checkpointer } from '../../handlers/checkpoint/index.js';
import { MigrationError, migrateOut, type MigrationReport } from '../../handlers/migration/index.js';
import { connectMigration } from '../../node/migration-channel.js';
import { decodeImage } from '../../src/checkpoint/image-reader.js';
import { QuotaExceededError } from '../../src/errors.js';
import type { Machine } from '../../src/machine/machine.js';
import { readChainEndingAt, readNewestChain } from '../checkpoint-dir.js';
import { cliMachine, reportOutcome } from '../cli-machine.js';
import { installCliPlugins, loadStockHandlers, parseRange, type CliPlugins } from '../cli-plugins.js';
import { CLI_STATE_NAME, DEFAULT_FULL_EVERY, cliContributor, decodeCliState, newCliState, type CliState } from '../cli-state.js';
import { GUEST_IO_OPTIONS, guestIo, guestIoHelp, hostDirectoryFor } from '../guest-io.js';
import { loadProgramFile } from '../load-file.js';
import { printError, writeAllSync } from '../output.js';
import { runLoop } from '../run-loop.js';
import { startProgress } from '../progress.js';
import { CommandLineError, parseCommandLine, parseCount, parseSize } from '../usage-error.js';

/** Help text of `faultline migrate`. */
export const MIGRATE_HELP = `Usage: faultline migrate --to HOST:PORT PROGRAM [options] [--] [guest arguments...]
       faultline migrate --to HOST:PORT --restore DIR|IMAGE [options]

Runs PROGRAM (or continues the newest image of DIR, or IMAGE) and moves it
while it runs to a destination started with 'faultline receive --port N'.
Pre-copy (the default): incremental images go over while the guest keeps
running, until the set of pages written per round stops shrinking or a
bound is hit; then the guest stops, the last delta goes over and the
destination continues the guest, printing what it writes from there on.
The guest's output before the stop is printed here. A report (rounds,
bytes, downtime) goes to stderr. If the migration fails before the
destination took over, the guest keeps running here (a line says why).

Options:
  --to HOST:PORT         the destination (required)
  --restore DIR|IMAGE    migrate a checkpointed guest instead of PROGRAM
  --after N              run N instructions here before migrating (default 0)
  --post-copy            stop at once, start the destination with the
                         non-memory state only, send pages on demand and
                         push the rest in the background
  --max-rounds N         at most N pre-copy rounds (default 30)
  --max-bytes SIZE       stop pre-copy once SIZE bytes were sent
  --max-ms N             stop pre-copy after N milliseconds (default 60000)
  --target-pages N       a round of at most N pages ends pre-copy (default 64)
  --timeout MS           longest wait for the destination (default 10000)
  --json                 print the report as JSON (on stderr)
  --memory-quota SIZE, --time-slice N, --cpus N, --stats, --dirty-log,
  --trace-faults, --demand-paging ADDR:SIZE
                         as for faultline run
${guestIoHelp(false)}  -h, --help             show this help
`;

/** `faultline migrate`: returns the process exit status. */
export async function migrateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('migrate', argv, {
    to: { type: 'string' },
    restore: { type: 'string' },
    after: { type: 'string' },
    'post-copy': { type: 'boolean' },
    'max-rounds': { type: 'string' },
    'max-bytes': { type: 'string' },
    'max-ms': { type: 'string' },
    'target-pages': { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    'memory-quota': { type: 'string' },
    'time-slice': { type: 'string' },
    cpus: { type: 'string' },
    'trace-faults': { type: 'boolean' },
    stats: { type: 'boolean' },
    'demand-paging': { type: 'string', multiple: true },
    'dirty-log': { type: 'boolean' },
    ...GUEST_IO_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(MIGRATE_HELP));
    return 0;
  }
  if (values.to === undefined) throw new CommandLineError('migrate: missing --to HOST:PORT (see faultline migrate --help)');
  const { host, port } = parseHostPort(values.to);
  const [path, ...guestArgs] = positionals;
  if ((path === undefined) === (values.restore === undefined)) {
    throw new CommandLineError(values.restore === undefined ? 'migrate: missing PROGRAM or --restore DIR|IMAGE (see faultline migrate --help)' : 'migrate: give PROGRAM or --restore, not both');
  }
  const after = values.after === undefined ? 0 : parseCount('after', values.after);
  const timeoutMs = values.timeout === undefined ? 10_000 : Math.max(1, parseCount('timeout', values.timeout));
  const bounds = {
    ...(values['max-rounds'] === undefined ? {} : { maxRounds: parseCount('max-rounds', values['max-rounds']) }),
    ...(values['max-bytes'] === undefined ? {} : { maxBytes: parseSize('max-bytes', values['max-bytes']) }),
    ...(values['max-ms'] === undefined ? {} : { maxMs: parseCount('max-ms', values['max-ms']) }),
    ...(values['target-pages'] === undefined ? {} : { targetPages: parseCount('target-pages', values['target-pages']) }),
  };
  const config = { demandPaging: (values['demand-paging'] ?? []).map(parseRange), dirtyLog: values['dirty-log'] === true, stats: values.stats === true, traceFaults: values['trace-faults'] === true };
  const io = guestIo(values);
  let cli: CliState;
  let machine: Machine;
  let plugins: CliPlugins;
  let refresh = (): void => {};
  if (values.restore !== undefined) {
    const from = values.restore;
    const source = (await isFile(from)) ? await readChainEndingAt(from) : await readNewestChain(from);
    const newest = source.chain[source.chain.length - 1]!;
    const image = decodeImage(newest.bytes, newest.name, { verifyPages: false });
    const saved = image.plugins.get(CLI_STATE_NAME);
    cli = saved === undefined ? newCliState(0, DEFAULT_FULL_EVERY, config) : decodeCliState(saved, newest.name);
    cli.every = 0;
    machine = cliMachine(cli, { memoryQuota: image.meta.memoryQuota, io });
    restoreCheckpoint(machine, source.chain, { ignoreUnclaimedState: true, mountedDirectory: (mount) => hostDirectoryFor(mount.label, new Map()) });
    io.skipInput(machine.handles.stdin.consumed + machine.handles.stdin.pending.length);
    plugins = installCliPlugins(machine, cli, true, await loadStockHandlers(cli));
  } else {
    const memoryQuota = values['memory-quota'] === undefined ? undefined : parseSize('memory-quota', values['memory-quota']);
    const timeSlice = values['time-slice'] === undefined ? undefined : parseCount('time-slice', values['time-slice']);
    const cpus = values.cpus === undefined ? undefined : parseCount('cpus', values.cpus);
    cli = newCliState(0, DEFAULT_FULL_EVERY, config);
    const program = await loadProgramFile(path!);
    machine = cliMachine(cli, { memoryQuota, timeSlice, cpus, io });
    try {
      machine.load(program, { argv: [path!, ...guestArgs], envp: io.envp });
    } catch (err) {
      if (!(err instanceof QuotaExceededError) || memoryQuota === undefined) throw err;
      throw new CommandLineError(`--memory-quota ${values['memory-quota']}: too small to load ${path} and its 8 MiB stack (${err.message.replace(/^\w+: /, '')})`);
    }
    plugins = installCliPlugins(machine, cli, false, await loadStockHandlers(cli));
  }
  refresh = plugins.refresh;
  const cp: Checkpointer = checkpoint({ contributors: [cliContributor(cli, () => refresh())] });
  machine.use(cp);

  const started = performance.now(), startedAt = machine.cpu.instret;
  // The progress line (a terminal only) covers the run here and the pre-copy rounds.
  const stopProgress = startProgress(process.stderr, () => ({ instructions: machine.cpu.instret, faults: cli.faults, images: 0 }));
  const migrateHere = async (): Promise<number> => {
    const finishHere = async (maxInstructions?: number): Promise<number> => {
      const outcome = await runLoop(machine, maxInstructions === undefined ? {} : { maxInstructions });
      plugins.report(machine.cpu.instret - startedAt, (performance.now() - started) / 1000);
      return reportOutcome(machine, cli, outcome, maxInstructions, null);
    };
    if (after > 0) {
      const outcome = await runLoop(machine, { maxInstructions: after });
      if (outcome.kind !== 'result' || outcome.result.kind !== 'limit') {
        printError('faultline: migrate: the guest ended before it was migrated');
        plugins.report(machine.cpu.instret - startedAt, (performance.now() - started) / 1000);
        return reportOutcome(machine, cli, outcome, undefined, null);
      }
    }
    try {
      const channel = await connectMigration(host, port, timeoutMs);
      const result = await migrateOut(machine, cp, channel, { ...bounds, postCopy: values['post-copy'] === true, timeoutMs });
      if (result.kind === 'ended') {
        printError('faultline: migrate: the guest ended during pre-copy; nothing was migrated');
        plugins.report(machine.cpu.instret - startedAt, (performance.now() - started) / 1000);
        return reportOutcome(machine, cli, { kind: 'result', result: result.result }, undefined, null);
      }
      printReport(result.report, `${host}:${port}`, values.json === true);
      return 0;
    } catch (err) {
      if (!(err instanceof MigrationError)) throw err;
      if (err.committed) {
        printError(`faultline: ${err.message} (the destination had taken over; the guest does not run on here)`);
        return 1;
      }
      printError(`faultline: ${err.message}; the guest keeps running here`);
      return finishHere();
    }
  };
  try {
    return await migrateHere();
  } finally {
    stopProgress();
  }
}

/** Prints `report` on stderr: one line and a line per round, or JSON. */
function printReport(report: MigrationReport, peer: string, json: boolean): void {
  if (json) {
    printError(JSON.stringify({ to: peer, ...report, bytesRatio: ratio(report) }));
    return;
  }
  const ms = report.downtimeMs.toFixed(2);
  printError(
    `faultline: migrated to ${peer} (${report.mode}): downtime ${ms} ms, ${report.rounds.length} pre-copy rounds, ` +
      `${report.bytesSent} bytes sent for ${report.residentBytes} resident (ratio ${ratio(report).toFixed(3)}), final delta ${report.finalPages} pages` +
      (report.mode === 'post-copy' ? `, ${report.pagesFetchedAfterResume} pages fetched on demand after resume` : '') +
      (report.rounds.length > 0 ? `; pre-copy stopped: ${report.stopReason}` : ''),
  );
  for (const r of report.rounds) printError(`  round ${r.round}: ${r.pages} pages, ${r.bytes} bytes, ${r.instructions} guest instructions meanwhile`);
}

/** Bytes sent ÷ resident bytes. */
function ratio(report: MigrationReport): number {
  return report.residentBytes === 0 ? 0 : report.bytesSent / report.residentBytes;
}

/** `HOST:PORT` (IPv6 in brackets). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port < 1 || port > 65535) throw new CommandLineError(`--to: expected HOST:PORT with a port from 1 to 65535, got '${text}'`);
  return { host: m[1] ?? m[2]!, port };
}

/** True when `path` names something that is not a directory. */
async function isFile(path: string): Promise<boolean> {
  try {
    return !(await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
