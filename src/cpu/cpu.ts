import { Access, Cause } from '../fault/cause.js';
import { Fault } from '../fault/fault.js';
import { UsageError } from '../errors.js';
import type { AddressSpace } from '../memory/address-space.js';
import { PAGE_SHIFT } from '../memory/page.js';
import { JUMP_ALWAYS, decodeInto } from './decoder.js';
import { amoResult } from './amo.js';
import { MULTIPLY, mulh, mulhsu, mulhu } from './multiply.js';
import { amoSlow, loadReserved, loadSlow, raise, storeConditional, storeSlow } from './memory-slow-path.js';
import { Op } from './op.js';
import { compileBlock, type BlockHost } from './block-compiler.js';
import { compileRegion } from './region-compiler.js';
import { WasmTier } from './wasm/wasm-tier.js';
import { newPageBlocks, type PageBlocks } from './page-blocks.js';

/**
 * Why {@link Cpu.run} returned.
 *
 * @example
 * ```ts
 * if (cpu.run(1000) === StopReason.Ecall) handleSyscall();
 * ```
 *
 * @enum
 */
export const StopReason = {
  /** The instruction budget ran out; the next instruction is at `pc`. */
  Budget: 0,
  /** `pc` points at an `ecall` that has not retired yet. */
  Ecall: 1,
  /** An instruction faulted; `cpu.fault` describes it and no state changed. */
  Fault: 2,
  /**
   * `pc` is in {@link Cpu.breakpoints} (a debugger's breakpoint): the
   * instruction there has not run. Only when breakpoints are set.
   */
  Breakpoint: 3,
} as const;

/**
 * One of the {@link StopReason} values.
 *
 * @example
 * ```ts
 * const why: StopReason = machine.cpu.run(100);
 * ```
 */
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

/** Counter CSRs readable from user mode (Zicntr). */
const CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02;
const CSR_CYCLEH = 0xc80, CSR_TIMEH = 0xc81, CSR_INSTRETH = 0xc82;

const EMPTY_CODE = new Int32Array(2);

/** Default times an instruction slot is interpreted before its block is compiled. */
// 2000, not a handful: code that many blocks share the time of (a large
// branchy state machine) runs several times faster interpreted than as
// thousands of separate functions V8 has not optimized yet; a loop that
// matters runs its 2000 interpretations in microseconds (docs/performance.md).
const DEFAULT_JIT_THRESHOLD = 2000;

/** A compiled block that faults within this many instructions of its entry... */
const FAULTING_BLOCK_PROGRESS = 16;
/** ...is interpreted this many times before it is entered again (its heat counts them down). */
const FAULTING_BLOCK_REST = 64;

const NO_BLOCKS: PageBlocks = { blocks: [], heat: new Uint16Array(1024), compiles: 0, entered: 0, threshold: 65535 };

/**
 * Options of a {@link Cpu}; a {@link Machine} passes its own `jit` and
 * `jitThreshold` options through.
 *
 * @example
 * ```ts
 * const machine = new Machine({ jit: false });   // interpret every instruction
 * ```
 */
export interface CpuOptions {
  /**
   * Compile hot basic blocks to JavaScript functions (default true). Off,
   * every instruction is interpreted; use it where `new Function` is not
   * allowed (a strict Content-Security-Policy) or to compare the two.
   */
  readonly jit?: boolean;
  /**
   * Times a block start is interpreted before it is compiled (1 to 65535,
   * default 2000). 1 compiles everything on first execution, which tests use
   * to run all code through the compiler.
   */
  readonly jitThreshold?: number;
  /**
   * Which execution tier runs hot code (default `'block'`; see
   * docs/performance.md): `'interp'` interprets every instruction (as
   * `jit: false`), `'block'` compiles hot basic blocks (superblocks) one
   * function each, `'region'` compiles the code of a page reachable from a
   * hot entry — its loops, branches and calls within the page — into one
   * function with the guest registers in locals (experimental: slower than
   * `'block'` today, see docs/performance.md), `'wasm'` compiles such regions
   * (up to a whole page) to WebAssembly — it needs a memory made with
   * `wasm: true` (a {@link Machine} with this tier makes one) and falls back
   * to `'block'` where WebAssembly or SharedArrayBuffer is missing or
   * refused. Every tier gives the same
   * results, faults and instruction counts; they differ only in speed.
   */
  readonly tier?: Tier;
}

