/**
 * What the command line saves in every checkpoint image, as the plugin
 * state `faultline-cli` (JSON): how much output the guest had written,
 * how the run was checkpointing, the stock plugins it ran with and their
 * counters — so that a plain `faultline restore DIR` continues exactly as
 * the uninterrupted run would have (docs/command-line.md).
 */
import type { CheckpointContributor } from '../handlers/checkpoint/index.js';
import { FormatError } from '../src/errors.js';
import { PAGE_SIZE } from '../src/memory/page.js';

/** Images per chain (one full, then incremental ones) unless --checkpoint-full-every says otherwise. */
export const DEFAULT_FULL_EVERY = 16;

/** Name of the command line's plugin state in images. */
export const CLI_STATE_NAME = 'faultline-cli';

/** One `--demand-paging ADDR:SIZE` range. */
export interface PagingRange {
  readonly at: number;
  readonly size: number;
}

/** The stock plugins and reports a run was started with. */
export interface PluginConfig {
  /** `--demand-paging` ranges, in the order given. */
  demandPaging: PagingRange[];
  /** `--dirty-log`. */
  dirtyLog: boolean;
  /** `--stats`. */
  stats: boolean;
  /** `--trace-faults`. */
  traceFaults: boolean;
}

/** Fault counts of `--stats`. */
export interface StatsCounts {
  byCause: [string, number][];
  byHandler: [string, number][];
  unresolved: number;
}

/** The dirty log of `--dirty-log`: the page numbers in its set, and its fault count. */
export interface DirtyCounts {
  pages: number[];
  faults: number;
}

/** Everything the command line saves in an image. */
export interface CliState {
  /** Bytes the guest had written to stdout and stderr when the image was taken. */
  stdoutBytes: number;
  stderrBytes: number;
  /** `--checkpoint-every` of the run (0: none). */
  every: number;
  /** Images per chain before a new full image. */
  fullEvery: number;
  /** Faults dispatched so far (for the line printed on an interrupt). */
  faults: number;
  /** The plugins the run was started with. */
  config: PluginConfig;
  /** Counters of `--stats`, when on. */
  stats: StatsCounts | null;
  /** The dirty set of `--dirty-log`, when on. */
  dirty: DirtyCounts | null;
}

/** A state for a run started from the command line. */
export function newCliState(every: number, fullEvery: number, config: PluginConfig): CliState {
  return { stdoutBytes: 0, stderrBytes: 0, every, fullEvery, faults: 0, config, stats: null, dirty: null };
}

/**
 * The contributor saving `state` in every image. `refresh` runs first and
 * fills in the live counters (stats, dirty set). Restoring goes through
 * {@link decodeCliState} instead, before the machine is built.
 */
export function cliContributor(state: CliState, refresh: () => void): CheckpointContributor {
  return {
    name: CLI_STATE_NAME,
    saveState: () => {
      refresh();
      return new TextEncoder().encode(JSON.stringify(compact(state)));
    },
    restoreState: () => {},
  };
}

/** `state` without the fields that hold their defaults (no plugin, no counters): smaller images. */
function compact(state: CliState): Partial<CliState> {
  const { config, stats, dirty, ...rest } = state;
  const c = config;
  const plain = c.demandPaging.length === 0 && !c.dirtyLog && !c.stats && !c.traceFaults;
  return { ...rest, ...(plain ? {} : { config: c }), ...(stats === null ? {} : { stats }), ...(dirty === null ? {} : { dirty }) };
}

/**
 * Decodes the command line's state saved in image `image`, checking every
 * field: a state that is not JSON, not an object, or holds a value of the
 * wrong type is refused. Fields that images of earlier versions lack
 * (the plugin configuration, the counters) get their defaults.
 *
 * @throws FormatError `image: plugin state 'faultline-cli': reason`.
 */
export function decodeCliState(bytes: Uint8Array, image: string): CliState {
  const fail = (reason: string): never => { throw new FormatError(`${image}: plugin state '${CLI_STATE_NAME}': ${reason}`); };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return fail('not valid JSON text');
  }
  const object = (v: unknown, what: string): Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`${what} is not an object`);
  const count = (v: unknown, what: string, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : fail(`${what} is not a non-negative integer`);
  };
  const flag = (v: unknown, what: string): boolean => (v === undefined ? false : typeof v === 'boolean' ? v : fail(`${what} is not true or false`));
  const list = (v: unknown, what: string): unknown[] => (Array.isArray(v) ? v : fail(`${what} is not a list`));
  const pairs = (v: unknown, what: string): [string, number][] =>
    list(v, what).map((p, k) => {
      const pair = list(p, `${what}[${k}]`);
      // Names are printed by --stats: short, and without control characters.
      if (pair.length !== 2 || typeof pair[0] !== 'string' || pair[0].length > 200 || /[\x00-\x1f\x7f]/.test(pair[0])) fail(`${what}[${k}] is not a [name, count] pair`);
      return [pair[0] as string, count(pair[1], `${what}[${k}]`)];
    });

  const s = object(value, 'the state');
  const c = s['config'] === undefined ? {} : object(s['config'], 'config');
  const demandPaging = (c['demandPaging'] === undefined ? [] : list(c['demandPaging'], 'config.demandPaging')).map((r, k) => {
    const range = object(r, `config.demandPaging[${k}]`);
    const at = count(range['at'], `config.demandPaging[${k}].at`), size = count(range['size'], `config.demandPaging[${k}].size`);
    if (at % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || size === 0 || at + size > 2 ** 32) fail(`config.demandPaging[${k}] is not a page-aligned range inside 4 GiB`);
    return { at, size };
  });
  let stats: StatsCounts | null = null;
  if (s['stats'] !== undefined && s['stats'] !== null) {
    const t = object(s['stats'], 'stats');
    stats = { byCause: pairs(t['byCause'], 'stats.byCause'), byHandler: pairs(t['byHandler'], 'stats.byHandler'), unresolved: count(t['unresolved'], 'stats.unresolved') };
  }
  let dirty: DirtyCounts | null = null;
  if (s['dirty'] !== undefined && s['dirty'] !== null) {
    const d = object(s['dirty'], 'dirty');
    const pages = list(d['pages'], 'dirty.pages').map((p, k) => {
      const page = count(p, `dirty.pages[${k}]`);
      return page < 2 ** 32 / PAGE_SIZE ? page : fail(`dirty.pages[${k}] is not a page number of the 32-bit address space`);
    });
    dirty = { pages, faults: count(d['faults'], 'dirty.faults') };
  }
  return {
    stdoutBytes: count(s['stdoutBytes'], 'stdoutBytes'),
    stderrBytes: count(s['stderrBytes'], 'stderrBytes'),
    every: count(s['every'], 'every'),
    fullEvery: Math.max(1, count(s['fullEvery'], 'fullEvery')),
    faults: count(s['faults'], 'faults', 0),
    config: { demandPaging, dirtyLog: flag(c['dirtyLog'], 'config.dirtyLog'), stats: flag(c['stats'], 'config.stats'), traceFaults: flag(c['traceFaults'], 'config.traceFaults') },
    stats,
    dirty,
  };
}
