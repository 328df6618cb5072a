/**
 * Lexer of GNU-as-style RISC-V assembly. Splits a source into statements
 * (one per line, or several separated by `;`) and each statement into
 * tokens that carry their 1-based column. Comments are `#` to the end of
 * the line and C-style block comments.
 */
import { StatementError } from './assembly-error.js';
import { quote } from '../quote.js';

/** Kinds of {@link Token}. */
export type TokenKind = 'ident' | 'number' | 'string' | 'localref' | 'reloc' | 'punct';

/** One token of a statement. */
export interface Token {
  readonly kind: TokenKind;
  /**
   * `ident`: the name; `punct`: the operator (`<<`, `(`, ...); `reloc`: the
   * operator name without `%` (`hi`, `pcrel_lo`); `localref`: `1b`, `2f`;
   * `string`: the source text.
   */
  readonly text: string;
  /** `number`: the value; `localref`: the label number. */
  readonly value: bigint;
  /** `string`: the decoded bytes. */
  readonly bytes?: Uint8Array;
  /** 1-based column of the first character. */
  readonly column: number;
}

/** One statement: its tokens, or the lexical error that spoiled it. */
export interface Statement {
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column of the first character (after leading blanks). */
  readonly column: number;
  readonly tokens: readonly Token[];
  /** Set when the statement could not be split into tokens. */
  readonly error?: StatementError;
}

const PUNCT2 = ['<<', '>>', '==', '!=', '<=', '>=', '&&', '||'];
const PUNCT1 = ',():+-*/%&|^~!<>=[]@{}';

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '.' || c === '$';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/**
 * Replaces block comments by blanks (keeping newlines, so lines and columns
 * stay put) and `#` comments by nothing. Strings are left alone.
 * An unterminated block comment runs to the end of the source.
 */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  const n = source.length;
  let inString = false;
  while (i < n) {
    const c = source[i]!;
    if (inString) {
      out += c;
      if (c === '\\' && i + 1 < n && source[i + 1] !== '\n') { out += source[i + 1]; i += 2; continue; }
      if (c === '"' || c === '\n') inString = false;
      i++;
      continue;
    }
    if (c === '"') { inString = true; out += c; i++; continue; }
    if (c === "'" && i + 1 < n) {
      // character literal: copy it verbatim so a quote or '#' inside survives
      out += c;
      if (source[i + 1] === '\\' && i + 2 < n) { out += source.slice(i + 1, i + 3); i += 3; }
      else if (source[i + 1] !== '\n') { out += source[i + 1]; i += 2; }
      else i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let j = i; j < stop; j++) out += source[j] === '\n' ? '\n' : ' ';
      i = stop;
      continue;
    }
    if (c === '#') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, '"': 34, "'": 39 };

/**
 * Decodes one escape sequence starting after the backslash at `text[i]`.
 * Returns the byte and the index after the sequence.
 */
function readEscape(text: string, i: number, column: number): [number, number] {
  const c = text[i];
  if (c === undefined) throw new StatementError(column, 'unterminated escape sequence');
  if (c >= '0' && c <= '7') {
    let v = 0;
    let j = i;
    while (j < i + 3 && text[j] !== undefined && text[j]! >= '0' && text[j]! <= '7') { v = v * 8 + Number(text[j]); j++; }
    return [v & 0xff, j];
  }
  if (c === 'x' || c === 'X') {
    let v = 0;
    let j = i + 1;
    while (j < text.length && /[0-9a-fA-F]/.test(text[j]!)) { v = (v * 16 + parseInt(text[j]!, 16)) & 0xff; j++; }
    if (j === i + 1) throw new StatementError(column, 'expected hex digits after \\x');
    return [v, j];
  }
  const e = ESCAPES[c];
  if (e === undefined) return [c.charCodeAt(0) & 0xff, i + 1];
  return [e, i + 1];
}

