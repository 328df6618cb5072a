import { demandPaging, dirtyLog, migrateIn, type IncomingMigration } from '../../handlers/index.js';
import { listenForMigration } from '../../node/migration-channel.js';
import { FaultlineError } from '../../src/errors.js';
import type { RunResult } from '../../src/machine/run-result.js';
import { cliMachine, reportOutcome } from '../cli-machine.js';
import { installCliPlugins, type CliPlugins } from '../cli-plugins.js';
import { CLI_STATE_NAME, DEFAULT_FULL_EVERY, decodeCliState, newCliState, type CliState } from '../cli-state.js';
import { guestIo, hostDirectoryFor } from '../guest-io.js';
import { printError, writeAllSync } from '../output.js';
import type { LoopOutcome } from '../run-loop.js';
import { CommandLineError, parseCommandLine, parseCount } from '../usage-error.js';

/** Help text of `faultline receive`. */
export const RECEIVE_HELP = `Usage: faultline receive --port N [--host H] [options]

Waits for one guest sent by 'faultline migrate --to H:N', restores it once
the whole migration has arrived and checked out (every CRC, the chain
complete), and runs it on: the guest's output from the moment it stopped
on the source is printed here, and the exit status is the guest's.
Nothing runs unless the source committed the move. A line on stderr says
where it listens ('--port 0' picks a free port and that line names it),
and one reports the migration once the guest runs.

Options:
  --port N               the TCP port to listen on (0: any free port)
  --host H               the address to listen on (default 127.0.0.1)
  --timeout MS           longest wait for the source once it connected
                         (default 10000); a post-copy fault waits at most
                         this long for its page
  --max-instructions N   stop after N instructions (exit status 124)
  --json                 print the report as JSON (on stderr)
  --stdin FILE           the guest's standard input (default: this process's)
  -h, --help             show this help
`;

/** `faultline receive`: returns the process exit status. */
export async function receiveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('receive', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    timeout: { type: 'string' },
    'max-instructions': { type: 'string' },
    json: { type: 'boolean' },
    stdin: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(RECEIVE_HELP));
    return 0;
  }
  if (positionals.length > 0) throw new CommandLineError(`receive: unexpected argument '${positionals[0]}'`);
  if (values.port === undefined) throw new CommandLineError('receive: missing --port N (see faultline receive --help)');
  const port = parseCount('port', values.port);
  if (port > 65535) throw new CommandLineError(`--port: expected 0 to 65535, got ${port}`);
  const host = values.host ?? '127.0.0.1';
  const timeoutMs = values.timeout === undefined ? 10_000 : Math.max(1, parseCount('timeout', values.timeout));
  const maxInstructions = values['max-instructions'] === undefined ? undefined : parseCount('max-instructions', values['max-instructions']);

  const listener = await listenForMigration(port, host);
  printError(`faultline: receive: listening on ${host}:${listener.port}`);
  const channel = await listener.accept();
  listener.close();
  const io = guestIo({ stdin: values.stdin });
  let cli: CliState = newCliState(0, DEFAULT_FULL_EVERY, { demandPaging: [], dirtyLog: false, stats: false, traceFaults: false });
  let plugins: CliPlugins | null = null;
  const arrived = performance.now();
  const incoming = await migrateIn(channel, {
    timeoutMs,
    machine: (info) => {
      const saved = info.last.plugins.get(CLI_STATE_NAME);
      if (saved !== undefined) cli = decodeCliState(saved, info.last.name);
      cli.every = 0;
      return cliMachine(cli, { memoryQuota: info.last.meta.memoryQuota, io });
    },
    restore: { ignoreUnclaimedState: true, mountedDirectory: (mount) => hostDirectoryFor(mount.label, new Map()) },
    beforeResume: (machine) => {
      io.skipInput(machine.handles.stdin.consumed + machine.handles.stdin.pending.length);
      plugins = installCliPlugins(machine, cli, true, { demandPaging, dirtyLog });
    },
  });
  const report = { from: channel.peer, mode: incoming.mode, rounds: incoming.rounds, receivedMs: performance.now() - arrived };
  if (values.json === true) printError(JSON.stringify(report));
  else printError(`faultline: receive: guest from ${report.from} (${report.mode}, ${report.rounds} pre-copy images) runs here`);
  const machine = incoming.machine;
  const started = performance.now(), startedAt = machine.cpu.instret;
  const outcome = await runIncoming(incoming, maxInstructions);
  (plugins as CliPlugins | null)?.report(machine.cpu.instret - startedAt, (performance.now() - started) / 1000);
  if (incoming.mode === 'post-copy') printError(`faultline: receive: ${incoming.pagesOnDemand} pages fetched on demand after resume`);
  return reportOutcome(machine, cli, outcome, maxInstructions, null);
}

/** Runs the arrived guest in slices (asynchronously: a post-copy fault waits for its page), polling the migration between slices. */
async function runIncoming(incoming: IncomingMigration, maxInstructions: number | undefined): Promise<LoopOutcome> {
  const machine = incoming.machine;
  const stopAt = maxInstructions === undefined ? Infinity : machine.cpu.instret + maxInstructions;
  const slice = 1 << 20;
  let result: RunResult;
  try {
    for (;;) {
      result = await machine.runAsync({ maxInstructions: Math.min(slice, stopAt - machine.cpu.instret) });
      incoming.poll();
      if (result.kind !== 'limit' || machine.cpu.instret >= stopAt) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    const failure = incoming.error;
    await incoming.finish();
    if (failure !== null) throw new FaultlineError(failure.message);
    throw err;
  }
  await incoming.finish();
  return { kind: 'result', result };
}
