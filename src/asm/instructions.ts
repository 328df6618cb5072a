/**
 * The RV32IMA + Zicsr + Zifencei base instructions: their encodings and the
 * builders that turn parsed operands into an {@link InsnPlan}.
 */
import { StatementError } from './assembly-error.js';
import { encodeB, encodeI, encodeJ, encodeR, encodeS, encodeU, Opcode } from './encoding.js';
import { evaluate, hasDot, low12, symbolsOf, type Expr } from './expression.js';
import {
  expectCount, expr, immediate, mem, reg,
  type EncodeContext, type InsnBuilder, type InsnPlan, type InsnSite, type LayoutContext, type Operand,
} from './operands.js';
import { CSR_NUMBERS } from './registers.js';

/** funct3 of the conditional branches. */
export const BRANCH_FUNCT3: Readonly<Record<string, number>> = { beq: 0, bne: 1, blt: 4, bge: 5, bltu: 6, bgeu: 7 };
/** funct3 of the loads. */
export const LOAD_FUNCT3: Readonly<Record<string, number>> = { lb: 0, lh: 1, lw: 2, lbu: 4, lhu: 5 };
/** funct3 of the stores. */
export const STORE_FUNCT3: Readonly<Record<string, number>> = { sb: 0, sh: 1, sw: 2 };
/** funct3 of the register-immediate ALU operations (shifts apart). */
export const OPIMM_FUNCT3: Readonly<Record<string, number>> = { addi: 0, slti: 2, sltiu: 3, xori: 4, ori: 6, andi: 7 };
/** funct3 and funct7 of the immediate shifts. */
export const SHIFT_IMM: Readonly<Record<string, [number, number]>> = { slli: [1, 0x00], srli: [5, 0x00], srai: [5, 0x20] };
/** funct3 and funct7 of the register-register operations, M extension included. */
export const OP_FUNCT: Readonly<Record<string, [number, number]>> = {
  add: [0, 0x00], sub: [0, 0x20], sll: [1, 0x00], slt: [2, 0x00], sltu: [3, 0x00],
  xor: [4, 0x00], srl: [5, 0x00], sra: [5, 0x20], or: [6, 0x00], and: [7, 0x00],
  mul: [0, 0x01], mulh: [1, 0x01], mulhsu: [2, 0x01], mulhu: [3, 0x01],
  div: [4, 0x01], divu: [5, 0x01], rem: [6, 0x01], remu: [7, 0x01],
};
/** funct5 (bits 31..27) of the A extension, `lr.w`/`sc.w` included. */
export const AMO_FUNCT5: Readonly<Record<string, number>> = {
  'lr.w': 0x02, 'sc.w': 0x03, 'amoswap.w': 0x01, 'amoadd.w': 0x00, 'amoxor.w': 0x04,
  'amoand.w': 0x0c, 'amoor.w': 0x08, 'amomin.w': 0x10, 'amomax.w': 0x14,
  'amominu.w': 0x18, 'amomaxu.w': 0x1c,
};
/** funct3 of the CSR instructions. */
export const CSR_FUNCT3: Readonly<Record<string, number>> = { csrrw: 1, csrrs: 2, csrrc: 3, csrrwi: 5, csrrsi: 6, csrrci: 7 };

/** Fixed words of the instructions without operands. */
export const FIXED_WORDS: Readonly<Record<string, number>> = {
  ecall: 0x00000073,
  ebreak: 0x00100073,
  'fence.i': 0x0000100f,
  'fence.tso': 0x8330000f,
  unimp: 0xc0001073, // csrrw x0, cycle, x0, as GNU as assembles `unimp`
};

/** A plan of one fixed-size instruction whose words come from `encode`. */
export function fixedPlan(words: number, encode: (ctx: EncodeContext) => number[], pcrelHiTarget?: Expr): InsnPlan {
  const plan: InsnPlan = { size: () => words * 4, encode: (ctx) => encode(ctx) };
  return pcrelHiTarget === undefined ? plan : { ...plan, pcrelHiTarget };
}

/** Signed 12-bit immediate of an I-type instruction. */
export function imm12(e: Expr, ctx: EncodeContext, site: InsnSite): number {
  return immediate(e, ctx, site, -2048, 2047);
}

/** Offset from `ctx.address` to the address `e` evaluates to, wrapped to 32 bits. */
export function pcOffset(e: Expr, ctx: EncodeContext): number {
  return Number(BigInt.asIntN(32, evaluate(e, ctx.env) - BigInt(ctx.address)));
}

