import { discoverRegion, isBranch } from './region-discovery.js';
import { Op } from './op.js';
import type { BlockFunction, CompiledBlock } from './block-compiler.js';

/*
 * Region compiler (the `region` tier, docs/performance.md): turns the code
 * of one 4 KiB page reachable from a hot entry — several basic blocks, the
 * loops between them, the bodies of functions called within the page —
 * into one JavaScript function:
 *
 *   function region(c, x, m8, m16, m32, rt, wt, budget, pc) {
 *     let r5 = x[5], r10 = x[10], ...      // the guest registers it uses
 *     let done = 0;
 *     loop: for (;;) {
 *       switch (pc) {
 *         case 0x10074:                     // one basic block per case
 *           if (done > budget - 6) break loop;
 *           ...                             // its instructions, on locals
 *           if (r10 !== r11) { done += 6; pc = 0x10074; continue loop; }
 *           done += 6; pc = 0x1008c;        // falls into the next case
 *         case 0x1008c: ...
 *         default: break loop;              // a pc outside the region
 *       }
 *     }
 *     x[5] = r5; x[10] = r10; ...           // written registers, once
 *     c.retired = done; return pc;
 *   }
 *
 * Guest registers live in JavaScript locals for the whole call and go back
 * to `x` once, at the single exit; jumps between the region's blocks (and
 * `jalr` returns to one of them) never leave the function. The budget is
 * tested once per basic block, against the block's full length, so a call
 * retires exactly as many instructions as the interpreter would have run
 * before stopping at the same budget: precise. A faulting access leaves with
 * `pc` = that instruction and `done` = the instructions before it; a slow
 * store that grew memory or rewrote decoded code leaves right after it (the
 * cpu's `slowPath`), as in the block tier. Only the instructions the block
 * tier compiles are taken; anything else ends a block with an exit to it.
 *
 * The function is entered at any of its blocks' first instructions (the
 * dispatcher passes `pc`); its `length` is the longest block, so a budget
 * of at least `length` always lets the entry block run.
 */

/** Most instructions one region takes (compile time and code size). */
export const MAX_REGION_LENGTH = 32;

type Multiply = { mulh: (a: number, b: number) => number; mulhsu: (a: number, b: number) => number; mulhu: (a: number, b: number) => number };


/** Register names: locals `rN`; x0 reads as 0; writes to x0 (decoded as 32) go to the sink local r32. */
const rd = (n: number) => `r${n}`;
const rs = (n: number) => (n === 0 ? '0' : `r${n}`);

/**
 * JavaScript for one instruction at `pc`, the `k`-th of its block (`done`
 * counts the block's earlier instructions only at block ends, so exits add
 * `k`). Control transfers are not handled here.
 */
function emitPlain(w: number, imm: number, pc: number, k: number): string {
  const op = w & 0xff;
  const d = rd((w >>> 8) & 0xff), a = rs((w >>> 16) & 0xff), b = rs(w >>> 24);
  const next = (pc + 4) | 0;
  const fault = `{ done += ${k}; pc = ${pc}; break loop; }`;
  const load = (size: number, fast: string, extend: (v: string) => string) =>
    `a = (${a} + ${imm}) | 0; e = rt[a >>> 12];\n` +
    `if (e > 0${size > 1 ? ` && (a & ${size - 1}) === 0` : ''}) ${d} = ${extend(fast)};\n` +
    `else { v = c.loadSlow(a, ${size}, ${pc}); if (c.trapped) ${fault} ${d} = ${extend('v')}; }\n`;
  const store = (size: number, fast: string) =>
    `a = (${a} + ${imm}) | 0; e = wt[a >>> 12];\n` +
    `if (e > 0${size > 1 ? ` && (a & ${size - 1}) === 0` : ''}) ${fast} = ${b};\n` +
    `else { if (!c.storeSlow(a, ${size}, ${b}, ${pc})) ${fault} if (c.slowPath) { done += ${k + 1}; pc = ${next}; break loop; } }\n`;
  switch (op) {
    case Op.LoadConstant: return `${d} = ${imm};\n`;
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
    // `>>>` gives an unsigned number; a local (unlike an Int32Array slot) keeps it: back to int32.
    case Op.Srli: return `${d} = (${a} >>> ${imm}) | 0;\n`;
    case Op.Srai: return `${d} = ${a} >> ${imm};\n`;
    case Op.Add: return `${d} = (${a} + ${b}) | 0;\n`;
    case Op.Sub: return `${d} = (${a} - ${b}) | 0;\n`;
    case Op.Sll: return `${d} = ${a} << ${b};\n`;
    case Op.Slt: return `${d} = ${a} < ${b} ? 1 : 0;\n`;
    case Op.Sltu: return `${d} = (${a} >>> 0) < (${b} >>> 0) ? 1 : 0;\n`;
    case Op.Xor: return `${d} = ${a} ^ ${b};\n`;
    case Op.Srl: return `${d} = (${a} >>> ${b}) | 0;\n`;
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
    default: /* Op.Remu */ return `s = ${a} >>> 0; t = ${b} >>> 0; ${d} = t === 0 ? s | 0 : s % t | 0;\n`;
  }
}

function branchCondition(op: number, a: string, b: string): string {
  switch (op) {
    case Op.Beq: return `${a} === ${b}`;
    case Op.Bne: return `${a} !== ${b}`;
    case Op.Blt: return `${a} < ${b}`;
    case Op.Bge: return `${a} >= ${b}`;
    case Op.Bltu: return `(${a} >>> 0) < (${b} >>> 0)`;
    default: return `(${a} >>> 0) >= (${b} >>> 0)`;
  }
}