/**
 * An execution tier of {@link CpuOptions.tier}.
 *
 * @example
 * ```ts
 * const machine = new Machine({ tier: 'block' });
 * ```
 */
export type Tier = 'interp' | 'block' | 'region' | 'wasm';

/** The tiers, for option parsing. @internal */
export const TIERS: readonly Tier[] = ['interp', 'block', 'region', 'wasm'];

/**
 * The tier a machine runs when none is asked for: `'block'`. (`'wasm'` runs
 * the realistic programs about twice as fast, but some fault costs are
 * still higher with it, a cost that must not grow: docs/decisions.md.)
 * @internal
 */
export const DEFAULT_TIER: Tier = 'block';

/** True when this runtime lets us build functions from source. */
function canCompile(): boolean {
  try {
    return new Function('return 1')() === 1;
  } catch {
    return false;
  }
}

/**
 * An RV32IMA hart in user mode: 32 integer registers, the pc, the retired
 * instruction count and the LR/SC reservation. Instructions are predecoded
 * once per code page into the address space's code cache and executed by
 * one `switch`; memory goes through the address space's software TLB (one
 * table load and a sign test per access), everything else is a cold path.
 *
 * Registers live in `x` (index 0..31; `x[0]` is always 0). `x[32]` is a
 * scratch slot that instructions with `rd = x0` write to.
 *
 * @example
 * ```ts
 * const cpu = machine.cpu;
 * cpu.x[10] = 42;          // a0
 * const why = cpu.run(1_000_000);
 * ```
 */
export class Cpu {
  /**
   * Integer registers x0..x31 (int32), plus the x0 write sink at index 32.
   * In the wasm tier, a view of the wasm memory's register area.
   */
  readonly x: Int32Array;
  /** x0..x31 as one view of {@link x} (for block copies of the state). @internal */
  readonly regs: Int32Array;
  /** Address of the next instruction. */
  pc = 0;
  /** Instructions retired since reset (the `instret` counter). */
  instret = 0;
  /**
   * The fault of the last {@link StopReason.Fault} stop (reused object).
   * Each guest thread has its own record; the scheduler points this (and
   * the address space's translation) at the running thread's.
   */
  fault = new Fault();
  /** Set by slow paths when an access faulted. @internal */
  trapped = false;
  /** LR/SC reservation. @internal */
  reservationValid = false;
  /** @internal */
  reservationAddress = 0;
  /** @internal */
  reservationValue = 0;
  /** Instructions a compiled block retired in its last call. @internal */
  retired = 0;
  /** Set when a block's slow-path store grew memory or rewrote code. @internal */
  slowPath = false;
  /** Set by the store slow paths when they invalidated decoded code. @internal */
  codeTouched = false;
  /** Whether hot blocks are compiled. */
  readonly jit: boolean;
  /**
   * A debugger's breakpoints (addresses), or null (the default: no cost).
   * While set, {@link run} interprets every instruction (no compiled
   * blocks) and stops with {@link StopReason.Breakpoint} before executing
   * an instruction whose address is in the set — except when nothing has
   * retired since {@link breakpointResume}, so that a thread stopped at a
   * breakpoint can go on. See docs/debugging.md.
   */
  breakpoints: ReadonlySet<number> | null = null;
  /** The `instret` at which breakpoints are not checked (the debugger's resume point; -1: none). */
  breakpointResume = -1;
  private readonly jitThreshold: number;
  /** Compile regions (tier `'region'`) rather than single blocks. */
  private readonly regions: boolean;
  /** The wasm tier's compiler and imports, or null (another tier, or wasm unavailable). */
  private readonly wasm: WasmTier | null;
  /** Compiled blocks per decoded page; dropped with the page. */
  private readonly pageBlocks = new WeakMap<Int32Array, PageBlocks>();
  private lastCode: Int32Array = EMPTY_CODE;
  private lastBlocks: PageBlocks = NO_BLOCKS;