/** Checks a pc-relative offset for range and alignment; returns it. */
export function checkOffset(offset: number, column: number, site: InsnSite, bits: number, target: bigint | number): number {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 2;
  const t = '0x' + (Number(BigInt.asUintN(32, BigInt(target)))).toString(16);
  if (offset < lo || offset > hi) {
    throw new StatementError(column, `target ${t} out of range for ${site.mnemonic} (offset ${offset}, expected ${lo}..${hi})`);
  }
  if (offset & 1) throw new StatementError(column, `target ${t} of ${site.mnemonic} is at an odd offset ${offset}`);
  return offset;
}

/** Encodes `jal rd, target` at `ctx.address`. */
export function encodeJal(rd: number, target: Expr, ctx: EncodeContext, site: InsnSite, from = ctx.address): number {
  const t = evaluate(target, ctx.env);
  const off = Number(BigInt.asIntN(32, t - BigInt(from)));
  return encodeJ(Opcode.Jal, rd, checkOffset(off, target.column, site, 21, t));
}

/** True when `e` mentions no symbol and no `.`. */
function constant(e: Expr): boolean {
  return symbolsOf(e).length === 0 && !hasDot(e);
}

/**
 * The symbol a branch target is relative to: its only symbol when the
 * expression is `sym`, `sym + c`, `c + sym` or `sym - c`; `.` for the same
 * with the location counter; null otherwise.
 */
function baseSymbol(e: Expr): string | null {
  switch (e.kind) {
    case 'symbol': return e.name;
    case 'dot': return '.';
    case 'binary':
      if (e.op === '+' && constant(e.right)) return baseSymbol(e.left);
      if (e.op === '+' && constant(e.left)) return baseSymbol(e.right);
      if (e.op === '-' && constant(e.right)) return baseSymbol(e.left);
      return null;
    default: return null;
  }
}

/**
 * Plan of a conditional branch. Like GNU as, a branch to a label in the
 * same section that is out of reach becomes the inverted branch over a
 * `jal` (8 bytes); so does a branch to a symbol of another section or an
 * undefined one. A constant target is an absolute address and never
 * relaxed (GNU as would relax it; objdump prints targets that way, and this
 * keeps disassembly reassembling to the same word).
 */
export function branchPlan(funct3: number, rs1: number, rs2: number, target: Expr, site: InsnSite): InsnPlan {
  const base = baseSymbol(target);
  const isConstant = constant(target);
  return {
    size(ctx: LayoutContext): number {
      if (isConstant) return 4;
      const section = base === '.' ? ctx.section : base === null ? undefined : ctx.labelSection(base);
      if (section !== ctx.section) return 8;
      const t = ctx.tryEvaluate(target);
      if (t === undefined) return 8;
      const off = Number(BigInt.asIntN(32, t - BigInt(ctx.address)));
      return off >= -4096 && off <= 4095 ? 4 : 8;
    },
    encode(ctx: EncodeContext, size: number): number[] {
      if (size === 4) {
        const t = evaluate(target, ctx.env);
        const off = checkOffset(Number(BigInt.asIntN(32, t - BigInt(ctx.address))), target.column, site, 13, t);
        return [encodeB(Opcode.Branch, funct3, rs1, rs2, off)];
      }
      return [encodeB(Opcode.Branch, funct3 ^ 1, rs1, rs2, 8), encodeJal(0, target, ctx, site, ctx.address + 4)];
    },
  };
}

/** Plan of an `auipc rd, hi` + I-type pair addressing `target` pc-relatively. */
export function pcrelPairPlan(target: Expr, second: (lo: number) => number, first: (hi: number) => number): InsnPlan {
  return fixedPlan(2, (ctx) => {
    const off = BigInt(pcOffset(target, ctx));
    const hi = Number(((off + 0x800n) >> 12n) & 0xfffffn);
    return [first(hi), second(Number(low12(off)))];
  });
}

function csrNumber(e: Expr, ctx: EncodeContext, site: InsnSite): number {
  if (e.kind === 'symbol') {
    const n = CSR_NUMBERS.get(e.name.toLowerCase());
    if (n !== undefined) return n;
  }
  return immediate(e, ctx, site, 0, 4095, 'CSR number');
}

/** Plan of a CSR instruction; `source` is a register or (for the `i` forms) a 5-bit immediate. */
export function csrPlan(funct3: number, rd: number, csr: Expr, source: number | Expr, site: InsnSite): InsnPlan {
  return fixedPlan(1, (ctx) => {
    const c = csrNumber(csr, ctx, site);
    const s = typeof source === 'number' ? source : immediate(source, ctx, site, 0, 31);
    return [encodeI(Opcode.System, funct3, rd, s, c)];
  });
}

