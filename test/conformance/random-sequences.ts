/**
 * Seeded random RV32IMA instruction sequences for differential testing.
 *
 * Every sequence is built so that it cannot fault, loop or touch anything
 * outside its scratch buffer, by construction:
 *
 * - `x2` (sp) is never read or written: the stack belongs to the harness.
 * - `x31` is reserved as the scratch base: it is set by the prologue and
 *   never written by the body; every load and store is `off(x31)` with
 *   `0 <= off <= SCRATCH_BYTES - width` (misaligned offsets included: the
 *   machine performs misaligned loads and stores).
 * - AMOs and LR/SC take their address from `x30`, set by an `addi x30,
 *   x31, 4k` in the same group, so the address is always an aligned
 *   scratch word. An LR is always followed in its group by its SC, and
 *   nothing between them stores to memory.
 * - Control flow only goes forward, to the start of a later group or to the
 *   end of the body (branches, `jal`, and `auipc x30, 0; jalr rd, off(x30)`).
 *   A branch never lands inside a group, so group invariants hold.
 *
 * Sequences are emitted as `.word`s (this module is its own assembler) with
 * the mnemonic as a comment; {@link mnemonicAssembly} gives the same body as
 * GNU assembler mnemonics, so a test can check the encoder against `as`.
 *
 * Per sequence the generated function `seq_N` saves the callee-saved
 * registers, loads x1, x3..x30 from a seeded table, points x31 at the
 * scratch buffer (whose initial contents the C driver copies from a seeded
 * table), runs the body, stores x1, x3..x30 to `seq_regs_out` and returns.
 * The driver (`seq_main.c`) prints one line per sequence:
 * `seq <index> x1=<hex> x3=<hex> ... x30=<hex> mem=<hex bytes>`.
 */

/** Bytes in the scratch buffer that loads, stores and AMOs address. */
export const SCRATCH_BYTES = 128;

/** Registers whose final value is dumped (all but x0, sp and x31). */
export const DUMPED_REGISTERS: readonly number[] = [1, ...Array.from({ length: 28 }, (_, i) => i + 3)];

/** One encoded instruction and its assembler spelling. */
export interface Instruction {
  /** The 32-bit instruction word. */
  readonly word: number;
  /** GNU as spelling; branch targets name the label of the target group. */
  readonly text: string;
}

/** One random sequence and everything needed to reproduce it. */
export interface Sequence {
  /** Global index, as printed by the driver. */
  readonly index: number;
  /** Initial value of every register (entries 0, 2 and 31 unused). */
  readonly initialRegisters: Uint32Array;
  /** Initial contents of the scratch buffer. */
  readonly initialScratch: Uint8Array;
  /** The body, in order. */
  readonly body: readonly Instruction[];
  /** Label defined before body[i], when some instruction jumps there. */
  readonly labels: ReadonlyMap<number, string>;
}

/** A batch of sequences linked into one guest program. */
export interface SequenceBatch {
  readonly seed: number;
  readonly sequences: readonly Sequence[];
  /** Assembly source (`.word` bodies) for the batch, to link with seq_main.c. */
  readonly assembly: string;
}

/** Options of {@link generateBatch}. */
export interface BatchOptions {
  /** PRNG seed (any 32-bit integer). */
  readonly seed: number;
  /** Number of sequences in the batch. */
  readonly count: number;
  /** Global index of the first sequence (default 0). */
  readonly firstIndex?: number;
  /** Groups per sequence, inclusive range (default [25, 45]). */
  readonly groups?: readonly [number, number];
}

// ---------------------------------------------------------------------------
// PRNG: mulberry32, small and good enough for test generation.

