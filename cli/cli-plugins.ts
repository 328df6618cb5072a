/**
 * The stock plugins and reports the command line turns on (`--demand-paging`,
 * `--dirty-log`, `--stats`, `--trace-faults`), installed the same way on a
 * freshly loaded machine (`run`) and on a restored one (`restore`), with
 * the counters the image carried.
 */
import type { DirtyLog, demandPaging, dirtyLog } from '../handlers/index.js';
import { FaultlineError, hex32 } from '../src/errors.js';
import type { Machine } from '../src/machine/machine.js';
import { PAGE_SIZE } from '../src/memory/page.js';
import type { RegionMap } from '../src/memory/region-map.js';
import type { CliState, PagingRange } from './cli-state.js';
import { FaultStats, traceFaults } from './fault-report.js';
import { printError } from './output.js';
import { CommandLineError, parseCount, parseSize } from './usage-error.js';

/** `ADDR:SIZE` as the user writes it, for messages. */
export function rangeText(r: PagingRange): string {
  return `${hex32(r.at)}:${hex32(r.size)}`;
}

/**
 * Parses `ADDR:SIZE` of --demand-paging: ADDR decimal or 0x hex, SIZE the
 * same or with a K/M/G suffix; both page aligned, the range inside 32 bits.
 */
export function parseRange(text: string): PagingRange {
  const parts = text.split(':');
  if (parts.length !== 2) throw new CommandLineError(`--demand-paging: expected ADDR:SIZE (e.g. 0x50000000:64K), got '${text}'`);
  const at = parseCount('demand-paging', parts[0]!);
  const size = parseSize('demand-paging', parts[1]!);
  if (at % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || size === 0 || at + size > 2 ** 32) {
    throw new CommandLineError(`--demand-paging: ADDR and SIZE must be multiples of ${PAGE_SIZE}, SIZE > 0, within 4 GiB; got '${text}'`);
  }
  return { at, size };
}

/** The stock handler factories {@link installCliPlugins} uses. */
export interface StockHandlers {
  readonly demandPaging: typeof demandPaging;
  readonly dirtyLog: typeof dirtyLog;
}

/**
 * The stock handlers `cli.config` needs, loaded now, or null when it needs
 * none: the handlers bring the core's whole public API (about 50 modules),
 * which a plain run does not load (start-up time).
 */
export async function loadStockHandlers(cli: CliState): Promise<StockHandlers | null> {
  if (cli.config.demandPaging.length === 0 && !cli.config.dirtyLog) return null;
  const [{ demandPaging }, { dirtyLog }] = await Promise.all([import('../handlers/demand-paging/index.js'), import('../handlers/dirty-log.js')]);
  return { demandPaging, dirtyLog };
}

/** What {@link installCliPlugins} installed: the end-of-run report and the state refresh for images. */
export interface CliPlugins {
  /** Prints the `--stats` and `--dirty-log` lines; `executed` instructions ran in `seconds` in this process. */
  report(executed: number, seconds: number): void;
  /** Copies the live counters into the state (before an image is taken). */
  refresh(): void;
}

/**
 * Installs what `cli.config` names on `machine`, in the order `run` uses:
 * a demand-paging handler per range, the dirty log, the statistics and the
 * fault trace; counts faults into `cli.faults`. `statsJson` (`--stats
 * --json`) prints the statistics as one JSON object instead of lines. On a restored machine
 * (`restored`) a range the image already holds as a managed region is
 * taken over (the pages attached before the image stay), and the dirty
 * set and statistics continue from the counts in `cli`. `stock` holds the
 * handler factories ({@link loadStockHandlers}).
 *
 * @throws CommandLineError when a range overlaps memory already mapped, naming --demand-paging.
 */
export function installCliPlugins(machine: Machine, cli: CliState, restored: boolean, stock: StockHandlers | null, statsJson = false): CliPlugins {
  machine.events.on('fault', () => { cli.faults++; });
  if (stock === null && (cli.config.demandPaging.length > 0 || cli.config.dirtyLog)) {
    throw new FaultlineError('installCliPlugins: the stock handlers were not loaded (loadStockHandlers)');
  }
  for (const range of cli.config.demandPaging) {
    const name = `demand-paging ${hex32(range.at)}`;
    const region = restored ? managedRegionAt(machine, range) : null;
    if (region === null) {
      const busy = machine.addressSpace.root.regions().find((r) => r.at < range.at + range.size && range.at < r.at + r.size);
      if (busy !== undefined) {
        throw new CommandLineError(`--demand-paging ${rangeText(range)}: the range overlaps memory already mapped at ${hex32(busy.at)}-${hex32(busy.at + busy.size)}${busy.name === undefined ? '' : ` (${busy.name})`}`);
      }
      machine.use(stock!.demandPaging({ at: range.at, size: range.size, backing: { kind: 'zero' }, name }));
    } else {
      machine.use(stock!.demandPaging({ region, backing: { kind: 'zero' }, name }));
    }
  }
  let log: DirtyLog | null = null;
  let dirtyFaultsBefore = 0;
  if (cli.config.dirtyLog) {
    log = stock!.dirtyLog();
    machine.use(log);
    if (cli.dirty !== null) {
      for (const page of cli.dirty.pages) log.markDirty(page * PAGE_SIZE, PAGE_SIZE);
      dirtyFaultsBefore = cli.dirty.faults;
    }
  }
  const stats = cli.config.stats ? new FaultStats(machine, cli.stats) : null;
  if (cli.config.traceFaults) traceFaults(machine, printError);
  return {
    report(executed, seconds) {
      if (stats !== null && statsJson) printError(JSON.stringify(stats.json(machine, machine.cpu.instret, executed, seconds)));
      else if (stats !== null) for (const line of [...stats.lines(machine.cpu.instret, executed, seconds), ...stats.threadLines(machine), ...stats.rseqLines(machine)]) printError(line);
      if (log !== null) printError(`[dirty-log] ${log.dirtyCount} pages written, ${dirtyFaultsBefore + log.faults} first-write faults`);
    },
    refresh() {
      if (stats !== null) cli.stats = stats.counts();
      if (log !== null) {
        // collect() empties the set and protects its pages again; marking
        // them dirty puts both back as they were.
        const pages = log.collect();
        for (const page of pages) log.markDirty(page, PAGE_SIZE);
        cli.dirty = { pages: Array.from(pages, (a) => a / PAGE_SIZE), faults: dirtyFaultsBefore + log.faults };
      }
    },
  };
}

/** The region map a restored machine holds exactly at `range` in its root, or null. */
function managedRegionAt(machine: Machine, range: PagingRange): RegionMap | null {
  const r = machine.addressSpace.root.lookup(range.at);
  if (r === undefined || r.at !== range.at || r.size !== range.size || !r.target.isRegionMap) return null;
  return r.target;
}