  /**
   * Creates a hart with every register 0. A {@link Machine} makes its own;
   * construct one directly only to run code without the machine's system
   * calls and fault chain.
   *
   * @param addressSpace - where instructions and data come from
   * @param options - whether to compile hot blocks
   * @throws UsageError when `jitThreshold` is not an integer from 1 to 65535.
   */
  constructor(readonly addressSpace: AddressSpace, options: CpuOptions = {}) {
    const tier = options.tier ?? DEFAULT_TIER;
    if (!TIERS.includes(tier)) throw new UsageError(`Cpu: tier must be one of ${TIERS.join(', ')}, got ${String(tier)}`);
    this.jit = (options.jit ?? true) && tier !== 'interp' && canCompile();
    this.regions = tier === 'region';
    const wasmMemory = addressSpace.memory.wasmMemory;
    const registers = this.jit && tier === 'wasm' && wasmMemory !== null ? addressSpace.memory.claimWasmRegisters() : null;
    this.x = registers ?? new Int32Array(33);
    this.regs = this.x.subarray(0, 32);
    const wasm = registers !== null ? new WasmTier(this, wasmMemory!) : null;
    this.wasm = wasm;
    if (wasm !== null) addressSpace.onCodeDropped = (start, end) => wasm.forgetPages(start, end);
    const threshold = options.jitThreshold ?? DEFAULT_JIT_THRESHOLD;
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > 65535) {
      throw new UsageError(`Cpu: jitThreshold must be an integer from 1 to 65535, got ${threshold}`);
    }
    this.jitThreshold = threshold;
    // Translation fills this hart's fault record where it fails (no copy).
    addressSpace.fault.record = this.fault;
  }

  /** True when hot code is compiled to WebAssembly (tier `'wasm'`, available and not refused). @internal */
  get wasmActive(): boolean {
    return this.wasm !== null && !this.wasm.refused;
  }

  /** Slow-path load for compiled blocks (a load never grows memory or rewrites code). @internal */
  loadSlow(address: number, size: number, pc: number): number {
    return loadSlow(this, address, size, pc);
  }

  /**
   * Slow-path store for compiled blocks. Sets {@link slowPath} when the
   * store grew memory (the block's views are stale) or rewrote decoded
   * code, so the block returns to the dispatcher.
   * @internal
   */
  storeSlow(address: number, size: number, value: number, pc: number): boolean {
    const memory = this.addressSpace.memory;
    const generation = memory.generation;
    this.codeTouched = false;
    const ok = storeSlow(this, address, size, value, pc);
    if (memory.generation !== generation || this.codeTouched) this.slowPath = true;
    return ok;
  }

  /** Forgets the compiled blocks of decoded page `code` of virtual page `vpage` (its slots were rewritten). @internal */
  dropBlocks(code: Int32Array, vpage: number): void {
    this.pageBlocks.delete(code);
    if (this.lastCode === code) this.lastCode = EMPTY_CODE;
    this.wasm?.forgetPages(vpage, vpage + 1);
  }

  private blocksOf(code: Int32Array): PageBlocks {
    // Re-entering the page we left (after a fault or syscall) is the common case.
    if (this.lastCode === code) return this.lastBlocks;
    let pb = this.pageBlocks.get(code);
    if (pb === undefined) {
      pb = newPageBlocks(this.jitThreshold);
      this.pageBlocks.set(code, pb);
    }
    this.lastCode = code;
    this.lastBlocks = pb;
    return pb;
  }

  /**
   * Executes up to `budget` instructions. Returns at the budget, at an
   * `ecall` (not retired: the caller performs it and advances `pc`), or at
   * a fault (not retired, no state changed; see {@link Cpu.fault}).
   * Never throws for anything the guest does.
   *
   * @param budget - the most instructions to retire (a positive integer)
   * @returns why it stopped
   * @example
   * ```ts
   * const cpu = new Cpu(addressSpace);
   * cpu.pc = 0x10000;
   * if (cpu.run(1000) === StopReason.Fault) console.log(cpu.fault.describe());
   * ```
   */
  run(budget: number): StopReason {
    const x = this.x;
    const as = this.addressSpace;
    const memory = as.memory;
    const rt = as.readTlb, wt = as.writeTlb, et = as.execTlb;
    let u8 = memory.u8, u16 = memory.u16, i32 = memory.i32;
    let pc = this.pc | 0;
    let base = -1;
    let frame = 0;
    let code = EMPTY_CODE;
    let page = NO_BLOCKS, blocks = NO_BLOCKS.blocks, heat = NO_BLOCKS.heat;
    let faultInBlock = false;
    // The wasm tier compiles a page once its block starts were interpreted
    // `hot` times in all (a switch spreads them over many cases).
    const pageHeat = this.wasm !== null;
    const bps = this.breakpoints;
    const jit = this.jit && bps === null;
    let hot = this.jitThreshold;
    const host: BlockHost = this;
    let n = budget;
    this.trapped = false;

    exec: while (n > 0) {
      if (bps !== null && bps.has(pc) && this.instret + budget - n !== this.breakpointResume) {
        this.pc = pc;
        this.instret += budget - n;
        return StopReason.Breakpoint;
      }
      if ((pc & ~0xfff) !== base) {
        // Entering a code page: check execute right, find its decoded slots.
        if ((pc & 3) !== 0) {
          raise(this, Cause.InstructionAddressMisaligned, Access.Execute, pc, 4, pc);
          break exec;
        }
        const vpage = pc >>> PAGE_SHIFT;
        let f = et[vpage]!;
        if (f === 0) {
          f = as.translate(pc, Access.Execute);
          if (f < 0) { this.fetchFault(pc); break; }
          u8 = memory.u8; u16 = memory.u16; i32 = memory.i32;
        }
        let c = as.codeCache.get(vpage);
        if (c === undefined) {
          c = new Int32Array(2048);
          as.codeCache.set(vpage, c);
          as.markCode(vpage);
        }
        code = c;
        frame = f;
        base = pc & ~0xfff;
        if (jit) {
          const pb = this.blocksOf(c);
          page = pb;
          blocks = pb.blocks;
          heat = pb.heat;
          hot = pb.threshold;
        }
      }
      const i = (pc & 0xfff) >>> 1;
      if (jit) {
        const block = blocks[i >>> 1];
        if (block !== undefined) {
          if (block !== null && block.length <= n) {
            const s = i >>> 1;
            if (heat[s] === 0) {
              pc = block.run(host, x, u8, u16, i32, rt, wt, n, pc);
              n -= this.retired;
              if (this.trapped) {
                // Compiled code that faults before doing much (a loop whose
                // every pass faults: the fault costs more than the code) is
                // interpreted for a while: entering and leaving compiled
                // code would be most of each pass's cost.
                if (this.retired < FAULTING_BLOCK_PROGRESS) heat[s] = FAULTING_BLOCK_REST;
                faultInBlock = true;
                break exec;
              }
              if (this.slowPath) {
                this.slowPath = false;
                u8 = memory.u8; u16 = memory.u16; i32 = memory.i32; base = -1;
              }
              continue;
            }
            heat[s]!--;
          }
        } else if (++heat[i >>> 1]! >= hot || (pageHeat && page.compiles === 0 && ++page.entered >= hot)) {
          const wasm = this.wasm;
          if (wasm !== null && !wasm.refused) hot = wasm.compileHot(page, code, i, base, frame, i32, this.jitThreshold);
          else if (this.regions) {
            const region = compileRegion(code, i, base, frame, i32, MULTIPLY);
            if (region === null) blocks[i >>> 1] = null;
            else {
              // Every block start of the region enters it (unless it already enters another).
              for (const s of region.entries) if (blocks[s] === undefined) { blocks[s] = region.block; heat[s] = 0; }
              blocks[i >>> 1] = region.block;
            }
          } else blocks[i >>> 1] = compileBlock(code, i, base, frame, i32, MULTIPLY);
          // A compiled start's heat counts down rests (see FAULTING_BLOCK_REST).
          heat[i >>> 1] = 0;
          continue;
        }
      }
      const w = code[i]!;
      switch (w & 0xff) {
        case Op.Undecoded:
          decodeInto(i32[(frame | (pc & 0xfff)) >> 2]!, pc, code, i);
          continue;
        case Op.LoadConstant:
          x[(w >>> 8) & 0xff] = code[i + 1]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Jal:
          x[(w >>> 8) & 0xff] = (pc + 4) | 0;
          pc = code[i + 1]!;
          break;
        case Op.Jalr: {
          const target = ((x[(w >>> 16) & 0xff]! + code[i + 1]!) & ~1) | 0;
          if ((target & 3) !== 0) {
            raise(this, Cause.InstructionAddressMisaligned, Access.Execute, target, 4, pc);
            break exec;
          }
          x[(w >>> 8) & 0xff] = (pc + 4) | 0;
          pc = target;
          break;
        }
        case Op.Beq:
          pc = x[(w >>> 16) & 0xff] === x[w >>> 24] ? code[i + 1]! : (pc + 4) | 0;
          break;
        case Op.Bne:
          pc = x[(w >>> 16) & 0xff] !== x[w >>> 24] ? code[i + 1]! : (pc + 4) | 0;
          break;
        case Op.Blt:
          pc = x[(w >>> 16) & 0xff]! < x[w >>> 24]! ? code[i + 1]! : (pc + 4) | 0;
          break;
        case Op.Bge:
          pc = x[(w >>> 16) & 0xff]! >= x[w >>> 24]! ? code[i + 1]! : (pc + 4) | 0;
          break;
        case Op.Bltu:
          pc = x[(w >>> 16) & 0xff]! >>> 0 < x[w >>> 24]! >>> 0 ? code[i + 1]! : (pc + 4) | 0;
          break;
        case Op.Bgeu:
          pc = x[(w >>> 16) & 0xff]! >>> 0 >= x[w >>> 24]! >>> 0 ? code[i + 1]! : (pc + 4) | 0;
          break;
        case Op.Lb: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = rt[a >>> 12]!;
          let v: number;
          if (e > 0) v = u8[e | (a & 0xfff)]!;
          else { v = loadSlow(this, a, 1, pc); if (this.trapped) break exec; }
          x[(w >>> 8) & 0xff] = (v << 24) >> 24;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Lbu: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = rt[a >>> 12]!;
          let v: number;
          if (e > 0) v = u8[e | (a & 0xfff)]!;
          else { v = loadSlow(this, a, 1, pc); if (this.trapped) break exec; }
          x[(w >>> 8) & 0xff] = v;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Lh: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = rt[a >>> 12]!;
          let v: number;
          if (e > 0 && (a & 1) === 0) v = u16[(e | (a & 0xfff)) >> 1]!;
          else { v = loadSlow(this, a, 2, pc); if (this.trapped) break exec; }
          x[(w >>> 8) & 0xff] = (v << 16) >> 16;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Lhu: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = rt[a >>> 12]!;
          let v: number;
          if (e > 0 && (a & 1) === 0) v = u16[(e | (a & 0xfff)) >> 1]!;
          else { v = loadSlow(this, a, 2, pc); if (this.trapped) break exec; }
          x[(w >>> 8) & 0xff] = v;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Lw: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = rt[a >>> 12]!;
          let v: number;
          if (e > 0 && (a & 3) === 0) v = i32[(e | (a & 0xfff)) >> 2]!;
          else { v = loadSlow(this, a, 4, pc); if (this.trapped) break exec; }
          x[(w >>> 8) & 0xff] = v;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Sb: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = wt[a >>> 12]!;
          if (e > 0) u8[e | (a & 0xfff)] = x[w >>> 24]!;
          else {
            if (!storeSlow(this, a, 1, x[w >>> 24]!, pc)) break exec;
            u8 = memory.u8; u16 = memory.u16; i32 = memory.i32; base = -1;
          }
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Sh: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = wt[a >>> 12]!;
          if (e > 0 && (a & 1) === 0) u16[(e | (a & 0xfff)) >> 1] = x[w >>> 24]!;
          else {
            if (!storeSlow(this, a, 2, x[w >>> 24]!, pc)) break exec;
            u8 = memory.u8; u16 = memory.u16; i32 = memory.i32; base = -1;
          }
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Sw: {
          const a = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          const e = wt[a >>> 12]!;
          if (e > 0 && (a & 3) === 0) i32[(e | (a & 0xfff)) >> 2] = x[w >>> 24]!;
          else {
            if (!storeSlow(this, a, 4, x[w >>> 24]!, pc)) break exec;
            u8 = memory.u8; u16 = memory.u16; i32 = memory.i32; base = -1;
          }
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Addi:
          x[(w >>> 8) & 0xff] = (x[(w >>> 16) & 0xff]! + code[i + 1]!) | 0;
          pc = (pc + 4) | 0;
          break;
        case Op.Slti:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! < code[i + 1]! ? 1 : 0;
          pc = (pc + 4) | 0;
          break;
        case Op.Sltiu:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! >>> 0 < code[i + 1]! >>> 0 ? 1 : 0;
          pc = (pc + 4) | 0;
          break;
        case Op.Xori:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! ^ code[i + 1]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Ori:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! | code[i + 1]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Andi:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! & code[i + 1]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Slli:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! << code[i + 1]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Srli:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! >>> code[i + 1]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Srai:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! >> code[i + 1]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Add:
          x[(w >>> 8) & 0xff] = (x[(w >>> 16) & 0xff]! + x[w >>> 24]!) | 0;
          pc = (pc + 4) | 0;
          break;
        case Op.Sub:
          x[(w >>> 8) & 0xff] = (x[(w >>> 16) & 0xff]! - x[w >>> 24]!) | 0;
          pc = (pc + 4) | 0;
          break;
        case Op.Sll:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! << x[w >>> 24]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Slt:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! < x[w >>> 24]! ? 1 : 0;
          pc = (pc + 4) | 0;
          break;
        case Op.Sltu:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! >>> 0 < x[w >>> 24]! >>> 0 ? 1 : 0;
          pc = (pc + 4) | 0;
          break;
        case Op.Xor:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! ^ x[w >>> 24]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Srl:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! >>> x[w >>> 24]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Sra:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! >> x[w >>> 24]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Or:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! | x[w >>> 24]!;
          pc = (pc + 4) | 0;
          break;
        case Op.And:
          x[(w >>> 8) & 0xff] = x[(w >>> 16) & 0xff]! & x[w >>> 24]!;
          pc = (pc + 4) | 0;
          break;
        case Op.Mul:
          x[(w >>> 8) & 0xff] = Math.imul(x[(w >>> 16) & 0xff]!, x[w >>> 24]!);
          pc = (pc + 4) | 0;
          break;
        case Op.Mulh:
          x[(w >>> 8) & 0xff] = mulh(x[(w >>> 16) & 0xff]!, x[w >>> 24]!);
          pc = (pc + 4) | 0;
          break;
        case Op.Mulhsu:
          x[(w >>> 8) & 0xff] = mulhsu(x[(w >>> 16) & 0xff]!, x[w >>> 24]!);
          pc = (pc + 4) | 0;
          break;
        case Op.Mulhu:
          x[(w >>> 8) & 0xff] = mulhu(x[(w >>> 16) & 0xff]!, x[w >>> 24]!);
          pc = (pc + 4) | 0;
          break;
        case Op.Div: {
          const a = x[(w >>> 16) & 0xff]!, b = x[w >>> 24]!;
          // RV32M: x/0 = -1; INT_MIN/-1 = INT_MIN (no trap).
          x[(w >>> 8) & 0xff] = b === 0 ? -1 : b === -1 ? -a | 0 : (a / b) | 0;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Divu: {
          const a = x[(w >>> 16) & 0xff]! >>> 0, b = x[w >>> 24]! >>> 0;
          x[(w >>> 8) & 0xff] = b === 0 ? -1 : (a / b) | 0;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Rem: {
          const a = x[(w >>> 16) & 0xff]!, b = x[w >>> 24]!;
          // RV32M: x%0 = x; INT_MIN%-1 = 0.
          x[(w >>> 8) & 0xff] = b === 0 ? a : b === -1 ? 0 : a % b | 0;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Remu: {
          const a = x[(w >>> 16) & 0xff]! >>> 0, b = x[w >>> 24]! >>> 0;
          x[(w >>> 8) & 0xff] = b === 0 ? a | 0 : a % b | 0;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.LrW: {
          const v = loadReserved(this, x[(w >>> 16) & 0xff]!, pc);
          if (this.trapped) break exec;
          x[(w >>> 8) & 0xff] = v;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.ScW: {
          const r = storeConditional(this, x[(w >>> 16) & 0xff]!, x[w >>> 24]!, pc);
          if (this.trapped) break exec;
          x[(w >>> 8) & 0xff] = r;
          u8 = memory.u8; u16 = memory.u16; i32 = memory.i32; base = -1;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.AmoSwap: case Op.AmoAdd: case Op.AmoXor: case Op.AmoAnd: case Op.AmoOr:
        case Op.AmoMin: case Op.AmoMax: case Op.AmoMinu: case Op.AmoMaxu: {
          const a = x[(w >>> 16) & 0xff]!;
          const src = x[w >>> 24]!;
          const e = wt[a >>> 12]!;
          let old: number;
          if (e > 0 && (a & 3) === 0) {
            const k = (e | (a & 0xfff)) >> 2;
            old = i32[k]!;
            i32[k] = amoResult(w & 0xff, old, src);
          } else {
            old = amoSlow(this, w & 0xff, a, src, pc);
            if (this.trapped) break exec;
            u8 = memory.u8; u16 = memory.u16; i32 = memory.i32; base = -1;
          }
          x[(w >>> 8) & 0xff] = old;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.Fence:
          pc = (pc + 4) | 0;
          break;
        case Op.FenceI:
          // Writes through other virtual aliases of a code page are only
          // seen after fence.i, as the ISA requires: drop every decoded page.
          as.dropDecodedCode();
          base = -1;
          pc = (pc + 4) | 0;
          break;
        case Op.Ecall:
          this.pc = pc;
          this.instret += budget - n;
          return StopReason.Ecall;
        case Op.Ebreak:
          raise(this, Cause.Breakpoint, Access.Execute, pc, 4, pc);
          break exec;
        case Op.Csr: {
          const value = this.readCsr(w, code[i + 1]!, this.instret + budget - n);
          if (this.trapped) { raise(this, Cause.IllegalInstruction, Access.Execute, i32[(frame | (pc & 0xfff)) >> 2]!, 4, pc); break exec; }
          x[(w >>> 8) & 0xff] = value;
          pc = (pc + 4) | 0;
          break;
        }
        case Op.MisalignedJump: {
          const cond = (w >>> 8) & 0xff;
          if (cond === JUMP_ALWAYS || branchTaken(cond, x[(w >>> 16) & 0xff]!, x[w >>> 24]!)) {
            raise(this, Cause.InstructionAddressMisaligned, Access.Execute, code[i + 1]!, 4, pc);
            break exec;
          }
          pc = (pc + 4) | 0;
          break;
        }
        default: // Op.Illegal: the raw word is in the immediate slot
          raise(this, Cause.IllegalInstruction, Access.Execute, code[i + 1]!, 4, pc);
          break exec;
      }
      n--;
    }
    if (this.trapped && jit && !faultInBlock && (pc & ~0xfff) === base) {
      // The interpreter counted the faulting instruction, which runs again
      // once its fault is handled: count it once, not per attempt — else a
      // store that faults on each new page (dirty logging, demand paging)
      // becomes the hottest slot of its loop, and the region is entered,
      // and split, there instead of at the loop head.
      const s = (pc & 0xfff) >>> 2;
      if (blocks[s] === undefined && heat[s]! > 0) heat[s]!--;
    }
    this.pc = pc;
    this.instret += budget - n;
    return this.trapped ? StopReason.Fault : StopReason.Budget;
  }

  /**
   * Completes the fault of a fetch the address space refused: translation
   * already filled {@link fault} (cause, address, region); add the pc and size.
   */
  private fetchFault(pc: number): void {
    const f = this.fault;
    f.pc = pc;
    f.size = 4;
    this.trapped = true;
  }

  /**
   * Zicntr counters: cycle and time count retired instructions too, so a
   * run is deterministic (checkpoint/restore gives identical output).
   * Sets `trapped` (caller raises illegal instruction) for any other CSR or
   * any attempt to write one.
   */
  private readCsr(w: number, csr: number, retired: number): number {
    const funct3 = w >>> 24;
    const source = (w >>> 16) & 0xff;
    // csrrw/csrrwi always write; csrrs/csrrc(i) write unless the source is x0 / 0.
    if ((funct3 & 3) === 1 || source !== 0) { this.trapped = true; return 0; }
    switch (csr) {
      case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET: return retired | 0;
      case CSR_CYCLEH: case CSR_TIMEH: case CSR_INSTRETH: return Math.floor(retired / 4294967296) | 0;
      default: this.trapped = true; return 0;
    }
  }
}

function branchTaken(funct3: number, a: number, b: number): boolean {
  switch (funct3) {
    case 0: return a === b;
    case 1: return a !== b;
    case 4: return a < b;
    case 5: return a >= b;
    case 6: return a >>> 0 < b >>> 0;
    default: return a >>> 0 >= b >>> 0;
  }
}