/** The region's result: the function record and the slots of its blocks' first instructions. */
export interface CompiledRegion {
  /** The function record (the dispatcher's shape). */
  readonly block: CompiledBlock;
  /** Slot indexes (pc & 0xfff) >> 2 where the region may be entered. */
  readonly entries: readonly number[];
}

/**
 * Compiles the region of decoded page `code` (first instruction at
 * `pageBase`, frame `frame` in `m32`) reachable from slot `i` (an even
 * index into `code`, two words per instruction). Decodes slots it needs.
 * Returns null when the first instruction is not compilable.
 */
export function compileRegion(code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array, helpers: Multiply): CompiledRegion | null {
  const slotOf = (pc: number) => (pc - pageBase) >>> 2; // instruction index 0..1023
  const inPage = (pc: number) => (pc & ~0xfff) === pageBase;
  const region = discoverRegion(code, i, pageBase, frame, m32, MAX_REGION_LENGTH);
  if (region === null) return null;
  const { leader, taken, entries } = region;

  // One switch case per block, in address order (a block that runs
  // into the next one falls through to its case).
  let body = '';
  let longest = 0;
  const used = new Uint8Array(33);
  const written = new Uint8Array(33);
  for (let e = 0; e < entries.length; e++) {
    const first = entries[e]!;
    const len = region.lengths[e]!;
    if (len > longest) longest = len;
    const startPc = (pageBase + (first << 2)) | 0;
    let js = `case ${startPc}:\nif (done > budget - ${len}) break loop;\n`;
    let ended = false;
    for (let k = 0; k < len; k++) {
      const n = first + k;
      const w = code[n << 1]!, imm = code[(n << 1) + 1]!;
      const op = w & 0xff;
      const pc = (pageBase + (n << 2)) | 0;
      const dN = (w >>> 8) & 0xff, aN = (w >>> 16) & 0xff, bN = w >>> 24;
      const next = (pc + 4) | 0;
      const goTo = (t: number) => (inPage(t) && leader[slotOf(t)] !== 0 && taken[slotOf(t)] !== 0 ? 'continue loop;' : 'break loop;');
      if (isBranch(op)) {
        used[aN] = used[bN] = 1;
        js += `if (${branchCondition(op, rs(aN), rs(bN))}) { done += ${k + 1}; pc = ${imm}; ${goTo(imm)} }\n`;
        js += `done += ${k + 1}; pc = ${next}; ${goTo(next)}\n`;
        ended = true;
      } else if (op === Op.Jal) {
        used[dN] = written[dN] = 1;
        js += `${rd(dN)} = ${next}; done += ${k + 1}; pc = ${imm}; ${goTo(imm)}\n`;
        ended = true;
      } else if (op === Op.Jalr) {
        used[dN] = written[dN] = used[aN] = 1;
        js += `a = ((${rs(aN)} + ${imm}) & ~1) | 0;\n` +
          `if ((a & 3) !== 0) { done += ${k}; pc = ${pc}; break loop; }\n` + // the interpreter raises the fault
          `${rd(dN)} = ${next}; done += ${k + 1}; pc = a; continue loop;\n`;
        ended = true;
      } else {
        const isStore = op >= Op.Sb && op <= Op.Sw; // its rd field is immediate bits
        if (!isStore) used[dN] = written[dN] = 1;
        if (op !== Op.LoadConstant) used[aN] = 1;
        if (isStore || op >= Op.Add) used[bN] = 1;
        js += emitPlain(w, imm, pc, k);
      }
    }
    if (!ended) {
      const next = (pageBase + ((first + len) << 2)) | 0;
      const nextIsCase = e + 1 < entries.length && entries[e + 1] === first + len;
      // Runs into the next block (its case follows: fall through) or out of the region.
      js += `done += ${len}; pc = ${next};${nextIsCase ? '\n' : ' break loop;\n'}`;
    }
    body += js;
  }
  used[0] = 0; written[0] = 0;
  written[32] = 0;
  let prologue = '';
  let epilogue = '';
  for (let n = 1; n < 33; n++) {
    if (used[n] === 0) continue;
    prologue += n === 32 ? 'let r32 = 0;\n' : `let r${n} = x[${n}];\n`;
    if (written[n] !== 0) epilogue += `x[${n}] = r${n};\n`;
  }
  const text =
    `${prologue}let a = 0, e = 0, v = 0, s = 0, t = 0, done = 0;\n` +
    `loop: for (;;) {\nswitch (pc) {\n${body}default: break loop;\n}\n}\n` +
    `${epilogue}c.retired = done;\nreturn pc;\n`;
  const cached = regionCache.get(text);
  if (cached !== undefined) return { block: cached, entries };
  const source = `return function region(c, x, m8, m16, m32, rt, wt, budget, pc) {\n"use strict";\n${text}};`;
  const factory = new Function('mulh', 'mulhsu', 'mulhu', source);
  const block: CompiledBlock = { run: factory(helpers.mulh, helpers.mulhsu, helpers.mulhu) as BlockFunction, length: longest };
  if (regionCache.size >= REGION_CACHE_LIMIT) regionCache.clear();
  regionCache.set(text, block);
  return { block, entries };
}

/** Compiled regions by their text, shared by every machine (as the block tier's cache). */
const regionCache = new Map<string, CompiledBlock>();
/** Bound of {@link regionCache}: cleared when full. */
const REGION_CACHE_LIMIT = 5_000;
