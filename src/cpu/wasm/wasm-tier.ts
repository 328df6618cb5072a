import { CODE_MAP_SLOTS, WasmLayout } from '../../memory/physical-memory.js';
import { compileBlock, type BlockHost, type CompiledBlock } from '../block-compiler.js';
import { MULTIPLY } from '../multiply.js';
import type { PageBlocks } from '../page-blocks.js';
import { naturalLeaders } from '../region-discovery.js';
import { compileWasmRegion } from './wasm-compiler.js';
import { codeMapSlot, dispatcherModule } from './wasm-dispatcher.js';

/*
 * Runtime of the wasm tier: compiles regions to modules (once per distinct
 * module bytes, shared by every machine), instantiates them per cpu against
 * that cpu's memory and slow paths, puts each in the cpu's function table
 * and its entry pcs in the code map, and wraps it as a CompiledBlock that
 * enters the dispatcher (wasm-dispatcher.ts): from there, control goes
 * from region to region inside wasm until something needs JavaScript.
 * The cpu's registers already live in the wasm memory (Cpu.x is a view of
 * the register area), so a call copies nothing.
 *
 * The code map must never send the dispatcher to a region whose code is
 * stale: whenever the address space drops decoded code (a mapping, execute
 * right or contents changed) or a store rewrites a decoded slot, the
 * page's entries are taken out of the map (forgetPages) before anything
 * runs again.
 */

/** What a wasm-tier cpu gives its regions: the memory and the slow paths. @internal */
export interface WasmHost extends BlockHost {
  slowPath: boolean;
}

/**
 * Largest budget passed to one call. Small enough that a call returns
 * every few milliseconds: V8 runs a new module's baseline code until its
 * optimized code is ready and switches only at the next call.
 */
const MAX_CALL_BUDGET = 1 << 20;

/** A region in the cpu's function table; `live` until its page's code is dropped. */
interface TableEntry {
  readonly index: number;
  live: boolean;
}

/** A page's regions and the entry pcs put in the code map. */
interface PageRegions {
  readonly regions: TableEntry[];
  readonly pcs: number[];
}

/** Modules compiled in a page after which its threshold is raised (compileHot). */
const BUSY_PAGE = 16;

/** Tag of an empty code-map slot: a fresh memory's zero (a slot holding pc is tagged pc + 1, see wasm-dispatcher.ts). */
const EMPTY_TAG = 0;

/** The per-cpu side of the tier: imports, function table, code map. @internal */
export class WasmTier {
  private readonly imports: Record<string, Record<string, unknown>>;
  private readonly words: Int32Array;
  private readonly map: Int32Array;
  private readonly table: WebAssembly.Table | null;
  private readonly dispatch: ((pc: number, budget: number, index: number) => number) | null;
  /** Table indexes free for reuse. */
  private readonly freeIndexes: number[] = [];
  private nextIndex = 0;
  /** Regions per virtual page, to take out of the map when the page's code is dropped. */
  private readonly pages = new Map<number, PageRegions>();
  /** Scratch list of a page's starts (compileHot). */
  private readonly roots: number[] = [];
  /** Set when this runtime refused to compile a module (a policy): the cpu falls back. */
  refused = false;

  constructor(private readonly host: WasmHost, memory: WebAssembly.Memory) {
    const words = new Int32Array(memory.buffer, WasmLayout.registers, 64);
    this.words = words;
    this.map = new Int32Array(memory.buffer, WasmLayout.codeMap, CODE_MAP_SLOTS * 2);
    let table: WebAssembly.Table | null = null;
    let dispatch: WasmTier['dispatch'] = null;
    try {
      table = new WebAssembly.Table({ element: 'anyfunc', initial: 64 });
      dispatcher ??= new WebAssembly.Module(dispatcherModule());
      const instance = new WebAssembly.Instance(dispatcher, { c: { m: memory, t: table } });
      dispatch = instance.exports['dispatch'] as (pc: number, budget: number, index: number) => number;
    } catch {
      this.refused = true;
    }
    this.table = table;
    this.dispatch = dispatch;
    // The slow paths are the same two functions for every cpu, so that V8
    // optimizes them once per process, not once per machine: the cpu that
    // entered wasm is `caller` (WasmBlock.run sets it).
    this.imports = { c: { m: memory, load: slowLoad, store: slowStore } };
  }

