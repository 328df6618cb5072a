import { readFile } from 'node:fs/promises';
import { FaultlineError } from '../src/errors.js';
import { parseElf } from '../src/loader/elf-reader.js';
import type { Program } from '../src/loader/program.js';
import { assemble } from '../src/asm/assemble.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** True when `name` looks like assembly source. */
export function isAssemblyName(name: string): boolean {
  return /\.(s|S|asm)$/.test(name);
}

/**
 * Reads a guest program: an ELF file (by its magic number) or assembly
 * source (by its `.s`/`.S`/`.asm` name). Throws FaultlineError with the file
 * name for unreadable or malformed files.
 */
export async function loadProgramFile(path: string): Promise<Program> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FaultlineError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) return parseElf(bytes, path);
  if (isAssemblyName(path)) return assemble(new TextDecoder().decode(bytes), { fileName: path });
  throw new FaultlineError(`${path}: not an ELF file (no \\x7fELF magic) and not assembly source (.s, .S, .asm)`);
}
