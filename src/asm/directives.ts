/**
 * Assembler directives (`.text`, `.word`, `.align`, `.equ`, `.extable`, ...).
 * Each handler reads its operands from the cursor and changes the
 * {@link AssemblerState}; it throws {@link StatementError} on bad operands.
 */
import { StatementError } from './assembly-error.js';
import { evaluate, hasDot, parseExpression, type Expr, TokenCursor } from './expression.js';
import type { AssemblerState } from './state.js';

/** Largest alignment accepted by `.align` and friends (bytes). */
export const MAX_ALIGNMENT = 1 << 16;

/** A directive handler. `column` is where the directive name starts. */
export type DirectiveHandler = (cur: TokenCursor, st: AssemblerState, column: number) => void;

/** Position fields of a new item. */
function at(st: AssemblerState, column: number): { line: number; column: number; offset: number; size: number } {
  return { line: st.line, column, offset: 0, size: 0 };
}

/** Throws unless the current section may hold initialised bytes. */
function requireProgbits(st: AssemblerState, column: number, what: string): void {
  if (st.current.kind === 'bss') {
    throw new StatementError(column, `${what} cannot go in ${st.current.name}, which holds only zeroes (use .zero or .space)`);
  }
}

/** Throws unless the statement ends here. */
export function expectEnd(cur: TokenCursor): void {
  if (!cur.atEnd()) throw new StatementError(cur.column(), `expected end of line but found ${cur.describe()}`);
}

/** Parses `expr, expr, ...` up to the end of the statement (at least one). */
function exprList(cur: TokenCursor, st: AssemblerState): Expr[] {
  const list = [parseExpression(cur, st.names)];
  while (cur.isPunct(',')) {
    cur.pos++;
    list.push(parseExpression(cur, st.names));
  }
  expectEnd(cur);
  return list;
}

/**
 * Evaluates `e` now, when only constants and earlier `.equ` constants are
 * known; throws naming what was expected otherwise.
 */
export function constantNow(e: Expr, st: AssemblerState, what: string): bigint {
  let depth = 0;
  const env = {
    dot: 0n,
    symbol(name: string, column: number): bigint {
      const def = st.symbols.get(name);
      if (def === undefined || def.kind !== 'equ' || ++depth > 100) {
        throw new StatementError(column, `${what} must be a constant known here, but ${st.display(name)} is not`);
      }
      return evaluate(def.expr, env);
    },
    pcrelHiTarget(_address: bigint, column: number): bigint {
      throw new StatementError(column, `${what} must be a constant`);
    },
  };
  if (hasDot(e)) {
    throw new StatementError(e.column, `${what} must be a constant known here, not depend on '.'`);
  }
  return evaluate(e, env);
}

/** Reads an optional expression field that may be left empty (`.p2align 4,,8`). */
function optionalField(cur: TokenCursor, st: AssemblerState): Expr | undefined {
  if (!cur.isPunct(',')) return undefined;
  cur.pos++;
  if (cur.atEnd() || cur.isPunct(',')) return undefined;
  return parseExpression(cur, st.names);
}

/** Handler of the alignment directives; `power` says whether the operand is a power of two. */
function alignDirective(power: boolean): DirectiveHandler {
  return (cur, st, column) => {
    const first = parseExpression(cur, st.names);
    const n = constantNow(first, st, 'alignment');
    const fillExpr = optionalField(cur, st);
    const maxExpr = optionalField(cur, st);
    expectEnd(cur);
    let boundary: number;
    if (power) {
      if (n < 0n || n > 16n) throw new StatementError(first.column, `alignment ${n} out of range (0..16)`);
      boundary = 1 << Number(n);
    } else {
      if (n < 0n || n > BigInt(MAX_ALIGNMENT)) throw new StatementError(first.column, `alignment ${n} out of range (0..${MAX_ALIGNMENT})`);
      boundary = Math.max(1, Number(n));
      if ((boundary & (boundary - 1)) !== 0) throw new StatementError(first.column, `alignment ${n} is not a power of 2`);
    }
    let fill: number | undefined;
    if (fillExpr !== undefined) {
      const f = constantNow(fillExpr, st, 'fill value');
      if (f < -128n || f > 255n) throw new StatementError(fillExpr.column, `fill value ${f} does not fit in a byte (-128..255)`);
      fill = Number(f) & 0xff;
      if (fill !== 0) requireProgbits(st, fillExpr.column, 'a non-zero fill');
    }
    let max: number | undefined;
    if (maxExpr !== undefined) {
      const m = constantNow(maxExpr, st, 'maximum padding');
      if (m < 0n || m > BigInt(MAX_ALIGNMENT)) throw new StatementError(maxExpr.column, `maximum padding ${m} out of range (0..${MAX_ALIGNMENT})`);
      max = Number(m);
    }
    st.current.align = Math.max(st.current.align, boundary);
    // GNU as without RVC assumes code is 4-byte aligned already: in a code
    // section, aligning to 4 bytes or less with no fill pads nothing
    if (st.current.kind === 'text' && fillExpr === undefined && boundary <= 4) return;
    st.emit({ kind: 'align', boundary, fill, max, ...at(st, column) });
  };
}

