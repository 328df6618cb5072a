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
   * decoded page (see compileWasmRegion). Null when its first instruction
   * is not compilable, or when WebAssembly compilation is refused (then
   * {@link refused} is set).
   */
  compile(code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array): { block: CompiledBlock; entries: readonly number[] } | null {
    const region = compileWasmRegion(code, i, pageBase, frame, m32);
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
    const run = instance.exports['run'] as (pc: number, budget: number) => number;
    const words = this.words;
    const retired = (WasmLayout.retired - WasmLayout.registers) >> 2;
    const block: CompiledBlock = {
      run: (c, _x, _m8, _m16, _m32, _rt, _wt, budget, pc) => {
        const next = run(pc, budget > MAX_CALL_BUDGET ? MAX_CALL_BUDGET : budget);
        c.retired = words[retired]!;
        return next;
      },
      length: region.length,
    };
    return { block, entries: region.entries };
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