  /**
   * Compiles page `page`'s hot code at instruction slot `i` (heat reached
   * its threshold) into its blocks, and returns the page's threshold from
   * now on. The policy:
   * - the first module of a page holds all of its code that a jump can
   *   enter (naturalLeaders: switch cases, return points), one function
   *   per start, so that a switch's cases are not interpreted one entry
   *   at a time;
   * - a later module (an entry that no start reached, such as a jump into
   *   straight code) holds the page's compiled entries again, so that jumps
   *   between them stay inside one module; past 16 modules only at the
   *   32nd, 64th... (recompiling costs O(n log n), not O(n²)), and the
   *   page's threshold is raised: a page entered at ever new places (a
   *   large state machine) compiles only its hotter entries, since a
   *   module costs about a millisecond;
   * - where this runtime refuses to compile (a policy), the block tier
   *   takes over.
   */
  compileHot(page: PageBlocks, code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array, jitThreshold: number): number {
    const { blocks, heat } = page;
    const roots = this.roots;
    roots.length = 0;
    page.entered = 0;
    const compiles = ++page.compiles;
    if (compiles === BUSY_PAGE) page.threshold = Math.min(jitThreshold * 4, 65535);
    if (compiles <= BUSY_PAGE || (compiles & (compiles - 1)) === 0) for (let s = 0; s < 1024; s++) if (blocks[s] != null) roots.push(s);
    if (compiles === 1) naturalLeaders(code, pageBase, frame, m32, roots);
    const region = this.compile(code, i, pageBase, frame, m32, roots);
    if (region === null) {
      blocks[i >>> 1] = this.refused ? compileBlock(code, i, pageBase, frame, m32, MULTIPLY) : null;
      return page.threshold;
    }
    // Its other instructions start over cold: the interpreter ran them as
    // often as the entry, and one more step (at the end of a budget) must
    // not compile a module from each of them.
    for (let s = 0; s < 1024; s++) if (region.taken[s] !== 0) heat[s] = 0;
    for (let k = 0; k < region.entries.length; k++) blocks[region.entries[k]!] = region.blocks[k];
    return page.threshold;
  }

  /**
   * Compiles and instantiates the region reachable from slot `i` of the
   * decoded page and from `roots` (see compileWasmRegion), and enters it
   * in the code map. Null when its first instruction is not compilable,
   * or when WebAssembly compilation is refused (then {@link refused} is set).
   */
  private compile(code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array, roots: readonly number[]): { blocks: readonly CompiledBlock[]; entries: readonly number[]; taken: Uint8Array } | null {
    const table = this.table, dispatch = this.dispatch;
    if (table === null || dispatch === null) return null;
    const region = compileWasmRegion(code, i, pageBase, frame, m32, roots);
    if (region === null) return null;
    let module: WebAssembly.Module;
    let instance: WebAssembly.Instance;
    try {
      const key = keyOf(region.bytes);
      const cached = moduleCache.get(key);
      if (cached !== undefined && sameBytes(cached.bytes, region.bytes)) module = cached.module;
      else {
        module = new WebAssembly.Module(region.bytes);
        if (moduleCache.size >= MODULE_CACHE_LIMIT) moduleCache.clear();
        moduleCache.set(key, { bytes: region.bytes, module });
      }
      instance = new WebAssembly.Instance(module, this.imports);
    } catch {
      this.refused = true;
      return null;
    }
    const vpage = pageBase >>> 12;
    let page = this.pages.get(vpage);
    if (page === undefined) {
      page = { regions: [], pcs: [] };
      this.pages.set(vpage, page);
    }
    const blocks: CompiledBlock[] = [];
    const entries: number[] = [];
    region.functions.forEach((fn, k) => {
      const index = this.allocateIndex(table);
      table.set(index, instance.exports[`r${k}`]);
      const entry: TableEntry = { index, live: true };
      page.regions.push(entry);
      const map = this.map;
      for (const s of fn.entries) {
        const pc = (pageBase + (s << 2)) | 0;
        const slot = codeMapSlot(pc) << 1;
        map[slot] = pc + 1;
        map[slot + 1] = index;
        page.pcs.push(pc);
      }
      // One record per entry, with the length of the block there: the
      // dispatcher enters as soon as the budget covers that block.
      for (let e = 0; e < fn.entries.length; e++) {
        entries.push(fn.entries[e]!);
        blocks.push(new WasmBlock(this, entry, fn.lengths[e]!));
      }
    });
    return { blocks, entries, taken: region.taken };
  }

