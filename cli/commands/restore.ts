import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeImage } from '../../src/checkpoint/image-reader.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/checkpoint/index.js';
import { ImageWriter, readChainEndingAt, readNewestChain, type ChainSource } from '../checkpoint-dir.js';
import { CLI_STATE_NAME, DEFAULT_FULL_EVERY, cliContributor, decodeCliState, newCliState, type CliState } from '../cli-state.js';
import { installCliPlugins, loadStockHandlers, parseRange, rangeText } from '../cli-plugins.js';
import { cliMachine, reportOutcome } from '../cli-machine.js';
import { writeAllSync } from '../output.js';
import { runLoop } from '../run-loop.js';
import { startProgress } from '../progress.js';
import { JSON_LOG_OPTIONS, installJsonLogs, jsonLogOptions, splitFileFlags } from '../json-logs.js';
import { CommandLineError, parseCommandLine, parseCount, parseGdbPort } from '../usage-error.js';
import { guestIo, guestIoHelp, hostDirectoryFor, parseRelinks } from '../guest-io.js';
import { isRemoteUrl, openRemoteChain, restoreRemote, type RemoteRestore } from '../../handlers/checkpoint/remote/index.js';
import { remoteFetchOptions, readTouchOrder, recordTouchOrder, REMOTE_RESTORE_HELP } from '../http-restore.js';

/** Help text of `faultline restore`. */
export const RESTORE_HELP = `Usage: faultline restore DIR|IMAGE|URL... [options]

Continues a program from the newest checkpoint image in DIR, or from the
image file IMAGE (with the images before it in its directory), written by
faultline run --checkpoint-every N --checkpoint-dir DIR. The chain of
images back to the newest full one is validated (every checksum, the
order of the images) and the machine is rebuilt in exactly the state of
the newest image, then runs on. Output the guest wrote after that image
is written again. A damaged image is refused with one line naming the
file and the byte offset (exit status 2), before anything runs.

The run's --demand-paging ranges, --dirty-log, --stats and --trace-faults
are recorded in its images and apply again; giving them here adds to
them (a --demand-paging range must equal a recorded one or lie in memory
the image leaves unmapped).

If the run was checkpointing, the restored run goes on writing images
into DIR (a new chain, starting with a full image, that replaces the
chain it continued). An IMAGE older than the newest of its directory is
continued only elsewhere: give --checkpoint-dir NEWDIR or --no-checkpoint.

Options:
  --lazy                 start at once with guest memory unpopulated; each
                         page is read from the images when first touched
  --max-instructions N   stop after N more instructions (exit status 124)
  --demand-paging ADDR:SIZE, --dirty-log, --stats, --trace-faults
                         as for faultline run (added to the recorded ones)
  --checkpoint-every N   write images every N instructions (default: as the
                         run did)
  --checkpoint-dir DIR   write further images into DIR (it must hold no
                         images yet) instead of the chain's directory
  --no-checkpoint        do not write further images
  --access-log FILE, --access-epoch N, --access-idle N, --dirty-log=FILE,
  --trace-faults=FILE, --json
                         JSON-lines logs of the restored run, as for
                         faultline run (not recorded in images)
  --relink OLD=NEW       re-create an external object elsewhere: a mounted
                         host directory recorded as OLD (its path) is
                         mounted from NEW; a handle on mounted file OLD
                         (guest path) opens NEW instead, unchecked; a
                         service session OLD opens through provider NEW.
                         May be given several times
  --gdb PORT             wait for a GDB client on 127.0.0.1:PORT (0: any
                         free port, printed on stderr) and let it control
                         the run (docs/debugging.md)
${REMOTE_RESTORE_HELP}${guestIoHelp(true)}  -h, --help             show this help
`;