function dataDirective(width: 1 | 2 | 4 | 8): DirectiveHandler {
  return (cur, st, column) => {
    requireProgbits(st, column, 'data');
    const values = exprList(cur, st);
    st.emit({ kind: 'data', width, values, ...at(st, column) });
  };
}

function stringDirective(terminate: boolean): DirectiveHandler {
  return (cur, st, column) => {
    requireProgbits(st, column, 'a string');
    const parts: Uint8Array[] = [];
    for (;;) {
      const t = cur.peek();
      if (t === undefined || t.kind !== 'string') throw new StatementError(cur.column(), `expected a string but found ${cur.describe()}`);
      cur.pos++;
      parts.push(t.bytes!);
      if (terminate) parts.push(new Uint8Array(1));
      if (cur.atEnd()) break;
      cur.expectPunct(',');
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    st.emit({ kind: 'bytes', bytes, ...at(st, column) });
  };
}

const spaceDirective: DirectiveHandler = (cur, st, column) => {
  const count = parseExpression(cur, st.names);
  const value = optionalField(cur, st) ?? { kind: 'number', value: 0n, column };
  expectEnd(cur);
  st.emit({ kind: 'fill', count, width: 1, value, ...at(st, column) });
};

const fillDirective: DirectiveHandler = (cur, st, column) => {
  const count = parseExpression(cur, st.names);
  const sizeExpr = optionalField(cur, st);
  const value = optionalField(cur, st) ?? { kind: 'number', value: 0n, column };
  expectEnd(cur);
  let width = 1;
  if (sizeExpr !== undefined) {
    const w = constantNow(sizeExpr, st, '.fill size');
    if (w !== 1n && w !== 2n && w !== 4n && w !== 8n) throw new StatementError(sizeExpr.column, `.fill size ${w} must be 1, 2, 4 or 8`);
    width = Number(w);
  }
  st.emit({ kind: 'fill', count, width, value, ...at(st, column) });
};

/** Reads a symbol name operand. */
function symbolName(cur: TokenCursor): string {
  const t = cur.peek();
  if (t === undefined || t.kind !== 'ident' || t.text === '.') throw new StatementError(cur.column(), `expected a symbol name but found ${cur.describe()}`);
  cur.pos++;
  return t.text;
}

function setDirective(unique: boolean): DirectiveHandler {
  return (cur, st) => {
    const nameColumn = cur.column();
    const name = symbolName(cur);
    cur.expectPunct(',');
    const e = parseExpression(cur, st.names);
    expectEnd(cur);
    st.defineValue(name, e, nameColumn, unique);
  };
}

/** Reads `.section NAME [, "flags" [, @type ...]]` and returns the section. */
function sectionOperands(cur: TokenCursor, st: AssemblerState): ReturnType<AssemblerState['section']> {
  const t = cur.peek();
  const column = cur.column();
  let name: string;
  if (t?.kind === 'ident') name = t.text;
  else if (t?.kind === 'string') name = new TextDecoder().decode(t.bytes);
  else throw new StatementError(column, `expected a section name but found ${cur.describe()}`);
  cur.pos++;
  let flags: string | undefined;
  let type: string | undefined;
  if (cur.isPunct(',')) {
    cur.pos++;
    const f = cur.peek();
    if (f?.kind !== 'string') throw new StatementError(cur.column(), `expected section flags like "ax" but found ${cur.describe()}`);
    flags = new TextDecoder().decode(f.bytes);
    if (!/^[awxMSGTR?o0-9]*$/.test(flags)) throw new StatementError(f.column, `unknown section flags "${flags}" (expected letters of "awx")`);
    cur.pos++;
    if (cur.isPunct(',')) {
      cur.pos++;
      if (cur.isPunct('@') || cur.isPunct('%')) cur.pos++;
      const ty = cur.peek();
      if (ty?.kind !== 'ident') throw new StatementError(cur.column(), `expected a section type like @progbits but found ${cur.describe()}`);
      type = ty.text;
      cur.pos++;
      // further fields (entity size, group name) are accepted and ignored
      cur.pos = cur.tokens.length;
    }
  }
  expectEnd(cur);
  return st.section(name, flags, type, column);
}

const ignored: DirectiveHandler = (cur) => {
  cur.pos = cur.tokens.length;
};

const OPTIONS_ACCEPTED = new Set(['norvc', 'push', 'pop', 'relax', 'norelax', 'nopic', 'arch', 'csr-check', 'no-csr-check']);

/** Directive handlers by name (with the leading dot). */
export const DIRECTIVES: ReadonlyMap<string, DirectiveHandler> = new Map<string, DirectiveHandler>([
  ['.text', (cur, st, c) => { expectEnd(cur); st.switchTo(st.section('.text', undefined, undefined, c)); }],
  ['.data', (cur, st, c) => { expectEnd(cur); st.switchTo(st.section('.data', undefined, undefined, c)); }],
  ['.rodata', (cur, st, c) => { expectEnd(cur); st.switchTo(st.section('.rodata', undefined, undefined, c)); }],
  ['.bss', (cur, st, c) => { expectEnd(cur); st.switchTo(st.section('.bss', undefined, undefined, c)); }],
  ['.section', (cur, st) => { st.switchTo(sectionOperands(cur, st)); }],
  ['.pushsection', (cur, st) => { st.push(sectionOperands(cur, st)); }],
  ['.popsection', (cur, st, c) => { expectEnd(cur); st.pop(c); }],
  ['.previous', (cur, st, c) => { expectEnd(cur); st.swapPrevious(c); }],
  ['.globl', globlDirective],
  ['.global', globlDirective],
  ['.align', alignDirective(true)],
  ['.p2align', alignDirective(true)],
  ['.balign', alignDirective(false)],
  ['.byte', dataDirective(1)],
  ['.half', dataDirective(2)],
  ['.short', dataDirective(2)],
  ['.2byte', dataDirective(2)],
  ['.word', dataDirective(4)],
  ['.long', dataDirective(4)],
  ['.4byte', dataDirective(4)],
  ['.quad', dataDirective(8)],
  ['.dword', dataDirective(8)],
  ['.8byte', dataDirective(8)],
  ['.ascii', stringDirective(false)],
  ['.asciz', stringDirective(true)],
  ['.string', stringDirective(true)],
  ['.zero', spaceDirective],
  ['.space', spaceDirective],
  ['.skip', spaceDirective],
  ['.fill', fillDirective],
  ['.equ', setDirective(false)],
  ['.set', setDirective(false)],
  ['.equiv', setDirective(true)],
  ['.option', (cur) => {
    const t = cur.peek();
    if (t?.kind !== 'ident') throw new StatementError(cur.column(), `expected an option name but found ${cur.describe()}`);
    const name = t.text.toLowerCase();
    if (name === 'rvc') throw new StatementError(t.column, 'compressed instructions are not supported (.option rvc)');
    if (name === 'pic') throw new StatementError(t.column, 'position-independent code is not supported (.option pic)');
    if (!OPTIONS_ACCEPTED.has(name)) throw new StatementError(t.column, `unknown option ${t.text} (expected norvc, norelax, relax, push, pop or nopic)`);
    cur.pos = cur.tokens.length;
  }],
  ['.extable', (cur, st, c) => {
    const fields = exprList(cur, st);
    if (fields.length !== 2 && fields.length !== 4) {
      throw new StatementError(fields[Math.min(fields.length, 4) - 1]!.column, `.extable expects insn, fixup[, type, data] but got ${fields.length} operands`);
    }
    st.emit({ kind: 'extable', fields, ...at(st, c) });
  }],
  ['.file', ignored], ['.ident', ignored], ['.type', ignored], ['.size', ignored],
  ['.local', ignored], ['.weak', ignored], ['.hidden', ignored], ['.attribute', ignored],
  ['.addrsig', ignored], ['.addrsig_sym', ignored],
]);

function globlDirective(cur: TokenCursor, st: AssemblerState): void {
  for (;;) {
    const column = cur.column();
    const name = symbolName(cur);
    if (!st.globals.has(name)) st.globals.set(name, { line: st.line, column });
    if (cur.atEnd()) return;
    cur.expectPunct(',');
  }
}

/** True for directives accepted and ignored wholesale (`.cfi_*`). */
export function isIgnoredDirective(name: string): boolean {
  return name.startsWith('.cfi_');
}