/** Parses a fence set (`iorw` letters, or 0) into its 4-bit mask. */
function fenceSet(op: Operand | undefined, site: InsnSite): number {
  if (op !== undefined && op.kind === 'expr' && op.expr.kind === 'number' && op.expr.value === 0n) return 0;
  if (op === undefined || op.kind !== 'expr' || op.expr.kind !== 'symbol' || !/^[iorw]+$/i.test(op.expr.name)) {
    throw new StatementError(op?.column ?? site.endColumn, `expected a fence set of the letters i, o, r, w as operand of ${site.mnemonic}`);
  }
  let mask = 0;
  for (const ch of op.expr.name.toLowerCase()) {
    const bit = { i: 8, o: 4, r: 2, w: 1 }[ch]!;
    if (mask & bit) throw new StatementError(op.column, `fence set ${op.expr.name} repeats '${ch}'`);
    mask |= bit;
  }
  return mask;
}

function memPlan(site: InsnSite, ops: readonly Operand[], make: (off: number, base: number) => number, ctxCheck: (e: Expr, ctx: EncodeContext) => number): InsnPlan {
  const [offset, base] = mem(ops, 1, site);
  return fixedPlan(1, (ctx) => [make(ctxCheck(offset, ctx), base)]);
}

/** Builders of the base instructions, by mnemonic. */
export const BASE_INSTRUCTIONS: ReadonlyMap<string, InsnBuilder> = (() => {
  const m = new Map<string, InsnBuilder>();
  for (const [name, [f3, f7]] of Object.entries(OP_FUNCT)) {
    const immAlias = f7 === 0 ? (name === 'sll' || name === 'srl' || name === 'sra' ? name + 'i' : name === 'sltu' ? 'sltiu' : name + 'i') : undefined;
    m.set(name, (ops, site) => {
      expectCount(ops, site, [3], 'rd, rs1, rs2');
      const rd = reg(ops, 0, site);
      const rs1 = reg(ops, 1, site);
      if (ops[2]!.kind !== 'reg' && immAlias !== undefined && name !== 'sub') {
        // GNU as accepts `add rd, rs1, imm` for `addi` (objdump prints it so)
        return m.get(immAlias)!(ops, { ...site, mnemonic: immAlias });
      }
      const rs2 = reg(ops, 2, site);
      return fixedPlan(1, () => [encodeR(Opcode.Op, f3, f7, rd, rs1, rs2)]);
    });
  }
  for (const [name, f3] of Object.entries(OPIMM_FUNCT3)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [3], 'rd, rs1, immediate');
      const rd = reg(ops, 0, site);
      const rs1 = reg(ops, 1, site);
      const e = expr(ops, 2, site, 'an immediate');
      return fixedPlan(1, (ctx) => [encodeI(Opcode.OpImm, f3, rd, rs1, imm12(e, ctx, site))]);
    });
  }
  for (const [name, [f3, f7]] of Object.entries(SHIFT_IMM)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [3], 'rd, rs1, shift amount');
      const rd = reg(ops, 0, site);
      const rs1 = reg(ops, 1, site);
      const e = expr(ops, 2, site, 'a shift amount');
      return fixedPlan(1, (ctx) => [encodeI(Opcode.OpImm, f3, rd, rs1, (f7 << 5) | immediate(e, ctx, site, 0, 31, 'shift amount'))]);
    });
  }
  for (const [name, f3] of Object.entries(LOAD_FUNCT3)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [2], 'rd, offset(rs1) or rd, symbol');
      const rd = reg(ops, 0, site);
      if (ops[1]!.kind === 'expr') {
        // `lw rd, symbol`: auipc rd, %pcrel_hi(symbol); lw rd, %pcrel_lo(rd)
        return pcrelPairPlan(ops[1]!.expr, (lo) => encodeI(Opcode.Load, f3, rd, rd, lo), (hi) => encodeU(Opcode.Auipc, rd, hi));
      }
      return memPlan(site, ops, (off, base) => encodeI(Opcode.Load, f3, rd, base, off), (e, ctx) => imm12(e, ctx, site));
    });
  }
  for (const [name, f3] of Object.entries(STORE_FUNCT3)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [2, 3], 'rs2, offset(rs1) or rs2, symbol, temp');
      const rs2 = reg(ops, 0, site);
      if (ops.length === 3) {
        const target = expr(ops, 1, site, 'a symbol');
        const temp = reg(ops, 2, site);
        return pcrelPairPlan(target, (lo) => encodeS(Opcode.Store, f3, temp, rs2, lo), (hi) => encodeU(Opcode.Auipc, temp, hi));
      }
      return memPlan(site, ops, (off, base) => encodeS(Opcode.Store, f3, base, rs2, off), (e, ctx) => imm12(e, ctx, site));
    });
  }
  for (const [name, f3] of Object.entries(BRANCH_FUNCT3)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [3], 'rs1, rs2, target');
      return branchPlan(f3, reg(ops, 0, site), reg(ops, 1, site), expr(ops, 2, site, 'a branch target'), site);
    });
  }
  for (const [name, opcode] of [['lui', Opcode.Lui], ['auipc', Opcode.Auipc]] as const) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [2], 'rd, immediate');
      const rd = reg(ops, 0, site);
      const e = expr(ops, 1, site, 'an immediate');
      const hiTarget = opcode === Opcode.Auipc && e.kind === 'reloc' && e.op === 'pcrel_hi' ? e.operand : undefined;
      return fixedPlan(1, (ctx) => [encodeU(opcode, rd, immediate(e, ctx, site, 0, 0xfffff))], hiTarget);
    });
  }
  m.set('jal', (ops, site) => {
    expectCount(ops, site, [1, 2], 'target or rd, target');
    const rd = ops.length === 2 ? reg(ops, 0, site) : 1;
    const target = expr(ops, ops.length - 1, site, 'a jump target');
    return fixedPlan(1, (ctx) => [encodeJal(rd, target, ctx, site)]);
  });
  m.set('jalr', (ops, site) => {
    // jalr rs | jalr rd, rs | jalr rd, rs, imm | jalr rd, imm(rs) | jalr imm(rs)
    expectCount(ops, site, [1, 2, 3], 'rs, rd, rs, rd, rs, offset or rd, offset(rs)');
    let rd = 1;
    let rs1: number;
    let off: Expr = { kind: 'number', value: 0n, column: site.column };
    if (ops.length === 1) {
      if (ops[0]!.kind === 'mem') [off, rs1] = mem(ops, 0, site);
      else rs1 = reg(ops, 0, site);
    } else {
      rd = reg(ops, 0, site);
      if (ops.length === 2 && ops[1]!.kind === 'mem') [off, rs1] = mem(ops, 1, site);
      else {
        rs1 = reg(ops, 1, site);
        if (ops.length === 3) off = expr(ops, 2, site, 'an offset');
      }
    }
    return fixedPlan(1, (ctx) => [encodeI(Opcode.Jalr, 0, rd, rs1, imm12(off, ctx, site))]);
  });
  for (const [name, word] of Object.entries(FIXED_WORDS)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [0], 'no operands');
      return fixedPlan(1, () => [word]);
    });
  }
  m.set('fence', (ops, site) => {
    expectCount(ops, site, [0, 2], 'no operands or predecessor, successor sets');
    const pred = ops.length === 0 ? 15 : fenceSet(ops[0], site);
    const succ = ops.length === 0 ? 15 : fenceSet(ops[1], site);
    return fixedPlan(1, () => [((pred << 24) | (succ << 20) | Opcode.MiscMem) >>> 0]);
  });
  for (const [name, f3] of Object.entries(CSR_FUNCT3)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [3], 'rd, csr, ' + (f3 >= 5 ? 'uimm5' : 'rs1'));
      const rd = reg(ops, 0, site);
      const csr = expr(ops, 1, site, 'a CSR name or number');
      const source = f3 >= 5 ? expr(ops, 2, site, 'a 5-bit immediate') : reg(ops, 2, site);
      return csrPlan(f3, rd, csr, source, site);
    });
  }
  return m;
})();

