/**
 * Operands of instructions: parsing `reg`, `expr`, `offset(reg)` and the
 * contexts in which an instruction's plan is sized and encoded.
 */
import { StatementError } from './assembly-error.js';
import { evaluate, parseExpression, type EvalEnv, type Expr, type NameResolver, TokenCursor } from './expression.js';
import { registerNumber } from './registers.js';

/** One parsed instruction operand. `column` is where it starts. */
export type Operand =
  | { readonly kind: 'reg'; readonly reg: number; readonly column: number }
  | { readonly kind: 'mem'; readonly offset: Expr | null; readonly base: number; readonly column: number }
  | { readonly kind: 'expr'; readonly expr: Expr; readonly column: number };

/**
 * Parses a comma-separated operand list up to the end of the statement.
 * A lone register name is a register; `expr(reg)` and `(reg)` are memory
 * operands; anything else is an expression.
 */
export function parseOperands(cur: TokenCursor, names: NameResolver): Operand[] {
  const ops: Operand[] = [];
  if (cur.atEnd()) return ops;
  for (;;) {
    ops.push(parseOperand(cur, names));
    if (cur.atEnd()) return ops;
    cur.expectPunct(',');
  }
}

/** True when tokens at `pos` are `( reg )`. */
function isRegInParens(cur: TokenCursor, pos: number): boolean {
  const t = cur.tokens;
  return t[pos]?.kind === 'punct' && t[pos]!.text === '(' &&
    t[pos + 1]?.kind === 'ident' && registerNumber(t[pos + 1]!.text) !== undefined &&
    t[pos + 2]?.kind === 'punct' && t[pos + 2]!.text === ')';
}

function parseOperand(cur: TokenCursor, names: NameResolver): Operand {
  const first = cur.peek();
  const column = cur.column();
  if (first === undefined) throw new StatementError(column, 'expected an operand but found end of line');
  if (first.kind === 'punct' && first.text === ',') throw new StatementError(column, "expected an operand but found ','");
  if (first.kind === 'ident') {
    const reg = registerNumber(first.text);
    const after = cur.tokens[cur.pos + 1];
    if (reg !== undefined && (after === undefined || (after.kind === 'punct' && after.text === ','))) {
      cur.pos++;
      return { kind: 'reg', reg, column };
    }
  }
  if (isRegInParens(cur, cur.pos)) {
    const base = registerNumber(cur.tokens[cur.pos + 1]!.text)!;
    cur.pos += 3;
    return { kind: 'mem', offset: null, base, column };
  }
  const expr = parseExpression(cur, names, true);
  if (isRegInParens(cur, cur.pos)) {
    const base = registerNumber(cur.tokens[cur.pos + 1]!.text)!;
    cur.pos += 3;
    return { kind: 'mem', offset: expr, base, column };
  }
  if (!cur.atEnd() && !cur.isPunct(',')) {
    throw new StatementError(cur.column(), `expected ',' or end of line after operand but found ${cur.describe()}`);
  }
  return { kind: 'expr', expr, column };
}

/** Where an instruction sits, for its plan to size itself during layout. */
export interface LayoutContext {
  /** Address of the instruction in the current layout guess. */
  readonly address: number;
  /** Name of the input section the instruction is in. */
  readonly section: string;
  /** Value of `e` in the current layout guess, or undefined when it cannot be evaluated yet. */
  tryEvaluate(e: Expr): bigint | undefined;
  /** Input section of label `name`, or undefined when it is not a label. */
  labelSection(name: string): string | undefined;
}

/** What an instruction's plan needs to produce its words. */
export interface EncodeContext {
  /** Final address of the instruction. */
  readonly address: number;
  /** Evaluation environment with `.` at `address`. */
  readonly env: EvalEnv;
}

/**
 * What the parser makes of one (pseudo-)instruction: its size for a given
 * layout and its encoding once the layout is final.
 */
