import { WasmLayout } from '../../memory/physical-memory.js';
import type { BlockHost, CompiledBlock } from '../block-compiler.js';
import { compileWasmRegion } from './wasm-compiler.js';

/*
 * Runtime of the wasm tier: compiles regions to modules (once per distinct
 * module bytes, shared by every machine), instantiates them per cpu against
 * that cpu's memory and slow paths, and wraps an instance as a
 * CompiledBlock so the dispatcher (Cpu.run) calls it like any block. The
 * cpu's registers already live in the wasm memory (Cpu.x is a view of the
 * register area), so a call copies nothing.
 */

/** What a wasm-tier cpu gives its regions: the memory and the slow paths. @internal */
export interface WasmHost extends BlockHost {
  slowPath: boolean;
}

/** Largest budget passed to one call (the function counts in int32). */
const MAX_CALL_BUDGET = 0x3fffffff;

/** The per-cpu side of the tier: imports and the counts view. @internal */
export class WasmTier {
  private readonly imports: Record<string, Record<string, unknown>>;
  private readonly words: Int32Array;
  /** Set when this runtime refused to compile a module (a policy): the cpu falls back. */
  refused = false;

  constructor(host: WasmHost, memory: WebAssembly.Memory) {
    const words = new Int32Array(memory.buffer, WasmLayout.registers, 64);
    this.words = words;
    const trapped = (WasmLayout.trapped - WasmLayout.registers) >> 2;
    this.imports = {
      c: {
        m: memory,
        load: (address: number, size: number, pc: number): number => {
          const v = host.loadSlow(address, size, pc);
          if (host.trapped) words[trapped] = 1;
          return v;
        },
        store: (address: number, size: number, value: number, pc: number): number => {
          if (!host.storeSlow(address, size, value, pc)) return 0;
          if (host.slowPath) return 2;
          return 1;
        },
      },
    };
  }

  /**
   * Compiles and instantiates the region reachable from slot `i` of the
   * decoded page and from `roots` (see compileWasmRegion). Null when its first instruction
   * is not compilable, or when WebAssembly compilation is refused (then
   * {@link refused} is set).
   */
  compile(code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array, roots: readonly number[]): { blocks: readonly CompiledBlock[]; entries: readonly number[]; taken: Uint8Array } | null {
    const region = compileWasmRegion(code, i, pageBase, frame, m32, roots);
    if (region === null) return null;
    let module: WebAssembly.Module;
    let instance: WebAssembly.Instance;
    try {
      const key = keyOf(region.bytes);
      const cached = moduleCache.get(key);
      if (cached !== undefined) module = cached;
      else {
        module = new WebAssembly.Module(region.bytes);
        if (moduleCache.size >= MODULE_CACHE_LIMIT) moduleCache.clear();
        moduleCache.set(key, module);
      }
      instance = new WebAssembly.Instance(module, this.imports);
    } catch {
      this.refused = true;
      return null;
    }
    const exported = instance.exports['run'] as (pc: number, budget: number) => number;
    const words = this.words;
    const retired = (WasmLayout.retired - WasmLayout.registers) >> 2;
    const run = (c: BlockHost, _x: Int32Array, _m8: Uint8Array, _m16: Uint16Array, _m32: Int32Array, _rt: Int32Array, _wt: Int32Array, budget: number, pc: number): number => {
      const next = exported(pc, budget > MAX_CALL_BUDGET ? MAX_CALL_BUDGET : budget);
      c.retired = words[retired]!;
      return next;
    };
    // One record per entry, with the length of the block there: the
    // dispatcher enters as soon as the budget covers that block.
    const blocks = region.lengths.map((length): CompiledBlock => ({ run, length }));
    return { blocks, entries: region.entries, taken: region.taken };
  }
}

/** The module bytes as a string, the cache key. */
function keyOf(bytes: Uint8Array): string {
  let s = '';
  for (let k = 0; k < bytes.length; k += 4096) s += String.fromCharCode(...bytes.subarray(k, k + 4096));
  return s;
}

/** Compiled modules by their bytes, shared by every machine (as the block tier's cache). */
const moduleCache = new Map<string, WebAssembly.Module>();
/** Bound of {@link moduleCache}: cleared when full. */
const MODULE_CACHE_LIMIT = 2_000;
