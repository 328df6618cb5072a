/**
 * The JSON-lines logs of `faultline run` (docs/access-tracking.md):
 * `--access-log FILE` (with `--access-epoch N`), `--dirty-log=FILE` and
 * `--trace-faults=FILE`, and `--stats --json`. Each log starts with a
 * `header` record, has one record per epoch (or per fault) and ends with
 * a `summary` record when the run ends.
 */
import type { AccessTracking, DirtyLog, EpochRecord } from '../handlers/index.js';
import { accessName, causeName } from '../src/fault/cause.js';
import type { Machine } from '../src/machine/machine.js';
import { PAGE_SIZE } from '../src/memory/page.js';
import type { LoopOutcome } from './run-loop.js';
import { describeWithInstruction } from './fault-report.js';
import { JSON_FORMAT_VERSION, JsonLinesFile, jsonMappings } from './json-output.js';
import { CommandLineError, parseCount } from './usage-error.js';

/** Default `--access-epoch`: instructions per epoch. */
export const DEFAULT_ACCESS_EPOCH = 1_000_000;

/** The parseArgs options of the JSON logs (spread into a command's table). */
export const JSON_LOG_OPTIONS = {
  'access-log': { type: 'string' },
  'access-epoch': { type: 'string' },
  'access-idle': { type: 'string' },
  json: { type: 'boolean' },
  'dirty-log-file': { type: 'string' },
  'trace-faults-file': { type: 'string' },
} as const;

/** Help lines of the JSON logs. */
export const JSON_LOG_HELP = `  --access-log FILE      track page accesses (stock access-tracking handler)
                         and write one JSON line per epoch to FILE
  --access-epoch N       instructions per epoch of --access-log and
                         --dirty-log=FILE (default ${DEFAULT_ACCESS_EPOCH})
  --access-idle N        an epoch's idle list holds the pages untouched for
                         N epochs (default 4)
  --dirty-log=FILE       write the pages written, one JSON line per epoch,
                         to FILE (bare --dirty-log prints the count only)
  --trace-faults=FILE    write one JSON line per fault and its outcome to
                         FILE (bare --trace-faults prints lines to stderr)
  --json                 with --stats: print the statistics as one JSON
                         object on stderr
`;

/**
 * Rewrites `--dirty-log=FILE` and `--trace-faults=FILE` (before any `--`)
 * into the file options, so the bare flags keep their meaning.
 */
export function splitFileFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--') { out.push(...argv.slice(k)); break; }
    const m = /^--(dirty-log|trace-faults)=(.*)$/s.exec(a);
    if (m !== null) {
      if (m[2] === '') throw new CommandLineError(`--${m[1]}=FILE: the file name is empty`);
      out.push(`--${m[1]}-file`, m[2]!);
    } else {
      out.push(a);
    }
  }
  return out;
}

/** What the JSON options asked for. */
export interface JsonLogOptions {
  readonly accessLog: string | null;
  readonly epoch: number;
  readonly idleEpochs: number;
  readonly dirtyLogFile: string | null;
  readonly traceFile: string | null;
  readonly statsJson: boolean;
}

/** Reads the JSON options from parsed `values`. */
export function jsonLogOptions(values: Partial<Record<keyof typeof JSON_LOG_OPTIONS, string | boolean>>): JsonLogOptions {
  const epoch = values['access-epoch'] === undefined ? DEFAULT_ACCESS_EPOCH : parseCount('access-epoch', values['access-epoch'] as string);
  if (epoch < 1) throw new CommandLineError('--access-epoch: must be at least 1');
  const idle = values['access-idle'] === undefined ? 4 : parseCount('access-idle', values['access-idle'] as string);
  if (idle < 1) throw new CommandLineError('--access-idle: must be at least 1');
  return {
    accessLog: (values['access-log'] as string | undefined) ?? null,
    epoch,
    idleEpochs: idle,
    dirtyLogFile: (values['dirty-log-file'] as string | undefined) ?? null,
    traceFile: (values['trace-faults-file'] as string | undefined) ?? null,
    statsJson: values.json === true,
  };
}

/** An epoch record as the access log writes it. */
export function accessEpochJson(r: EpochRecord): Record<string, unknown> {
  return { type: 'epoch', ...r, instructions: r.endInstret - r.startInstret };
}

/** What {@link installJsonLogs} installed. */
export interface JsonLogs {
  /** Epoch boundaries for the run loop, or null when no log is per epoch. */
  readonly epochs: { readonly every: number; end(): void } | null;
  /** Ends the last epoch, writes the summary records and closes the files. */
  finish(outcome: LoopOutcome | null): void;
}

/** Counts faults by cause and by the handler that fixed them, for the summaries. */
class FaultCounts {
  readonly byCause: Record<string, number> = {};
  readonly byHandler: Record<string, number> = {};
  total = 0;
  unresolved = 0;
  constructor(machine: Machine) {
    machine.events.on('fault', (f) => { this.total++; const k = causeName(f.cause); this.byCause[k] = (this.byCause[k] ?? 0) + 1; });
    machine.events.on('fixed', (_f, by) => { this.byHandler[by] = (this.byHandler[by] ?? 0) + 1; });
    machine.events.on('unresolved', () => { this.unresolved++; });
  }
  json(): Record<string, unknown> {
    return { total: this.total, unresolved: this.unresolved, byCause: { ...this.byCause }, byHandler: { ...this.byHandler } };
  }
}