/** A seeded 32-bit PRNG; same seed, same stream, on every platform. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + (this.nextU32() % (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextU32() / 0x1_0000_0000 < p;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    return items[this.nextU32() % items.length] as T;
  }
}

// ---------------------------------------------------------------------------
// Encoder (RISC-V unprivileged spec, chapter "RV32I Base Integer
// Instruction Set", formats R/I/S/B/U/J; M and A extensions).

const OP = 0x33;
const OP_IMM = 0x13;
const LUI = 0x37;
const AUIPC = 0x17;
const LOAD = 0x03;
const STORE = 0x23;
const BRANCH = 0x63;
const JAL = 0x6f;
const JALR = 0x67;
const AMO = 0x2f;

const FENCE_RW_RW_WORD = 0x0330000f; // fence rw, rw (MISC-MEM opcode 0x0f)
const FENCE_I_WORD = 0x0000100f; // fence.i

/** Scratch base register (reserved). */
const BASE = 31;
/** AMO/LR/SC address and jalr base register (written only inside groups). */
const ADDR = 30;

const u32 = (x: number): number => x >>> 0;
const reg = (r: number): string => `x${r}`;

function rType(f7: number, rs2: number, rs1: number, f3: number, rd: number, opcode: number): number {
  return u32((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode);
}

function iType(imm: number, rs1: number, f3: number, rd: number, opcode: number): number {
  return u32(((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode);
}

function sType(imm: number, rs2: number, rs1: number, f3: number): number {
  return u32((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | STORE);
}

/*
 * B-type immediate layout (offset bits -> instruction bits):
 *   imm[12] -> 31, imm[10:5] -> 30:25, imm[4:1] -> 11:8, imm[11] -> 7
 */
function bType(offset: number, rs2: number, rs1: number, f3: number): number {
  const o = offset & 0x1fff;
  return u32(
    (((o >> 12) & 1) << 31) |
      (((o >> 5) & 0x3f) << 25) |
      (rs2 << 20) |
      (rs1 << 15) |
      (f3 << 12) |
      (((o >> 1) & 0xf) << 8) |
      (((o >> 11) & 1) << 7) |
      BRANCH,
  );
}

function uType(imm20: number, rd: number, opcode: number): number {
  return u32(((imm20 & 0xfffff) << 12) | (rd << 7) | opcode);
}

/*
 * J-type immediate layout (offset bits -> instruction bits):
 *   imm[20] -> 31, imm[10:1] -> 30:21, imm[11] -> 20, imm[19:12] -> 19:12
 */
function jType(offset: number, rd: number): number {
  const o = offset & 0x1fffff;
  return u32(
    (((o >> 20) & 1) << 31) |
      (((o >> 1) & 0x3ff) << 21) |
      (((o >> 11) & 1) << 20) |
      (((o >> 12) & 0xff) << 12) |
      (rd << 7) |
      JAL,
  );
}

function amoType(funct5: number, aq: boolean, rl: boolean, rs2: number, rs1: number, rd: number): number {
  return u32((funct5 << 27) | ((aq ? 1 : 0) << 26) | ((rl ? 1 : 0) << 25) | (rs2 << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | AMO);
}

const R_OPS: readonly (readonly [string, number, number])[] = [
  // name, funct7, funct3
  ['add', 0x00, 0],
  ['sub', 0x20, 0],
  ['sll', 0x00, 1],
  ['slt', 0x00, 2],
  ['sltu', 0x00, 3],
  ['xor', 0x00, 4],
  ['srl', 0x00, 5],
  ['sra', 0x20, 5],
  ['or', 0x00, 6],
  ['and', 0x00, 7],
];

const M_OPS: readonly (readonly [string, number])[] = [
  // name, funct3 (funct7 = 1)
  ['mul', 0],
  ['mulh', 1],
  ['mulhsu', 2],
  ['mulhu', 3],
  ['div', 4],
  ['divu', 5],
  ['rem', 6],
  ['remu', 7],
];

const I_OPS: readonly (readonly [string, number])[] = [
  ['addi', 0],
  ['slti', 2],
  ['sltiu', 3],
  ['xori', 4],
  ['ori', 6],
  ['andi', 7],
];

const SHIFT_OPS: readonly (readonly [string, number, number])[] = [
  // name, funct3, upper immediate bits
  ['slli', 1, 0x000],
  ['srli', 5, 0x000],
  ['srai', 5, 0x400],
];

const LOAD_OPS: readonly (readonly [string, number, number])[] = [
  // name, funct3, width
  ['lb', 0, 1],
  ['lh', 1, 2],
  ['lw', 2, 4],
  ['lbu', 4, 1],
  ['lhu', 5, 2],
];

const STORE_OPS: readonly (readonly [string, number, number])[] = [
  ['sb', 0, 1],
  ['sh', 1, 2],
  ['sw', 2, 4],
];

const BRANCH_OPS: readonly (readonly [string, number])[] = [
  ['beq', 0],
  ['bne', 1],
  ['blt', 4],
  ['bge', 5],
  ['bltu', 6],
  ['bgeu', 7],
];

const AMO_OPS: readonly (readonly [string, number])[] = [
  ['amoadd.w', 0x00],
  ['amoswap.w', 0x01],
  ['amoxor.w', 0x04],
  ['amoor.w', 0x08],
  ['amoand.w', 0x0c],
  ['amomin.w', 0x10],
  ['amomax.w', 0x14],
  ['amominu.w', 0x18],
  ['amomaxu.w', 0x1c],
];
const LR_FUNCT5 = 0x02;
const SC_FUNCT5 = 0x03;

const EDGE_VALUES: readonly number[] = [
  0x00000000, 0x00000001, 0x00000002, 0x0000001f, 0x00000020, 0x0000007f, 0x00000080, 0x000000ff, 0x00007fff,
  0x00008000, 0x0000ffff, 0x00010000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
  0xfffff800, 0x000007ff,
];

const EDGE_IMM12: readonly number[] = [-2048, -2047, -1, 0, 1, 2, 31, 32, 2046, 2047];

function amoSuffix(aq: boolean, rl: boolean): string {
  return aq && rl ? '.aqrl' : aq ? '.aq' : rl ? '.rl' : '';
}

// ---------------------------------------------------------------------------
// Generation.

/** An instruction before layout: branch targets are still group indices. */
type Pending =
  | { readonly kind: 'fixed'; readonly word: number; readonly text: string }
  | { readonly kind: 'branch'; readonly f3: number; readonly name: string; readonly rs1: number; readonly rs2: number; readonly target: number }
  | { readonly kind: 'jal'; readonly rd: number; readonly target: number }
  | { readonly kind: 'jalr'; readonly rd: number; readonly target: number; readonly odd: boolean };

const fixed = (word: number, text: string): Pending => ({ kind: 'fixed', word, text });

/** Destination registers the body may write: x0 (discarded), x1, x3..x30. */
const DESTS: readonly number[] = [0, 1, ...Array.from({ length: 28 }, (_, i) => i + 3)];
/** Source registers: everything but sp. */
const SOURCES: readonly number[] = [...DESTS, BASE];

class SequenceBuilder {
  private readonly groups: Pending[][] = [];

  constructor(
    private readonly rng: SeededRandom,
    private readonly groupCount: number,
  ) {}

  /** A destination; `exclude` lists registers that must not be written. */
  private dest(exclude: readonly number[] = []): number {
    for (;;) {
      const r = this.rng.chance(0.04) ? 0 : this.rng.pick(DESTS);
      if (!exclude.includes(r)) return r;
    }
  }

  private src(): number {
    return this.rng.chance(0.05) ? 0 : this.rng.pick(SOURCES);
  }

  private imm12(): number {
    return this.rng.chance(0.5) ? this.rng.pick(EDGE_IMM12) : this.rng.int(-2048, 2047);
  }

  private forwardTarget(from: number): number {
    // Up to 6 groups ahead; groupCount means the end of the body.
    return Math.min(this.groupCount, from + this.rng.int(1, 6));
  }

  private aluR(rd: number): Pending {
    const [name, f7, f3] = this.rng.pick(R_OPS);
    const rs1 = this.src();
    const rs2 = this.src();
    return fixed(rType(f7, rs2, rs1, f3, rd, OP), `${name} ${reg(rd)}, ${reg(rs1)}, ${reg(rs2)}`);
  }

  private mulDiv(rd: number, rs1: number, rs2: number): Pending {
    const [name, f3] = this.rng.pick(M_OPS);
    return fixed(rType(1, rs2, rs1, f3, rd, OP), `${name} ${reg(rd)}, ${reg(rs1)}, ${reg(rs2)}`);
  }

  private aluI(rd: number): Pending {
    const [name, f3] = this.rng.pick(I_OPS);
    const rs1 = this.src();
    const imm = this.imm12();
    return fixed(iType(imm, rs1, f3, rd, OP_IMM), `${name} ${reg(rd)}, ${reg(rs1)}, ${imm}`);
  }

  private shiftI(rd: number): Pending {
    const [name, f3, upper] = this.rng.pick(SHIFT_OPS);
    const rs1 = this.src();
    const shamt = this.rng.chance(0.4) ? this.rng.pick([0, 1, 31]) : this.rng.int(0, 31);
    return fixed(iType(upper | shamt, rs1, f3, rd, OP_IMM), `${name} ${reg(rd)}, ${reg(rs1)}, ${shamt}`);
  }

  /** `li rd, value` as lui+addi (or addi alone), exactly as `as` expands it. */
  private loadImmediate(rd: number, value: number): Pending[] {
    const v = value | 0;
    if (v >= -2048 && v <= 2047) return [fixed(iType(v, 0, 0, rd, OP_IMM), `addi ${reg(rd)}, x0, ${v}`)];
    const lo = (v << 20) >> 20;
    const hi = u32(v - lo) >>> 12;
    const out: Pending[] = [fixed(uType(hi, rd, LUI), `lui ${reg(rd)}, ${hi}`)];
    if (lo !== 0) out.push(fixed(iType(lo, rd, 0, rd, OP_IMM), `addi ${reg(rd)}, ${reg(rd)}, ${lo}`));
    return out;
  }

  private memOffset(width: number): number {
    const maxOff = SCRATCH_BYTES - width;
    if (this.rng.chance(0.75)) return this.rng.int(0, maxOff / width) * width; // aligned
    return this.rng.int(0, maxOff);
  }

  private group(index: number): Pending[] {
    const roll = this.rng.int(0, 99);
    if (roll < 18) return [this.aluR(this.dest())];
    if (roll < 30) {
      // M: often with x0 as divisor (division by zero) or edge operands.
      const rs2 = this.rng.chance(0.12) ? 0 : this.src();
      return [this.mulDiv(this.dest(), this.src(), rs2)];
    }
    if (roll < 34) {
      // Edge operands built on the spot, then an M op: overflow and /0.
      const a = this.dest([0]);
      let b = this.dest([0, a]);
      const out = [
        ...this.loadImmediate(a, this.rng.pick([0x80000000, 0x7fffffff, 0xffffffff, 0, 1, 0x80000001])),
        ...this.loadImmediate(b, this.rng.pick([0xffffffff, 0, 1, 0x80000000, 2, 0x7fffffff])),
      ];
      if (this.rng.chance(0.2)) b = a;
      out.push(this.mulDiv(this.dest(), a, b));
      return out;
    }
    if (roll < 44) return [this.aluI(this.dest())];
    if (roll < 50) return [this.shiftI(this.dest())];
    if (roll < 54) {
      const rd = this.dest();
      const imm = this.rng.chance(0.4) ? this.rng.pick([0, 1, 0x7ffff, 0x80000, 0xfffff]) : this.rng.int(0, 0xfffff);
      const isLui = this.rng.chance(0.6);
      return [fixed(uType(imm, rd, isLui ? LUI : AUIPC), `${isLui ? 'lui' : 'auipc'} ${reg(rd)}, ${imm}`)];
    }
    if (roll < 65) {
      const [name, f3, width] = this.rng.pick(LOAD_OPS);
      const rd = this.dest();
      const off = this.memOffset(width);
      return [fixed(iType(off, BASE, f3, rd, LOAD), `${name} ${reg(rd)}, ${off}(${reg(BASE)})`)];
    }
    if (roll < 75) {
      const [name, f3, width] = this.rng.pick(STORE_OPS);
      const rs2 = this.src();
      const off = this.memOffset(width);
      return [fixed(sType(off, rs2, BASE, f3), `${name} ${reg(rs2)}, ${off}(${reg(BASE)})`)];
    }
    if (roll < 81) {
      const [name, funct5] = this.rng.pick(AMO_OPS);
      const word = this.rng.int(0, SCRATCH_BYTES / 4 - 1) * 4;
      const rd = this.dest();
      const rs2 = this.src();
      const aq = this.rng.chance(0.3);
      const rl = this.rng.chance(0.3);
      return [
        fixed(iType(word, BASE, 0, ADDR, OP_IMM), `addi ${reg(ADDR)}, ${reg(BASE)}, ${word}`),
        fixed(amoType(funct5, aq, rl, rs2, ADDR, rd), `${name}${amoSuffix(aq, rl)} ${reg(rd)}, ${reg(rs2)}, (${reg(ADDR)})`),
      ];
    }
    if (roll < 86) return this.lrSc();
    if (roll < 93) {
      const [name, f3] = this.rng.pick(BRANCH_OPS);
      return [{ kind: 'branch', name, f3, rs1: this.src(), rs2: this.src(), target: this.forwardTarget(index) }];
    }
    if (roll < 96) return [{ kind: 'jal', rd: this.dest(), target: this.forwardTarget(index) }];
    if (roll < 98) return [{ kind: 'jalr', rd: this.dest(), target: this.forwardTarget(index), odd: this.rng.chance(0.3) }];
    return [this.rng.chance(0.7) ? fixed(FENCE_RW_RW_WORD, 'fence rw, rw') : fixed(FENCE_I_WORD, '.word 0x0000100f # fence.i')];
  }

  /**
   * LR/SC shapes: a matching pair (succeeds), a pair whose SC names another
   * word (fails), or an SC with no reservation (fails). A failed SC writes
   * 1 to rd and stores nothing; every SC ends the reservation.
   */
  private lrSc(): Pending[] {
    const word = this.rng.int(0, SCRATCH_BYTES / 4 - 1) * 4;
    const out: Pending[] = [fixed(iType(word, BASE, 0, ADDR, OP_IMM), `addi ${reg(ADDR)}, ${reg(BASE)}, ${word}`)];
    const shape = this.rng.int(0, 9);
    if (shape < 8) {
      const rd = this.dest([ADDR]);
      const aq = this.rng.chance(0.3);
      out.push(fixed(amoType(LR_FUNCT5, aq, false, 0, ADDR, rd), `lr.w${amoSuffix(aq, false)} ${reg(rd)}, (${reg(ADDR)})`));
      const between = this.rng.int(0, 2);
      for (let i = 0; i < between; i++) out.push(this.aluR(this.dest([ADDR])));
      if (shape >= 6) {
        const other = (word + 4 * this.rng.int(1, SCRATCH_BYTES / 4 - 1)) % SCRATCH_BYTES;
        out.push(fixed(iType(other, BASE, 0, ADDR, OP_IMM), `addi ${reg(ADDR)}, ${reg(BASE)}, ${other}`));
      }
    }
    const rd = this.dest();
    const rs2 = this.src();
    const rl = this.rng.chance(0.3);
    out.push(fixed(amoType(SC_FUNCT5, false, rl, rs2, ADDR, rd), `sc.w${amoSuffix(false, rl)} ${reg(rd)}, ${reg(rs2)}, (${reg(ADDR)})`));
    return out;
  }

  build(): Pending[][] {
    for (let g = 0; g < this.groupCount; g++) this.groups.push(this.group(g));
    return this.groups;
  }
}

/**
 * Lays out groups and resolves forward targets into offsets.
 * Returns the body and the labels (group starts some jump names).
 */
function layout(groups: readonly Pending[][], seqIndex: number): { body: Instruction[]; labels: Map<number, string> } {
  const start: number[] = [];
  let count = 0;
  for (const g of groups) {
    start.push(count);
    count += g.reduce((n, p) => n + (p.kind === 'jalr' ? 2 : 1), 0);
  }
  start.push(count); // the end of the body
  const labels = new Map<number, string>();
  const label = (group: number): string => {
    const at = start[group] as number;
    let name = labels.get(at);
    if (name === undefined) {
      name = `.Lseq${seqIndex}_${group}`;
      labels.set(at, name);
    }
    return name;
  };
  const body: Instruction[] = [];
  for (const g of groups) {
    for (const p of g) {
      const here = body.length * 4;
      switch (p.kind) {
        case 'fixed':
          body.push({ word: p.word, text: p.text });
          break;
        case 'branch': {
          const off = (start[p.target] as number) * 4 - here;
          body.push({ word: bType(off, p.rs2, p.rs1, p.f3), text: `${p.name} ${reg(p.rs1)}, ${reg(p.rs2)}, ${label(p.target)}` });
          break;
        }
        case 'jal': {
          const off = (start[p.target] as number) * 4 - here;
          body.push({ word: jType(off, p.rd), text: `jal ${reg(p.rd)}, ${label(p.target)}` });
          break;
        }
        case 'jalr': {
          // auipc x30, 0 at `here`; jalr adds its offset to that pc (bit 0 cleared).
          const off = (start[p.target] as number) * 4 - here + (p.odd ? 1 : 0);
          label(p.target);
          body.push({ word: uType(0, ADDR, AUIPC), text: `auipc ${reg(ADDR)}, 0` });
          body.push({ word: iType(off, ADDR, 0, p.rd, JALR), text: `jalr ${reg(p.rd)}, ${off}(${reg(ADDR)})` });
          break;
        }
      }
    }
  }
  return { body, labels };
}

function initialRegisters(rng: SeededRandom): Uint32Array {
  const regs = new Uint32Array(32);
  for (const r of DUMPED_REGISTERS) {
    const roll = rng.int(0, 9);
    if (roll < 5) regs[r] = rng.pick(EDGE_VALUES);
    else if (roll < 7) regs[r] = u32(rng.int(-40, 40));
    else regs[r] = rng.nextU32();
  }
  return regs;
}

function initialScratch(rng: SeededRandom): Uint8Array {
  const bytes = new Uint8Array(SCRATCH_BYTES);
  const view = new DataView(bytes.buffer);
  for (let off = 0; off < SCRATCH_BYTES; off += 4) {
    view.setUint32(off, rng.chance(0.4) ? rng.pick(EDGE_VALUES) : rng.nextU32(), true);
  }
  return bytes;
}

/** Generates `count` sequences from `seed`; deterministic. */
export function generateSequences(options: BatchOptions): Sequence[] {
  const rng = new SeededRandom(options.seed);
  const [minGroups, maxGroups] = options.groups ?? [25, 45];
  const first = options.firstIndex ?? 0;
  const out: Sequence[] = [];
  for (let i = 0; i < options.count; i++) {
    const index = first + i;
    const regs = initialRegisters(rng);
    const scratch = initialScratch(rng);
    const groups = new SequenceBuilder(rng, rng.int(minGroups, maxGroups)).build();
    const { body, labels } = layout(groups, index);
    out.push({ index, initialRegisters: regs, initialScratch: scratch, body, labels });
  }
  return out;
}

const hex = (x: number): string => `0x${u32(x).toString(16).padStart(8, '0')}`;

function words(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4, true));
}

/**
 * Assembly for one batch: data tables, one function per sequence, and the
 * symbols the C driver expects (`seq_first`, `seq_count`, `seq_table`,
 * `seq_init_scratch`, `seq_scratch`, `seq_regs_out`).
 */
function batchAssembly(sequences: readonly Sequence[], body: (s: Sequence) => string): string {
  const lines: string[] = [
    '# Generated by test/conformance/random-sequences.ts. Do not edit.',
    '    .option norelax',
    '    .section .rodata',
    '    .balign 4',
    '    .globl seq_first, seq_count, seq_table, seq_init_scratch, seq_scratch_bytes',
    `seq_first: .word ${sequences[0]?.index ?? 0}`,
    `seq_count: .word ${sequences.length}`,
    `seq_scratch_bytes: .word ${SCRATCH_BYTES}`,
    'seq_table:',
    ...sequences.map((s) => `    .word seq_${s.index}`),
    'seq_init_regs:',
    ...sequences.map((s) => `    .word ${Array.from(s.initialRegisters, hex).join(', ')}`),
    'seq_init_scratch:',
    ...sequences.map((s) => `    .word ${words(s.initialScratch).map(hex).join(', ')}`),
    '    .bss',
    '    .balign 16',
    '    .globl seq_scratch, seq_regs_out',
    `seq_scratch: .space ${SCRATCH_BYTES}`,
    'seq_regs_out: .space 128',
    '    .text',
  ];
  const saved = ['ra', 'gp', 'tp', 's0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11'];
  sequences.forEach((s, i) => {
    lines.push('    .balign 4', `seq_${s.index}:`, '    addi sp, sp, -64');
    saved.forEach((r, k) => lines.push(`    sw ${r}, ${k * 4}(sp)`));
    lines.push(`    la x31, seq_init_regs + ${i * 128}`);
    for (const r of DUMPED_REGISTERS) lines.push(`    lw x${r}, ${r * 4}(x31)`);
    lines.push('    la x31, seq_scratch', `# body of sequence ${s.index}`, body(s), `.Lseq${s.index}_end:`);
    lines.push('    la x31, seq_regs_out');
    for (const r of DUMPED_REGISTERS) lines.push(`    sw x${r}, ${r * 4}(x31)`);
    saved.forEach((r, k) => lines.push(`    lw ${r}, ${k * 4}(sp)`));
    lines.push('    addi sp, sp, 64', '    ret');
  });
  return lines.join('\n') + '\n';
}

function wordBody(s: Sequence): string {
  return s.body.map((ins) => `    .word ${hex(ins.word)}  # ${ins.text}`).join('\n');
}

function textBody(s: Sequence): string {
  const out: string[] = [];
  s.body.forEach((ins, i) => {
    const l = s.labels.get(i);
    if (l !== undefined) out.push(`${l}:`);
    out.push(`    ${ins.text}`);
  });
  const end = s.labels.get(s.body.length);
  if (end !== undefined) out.push(`${end}:`);
  return out.join('\n');
}

/** Generates a batch and its `.word` assembly. Deterministic in `seed`. */
export function generateBatch(options: BatchOptions): SequenceBatch {
  const sequences = generateSequences(options);
  return { seed: options.seed, sequences, assembly: batchAssembly(sequences, wordBody) };
}

/**
 * Only the bodies, as GNU as mnemonics with labels, one after another (for
 * checking the encoder: assembling this must give exactly the words of
 * {@link Sequence.body}, concatenated).
 */
export function mnemonicAssembly(sequences: readonly Sequence[]): string {
  return ['    .option norelax', '    .text', ...sequences.map(textBody)].join('\n') + '\n';
}

/** Human-readable dump of one sequence, for failure messages. */
export function describeSequence(s: Sequence): string {
  const regs = DUMPED_REGISTERS.map((r) => `x${r}=${hex(s.initialRegisters[r] ?? 0)}`).join(' ');
  const scratch = Array.from(s.initialScratch, (b) => b.toString(16).padStart(2, '0')).join('');
  const body = s.body
    .map((ins, i) => {
      const l = s.labels.get(i);
      return `${l !== undefined ? `${l}:\n` : ''}  ${(i * 4).toString().padStart(4)}: ${hex(ins.word)}  ${ins.text}`;
    })
    .join('\n');
  const end = s.labels.get(s.body.length);
  return `sequence ${s.index}\ninitial registers: ${regs}\ninitial scratch: ${scratch}\n${body}${end !== undefined ? `\n${end}: (end)` : ''}`;
}
