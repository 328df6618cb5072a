/**
 * Expressions of the assembler: parsing tokens into a tree and evaluating
 * it. Arithmetic is done in 64-bit two's complement, as GNU as does on a
 * 64-bit host; operator precedence is GNU as's, which is not C's:
 *
 *   highest   unary  -  ~  +  !
 *             *  /  %  <<  >>
 *             |  &  ^
 *   lowest    +  -
 */
import { StatementError } from './assembly-error.js';
import type { Token } from './lexer.js';

/** Relocation-style operators that may wrap a whole operand. */
export type RelocOp = 'hi' | 'lo' | 'pcrel_hi' | 'pcrel_lo';

/** A parsed expression. `column` points at the node's first character. */
export type Expr =
  | { readonly kind: 'number'; readonly value: bigint; readonly column: number }
  | { readonly kind: 'symbol'; readonly name: string; readonly column: number }
  | { readonly kind: 'dot'; readonly column: number }
  | { readonly kind: 'unary'; readonly op: string; readonly operand: Expr; readonly column: number }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly column: number }
  | { readonly kind: 'reloc'; readonly op: RelocOp; readonly operand: Expr; readonly column: number };

/** Deepest nesting of parentheses and unary operators accepted. */
export const MAX_EXPRESSION_DEPTH = 100;
/** Most binary operators in one expression (evaluation recurses along them). */
export const MAX_EXPRESSION_OPERATORS = 1000;

/**
 * Maps names written in an expression to the assembler's internal names:
 * numeric local label references (`1b`, `2f`) to the label meant, and
 * symbol names to the version of a `.set` symbol visible at that point.
 */
export interface NameResolver {
  /** Unique name of local label `label` looking backward or forward; throws {@link StatementError}. */
  local(label: bigint, direction: 'b' | 'f', column: number): string;
  /** Internal name of symbol `name` as referenced here. */
  symbol(name: string): string;
}

/** A cursor over a statement's tokens. */
export class TokenCursor {
  /** Index of the next token. */
  pos = 0;
  /** Binary operators parsed so far in this statement. */
  operators = 0;
  /**
   * @param tokens - the statement's tokens
   * @param endColumn - column reported when a token is missing at the end
   */
  constructor(readonly tokens: readonly Token[], readonly endColumn: number) {}
  /** The next token, or undefined at the end. */
  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  /** True when the next token is the punctuation `text`. */
  isPunct(text: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.kind === 'punct' && t.text === text;
  }
  /** True when every token was consumed. */
  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }
  /** Column of the next token (or of the end of the statement). */
  column(): number {
    return this.tokens[this.pos]?.column ?? this.endColumn;
  }
  /** Consumes the punctuation `text` or throws naming what was found. */
  expectPunct(text: string): void {
    if (!this.isPunct(text)) throw new StatementError(this.column(), `expected '${text}' but found ${this.describe()}`);
    this.pos++;
  }
  /** Describes the next token for error messages. */
  describe(): string {
    const t = this.peek();
    if (t === undefined) return 'end of line';
    return `'${t.text}'`;
  }
}

const HIGH = new Set(['*', '/', '%', '<<', '>>']);
const MIDDLE = new Set(['|', '&', '^']);
const LOW = new Set(['+', '-']);

/**
 * Parses one expression at the cursor (stopping before `,`, an unmatched
 * `)` or the end). A relocation operator is accepted only when
 * `allowReloc` is set and it starts the expression.
 * Throws {@link StatementError} with the column of the bad token.
 */
export function parseExpression(cur: TokenCursor, names: NameResolver, allowReloc = false): Expr {
  const first = cur.peek();
  if (allowReloc && first?.kind === 'reloc') {
    const op = first.text;
    if (op !== 'hi' && op !== 'lo' && op !== 'pcrel_hi' && op !== 'pcrel_lo') {
      throw new StatementError(first.column, `unknown relocation operator %${op} (expected %hi, %lo, %pcrel_hi or %pcrel_lo)`);
    }
    cur.pos++;
    cur.expectPunct('(');
    const operand = parseLevel(cur, names, 0, 1);
    cur.expectPunct(')');
    return { kind: 'reloc', op, operand, column: first.column };
  }
  return parseLevel(cur, names, 0, 0);
}

function parseLevel(cur: TokenCursor, names: NameResolver, level: number, depth: number): Expr {
  if (level === 3) return parseUnary(cur, names, depth);
  const ops = level === 0 ? LOW : level === 1 ? MIDDLE : HIGH;
  let left = parseLevel(cur, names, level + 1, depth);
  for (;;) {
    const t = cur.peek();
    if (t === undefined || t.kind !== 'punct' || !ops.has(t.text)) return left;
    if (++cur.operators > MAX_EXPRESSION_OPERATORS) {
      throw new StatementError(t.column, `more than ${MAX_EXPRESSION_OPERATORS} operators in one statement`);
    }
    cur.pos++;
    const right = parseLevel(cur, names, level + 1, depth);
    left = { kind: 'binary', op: t.text, left, right, column: left.column };
  }
}