/** The run's outcome as JSON. */
function outcomeJson(outcome: LoopOutcome | null): Record<string, unknown> | null {
  if (outcome === null) return null;
  if (outcome.kind === 'signal') return { kind: 'host-signal', signal: outcome.signal };
  const r = outcome.result;
  return r.kind === 'fault' ? { kind: 'fault', cause: causeName(r.fault.cause), address: r.fault.address >>> 0, pc: r.fault.pc >>> 0 } : { ...r } as Record<string, unknown>;
}

/**
 * Installs the tracker, dirty log and fault trace the options name on
 * `machine` (loaded with `program`), writing the header records. The
 * stock handlers are loaded only when a log needs them (start-up time).
 */
export async function installJsonLogs(machine: Machine, program: string, options: JsonLogOptions): Promise<JsonLogs> {
  const files: JsonLinesFile[] = [];
  const ends: (() => void)[] = [];
  const finishes: ((outcome: LoopOutcome | null) => void)[] = [];
  const counts = new FaultCounts(machine);
  const startInstret = machine.cpu.instret;
  if (options.accessLog !== null) {
    const file = new JsonLinesFile(options.accessLog, '--access-log');
    files.push(file);
    const { accessTracking } = await import('../handlers/access-tracking/index.js');
    const tracker: AccessTracking = accessTracking({ epochInstructions: options.epoch, idleEpochs: options.idleEpochs });
    machine.use(tracker);
    file.write({ type: 'header', format: 'faultline-access-log', version: JSON_FORMAT_VERSION, program, pageSize: PAGE_SIZE, epochInstructions: options.epoch, idleEpochs: options.idleEpochs, startInstret, maps: jsonMappings(machine.addressSpace.mappings()) });
    let epochs = 0;
    ends.push(() => { file.write(accessEpochJson(tracker.endEpoch())); epochs++; });
    finishes.push((outcome) => {
      const last = tracker.current();
      if (last.endInstret > last.startInstret || last.workingSet > 0 || epochs === 0) { file.write(accessEpochJson(tracker.endEpoch())); epochs++; }
      file.write({ type: 'summary', epochs, instructions: machine.cpu.instret - startInstret, trackerFaults: tracker.faults, faults: counts.json(), outcome: outcomeJson(outcome), maps: jsonMappings(machine.addressSpace.mappings()) });
    });
  }
  if (options.dirtyLogFile !== null) {
    const file = new JsonLinesFile(options.dirtyLogFile, '--dirty-log');
    files.push(file);
    const { dirtyLog } = await import('../handlers/dirty-log.js');
    const log: DirtyLog = dirtyLog({ name: 'dirty-log-file' });
    machine.use(log);
    file.write({ type: 'header', format: 'faultline-dirty-log', version: JSON_FORMAT_VERSION, program, pageSize: PAGE_SIZE, epochInstructions: options.epoch, startInstret });
    let epoch = 0, start = startInstret, faultsBefore = 0;
    const ever = new Set<number>();
    const end = (): void => {
      const pages = Array.from(log.collect());
      for (const p of pages) ever.add(p);
      file.write({ type: 'epoch', epoch, startInstret: start, endInstret: machine.cpu.instret, pages, count: pages.length, faults: log.faults - faultsBefore });
      faultsBefore = log.faults;
      epoch++;
      start = machine.cpu.instret;
    };
    ends.push(end);
    finishes.push(() => {
      if (machine.cpu.instret > start || log.dirtyCount > 0 || epoch === 0) end();
      file.write({ type: 'summary', epochs: epoch, pages: ever.size, faults: log.faults });
    });
  }
  if (options.traceFile !== null) {
    const file = new JsonLinesFile(options.traceFile, '--trace-faults');
    files.push(file);
    file.write({ type: 'header', format: 'faultline-fault-trace', version: JSON_FORMAT_VERSION, program });
    let pending: Record<string, unknown> = {};
    machine.events.on('fault', (f) => {
      pending = {
        type: 'fault', instret: machine.cpu.instret, tid: f.tid, cause: f.cause, causeName: causeName(f.cause), access: accessName(f.access),
        address: f.address >>> 0, pc: f.pc >>> 0, size: f.size, protection: f.protection, description: describeWithInstruction(machine, f),
      };
    });
    machine.events.on('fixed', (_f, by) => file.write({ ...pending, outcome: 'fixed', by }));
    machine.events.on('unresolved', (_f, by) => file.write({ ...pending, outcome: 'unresolved', by }));
    finishes.push(() => file.write({ type: 'summary', faults: counts.json() }));
  }
  return {
    epochs: ends.length === 0 ? null : { every: options.epoch, end: () => { for (const e of ends) e(); } },
    finish(outcome) {
      try {
        for (const f of finishes) f(outcome);
      } finally {
        for (const f of files) f.close();
      }
    },
  };
}