/** Encodes a JavaScript string as UTF-8 bytes without relying on host modules. */
function utf8(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

/**
 * Splits one statement's text (starting at 1-based `baseColumn`) into
 * tokens. Throws {@link StatementError} on a malformed token.
 */
function tokenizeStatement(text: string, baseColumn: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const column = baseColumn + i;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text[j]!)) j++;
      tokens.push({ kind: 'ident', text: text.slice(i, j), value: 0n, column });
      i = j;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      let value: bigint;
      const next = text[i + 1];
      if (c === '0' && (next === 'x' || next === 'X')) {
        j = i + 2;
        while (j < n && /[0-9a-fA-F]/.test(text[j]!)) j++;
        if (j === i + 2) throw new StatementError(column, 'expected hex digits after 0x');
        value = BigInt('0x' + text.slice(i + 2, j));
      } else if (c === '0' && (next === 'b' || next === 'B') && (text[i + 2] === '0' || text[i + 2] === '1')) {
        j = i + 2;
        while (j < n && (text[j] === '0' || text[j] === '1')) j++;
        value = BigInt('0b' + text.slice(i + 2, j));
      } else {
        while (j < n && isDigit(text[j]!)) j++;
        const digits = text.slice(i, j);
        const suffix = text[j];
        if ((suffix === 'b' || suffix === 'f' || suffix === 'B' || suffix === 'F') && !(j + 1 < n && isIdentPart(text[j + 1]!))) {
          tokens.push({ kind: 'localref', text: digits + suffix.toLowerCase(), value: BigInt(digits), column });
          i = j + 1;
          continue;
        }
        if (digits.length > 1 && digits[0] === '0') {
          if (!/^[0-7]+$/.test(digits)) throw new StatementError(column, `bad octal number ${digits}`);
          value = BigInt('0o' + digits.slice(1));
        } else {
          value = BigInt(digits);
        }
      }
      if (j < n && isIdentPart(text[j]!)) throw new StatementError(column, `bad number ${text.slice(i, j + 1)}`);
      tokens.push({ kind: 'number', text: text.slice(i, j), value, column });
      i = j;
      continue;
    }
    if (c === '"') {
      const bytes: number[] = [];
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new StatementError(column, 'unterminated string');
        const d = text[j]!;
        if (d === '"') { j++; break; }
        if (d === '\\') {
          const [b, next] = readEscape(text, j + 1, baseColumn + j);
          bytes.push(b);
          j = next;
          continue;
        }
        const code = d.charCodeAt(0);
        if (code < 0x80) bytes.push(code);
        else {
          // one UTF-16 unit or a surrogate pair
          const cp = text.codePointAt(j)!;
          const s = String.fromCodePoint(cp);
          bytes.push(...utf8(s));
          j += s.length;
          continue;
        }
        j++;
      }
      tokens.push({ kind: 'string', text: text.slice(i, j), value: 0n, bytes: Uint8Array.from(bytes), column });
      i = j;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      if (j >= n) throw new StatementError(column, 'expected a character after \'');
      let v: number;
      if (text[j] === '\\') {
        [v, j] = readEscape(text, j + 1, baseColumn + j);
      } else {
        v = text.codePointAt(j)!;
        j += String.fromCodePoint(v).length;
      }
      if (text[j] === "'") j++;
      tokens.push({ kind: 'number', text: text.slice(i, j), value: BigInt(v), column });
      i = j;
      continue;
    }
    if (c === '%' && i + 1 < n && /[a-zA-Z_]/.test(text[i + 1]!)) {
      let j = i + 1;
      while (j < n && isIdentPart(text[j]!)) j++;
      // `%name(` is a relocation operator; anything else is the modulo operator
      let k = j;
      while (k < n && (text[k] === ' ' || text[k] === '\t')) k++;
      if (text[k] === '(') {
        tokens.push({ kind: 'reloc', text: text.slice(i + 1, j).toLowerCase(), value: 0n, column });
        i = j;
        continue;
      }
    }
    const two = text.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      tokens.push({ kind: 'punct', text: two, value: 0n, column });
      i += 2;
      continue;
    }
    if (PUNCT1.includes(c)) {
      tokens.push({ kind: 'punct', text: c, value: 0n, column });
      i++;
      continue;
    }
    throw new StatementError(column, `unexpected character ${quote(c)}`);
  }
  return tokens;
}

/**
 * Splits `source` into statements and tokens. Never throws: a statement
 * with a lexical error carries it in {@link Statement.error}.
 *
 * @example
 * ```ts
 * const [s] = lex('addi a0, a0, 1 # one');
 * s.tokens.map((t) => t.text); // ['addi', 'a0', ',', 'a0', ',', '1']
 * ```
 */
export function lex(source: string): Statement[] {
  const text = stripComments(source);
  const lines = text.split('\n');
  const statements: Statement[] = [];
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!;
    // split on ';' outside strings and character literals
    let start = 0;
    let inString = false;
    const pieces: [number, number][] = [];
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "'") i += line[i + 1] === '\\' ? 2 : 1;
      else if (c === ';') { pieces.push([start, i]); start = i + 1; }
    }
    pieces.push([start, line.length]);
    for (const [a, b] of pieces) {
      const piece = line.slice(a, b);
      const lead = piece.length - piece.trimStart().length;
      if (piece.trim() === '') continue;
      const column = a + lead + 1;
      try {
        statements.push({ line: ln + 1, column, tokens: tokenizeStatement(piece, a + 1) });
      } catch (e) {
        if (!(e instanceof StatementError)) throw e;
        statements.push({ line: ln + 1, column, tokens: [], error: e });
      }
    }
  }
  return statements;
}