function parseUnary(cur: TokenCursor, names: NameResolver, depth: number): Expr {
  if (depth > MAX_EXPRESSION_DEPTH) throw new StatementError(cur.column(), `expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels`);
  const t = cur.peek();
  if (t === undefined) throw new StatementError(cur.column(), 'expected an expression but found end of line');
  switch (t.kind) {
    case 'number':
      cur.pos++;
      return { kind: 'number', value: t.value, column: t.column };
    case 'ident':
      cur.pos++;
      if (t.text === '.') return { kind: 'dot', column: t.column };
      return { kind: 'symbol', name: names.symbol(t.text), column: t.column };
    case 'localref':
      cur.pos++;
      return { kind: 'symbol', name: names.local(t.value, t.text.endsWith('b') ? 'b' : 'f', t.column), column: t.column };
    case 'reloc':
      throw new StatementError(t.column, `%${t.text} must be the whole operand`);
    case 'string':
      throw new StatementError(t.column, `expected an expression but found string ${t.text}`);
    case 'punct':
      if (t.text === '(') {
        cur.pos++;
        const inner = parseLevel(cur, names, 0, depth + 1);
        cur.expectPunct(')');
        return inner;
      }
      if (t.text === '-' || t.text === '~' || t.text === '+' || t.text === '!') {
        cur.pos++;
        const operand = parseUnary(cur, names, depth + 1);
        return { kind: 'unary', op: t.text, operand, column: t.column };
      }
      throw new StatementError(t.column, `expected an expression but found '${t.text}'`);
  }
}

/** What an evaluation needs from the assembler. */
export interface EvalEnv {
  /** Value of a symbol; throws {@link StatementError} when it is undefined. */
  symbol(name: string, column: number): bigint;
  /** Address the expression sits at (the value of `.`). */
  readonly dot: bigint;
  /**
   * For `%pcrel_lo(label)`: the target of the `%pcrel_hi` at the label's
   * address; throws when there is none.
   */
  pcrelHiTarget(address: bigint, column: number): bigint;
}

const MASK64 = (1n << 64n) - 1n;

/** Wraps to signed 64-bit. */
export function wrap64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** Sign-extends the low 12 bits of `v`. */
export function low12(v: bigint): bigint {
  return BigInt.asIntN(12, v);
}

/** The 20-bit upper part that pairs with {@link low12}: `(v + 0x800) >> 12`, masked. */
export function high20(v: bigint): bigint {
  return ((v + 0x800n) >> 12n) & 0xfffffn;
}

/**
 * Evaluates `e`. Throws {@link StatementError} for an undefined symbol or
 * a division by zero.
 */
export function evaluate(e: Expr, env: EvalEnv): bigint {
  switch (e.kind) {
    case 'number':
      return e.value;
    case 'symbol':
      return env.symbol(e.name, e.column);
    case 'dot':
      return env.dot;
    case 'unary': {
      const v = evaluate(e.operand, env);
      switch (e.op) {
        case '-': return wrap64(-v);
        case '~': return wrap64(~v);
        case '!': return v === 0n ? 1n : 0n;
        default: return v;
      }
    }
    case 'binary': {
      const a = evaluate(e.left, env);
      const b = evaluate(e.right, env);
      switch (e.op) {
        case '+': return wrap64(a + b);
        case '-': return wrap64(a - b);
        case '*': return wrap64(a * b);
        case '/':
        case '%':
          if (b === 0n) throw new StatementError(e.right.column, 'division by zero');
          return wrap64(e.op === '/' ? a / b : a % b);
        case '<<': return b < 0n || b >= 64n ? 0n : wrap64(a << b);
        case '>>': return b < 0n || b >= 64n ? 0n : wrap64((a & MASK64) >> b);
        case '&': return a & b;
        case '|': return a | b;
        case '^': return a ^ b;
        default: throw new StatementError(e.column, `unknown operator ${e.op}`);
      }
    }
    case 'reloc': {
      if (e.op === 'pcrel_lo') {
        const at = evaluate(e.operand, env);
        return low12(env.pcrelHiTarget(at, e.operand.column) - at);
      }
      const v = evaluate(e.operand, env);
      switch (e.op) {
        case 'hi': return high20(v);
        case 'lo': return low12(v);
        default: return high20(v - env.dot);
      }
    }
  }
}

/** Names of the symbols an expression refers to. */
export function symbolsOf(e: Expr, out: string[] = []): string[] {
  switch (e.kind) {
    case 'symbol': out.push(e.name); break;
    case 'unary': case 'reloc': symbolsOf(e.operand, out); break;
    case 'binary': symbolsOf(e.left, out); symbolsOf(e.right, out); break;
    default: break;
  }
  return out;
}

/** True when `e` mentions the location counter `.`. */
export function hasDot(e: Expr): boolean {
  switch (e.kind) {
    case 'dot': return true;
    case 'unary': case 'reloc': return hasDot(e.operand);
    case 'binary': return hasDot(e.left) || hasDot(e.right);
    default: return false;
  }
}
