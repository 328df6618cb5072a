/**
 * Reads lexed statements into the {@link AssemblerState}: labels,
 * assignments (`x = expr`), directives and (pseudo-)instructions. Each bad
 * statement becomes one diagnostic; reading goes on with the next.
 */
import { StatementError } from './assembly-error.js';
import { DIRECTIVES, expectEnd, isIgnoredDirective } from './directives.js';
import { parseExpression, TokenCursor } from './expression.js';
import { amoBuilder, BASE_INSTRUCTIONS } from './instructions.js';
import type { Statement } from './lexer.js';
import { parseOperands, type InsnBuilder } from './operands.js';
import { PSEUDO_INSTRUCTIONS } from './pseudo.js';
import type { AssemblerState } from './state.js';

/** Builder of `mnemonic` (lower case), or undefined when it is unknown. */
export function instructionBuilder(mnemonic: string): InsnBuilder | undefined {
  return BASE_INSTRUCTIONS.get(mnemonic) ?? PSEUDO_INSTRUCTIONS.get(mnemonic) ?? amoBuilder(mnemonic);
}

/** Column just past the last token of a statement. */
function endColumn(s: Statement): number {
  const last = s.tokens[s.tokens.length - 1];
  return last === undefined ? s.column : last.column + last.text.length;
}

/**
 * Reads one statement. Returns false when it was `.end` (stop reading).
 * Throws {@link StatementError} on a bad statement.
 */
function readStatement(s: Statement, st: AssemblerState): boolean {
  const cur = new TokenCursor(s.tokens, endColumn(s));
  // labels: `name:` and `N:`
  for (;;) {
    const t = cur.peek();
    const next = s.tokens[cur.pos + 1];
    if (t === undefined || next?.kind !== 'punct' || next.text !== ':') break;
    if (t.kind === 'ident' && t.text !== '.') st.defineLabel(t.text, t.column);
    else if (t.kind === 'number' && /^[0-9]+$/.test(t.text)) st.defineLocal(t.value, t.column);
    else throw new StatementError(t.column, `expected a label name before ':' but found '${t.text}'`);
    cur.pos += 2;
  }
  const head = cur.peek();
  if (head === undefined) return true;
  if (head.kind !== 'ident') throw new StatementError(head.column, `expected an instruction, directive or label but found '${head.text}'`);
  const after = s.tokens[cur.pos + 1];
  if (after?.kind === 'punct' && after.text === '=' && head.text !== '.') {
    cur.pos += 2;
    const e = parseExpression(cur, st.names);
    expectEnd(cur);
    st.defineValue(head.text, e, head.column, false);
    return true;
  }
  cur.pos++;
  const name = head.text.toLowerCase();
  if (name.startsWith('.')) {
    if (name === '.end') { expectEnd(cur); return false; }
    const handler = DIRECTIVES.get(name);
    if (handler === undefined) {
      if (isIgnoredDirective(name)) return true;
      throw new StatementError(head.column, `unknown directive ${head.text}`);
    }
    handler(cur, st, head.column);
    return true;
  }
  const builder = instructionBuilder(name);
  if (builder === undefined) throw new StatementError(head.column, `unknown instruction ${head.text}`);
  if (st.current.kind === 'bss') {
    throw new StatementError(head.column, `instructions cannot go in ${st.current.name}, which holds only zeroes`);
  }
  const operands = parseOperands(cur, st.names);
  const plan = builder(operands, { mnemonic: name, column: head.column, endColumn: cur.endColumn });
  st.emit({ kind: 'insn', plan, line: s.line, column: head.column, offset: 0, size: 0 });
  return true;
}

/**
 * Reads every statement into `st`, recording a diagnostic for each bad one.
 * Stops at `.end`.
 */
export function readStatements(statements: readonly Statement[], st: AssemblerState): void {
  for (const s of statements) {
    st.line = s.line;
    if (s.error !== undefined) { st.error(s.error.column, s.error.message); continue; }
    try {
      if (!readStatement(s, st)) return;
    } catch (e) {
      if (!(e instanceof StatementError)) throw e;
      st.error(e.column, e.message);
    }
  }
}