/** `faultline restore`: returns the process exit status. */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('restore', splitFileFlags(argv), {
    lazy: { type: 'boolean' },
    'max-instructions': { type: 'string' },
    'demand-paging': { type: 'string', multiple: true },
    'dirty-log': { type: 'boolean' },
    stats: { type: 'boolean' },
    'trace-faults': { type: 'boolean' },
    'checkpoint-every': { type: 'string' },
    'checkpoint-dir': { type: 'string' },
    'no-checkpoint': { type: 'boolean' },
    relink: { type: 'string', multiple: true },
    stdin: { type: 'string' },
    'host-time': { type: 'boolean' },
    gdb: { type: 'string' },
    ...JSON_LOG_OPTIONS,
    prefetch: { type: 'string' },
    'record-order': { type: 'string' },
    timeout: { type: 'string' },
    retries: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(RESTORE_HELP));
    return 0;
  }
  const [from, ...extra] = positionals;
  if (from === undefined) throw new CommandLineError('restore: missing DIR or IMAGE (see faultline restore --help)');
  const remote = isRemoteUrl(from);
  if (extra.length > 0 && !(remote && extra.every(isRemoteUrl))) throw new CommandLineError(`restore: unexpected argument '${extra[0]}'`);
  if (!remote && (values.prefetch !== undefined || values.timeout !== undefined || values.retries !== undefined)) {
    throw new CommandLineError('restore: --prefetch, --timeout and --retries go with image URLs (http:// or https://)');
  }
  if (values['record-order'] !== undefined && values.lazy !== true) throw new CommandLineError('restore: --record-order needs --lazy (an eager restore touches every page at once)');
  if (values.prefetch !== undefined && values.lazy !== true) throw new CommandLineError('restore: --prefetch needs --lazy');
  const maxInstructions = values['max-instructions'] === undefined ? undefined : parseCount('max-instructions', values['max-instructions']);
  const givenRanges = (values['demand-paging'] ?? []).map(parseRange);
  const givenEvery = values['checkpoint-every'] === undefined ? undefined : parseCount('checkpoint-every', values['checkpoint-every']);
  if (givenEvery === 0) throw new CommandLineError('--checkpoint-every: must be at least 1 (or give --no-checkpoint)');
  if (values['no-checkpoint'] === true && (givenEvery !== undefined || values['checkpoint-dir'] !== undefined)) {
    throw new CommandLineError('restore: --no-checkpoint goes with neither --checkpoint-every nor --checkpoint-dir');
  }

  const fetchOptions = remote ? remoteFetchOptions(values) : {};
  const remoteChain = remote ? await openRemoteChain(positionals, fetchOptions) : null;
  const source = remoteChain !== null ? null : (await isFile(from)) ? await readChainEndingAt(from) : await readNewestChain(from);
  const newest = source === null ? null : source.chain[source.chain.length - 1]!;
  const image = newest === null ? remoteChain!.plan.last : decodeImage(newest.bytes, newest.name, { verifyPages: false });
  const saved = image.plugins.get(CLI_STATE_NAME);
  // An image taken through the API carries no command-line state: nothing was printed through us, no checkpointing.
  const cli: CliState = saved === undefined ? newCliState(0, DEFAULT_FULL_EVERY, { demandPaging: [], dirtyLog: false, stats: false, traceFaults: false }) : decodeCliState(saved, image.name);
  mergeOptions(cli, givenRanges, values);
  if (givenEvery !== undefined) cli.every = givenEvery;
  // Images restored from a server are continued into a local --checkpoint-dir only.
  if (remote && values['checkpoint-dir'] === undefined && givenEvery === undefined) cli.every = 0;
  const checkpointing = values['no-checkpoint'] !== true && cli.every > 0;
  if (!checkpointing) cli.every = 0;
  if (remote && checkpointing && values.lazy === true) {
    throw new CommandLineError('restore: a lazy restore from URLs writes no images (drop --lazy to continue into --checkpoint-dir, or give --no-checkpoint)');
  }
  if (values['checkpoint-dir'] !== undefined && cli.every === 0) {
    throw new CommandLineError('restore: --checkpoint-dir needs --checkpoint-every N (the run was not checkpointing)');
  }

  // The image directory is checked before the (possibly long) restore.
  let refresh = (): void => {};
  const cp = checkpointing ? checkpoint({ contributors: [cliContributor(cli, () => refresh())] }) : null;
  const writer = cp === null ? null : source === null
    ? await ImageWriter.open(values['checkpoint-dir']!, '--checkpoint-dir', cp, cli.fullEvery)
    : await openWriter(source, from, values['checkpoint-dir'], cp, cli.fullEvery);
  const prefetch = values.prefetch === undefined ? undefined : await readTouchOrder(values.prefetch);
  const relink = parseRelinks(values.relink ?? []);
  const io = guestIo({ stdin: values.stdin, 'host-time': values['host-time'] });
  const machine = cliMachine(cli, { memoryQuota: image.meta.memoryQuota, io });
  const restoreOptions = {
    lazy: values.lazy === true,
    ignoreUnclaimedState: true,
    relink,
    mountedDirectory: (mount: { readonly label: string }) => hostDirectoryFor(mount.label, relink),
  };
  let remoteRestore: RemoteRestore | null = null;
  let lazyRestore = null;
  if (remoteChain !== null) {
    remoteRestore = await restoreRemote(machine, remoteChain, { ...restoreOptions, ...fetchOptions, recordOrder: values['record-order'] !== undefined, ...(prefetch === undefined ? {} : { prefetch }) });
    lazyRestore = remoteRestore.lazy;
  } else {
    lazyRestore = restoreCheckpoint(machine, source!.chain, restoreOptions).lazy;
  }
  const order = values['record-order'] === undefined ? null : recordTouchOrder(remoteRestore, lazyRestore, image.header.chainId);
  // Input from a file goes on where the checkpointed guest had pulled it to.
  io.skipInput(machine.handles.stdin.consumed + machine.handles.stdin.pending.length);
  const json = jsonLogOptions(values);
  if (json.statsJson && !cli.config.stats) throw new CommandLineError('restore: --json goes with --stats');
  const plugins = installCliPlugins(machine, cli, true, await loadStockHandlers(cli), json.statsJson);
  const logs = await installJsonLogs(machine, from, json);
  refresh = plugins.refresh;
  if (cp !== null) machine.use(cp);
  const started = performance.now(), startedAt = machine.cpu.instret;
  const gdbPort = values.gdb === undefined ? undefined : parseGdbPort(values.gdb);
  let outcome: Awaited<ReturnType<typeof runLoop>> | null = null;
  const stopProgress = startProgress(process.stderr, () => ({ instructions: machine.cpu.instret, faults: cli.faults, images: writer?.newest == null ? 0 : Number(/(\d+)\.ckpt$/.exec(writer.newest)?.[1] ?? -1) + 1 }));
  try {
    const debugged = gdbPort === undefined ? null : await (await import('../gdb-server.js')).gdbSession(machine, gdbPort, cli);
    outcome = debugged ?? await runLoop(machine, {
      ...(maxInstructions === undefined ? {} : { maxInstructions }),
      images: writer === null ? null : { writer, every: cli.every },
      epochs: logs.epochs,
      ...(remoteRestore?.lazy == null ? {} : { async: { timeoutMs: remoteRestore.waitBoundMs } }),
    });
  } finally {
    stopProgress();
    logs.finish(outcome);
  }
  if (order !== null) await order.write(values['record-order']!);
  plugins.report(machine.cpu.instret - startedAt, (performance.now() - started) / 1000);
  return reportOutcome(machine, cli, outcome, maxInstructions, writer?.newest ?? null);
}

