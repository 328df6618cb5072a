/**
 * Pseudo-instructions, expanded exactly as GNU as expands them for RV32
 * without relaxation (`-mno-relax`): `li` as lui/addi with the %hi
 * rounding, `la`/`lla` as auipc+addi, `call`/`tail` as auipc+jalr through
 * ra/t1, and the one-instruction aliases.
 */
import { StatementError } from './assembly-error.js';
import { encodeI, encodeU, Opcode } from './encoding.js';
import { evaluate, low12, type Expr } from './expression.js';
import { BASE_INSTRUCTIONS, branchPlan, BRANCH_FUNCT3, csrPlan, encodeJal, fixedPlan, pcrelPairPlan } from './instructions.js';
import {
  expectCount, expr, normalize32, reg,
  type EncodeContext, type InsnBuilder, type InsnPlan, type InsnSite, type Operand,
} from './operands.js';

const ZERO = 0;
const RA = 1;
const T1 = 6;

/**
 * Words of `li rd, value` for a signed 32-bit `value`, as GNU as's
 * `load_const` builds them: `lui` of the rounded upper part when it is
 * not zero, then `addi` of the low 12 bits when they are not zero (or when
 * there was no `lui`).
 */
export function liWords(rd: number, value: number): number[] {
  const v = BigInt(value);
  const lo = low12(v);
  const upper = BigInt.asUintN(32, v - lo);
  const words: number[] = [];
  let hiReg = ZERO;
  if (upper !== 0n) {
    words.push(encodeU(Opcode.Lui, rd, Number(upper >> 12n)));
    hiReg = rd;
  }
  if (lo !== 0n || hiReg === ZERO) words.push(encodeI(Opcode.OpImm, 0, rd, hiReg, Number(lo)));
  return words;
}

/** Value of an `li` operand: evaluated, normalized and checked to fit 32 bits. */
function liValue(e: Expr, ctx: EncodeContext): number {
  const raw = evaluate(e, ctx.env);
  const v = normalize32(raw);
  if (v < -(2n ** 31n) || v > 2n ** 31n - 1n) {
    throw new StatementError(e.column, `li value ${raw} does not fit in 32 bits`);
  }
  return Number(v);
}

/**
 * Plan of `li rd, value`. The size follows the value; a value that needs
 * layout (a label) and ends up fitting one instruction still gets the full
 * lui+addi pair when the layout had to reserve 8 bytes for it.
 */
function liPlan(rd: number, e: Expr): InsnPlan {
  return {
    size(ctx) {
      const v = ctx.tryEvaluate(e);
      if (v === undefined) return 8;
      const n = normalize32(v);
      if (n < -(2n ** 31n) || n > 2n ** 31n - 1n) return 4;
      return liWords(rd, Number(n)).length * 4;
    },
    encode(ctx, size) {
      const v = liValue(e, ctx);
      const words = liWords(rd, v);
      if (words.length * 4 === size) return words;
      const b = BigInt(v);
      return [encodeU(Opcode.Lui, rd, Number(((b + 0x800n) >> 12n) & 0xfffffn)), encodeI(Opcode.OpImm, 0, rd, rd, Number(low12(b)))];
    },
  };
}

/** A one-instruction alias: the base builder applied to rewritten operands. */
function alias(base: string, count: number, usage: string, rewrite: (ops: readonly Operand[], site: InsnSite) => Operand[]): InsnBuilder {
  return (ops, site) => {
    expectCount(ops, site, [count], usage);
    return BASE_INSTRUCTIONS.get(base)!(rewrite(ops, site), { ...site, mnemonic: base });
  };
}

function r(n: number, column: number): Operand {
  return { kind: 'reg', reg: n, column };
}
function num(v: bigint, column: number): Operand {
  return { kind: 'expr', expr: { kind: 'number', value: v, column }, column };
}
function regOp(ops: readonly Operand[], i: number, site: InsnSite): Operand {
  reg(ops, i, site);
  return ops[i]!;
}

