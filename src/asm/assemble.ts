/**
 * The assembler's entry point: source text in, loadable {@link Program}
 * out. RV32IMA with Zicsr, Zifencei and the common pseudo-instructions, in
 * GNU as syntax.
 */
import { AssemblyError, type Diagnostic } from './assembly-error.js';
import { emitProgram } from './emit.js';
import { layout } from './layout.js';
import { lex } from './lexer.js';
import { readStatements } from './parser.js';
import { AssemblerState } from './state.js';
import { expectObject, expectString } from '../arguments.js';
import { UsageError } from '../errors.js';
import type { Program } from '../loader/program.js';

/**
 * Default address of `.text`, as in the Linux RV32 linker script.
 *
 * @example
 * ```ts
 * assemble('nop').entry === DEFAULT_TEXT_ADDRESS; // true
 * ```
 */
export const DEFAULT_TEXT_ADDRESS = 0x10000;

/**
 * Options of {@link assemble}.
 *
 * @example
 * ```ts
 * assemble(source, { fileName: 'handler.s', textAddress: 0x400000 });
 * ```
 */
export interface AssembleOptions {
  /** Name used in diagnostics and as `Program.name`; default `<asm>`. */
  readonly fileName?: string;
  /** Address of the first byte of `.text`; a multiple of 4. Default 0x10000. */
  readonly textAddress?: number;
}

/**
 * Assembles `source` into a program the machine loads directly. `.text`
 * starts at `textAddress`; `.rodata` and then `.data` each start on the
 * next page, `.bss` follows `.data`. The entry point is `_start` when it
 * is defined, else the start of `.text`.
 *
 * @param source - the assembly text (GNU as syntax)
 * @param options - `fileName` for diagnostics and `Program.name`, `textAddress`
 * @returns a program for {@link Machine.load} or {@link writeElf}
 *
 * @throws {@link AssemblyError} listing every error of the source, each as
 *   `file:line:column: message`.
 * @throws {@link UsageError} when `source` is not a string, `options` not an
 *   object, or `textAddress` is not a 4-byte-aligned 32-bit address.
 *
 * @example
 * ```ts
 * const program = assemble(`
 *   .globl _start
 * _start:
 *   li a0, 42
 *   li a7, 93      # exit
 *   ecall
 * `, { fileName: 'exit42.s' });
 * machine.load(program);
 * ```
 */
export function assemble(source: string, options: AssembleOptions = {}): Program {
  expectString('assemble', 'source', source);
  expectObject('assemble', 'options', options, true);
  if (options.fileName !== undefined) expectString('assemble', 'options.fileName', options.fileName);
  const file = options.fileName ?? '<asm>';
  const textAddress = options.textAddress ?? DEFAULT_TEXT_ADDRESS;
  if (!Number.isInteger(textAddress) || textAddress < 0 || textAddress >= 2 ** 32 || textAddress % 4 !== 0) {
    throw new UsageError(`assemble: textAddress ${textAddress} is not a 4-byte-aligned 32-bit address`);
  }
  const st = new AssemblerState(file);
  readStatements(lex(source), st);
  // lay out and encode even after syntax errors, so undefined symbols and
  // out-of-range operands of the good statements are reported as well
  const resolver = layout(st, textAddress);
  const program = emitProgram(st, resolver, file, textAddress);
  if (st.diagnostics.length > 0) throw new AssemblyError(sortDiagnostics(st.diagnostics));
  return program;
}

/** Sorts by line then column and drops exact duplicates. */
function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const sorted = [...list].sort((a, b) => a.line - b.line || a.column - b.column);
  return sorted.filter((d, i) => i === 0 || d.line !== sorted[i - 1]!.line || d.column !== sorted[i - 1]!.column || d.message !== sorted[i - 1]!.message);
}