/** Suffixes of AMO mnemonics and their aq/rl bits (bits 26 and 25). */
const ORDERING: Readonly<Record<string, number>> = { '': 0, '.aq': 2, '.rl': 1, '.aqrl': 3 };

/**
 * Builder of an A-extension mnemonic with its ordering suffix
 * (`amoadd.w.aqrl`), or undefined when `mnemonic` is not one.
 */
export function amoBuilder(mnemonic: string): InsnBuilder | undefined {
  const match = /^((?:lr|sc|amo[a-z]+)\.w)(\.aq|\.rl|\.aqrl)?$/.exec(mnemonic);
  if (match === null) return undefined;
  const funct5 = AMO_FUNCT5[match[1]!];
  if (funct5 === undefined) return undefined;
  const order = ORDERING[match[2] ?? '']!;
  const isLr = match[1] === 'lr.w';
  return (ops, site) => {
    expectCount(ops, site, [isLr ? 2 : 3], isLr ? 'rd, (rs1)' : 'rd, rs2, (rs1)');
    const rd = reg(ops, 0, site);
    const rs2 = isLr ? 0 : reg(ops, 1, site);
    const [off, rs1] = mem(ops, isLr ? 1 : 2, site);
    return fixedPlan(1, (ctx) => {
      if (immediate(off, ctx, site, 0, 0, 'address offset') !== 0) throw new StatementError(off.column, 'unreachable');
      return [encodeR(Opcode.Amo, 2, (funct5 << 2) | order, rd, rs1, rs2)];
    });
  };
}