/** Builders of the pseudo-instructions, by mnemonic. */
export const PSEUDO_INSTRUCTIONS: ReadonlyMap<string, InsnBuilder> = (() => {
  const m = new Map<string, InsnBuilder>();
  m.set('nop', alias('addi', 0, 'no operands', (_o, s) => [r(ZERO, s.column), r(ZERO, s.column), num(0n, s.column)]));
  m.set('mv', alias('addi', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), regOp(o, 1, s), num(0n, s.column)]));
  m.set('not', alias('xori', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), regOp(o, 1, s), num(-1n, s.column)]));
  m.set('neg', alias('sub', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), r(ZERO, s.column), regOp(o, 1, s)]));
  m.set('seqz', alias('sltiu', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), regOp(o, 1, s), num(1n, s.column)]));
  m.set('snez', alias('sltu', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), r(ZERO, s.column), regOp(o, 1, s)]));
  m.set('sltz', alias('slt', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), regOp(o, 1, s), r(ZERO, s.column)]));
  m.set('sgtz', alias('slt', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), r(ZERO, s.column), regOp(o, 1, s)]));
  m.set('zext.b', alias('andi', 2, 'rd, rs', (o, s) => [regOp(o, 0, s), regOp(o, 1, s), num(255n, s.column)]));

  // branches against zero: [base, zero first?]
  const zeroBranches: Record<string, [string, boolean]> = {
    beqz: ['beq', false], bnez: ['bne', false], blez: ['bge', true],
    bgez: ['bge', false], bltz: ['blt', false], bgtz: ['blt', true],
  };
  for (const [name, [base, zeroFirst]] of Object.entries(zeroBranches)) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [2], 'rs, target');
      const rs = reg(ops, 0, site);
      const target = expr(ops, 1, site, 'a branch target');
      return branchPlan(BRANCH_FUNCT3[base]!, zeroFirst ? ZERO : rs, zeroFirst ? rs : ZERO, target, site);
    });
  }
  // swapped-operand branches
  for (const [name, base] of [['bgt', 'blt'], ['ble', 'bge'], ['bgtu', 'bltu'], ['bleu', 'bgeu']] as const) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [3], 'rs1, rs2, target');
      return branchPlan(BRANCH_FUNCT3[base]!, reg(ops, 1, site), reg(ops, 0, site), expr(ops, 2, site, 'a branch target'), site);
    });
  }
  m.set('j', (ops, site) => {
    expectCount(ops, site, [1], 'target');
    const target = expr(ops, 0, site, 'a jump target');
    return fixedPlan(1, (ctx) => [encodeJal(ZERO, target, ctx, site)]);
  });
  m.set('jr', (ops, site) => {
    expectCount(ops, site, [1, 2], 'rs, rs, offset or offset(rs)');
    if (ops[0]!.kind === 'mem') {
      expectCount(ops, site, [1], 'offset(rs)');
      return BASE_INSTRUCTIONS.get('jalr')!([r(ZERO, site.column), ops[0]!], { ...site, mnemonic: 'jalr' });
    }
    const rest = ops.length === 2 ? [ops[1]!] : [];
    return BASE_INSTRUCTIONS.get('jalr')!([r(ZERO, site.column), regOp(ops, 0, site), ...rest], { ...site, mnemonic: 'jalr' });
  });
  m.set('ret', alias('jalr', 0, 'no operands', (_o, s) => [r(ZERO, s.column), r(RA, s.column), num(0n, s.column)]));
  m.set('li', (ops, site) => {
    expectCount(ops, site, [2], 'rd, value');
    return liPlan(reg(ops, 0, site), expr(ops, 1, site, 'a value'));
  });
  for (const name of ['la', 'lla']) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [2], 'rd, symbol');
      const rd = reg(ops, 0, site);
      return pcrelPairPlan(expr(ops, 1, site, 'a symbol'), (lo) => encodeI(Opcode.OpImm, 0, rd, rd, lo), (hi) => encodeU(Opcode.Auipc, rd, hi));
    });
  }
  m.set('call', (ops, site) => {
    expectCount(ops, site, [1, 2], 'symbol or rd, symbol');
    // GNU as: `call sym` goes through ra, `call rd, sym` through t1
    const rd = ops.length === 2 ? reg(ops, 0, site) : RA;
    const temp = ops.length === 2 ? T1 : RA;
    return pcrelPairPlan(expr(ops, ops.length - 1, site, 'a symbol'), (lo) => encodeI(Opcode.Jalr, 0, rd, temp, lo), (hi) => encodeU(Opcode.Auipc, temp, hi));
  });
  m.set('tail', (ops, site) => {
    expectCount(ops, site, [1], 'symbol');
    return pcrelPairPlan(expr(ops, 0, site, 'a symbol'), (lo) => encodeI(Opcode.Jalr, 0, ZERO, T1, lo), (hi) => encodeU(Opcode.Auipc, T1, hi));
  });

  // CSR reads of the user counters and the csr* shorthands
  const counters = ['cycle', 'time', 'instret', 'cycleh', 'timeh', 'instreth'];
  for (const c of counters) {
    m.set('rd' + c, (ops, site) => {
      expectCount(ops, site, [1], 'rd');
      return csrPlan(2, reg(ops, 0, site), { kind: 'symbol', name: c, column: site.column }, ZERO, site);
    });
  }
  m.set('csrr', (ops, site) => {
    expectCount(ops, site, [2], 'rd, csr');
    return csrPlan(2, reg(ops, 0, site), expr(ops, 1, site, 'a CSR name or number'), ZERO, site);
  });
  for (const [name, f3] of [['csrw', 1], ['csrs', 2], ['csrc', 3], ['csrwi', 5], ['csrsi', 6], ['csrci', 7]] as const) {
    m.set(name, (ops, site) => {
      expectCount(ops, site, [2], f3 >= 5 ? 'csr, uimm5' : 'csr, rs');
      const csr = expr(ops, 0, site, 'a CSR name or number');
      const source = f3 >= 5 ? expr(ops, 1, site, 'a 5-bit immediate') : reg(ops, 1, site);
      return csrPlan(f3, ZERO, csr, source, site);
    });
  }
  return m;
})();
