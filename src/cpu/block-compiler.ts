import { decodeInto } from './decoder.js';
import { Op } from './op.js';

/*
 * Basic-block compiler: turns a straight run of predecoded instructions,
 * ending at a branch or jump, into one JavaScript function (docs/design.md §8:
 * blocks compiled with `new Function` run several times faster than a
 * switch interpreter, since dispatch, field extraction and the budget test
 * happen once per block instead of once per instruction).
 *
 * A block function is called as
 *   block(cpu, x, m8, m16, m32, rt, wt, budget, pc) → next pc
 * (`pc` is its own start; a block ignores it, a region of the region tier
 * — region-compiler.ts — is entered there)
 * and sets `cpu.retired` to the number of instructions that retired (never
 * more than `budget`, which must be at least the block's length).
 *
 * Blocks are superblocks: a conditional branch leaves the function only
 * when taken, so a block runs on through not-taken branches. A branch or
 * jump back to the block's own start becomes a JavaScript loop that goes
 * round while the budget allows another full pass (docs/design.md §8: guest loops
 * compiled into JavaScript loops are the fastest form). The
 * instructions it contains are the ones whose fast path is pure register
 * and memory work; anything else (ecall, ebreak, CSRs, fences, AMOs,
 * LR/SC, illegal words, misaligned jumps) ends the block before it and is
 * left to the interpreter. Memory accesses use the same TLB fast path as
 * the interpreter; on a miss they call the same slow paths through the
 * cpu. A faulting access leaves the block with `cpu.trapped` set, pc = the
 * faulting instruction and every earlier instruction retired — precise,
 * exactly as the interpreter. A store that took the slow path leaves the
 * block right after it when it grew memory (new views) or rewrote decoded
 * code (perhaps of this very block): the cpu's `slowPath` flag says so.
 *
 * Block functions close over nothing but the multiply helpers, so the same
 * guest code at the same address compiles to the same source text; they are
 * cached by that text across machines, and a fresh machine running known
 * code (tests, benchmarks, restored checkpoints) starts with optimized code.
 */

/** The function of a compiled block. @internal */
export type BlockFunction = (cpu: BlockHost, x: Int32Array, m8: Uint8Array, m16: Uint16Array, m32: Int32Array, rt: Int32Array, wt: Int32Array, budget: number, pc: number) => number;

/**
 * A compiled block: its function and its length. A plain record of one
 * shape, so the dispatcher's reads of `length` and `run` stay monomorphic
 * (a property added to each function would give every block its own map).
 * @internal
 */
export interface CompiledBlock {
  /** Runs the block; see the file comment. */
  readonly run: BlockFunction;
  /** Instructions in the block (the most one pass can retire). */
  readonly length: number;
}

/** What compiled code calls back into. @internal */
export interface BlockHost {
  trapped: boolean;
  retired: number;
  loadSlow(address: number, size: number, pc: number): number;
  storeSlow(address: number, size: number, value: number, pc: number): boolean;
}

/** Longest block, in instructions: bounds compile time and code size. */
export const MAX_BLOCK_LENGTH = 64;

const r = (n: number) => `x[${n}]`;

/** How an emitted instruction ends the block: it does not, it always leaves (jump), or it may loop back. */
interface EmitState {
  /** Set by an instruction after which nothing more can follow in the block. */
  terminal: boolean;
  /** Set when the block contains a jump back to its start (it becomes a loop). */
  loops: boolean;
}

/**
 * JavaScript for the instruction decoded in `code[i]`, `code[i + 1]` at
 * `pc`, the `index`-th of a block that starts at `start`; or null if it
 * cannot be compiled (the block ends before it). `done` in the generated
 * code counts instructions retired by earlier passes of a loop.
 */
