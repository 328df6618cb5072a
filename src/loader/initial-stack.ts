/**
 * The initial process stack of the Linux ELF ABI for RV32, laid out as the
 * kernel's `create_elf_tables` (fs/binfmt_elf.c) does. Pure: it returns
 * bytes and addresses; the loader writes them into the stack dataspace.
 *
 *   stackTop ──► +---------------------------+
 *                | 4 zero bytes              |  (Linux keeps the top word)
 *                | execfn string (optional)  |
 *                | envp strings              |
 *                | argv strings              |  argv[0] lowest
 *                +---------------------------+  aligned down to 16
 *                | 16 AT_RANDOM bytes        |
 *                +---------------------------+
 *                | zero padding              |
 *                | auxv pairs ... AT_NULL, 0 |
 *                | NULL                      |
 *                | envp[0..envc-1]           |
 *                | NULL                      |
 *                | argv[0..argc-1]           |
 *          sp ──►| argc                      |  16-byte aligned
 *                +---------------------------+
 */

import { UsageError } from '../errors.js';
import { quote } from '../quote.js';

/** Auxiliary vector type: end of the vector. */
export const AT_NULL = 0;
/** Auxiliary vector type: entry should be ignored. */
export const AT_IGNORE = 1;
/** Auxiliary vector type: address of the program headers in memory. */
export const AT_PHDR = 3;
/** Auxiliary vector type: size of one program header. */
export const AT_PHENT = 4;
/** Auxiliary vector type: number of program headers. */
export const AT_PHNUM = 5;
/** Auxiliary vector type: page size. */
export const AT_PAGESZ = 6;
/** Auxiliary vector type: interpreter base address (0 for static programs). */
export const AT_BASE = 7;
/** Auxiliary vector type: flags (0). */
export const AT_FLAGS = 8;
/** Auxiliary vector type: program entry point. */
export const AT_ENTRY = 9;
/** Auxiliary vector type: real user id. */
export const AT_UID = 11;
/** Auxiliary vector type: effective user id. */
export const AT_EUID = 12;
/** Auxiliary vector type: real group id. */
export const AT_GID = 13;
/** Auxiliary vector type: effective group id. */
export const AT_EGID = 14;
/** Auxiliary vector type: address of the platform string. */
export const AT_PLATFORM = 15;
/** Auxiliary vector type: hardware capabilities. */
export const AT_HWCAP = 16;
/** Auxiliary vector type: clock ticks per second. */
export const AT_CLKTCK = 17;
/** Auxiliary vector type: secure mode (setuid). */
export const AT_SECURE = 23;
/** Auxiliary vector type: address of 16 random bytes. */
export const AT_RANDOM = 25;
/** Auxiliary vector type: address of the executable's file name string. */
export const AT_EXECFN = 31;

/**
 * The auxiliary vector types by short name (`AT.PHDR === AT_PHDR`).
 *
 * @example
 * ```ts
 * const auxv: [number, number][] = [[AT.PAGESZ, 4096], [AT.ENTRY, program.entry]];
 * ```
 */
export const AT = {
  NULL: AT_NULL,
  IGNORE: AT_IGNORE,
  PHDR: AT_PHDR,
  PHENT: AT_PHENT,
  PHNUM: AT_PHNUM,
  PAGESZ: AT_PAGESZ,
  BASE: AT_BASE,
  FLAGS: AT_FLAGS,
  ENTRY: AT_ENTRY,
  UID: AT_UID,
  EUID: AT_EUID,
  GID: AT_GID,
  EGID: AT_EGID,
  PLATFORM: AT_PLATFORM,
  HWCAP: AT_HWCAP,
  CLKTCK: AT_CLKTCK,
  SECURE: AT_SECURE,
  RANDOM: AT_RANDOM,
  EXECFN: AT_EXECFN,
} as const;

/** Bytes per stack word on RV32. */
const WORD = 4;
/** Alignment of `sp` at process entry (RISC-V psABI). */
const STACK_ALIGN = 16;
/** Size of the AT_RANDOM block. */
const RANDOM_SIZE = 16;
/** One past the highest guest address. */
const ADDRESS_LIMIT = 2 ** 32;

/**
 * Input of {@link buildInitialStack}.
 *
 * @example
 * ```ts
 * const spec: InitialStackSpec = {
 *   stackTop: 0xc0000000, argv: ['prog'], envp: ['HOME=/'],
 *   auxv: [[AT.PAGESZ, 4096], [AT.ENTRY, 0x10000]], random16: new Uint8Array(16),
 * };
 * ```
 */
export interface InitialStackSpec {
  /** One past the highest stack byte; a multiple of 16, at most 2^32. */
  readonly stackTop: number;
  /** Argument strings (UTF-8 encoded, no NUL characters). */
  readonly argv: readonly string[];
  /** Environment strings (`NAME=value`, no NUL characters). */
  readonly envp: readonly string[];
  /**
   * Auxiliary vector pairs `[type, value]`, in order. The builder appends
   * AT_RANDOM (and AT_EXECFN when `execfn` is given) and the closing
   * AT_NULL itself, so those types may not appear here.
   */
  readonly auxv: readonly (readonly [type: number, value: number])[];
  /** The 16 bytes AT_RANDOM points at (deterministic in faultline). */
  readonly random16: Uint8Array;
  /** Executable file name, stored at the very top and pointed at by AT_EXECFN. */
  readonly execfn?: string;
}

/**
 * The built stack: write `bytes` at guest address `base` (they end at
 * `stackTop`) and start the program with `sp`.
 *
 * @example
 * ```ts
 * const { sp, base, bytes } = buildInitialStack(spec);
 * stackDataspace.write(base - stackBottom, bytes); // then x2 (sp) = sp
 * ```
 */