/**
 * Adds the options given to restore to the configuration the image
 * recorded. Flags turn a plugin or report on; a --demand-paging range must
 * equal a recorded one (then it changes nothing) or not overlap any.
 */
function mergeOptions(cli: CliState, ranges: { at: number; size: number }[], values: { 'dirty-log'?: boolean; stats?: boolean; 'trace-faults'?: boolean }): void {
  const config = cli.config;
  for (const r of ranges) {
    const same = config.demandPaging.find((o) => o.at === r.at && o.size === r.size);
    if (same !== undefined) continue;
    const clash = config.demandPaging.find((o) => o.at < r.at + r.size && r.at < o.at + o.size);
    if (clash !== undefined) {
      throw new CommandLineError(`--demand-paging ${rangeText(r)}: overlaps the range ${rangeText(clash)} the run was started with (give it exactly, or leave it out)`);
    }
    config.demandPaging.push(r);
  }
  if (values['dirty-log'] === true) config.dirtyLog = true;
  if (values.stats === true) config.stats = true;
  if (values['trace-faults'] === true) config.traceFaults = true;
}

/**
 * Where the restored run writes its images. Into `--checkpoint-dir` when
 * given (it must hold no images). Otherwise into the chain's directory,
 * replacing the images there — allowed only when the chain ends at the
 * newest image of the directory: continuing an older image there would
 * delete the newer ones, which the user did not ask for.
 */
async function openWriter(source: ChainSource, from: string, dir: string | undefined, cp: Parameters<typeof ImageWriter.open>[2], fullEvery: number): Promise<ImageWriter> {
  if (dir !== undefined && resolve(dir) !== resolve(source.dir)) return ImageWriter.open(dir, '--checkpoint-dir', cp, fullEvery);
  if (source.newer !== null) {
    throw new CommandLineError(
      `restore: ${from} is not the newest image of ${source.dir} (${source.newer.path} is); continuing it there would ` +
        `replace the newer images. Give --checkpoint-dir NEWDIR to write the continued run's images elsewhere, or --no-checkpoint`,
    );
  }
  return ImageWriter.open(source.dir, 'restore', cp, fullEvery, source.upTo);
}

/** True when `path` names something that is not a directory (a file, or anything else restore then refuses as an image). */
async function isFile(path: string): Promise<boolean> {
  try {
    return !(await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