function emit(w: number, imm: number, pc: number, index: number, start: number, state: EmitState): string | null {
  const op = w & 0xff;
  const rd = (w >>> 8) & 0xff, rs1 = (w >>> 16) & 0xff, rs2 = w >>> 24;
  const next = (pc + 4) | 0;
  const a = r(rs1), b = r(rs2), d = r(rd);
  const exitFault = `{ c.retired = done + ${index}; return ${pc}; }`;
  /** Leave for `target` after this instruction retired, or go round again if it is the start. */
  const goTo = (target: string | number) =>
    target === start
      ? `{ done += ${index + 1}; if (done + LENGTH > budget) { c.retired = done; return ${start}; } continue loop; }`
      : `{ c.retired = done + ${index + 1}; return ${target}; }`;
  const load = (size: number, fast: string, extend: (v: string) => string) =>
    `a = (${a} + ${imm}) | 0; e = rt[a >>> 12];\n` +
    `if (e > 0${size > 1 ? ` && (a & ${size - 1}) === 0` : ''}) ${d} = ${extend(fast)};\n` +
    `else { v = c.loadSlow(a, ${size}, ${pc}); if (c.trapped) ${exitFault} ${d} = ${extend('v')}; }\n`;
  const store = (size: number, fast: string) =>
    `a = (${a} + ${imm}) | 0; e = wt[a >>> 12];\n` +
    `if (e > 0${size > 1 ? ` && (a & ${size - 1}) === 0` : ''}) ${fast} = ${b};\n` +
    `else { if (!c.storeSlow(a, ${size}, ${b}, ${pc})) ${exitFault} if (c.slowPath) { c.retired = done + ${index + 1}; return ${next}; } }\n`;
  const branch = (cond: string) => {
    if (imm === start) state.loops = true;
    return `if (${cond}) ${goTo(imm)}\n`;
  };
  switch (op) {
    case Op.LoadConstant: return `${d} = ${imm};\n`;
    case Op.Jal:
      state.terminal = true;
      if (imm === start) state.loops = true;
      return `${d} = ${next}; ${goTo(imm)}\n`;
    case Op.Jalr:
      state.terminal = true;
      return `a = ((${a} + ${imm}) & ~1) | 0;\n` +
        `if ((a & 3) !== 0) { c.retired = done + ${index}; return ${pc}; }\n` + // the interpreter raises the fault
        `${d} = ${next}; c.retired = done + ${index + 1}; return a;\n`;
    case Op.Beq: return branch(`${a} === ${b}`);
    case Op.Bne: return branch(`${a} !== ${b}`);
    case Op.Blt: return branch(`${a} < ${b}`);
    case Op.Bge: return branch(`${a} >= ${b}`);
    case Op.Bltu: return branch(`(${a} >>> 0) < (${b} >>> 0)`);
    case Op.Bgeu: return branch(`(${a} >>> 0) >= (${b} >>> 0)`);
    case Op.Lb: return load(1, 'm8[e | (a & 4095)]', (v) => `(${v} << 24) >> 24`);
    case Op.Lbu: return load(1, 'm8[e | (a & 4095)]', (v) => v);
    case Op.Lh: return load(2, 'm16[(e | (a & 4095)) >> 1]', (v) => `(${v} << 16) >> 16`);
    case Op.Lhu: return load(2, 'm16[(e | (a & 4095)) >> 1]', (v) => v);
    case Op.Lw: return load(4, 'm32[(e | (a & 4095)) >> 2]', (v) => v);
    case Op.Sb: return store(1, 'm8[e | (a & 4095)]');
    case Op.Sh: return store(2, 'm16[(e | (a & 4095)) >> 1]');
    case Op.Sw: return store(4, 'm32[(e | (a & 4095)) >> 2]');
    case Op.Addi: return `${d} = (${a} + ${imm}) | 0;\n`;
    case Op.Slti: return `${d} = ${a} < ${imm} ? 1 : 0;\n`;
    case Op.Sltiu: return `${d} = (${a} >>> 0) < ${imm >>> 0} ? 1 : 0;\n`;
    case Op.Xori: return `${d} = ${a} ^ ${imm};\n`;
    case Op.Ori: return `${d} = ${a} | ${imm};\n`;
    case Op.Andi: return `${d} = ${a} & ${imm};\n`;
    case Op.Slli: return `${d} = ${a} << ${imm};\n`;
    case Op.Srli: return `${d} = ${a} >>> ${imm};\n`;
    case Op.Srai: return `${d} = ${a} >> ${imm};\n`;
    case Op.Add: return `${d} = (${a} + ${b}) | 0;\n`;
    case Op.Sub: return `${d} = (${a} - ${b}) | 0;\n`;
    case Op.Sll: return `${d} = ${a} << ${b};\n`;
    case Op.Slt: return `${d} = ${a} < ${b} ? 1 : 0;\n`;
    case Op.Sltu: return `${d} = (${a} >>> 0) < (${b} >>> 0) ? 1 : 0;\n`;
    case Op.Xor: return `${d} = ${a} ^ ${b};\n`;
    case Op.Srl: return `${d} = ${a} >>> ${b};\n`;
    case Op.Sra: return `${d} = ${a} >> ${b};\n`;
    case Op.Or: return `${d} = ${a} | ${b};\n`;
    case Op.And: return `${d} = ${a} & ${b};\n`;
    case Op.Mul: return `${d} = Math.imul(${a}, ${b});\n`;
    case Op.Mulh: return `${d} = mulh(${a}, ${b});\n`;
    case Op.Mulhsu: return `${d} = mulhsu(${a}, ${b});\n`;
    case Op.Mulhu: return `${d} = mulhu(${a}, ${b});\n`;
    case Op.Div: return `s = ${a}; t = ${b}; ${d} = t === 0 ? -1 : t === -1 ? -s | 0 : (s / t) | 0;\n`;
    case Op.Divu: return `s = ${a} >>> 0; t = ${b} >>> 0; ${d} = t === 0 ? -1 : (s / t) | 0;\n`;
    case Op.Rem: return `s = ${a}; t = ${b}; ${d} = t === 0 ? s : t === -1 ? 0 : s % t | 0;\n`;
    case Op.Remu: return `s = ${a} >>> 0; t = ${b} >>> 0; ${d} = t === 0 ? s | 0 : s % t | 0;\n`;
    default: return null;
  }
}

