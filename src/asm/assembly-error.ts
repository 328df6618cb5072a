/**
 * Diagnostics of the assembler: every error of a source file, each with
 * its position, gathered into one {@link AssemblyError}.
 */
import { FormatError } from '../errors.js';

/**
 * One problem in an assembly source, at a 1-based line and column.
 *
 * @example
 * ```ts
 * catch (e) {
 *   if (e instanceof AssemblyError) for (const d of e.diagnostics) editor.mark(d.line, d.column, d.message);
 * }
 * ```
 */
export interface Diagnostic {
  /** File name as given to `assemble` (`<asm>` when none was given). */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column (characters, counting a tab as one). */
  readonly column: number;
  /** What is wrong and what was expected. */
  readonly message: string;
}

/**
 * Formats a diagnostic as `file:line:column: message`.
 *
 * @example
 * ```ts
 * formatDiagnostic({ file: 'a.s', line: 3, column: 5, message: 'unknown instruction frob' });
 * // 'a.s:3:5: unknown instruction frob'
 * ```
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

/**
 * An assembly source could not be assembled. `diagnostics` holds every
 * error found in the file, in source order; the message lists them one per
 * line as `file:line:column: message`.
 *
 * @example
 * ```ts
 * try {
 *   assemble('addi a0, a0, 4096', { fileName: 'prog.s' });
 * } catch (e) {
 *   if (e instanceof AssemblyError) console.error(e.message);
 *   // prog.s:1:14: immediate 4096 out of range for addi (-2048..2047)
 * }
 * ```
 */
export class AssemblyError extends FormatError {
  /** Every error of the file, sorted by line and column. */
  readonly diagnostics: readonly Diagnostic[];

  /**
   * Creates the error; its message lists `diagnostics` one per line.
   * Thrown by {@link assemble}; user code rarely constructs one.
   *
   * @param diagnostics - the errors, at least one
   */
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.diagnostics = diagnostics;
  }
}

/**
 * Internal: thrown inside the assembler to abandon one statement; the driver
 * turns it into a {@link Diagnostic} and goes on with the next statement.
 */
export class StatementError extends Error {
  /**
   * @param column - 1-based column of the offending text
   * @param message - what is wrong
   */
  constructor(readonly column: number, message: string) {
    super(message);
  }
}
