import { FaultlineError } from '../src/errors.js';
import { parseElf } from '../src/loader/elf-reader.js';
import { Prot } from '../src/memory/page.js';
import type { Program } from '../src/loader/program.js';
import { PROGRAM_FILE_LIMIT, readRegularFile } from './files.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** True when `name` looks like assembly source the assembler takes (`.s`, `.asm`). */
export function isAssemblyName(name: string): boolean {
  return /\.(s|asm)$/.test(name);
}

/**
 * The one line refusing `.S` (assembly for the C preprocessor), saying how
 * to preprocess it, or null for any other name.
 */
export function preprocessedAssemblyMessage(path: string): string | null {
  if (!path.endsWith('.S')) return null;
  const plain = `${path.slice(0, -2)}.s`;
  return `${path}: a .S file is assembly for the C preprocessor, which faultline does not run; ` +
    `preprocess it first (riscv64-unknown-elf-cpp -P ${path} -o ${plain}) and give ${plain}`;
}

/**
 * Reads a guest program: an ELF file (by its magic number) or assembly
 * source (by its `.s`/`.asm` name), a regular file of at most 256 MiB.
 * Refuses `.S` files (they need the C preprocessor) and assembly with no
 * instructions (it would fault at its entry).
 *
 * @throws FaultlineError naming the file: unreadable, not a regular file, too big, malformed.
 */
export async function loadProgramFile(path: string): Promise<Program> {
  const preprocessed = preprocessedAssemblyMessage(path);
  const bytes = await readRegularFile(path, PROGRAM_FILE_LIMIT, 'program');
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) return parseElf(bytes, path);
  if (preprocessed !== null) throw new FaultlineError(preprocessed);
  if (!isAssemblyName(path)) throw new FaultlineError(`${path}: not an ELF file (no \\x7fELF magic) and not assembly source (.s, .asm)`);
  // The assembler (15 modules) is loaded only for assembly source: an ELF run starts faster.
  const { assemble } = await import('../src/asm/assemble.js');
  const program = assemble(new TextDecoder().decode(bytes), { fileName: path });
  checkHasCode(program, path);
  return program;
}

/** Refuses an assembled program without one instruction byte (empty, or data only). */
export function checkHasCode(program: Program, path: string): void {
  const code = program.segments.some((s) => (s.flags & Prot.Exec) !== 0 && s.data.length > 0);
  if (!code) throw new FaultlineError(`${path}: no instructions (the file assembles to no code; the program would fault at its entry)`);
}