export interface InsnPlan {
  /** Bytes this instruction takes at the given layout (4 or 8). */
  size(ctx: LayoutContext): number;
  /**
   * Instruction words, exactly `size` bytes' worth for the final layout.
   * Throws {@link StatementError} for out-of-range or undefined operands.
   */
  encode(ctx: EncodeContext, size: number): number[];
  /** For `auipc rd, %pcrel_hi(x)`: `x`, so `%pcrel_lo` can find it. */
  readonly pcrelHiTarget?: Expr;
}

/** Where a (pseudo-)instruction was written, for messages. */
export interface InsnSite {
  /** Mnemonic as written (lower case). */
  readonly mnemonic: string;
  /** Column of the mnemonic. */
  readonly column: number;
  /** Column just past the statement, for "missing operand" errors. */
  readonly endColumn: number;
}

/** A builder turns parsed operands into a plan; throws {@link StatementError}. */
export type InsnBuilder = (ops: readonly Operand[], site: InsnSite) => InsnPlan;

/** Throws unless `ops` has exactly one of the `counts`. */
export function expectCount(ops: readonly Operand[], site: InsnSite, counts: number[], usage: string): void {
  if (counts.includes(ops.length)) return;
  const col = ops.length > Math.max(...counts) ? ops[Math.max(...counts)]!.column : site.endColumn;
  throw new StatementError(col, `${site.mnemonic} expects ${usage}`);
}

/** Register number of operand `i`, or throws naming what was expected. */
export function reg(ops: readonly Operand[], i: number, site: InsnSite): number {
  const op = ops[i];
  if (op === undefined) throw new StatementError(site.endColumn, `expected a register as operand ${i + 1} of ${site.mnemonic}`);
  if (op.kind !== 'reg') throw new StatementError(op.column, `expected a register as operand ${i + 1} of ${site.mnemonic}`);
  return op.reg;
}

/** Expression of operand `i`, or throws naming what was expected. */
export function expr(ops: readonly Operand[], i: number, site: InsnSite, what = 'an expression'): Expr {
  const op = ops[i];
  if (op === undefined) throw new StatementError(site.endColumn, `expected ${what} as operand ${i + 1} of ${site.mnemonic}`);
  if (op.kind !== 'expr') throw new StatementError(op.column, `expected ${what} as operand ${i + 1} of ${site.mnemonic}`);
  return op.expr;
}

/** Memory operand `i` as `[offset, base]` (a bare `(reg)` has offset 0). */
export function mem(ops: readonly Operand[], i: number, site: InsnSite): [Expr, number] {
  const op = ops[i];
  if (op === undefined || op.kind !== 'mem') {
    throw new StatementError(op?.column ?? site.endColumn, `expected offset(register) as operand ${i + 1} of ${site.mnemonic}`);
  }
  return [op.offset ?? { kind: 'number', value: 0n, column: op.column }, op.base];
}

/**
 * GNU as on RV32 reads constants in 0..0xffffffff as signed 32-bit values
 * (so `0xfffff800` is -2048); other values are kept.
 */
export function normalize32(v: bigint): bigint {
  return v >= 0n && v <= 0xffffffffn ? BigInt.asIntN(32, v) : v;
}

/** Formats a value as GNU as prints it in range errors: decimal. */
function show(v: bigint): string {
  return v.toString();
}

/**
 * Evaluates `e`, normalizes it and checks `lo <= v <= hi`; throws
 * `immediate V out of range for MN (lo..hi)` at the expression's column.
 */
export function immediate(e: Expr, ctx: EncodeContext, site: InsnSite, lo: number, hi: number, what = 'immediate'): number {
  const raw = evaluate(e, ctx.env);
  const v = normalize32(raw);
  if (v < BigInt(lo) || v > BigInt(hi)) {
    throw new StatementError(e.column, `${what} ${show(raw)} out of range for ${site.mnemonic} (${lo}..${hi})`);
  }
  return Number(v);
}