  /**
   * Runs from `pc` through the dispatcher, entering function `entry`
   * first (WasmBlock.run); returns the next pc, `host.retired` set.
   */
  enter(entry: TableEntry, budget: number, pc: number): number {
    const host = this.host;
    if (!entry.live) {
      // The page's code was dropped while Cpu.run still held its blocks
      // (a slow path flushed it): back to the dispatcher, which looks
      // the page up again.
      host.retired = 0;
      host.slowPath = true;
      return pc;
    }
    // Cpu.run came here, so this entry is current: put it back in the map
    // if another pc took its slot.
    const map = this.map, words = this.words;
    const slot = codeMapSlot(pc) << 1;
    map[slot] = pc + 1;
    map[slot + 1] = entry.index;
    caller = host;
    callerWords = words;
    const next = this.dispatch!(pc, budget > MAX_CALL_BUDGET ? MAX_CALL_BUDGET : budget, entry.index);
    host.retired = words[RETIRED]!;
    words[STOP] = 0;
    return next;
  }

  /**
   * Takes the regions of virtual pages [start, end) out of the code map
   * and the table: their decoded code was dropped or rewritten.
   */
  forgetPages(start: number, end: number): void {
    const pages = this.pages;
    if (pages.size === 0) return;
    if (end - start === 1) {
      const page = pages.get(start);
      if (page !== undefined) this.forget(start, page);
      return;
    }
    for (const [vpage, page] of pages) if (vpage >= start && vpage < end) this.forget(vpage, page);
  }

  private forget(vpage: number, page: PageRegions): void {
    const map = this.map;
    for (const pc of page.pcs) {
      const slot = codeMapSlot(pc) << 1;
      if (map[slot] === pc + 1) map[slot] = EMPTY_TAG;
    }
    for (const entry of page.regions) {
      entry.live = false;
      this.table!.set(entry.index, null);
      this.freeIndexes.push(entry.index);
    }
    this.pages.delete(vpage);
  }

  private allocateIndex(table: WebAssembly.Table): number {
    const reused = this.freeIndexes.pop();
    if (reused !== undefined) return reused;
    if (this.nextIndex === table.length) table.grow(table.length);
    return this.nextIndex++;
  }
}

/** Word indexes, in the register-area view, of the exit words. */
const RETIRED = (WasmLayout.retired - WasmLayout.registers) >> 2;
const STOP = (WasmLayout.stop - WasmLayout.registers) >> 2;

/**
 * What Cpu.run calls at an entry of a wasm function. One class for every
 * machine, so that Cpu.run's call site sees one `run`.
 */
class WasmBlock implements CompiledBlock {
  constructor(private readonly tier: WasmTier, private readonly entry: TableEntry, readonly length: number) {}

  run(_c: BlockHost, _x: Int32Array, _m8: Uint8Array, _m16: Uint16Array, _m32: Int32Array, _rt: Int32Array, _wt: Int32Array, budget: number, pc: number): number {
    return this.tier.enter(this.entry, budget, pc);
  }
}

/** The cpu running wasm code now, and its register-area view (set by WasmTier.enter). */
let caller: WasmHost | null = null;
let callerWords: Int32Array = new Int32Array(64);

/** The `load` import of every module: the slow path of the cpu in `caller`. */
function slowLoad(address: number, size: number, pc: number): number {
  const host = caller!;
  const v = host.loadSlow(address, size, pc);
  if (host.trapped) callerWords[STOP] = 1;
  return v;
}

/** The `store` import: 0 faulted, 1 done, 2 done and leave (memory grew, code rewritten). */
function slowStore(address: number, size: number, value: number, pc: number): number {
  const host = caller!;
  if (!host.storeSlow(address, size, value, pc)) { callerWords[STOP] = 1; return 0; }
  if (host.slowPath) { callerWords[STOP] = 1; return 2; }
  return 1;
}

/** The dispatcher's module, compiled once per process (instantiated per cpu). */
let dispatcher: WebAssembly.Module | undefined;

/** The cache key of module bytes: their length and two 32-bit hashes (FNV-1a, and one by 31). */
function keyOf(bytes: Uint8Array): string {
  let a = 0x811c9dc5 | 0, b = 0;
  for (let k = 0; k < bytes.length; k++) {
    a = Math.imul(a ^ bytes[k]!, 0x01000193);
    b = (Math.imul(b, 31) + bytes[k]!) | 0;
  }
  return `${bytes.length}:${a}:${b}`;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}

/** Compiled modules by their key (and bytes, compared on a hit), shared by every machine (as the block tier's cache). */
const moduleCache = new Map<string, { readonly bytes: Uint8Array; readonly module: WebAssembly.Module }>();
/** Bound of {@link moduleCache}: cleared when full. */
const MODULE_CACHE_LIMIT = 2_000;