export interface InitialStack {
  /** Initial stack pointer: the address of argc, 16-byte aligned. */
  readonly sp: number;
  /** Address of `bytes[0]` (equal to `sp`). */
  readonly base: number;
  /** The stack contents from `base` up to `stackTop`. */
  readonly bytes: Uint8Array;
}

/**
 * Lays out the initial stack of a Linux RV32 process: argc, the argv and
 * envp pointer arrays (each NULL-terminated), the auxiliary vector, the 16
 * AT_RANDOM bytes and the strings, as in the diagram above.
 *
 * @param spec - see {@link InitialStackSpec}
 * @returns `sp`, `base` and the bytes to write at `base`
 * @throws {@link UsageError} when `stackTop` is not a 16-byte aligned
 *   address, `random16` is not 16 bytes, a string contains NUL, an auxv
 *   pair is not two 32-bit values or uses a type the builder adds itself,
 *   or the layout would fall below address 0
 *
 * @example
 * ```ts
 * const stack = buildInitialStack({
 *   stackTop: 0xc0000000, argv: ['prog', '-v'], envp: ['HOME=/'],
 *   auxv: [[AT.PAGESZ, 4096], [AT.ENTRY, program.entry]],
 *   random16: new Uint8Array(16),
 * });
 * stackDataspace.write(stack.base - stackBottom, stack.bytes);
 * cpu.setRegister(2, stack.sp);
 * ```
 */
export function buildInitialStack(spec: InitialStackSpec): InitialStack {
  const { stackTop, argv, envp, auxv, random16, execfn } = spec;
  checkSpec(spec);
  const encoder = new TextEncoder();
  const encode = (s: string, what: string): Uint8Array => {
    if (s.includes('\0')) throw new UsageError(`buildInitialStack: ${what} ${quote(s)} contains NUL`);
    return encoder.encode(s);
  };
  const argvBytes = argv.map((s, i) => encode(s, `argv[${i}]`));
  const envpBytes = envp.map((s, i) => encode(s, `envp[${i}]`));
  const execfnBytes = execfn === undefined ? undefined : encode(execfn, 'execfn');

  // Strings, from the top down: the reserved top word, execfn, envp, argv.
  let p = stackTop - WORD;
  let execfnAddress = 0;
  if (execfnBytes) {
    p -= execfnBytes.length + 1;
    execfnAddress = p;
  }
  const stringsSize = [...argvBytes, ...envpBytes].reduce((n, b) => n + b.length + 1, 0);
  p -= stringsSize;
  const stringsBase = p;
  const randomAddress = Math.floor(p / STACK_ALIGN) * STACK_ALIGN - RANDOM_SIZE;

  const fullAuxv: (readonly [number, number])[] = [...auxv, [AT_RANDOM, randomAddress]];
  if (execfnBytes) fullAuxv.push([AT_EXECFN, execfnAddress]);
  fullAuxv.push([AT_NULL, 0]);
  const words = 1 + (argv.length + 1) + (envp.length + 1) + 2 * fullAuxv.length;
  const sp = Math.floor((randomAddress - words * WORD) / STACK_ALIGN) * STACK_ALIGN;
  if (sp < 0) {
    throw new UsageError(`buildInitialStack: ${stackTop - sp} bytes of arguments do not fit below stackTop ${stackTop}`);
  }

  const bytes = new Uint8Array(stackTop - sp);
  const view = new DataView(bytes.buffer);
  const put = (address: number, b: Uint8Array): void => bytes.set(b, address - sp);

  // Strings (each followed by the NUL already in the zeroed buffer).
  let at = stringsBase;
  const pointerTo = (b: Uint8Array): number => {
    const address = at;
    put(address, b);
    at += b.length + 1;
    return address;
  };
  const argvPointers = argvBytes.map(pointerTo);
  const envpPointers = envpBytes.map(pointerTo);
  if (execfnBytes) put(execfnAddress, execfnBytes);
  put(randomAddress, random16);

  // argc, argv[], NULL, envp[], NULL, auxv pairs.
  const table = [argv.length, ...argvPointers, 0, ...envpPointers, 0, ...fullAuxv.flat()];
  table.forEach((word, i) => view.setUint32(i * WORD, word >>> 0, true));
  return { sp, base: sp, bytes };
}

/** Throws UsageError for the spec errors listed on {@link buildInitialStack} (strings are checked while encoding). */
function checkSpec(spec: InitialStackSpec): void {
  const { stackTop, random16, auxv, execfn } = spec;
  if (!Number.isInteger(stackTop) || stackTop <= 0 || stackTop > ADDRESS_LIMIT || stackTop % STACK_ALIGN !== 0) {
    throw new UsageError(`buildInitialStack: stackTop ${stackTop} is not a 16-byte aligned address in (0, 2^32]`);
  }
  if (random16.length !== RANDOM_SIZE) {
    throw new UsageError(`buildInitialStack: random16 has ${random16.length} bytes, not ${RANDOM_SIZE}`);
  }
  const isWord = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < ADDRESS_LIMIT;
  auxv.forEach(([type, value], i) => {
    if (!isWord(type) || !isWord(value)) {
      throw new UsageError(`buildInitialStack: auxv[${i}] [${type}, ${value}] is not a pair of 32-bit values`);
    }
    if (type === AT_NULL || type === AT_RANDOM || (type === AT_EXECFN && execfn !== undefined)) {
      throw new UsageError(`buildInitialStack: auxv[${i}] type ${type} is added by the builder itself`);
    }
  });
}
