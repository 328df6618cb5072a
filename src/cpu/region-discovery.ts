import { ZERO_SINK, decodeInto } from './decoder.js';
import { Op } from './op.js';

/*
 * Region discovery, shared by the region tier (region-compiler.ts) and the
 * wasm tier (wasm/wasm-compiler.ts): the code of one 4 KiB page reachable
 * from a hot entry, cut into basic blocks. Both compilers turn the same
 * blocks into one function each, entered at any block start.
 */

/** True when the compiled tiers take the operation (pure register and memory work, as the block tier). */
export function compilable(op: number): boolean {
  return op >= Op.LoadConstant && op <= Op.Remu;
}

/** True for the six conditional branches. */
export function isBranch(op: number): boolean {
  return op >= Op.Beq && op <= Op.Bgeu;
}

/** The blocks of a region within one decoded page. */
export interface Region {
  /** 1 where an instruction (slot index 0..1023, `(pc & 0xfff) >> 2`) is part of the region. */
  readonly taken: Uint8Array;
  /** 1 where a taken instruction starts a basic block. */
  readonly leader: Uint8Array;
  /** Instruction indexes of the block starts, ascending (the region's entry points). */
  readonly entries: readonly number[];
  /** Instructions in each block of {@link entries}. */
  readonly lengths: readonly number[];
  /** Instructions in the region. */
  readonly count: number;
}

/**
 * Explores decoded page `code` (first instruction at `pageBase`, frame
 * `frame` in `m32`) from instruction slot `i` (an even index into `code`,
 * two words per instruction), breadth first — the code nearest the entry
 * first — following branches and jumps within the page, up to `maxLength`
 * instructions. `roots` (instruction indexes) are explored after the
 * entry as further block starts: the wasm tier passes the page's other
 * compiled entries, so that one region grows to hold the page's hot code
 * (jump-table targets included, which no walk finds). Decodes slots it
 * needs. With `returnPoints`, the instruction after a call (a jump that
 * links: rd is not x0) starts a block too — where the callee returns,
 * from another page or through a jalr. Returns null when the first
 * instruction is not compilable. Straight runs longer than `blockLimit`
 * are cut into blocks of at most that many instructions. With `claimed`,
 * the walk stops at slots set there (another function has them) and sets
 * the ones it takes.
 */
export function discoverRegion(
  code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array, maxLength: number,
  roots: readonly number[] = [], returnPoints = false, blockLimit = 1024, claimed: Uint8Array | null = null,
): Region | null {
  const slotOf = (pc: number) => (pc - pageBase) >>> 2;
  const inPage = (pc: number) => (pc & ~0xfff) === pageBase;
  const opAt = (n: number): number => {
    const s = n << 1;
    if (code[s] === Op.Undecoded) decodeInto(m32[(frame + (n << 2)) >> 2]!, (pageBase + (n << 2)) | 0, code, s);
    return code[s]! & 0xff;
  };
  const entry = i >> 1;
  if (!compilable(opAt(entry)) || (claimed !== null && claimed[entry] !== 0)) return null;

  // Pass 1: mark leaders (block starts) and the instructions taken.
  const leader = new Uint8Array(1024);
  const taken = new Uint8Array(1024);
  let count = 0;
  const work = [entry];
  leader[entry] = 1;
  for (const r of roots) {
    if (leader[r] === 0 && compilable(opAt(r))) { leader[r] = 1; work.push(r); }
  }
  for (let w = 0; w < work.length && count < maxLength; w++) {
    let n = work[w]!;
    while (n < 1024 && taken[n] === 0 && count < maxLength) {
      const op = opAt(n);
      if (!compilable(op) || (claimed !== null && claimed[n] !== 0)) break;
      taken[n] = 1;
      count++;
      if (isBranch(op) || op === Op.Jal) {
        const target = code[(n << 1) + 1]!;
        if (inPage(target)) {
          const s = slotOf(target);
          if (leader[s] === 0) { leader[s] = 1; work.push(s); }
        }
        const links = returnPoints && ((code[n << 1]! >>> 8) & 0xff) !== ZERO_SINK;
        if ((op !== Op.Jal || links) && n + 1 < 1024 && leader[n + 1] === 0) { leader[n + 1] = 1; work.push(n + 1); }
        break;
      }
      if (op === Op.Jalr) {
        if (returnPoints && ((code[n << 1]! >>> 8) & 0xff) !== ZERO_SINK && n + 1 < 1024 && leader[n + 1] === 0) { leader[n + 1] = 1; work.push(n + 1); }
        break;
      }
      n++;
    }
  }
  // Pass 2: a leader is a block only when its first instruction was taken;
  // a block runs to its first control transfer or the next leader.
  const entries: number[] = [];
  const lengths: number[] = [];
  for (let n = 0; n < 1024; n++) {
    if (leader[n] === 0 || taken[n] === 0) continue;
    let len = 0;
    while (n + len < 1024 && taken[n + len] !== 0 && (len === 0 || leader[n + len] === 0)) {
      const op = code[(n + len) << 1]! & 0xff;
      len++;
      if (isBranch(op) || op === Op.Jal || op === Op.Jalr) break;
      if (len === blockLimit) {
        if (n + len < 1024) leader[n + len] = 1; // the rest starts a block of its own
        break;
      }
    }
    entries.push(n);
    lengths.push(len);
  }
  if (claimed !== null) for (let n = 0; n < 1024; n++) claimed[n] |= taken[n]!;
  return { taken, leader, entries, lengths, count };
}

/**
 * Appends to `into` the instruction slots of decoded page `code` where a
 * block naturally starts without being reached by a walk: the page's
 * first slot and every slot after a control transfer (where a jump table,
 * a return or a fall-through from another page enters; compiled switch
 * cases start there). Decodes every slot.
 */
export function naturalLeaders(code: Int32Array, pageBase: number, frame: number, m32: Int32Array, into: number[]): void {
  let after = true;
  for (let n = 0; n < 1024; n++) {
    const s = n << 1;
    if (code[s] === Op.Undecoded) decodeInto(m32[(frame + (n << 2)) >> 2]!, (pageBase + (n << 2)) | 0, code, s);
    const op = code[s]! & 0xff;
    if (after && compilable(op)) into.push(n);
    after = isBranch(op) || op === Op.Jal || op === Op.Jalr || !compilable(op);
  }
}