/**
 * Compiles the block starting at slot `i` of decoded page `code` (whose
 * first instruction is at `pageBase`, frame `frame` in `m32`). Decodes
 * slots it needs. Returns null when the first instruction is not
 * compilable (the interpreter runs it).
 */
export function compileBlock(
  code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array,
  helpers: { mulh: (a: number, b: number) => number; mulhsu: (a: number, b: number) => number; mulhu: (a: number, b: number) => number },
): CompiledBlock | null {
  let body = '';
  let length = 0;
  const start = (pageBase + (i << 1)) | 0;
  const state: EmitState = { terminal: false, loops: false };
  for (let slot = i; slot < 2048 && length < MAX_BLOCK_LENGTH; slot += 2) {
    const pc = (pageBase + (slot << 1)) | 0;
    if (code[slot] === Op.Undecoded) decodeInto(m32[(frame + (slot << 1)) >> 2]!, pc, code, slot);
    const js = emit(code[slot]!, code[slot + 1]!, pc, length, start, state);
    if (js === null) break;
    body += js;
    length++;
    if (state.terminal) break;
  }
  if (length === 0) return null;
  if (!state.terminal) {
    // Fell off the end without a jump: continue sequentially.
    body += `c.retired = done + ${length}; return ${(start + 4 * length) | 0};\n`;
  }
  body = body.replaceAll('LENGTH', String(length));
  const cached = blockCache.get(body);
  if (cached !== undefined) return cached;
  const source =
    `return function block(c, x, m8, m16, m32, rt, wt, budget) {\n"use strict";\n` +
    `let a = 0, e = 0, v = 0, s = 0, t = 0, done = 0;\n` +
    (state.loops ? `loop: for (;;) {\n${body}}\n` : body) +
    `};`;
  const factory = new Function('mulh', 'mulhsu', 'mulhu', source);
  const block: CompiledBlock = { run: factory(helpers.mulh, helpers.mulhsu, helpers.mulhu) as BlockFunction, length };
  if (blockCache.size >= BLOCK_CACHE_LIMIT) blockCache.clear();
  blockCache.set(body, block);
  return block;
}

/** Compiled blocks by their body text (which says whether it loops), shared by every machine. */
const blockCache = new Map<string, CompiledBlock>();
/** Bound of {@link blockCache}: cleared when full, so it never grows without bound. */
const BLOCK_CACHE_LIMIT = 20_000;
