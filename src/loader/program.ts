/**
 * A loadable guest program: what the ELF reader and the assembler both
 * produce and what {@link Machine.load} consumes.
 */

/**
 * One loadable segment. `data` holds the file bytes; `memSize - data.length`
 * bytes of zeroes follow (bss).
 *
 * @example
 * ```ts
 * const text: ProgramSegment = { vaddr: 0x10000, data: code, memSize: code.length, flags: Prot.Read | Prot.Exec };
 * ```
 */
export interface ProgramSegment {
  /** Virtual address of the first byte (need not be page aligned). */
  readonly vaddr: number;
  /** Initialised bytes. */
  readonly data: Uint8Array;
  /** Size in memory, at least `data.length`. */
  readonly memSize: number;
  /** Protection bits: {@link Prot.Read} | {@link Prot.Write} | {@link Prot.Exec}. */
  readonly flags: number;
  /**
   * Section name for {@link writeElf} to give the segment's initialised
   * bytes (default `.text`, `.data` or `.rodata` by `flags`). Informational
   * only: {@link parseElf} leaves it unset and loading ignores it.
   */
  readonly sectionName?: string;
}

/**
 * One exception-table entry, with absolute addresses (the on-disk relative
 * form of Linux riscv is resolved by the reader).
 *
 * @example
 * ```ts
 * const entry: ExtableEntry = { insn: 0x10080, fixup: 0x100a0, type: ExtableType.Fixup, data: 0 };
 * ```
 */
export interface ExtableEntry {
  /** Address of the instruction that may fault. */
  readonly insn: number;
  /** Address to resume at. */
  readonly fixup: number;
  /** 0 = plain fixup, 1 = `UACCESS_ERR_ZERO`. */
  readonly type: number;
  /** Register numbers for typed entries, encoded as Linux riscv does. */
  readonly data: number;
}

/**
 * A guest program ready to load.
 *
 * @example
 * ```ts
 * const program = parseElf(await readFile('hello.elf'), 'hello.elf');
 * machine.load(program, { argv: ['hello'] });
 * ```
 */
export interface Program {
  /** Name shown in `maps()` and messages (usually the file name). */
  readonly name: string;
  /** Entry point address. */
  readonly entry: number;
  /** Loadable segments, in any order, not overlapping. */
  readonly segments: readonly ProgramSegment[];
  /** Symbol addresses by name (may be empty). */
  readonly symbols: ReadonlyMap<string, number>;
  /** Exception-table entries (may be empty). */
  readonly extable: readonly ExtableEntry[];
  /** Where the program headers sit in guest memory, for the auxiliary vector (AT_PHDR etc.); absent for assembled programs. */
  readonly programHeaders?: {
    /** Guest address of the first program header (`AT_PHDR`). */
    readonly address: number;
    /** Bytes per header (`AT_PHENT`, 32 for ELF32). */
    readonly entrySize: number;
    /** Number of headers (`AT_PHNUM`). */
    readonly count: number;
  };
}
