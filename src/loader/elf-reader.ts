/**
 * ELF32 reader: turns the bytes of a static RISC-V executable into a
 * {@link Program}. The input is untrusted: every offset, size and count is
 * checked against the buffer before it is used, so malformed input gives a
 * {@link FormatError} and never a RangeError, a hang or a partial result.
 */

import { expectBytes, expectString } from '../arguments.js';
import { FormatError } from '../errors.js';
import {
  EF_RISCV_FLOAT_ABI,
  EF_RISCV_RVC,
  EF_RISCV_RVE,
  Ehdr,
  EI_CLASS,
  EI_DATA,
  EI_VERSION,
  ELF32_EHDR_SIZE,
  ELF32_PHDR_SIZE,
  ELF32_SHDR_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFMAG,
  EM_RISCV,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  EV_CURRENT,
  PF_X,
  Phdr,
  protFromPflags,
  PT_DYNAMIC,
  PT_INTERP,
  PT_LOAD,
  PT_PHDR,
  SHF_ALLOC,
  Shdr,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_NULL,
  SHT_STRTAB,
} from './elf-format.js';
import { ElfInput, hex, shdrAt, type RawSection, type SectionHeader } from './elf-input.js';
import { StringTableReader, readExtable, readSymbols } from './elf-symbols.js';
import type { Program, ProgramSegment } from './program.js';

/** One past the highest guest address. */
const ADDRESS_LIMIT = 2 ** 32;
/** Upper bound on section headers, also with extended numbering (gABI `e_shnum == 0`). */
const MAX_SECTIONS = 0xffff;
/** `e_phnum` value that means "the real count is elsewhere" (gABI `PN_XNUM`); refused. */
const PN_XNUM = 0xffff;



/**
 * Parses a static ELF32 RISC-V executable.
 *
 * Accepts `ET_EXEC`, `EM_RISCV`, little-endian ELF32 without `PT_INTERP` or
 * `PT_DYNAMIC`, with at least one `PT_LOAD` and the entry point inside an
 * executable `PT_LOAD`. `PT_LOAD` segments become {@link ProgramSegment}s
 * (in file order; segments with `p_memsz` 0 are dropped; `data` is a copy);
 * symbols come from `.symtab`, the exception table from the one
 * `__ex_table` section (Linux riscv layout, resolved to absolute
 * addresses, in file order), and
 * `programHeaders` from `PT_PHDR` or the `PT_LOAD` whose file bytes hold
 * the program header table (absent when neither exists).
 *
 * Two segments may share a page (as `ld -z max-page-size=16` lays them out)
 * as long as their byte ranges do not overlap; the loader merges rights per
 * page. Objects built for compressed instructions (`EF_RISCV_RVC`), a
 * hardware floating-point ABI or RV32E are refused: the machine is RV32IMA.
 *
 * Work is linear in the file size: the PT_LOAD file bytes may not add up to
 * more than the file, there is at most one `__ex_table`, and name lookups
 * in a string table scan at most a few times its size.
 *
 * @param bytes - the whole file
 * @param name - the input's name for messages (usually the file name)
 * @returns the program, sharing no memory with `bytes`
 * @throws {@link FormatError} when the file is not such an executable or is
 *   malformed; the message names `name`, the header or field, its offset
 *   and the offending value, e.g.
 *   `prog.elf: program header 2 at offset 0x74: p_filesz 0x2000 exceeds p_memsz 0x1000`
 * @throws UsageError when `bytes` is not a Uint8Array or `name` not a string.
 *
 * @example
 * ```ts
 * const program = parseElf(await readFile('hello.elf'), 'hello.elf');
 * console.log(program.entry.toString(16), program.symbols.get('_start'));
 * ```
 */
export function parseElf(bytes: Uint8Array, name: string): Program {
  expectBytes('parseElf', 'bytes', bytes);
  expectString('parseElf', 'name', name);
  const file = new ElfInput(bytes, name);
  const header = readElfHeader(file);
  const phdrs = readProgramHeaders(file, header);
  const loads = phdrs.filter((p) => p.p_type === PT_LOAD);
  checkLoadSegments(file, header, loads);
  const sections = readSectionHeaders(file, header);

  const segments: ProgramSegment[] = loads
    .filter((p) => p.p_memsz > 0)
    .map((p) => ({
      vaddr: p.p_vaddr,
      data: bytes.slice(p.p_offset, p.p_offset + p.p_filesz),
      memSize: p.p_memsz,
      flags: protFromPflags(p.p_flags),
    }));
  const programHeaders = findProgramHeaders(header, phdrs, loads);
  return {
    name,
    entry: header.e_entry,
    segments,
    symbols: readSymbols(file, sections),
    extable: readExtable(file, sections),
    ...(programHeaders ? { programHeaders } : {}),
  };
}

/** The `Elf32_Ehdr` fields the reader uses, after validation. */
interface ElfHeader {
  readonly e_entry: number;
  readonly e_phoff: number;
  readonly e_phnum: number;
  readonly e_shoff: number;
  readonly e_shnum: number;
  readonly e_shstrndx: number;
}

/** One `Elf32_Phdr` with its index and file offset (for messages). */
interface ProgramHeader {
  readonly index: number;
  readonly at: number;
  readonly p_type: number;
  readonly p_offset: number;
  readonly p_vaddr: number;
  readonly p_filesz: number;
  readonly p_memsz: number;
  readonly p_flags: number;
}

/** Message prefix for a header field: `ELF header at offset 0x12`. */
function ehdrAt(field: number): string {
  return `ELF header at offset ${hex(field)}`;
}

/**
 * Reads and validates the ELF header: identification, type, machine,
 * flags, record sizes and the bounds of the program header table.
 * Throws FormatError on anything a static RV32 executable cannot have.
 */
function readElfHeader(file: ElfInput): ElfHeader {
  if (file.length < ELF32_EHDR_SIZE) {
    file.fail(ehdrAt(0), `file is ${file.length} bytes, shorter than the ${ELF32_EHDR_SIZE}-byte ELF header`);
  }
  for (let i = 0; i < ELFMAG.length; i++) {
    if (file.u8(i) !== ELFMAG[i]) {
      const magic = Array.from(file.bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      file.fail(ehdrAt(0), `e_ident magic ${magic} is not 7f 45 4c 46 ("\\x7fELF"): not an ELF file`);
    }
  }
  const eiClass = file.u8(EI_CLASS);
  if (eiClass !== ELFCLASS32) {
    const what = eiClass === ELFCLASS64 ? ' (ELFCLASS64)' : '';
    file.fail(ehdrAt(EI_CLASS), `e_ident[EI_CLASS] ${eiClass}${what} is not ELFCLASS32 (1): only ELF32 is supported`);
  }
  const eiData = file.u8(EI_DATA);
  if (eiData !== ELFDATA2LSB) {
    file.fail(ehdrAt(EI_DATA), `e_ident[EI_DATA] ${eiData} is not ELFDATA2LSB (1): only little-endian is supported`);
  }
  const eiVersion = file.u8(EI_VERSION);
  if (eiVersion !== EV_CURRENT) {
    file.fail(ehdrAt(EI_VERSION), `e_ident[EI_VERSION] ${eiVersion} is not EV_CURRENT (1)`);
  }
  const eType = file.u16(Ehdr.e_type);
  if (eType !== ET_EXEC) {
    const why =
      eType === ET_DYN
        ? ' (ET_DYN: a shared object or PIE)'
        : eType === ET_REL
          ? ' (ET_REL: an object file, not linked)'
          : '';
    file.fail(ehdrAt(Ehdr.e_type), `e_type ${eType}${why} is not ET_EXEC (2): only static executables are supported`);
  }
  const eMachine = file.u16(Ehdr.e_machine);
  if (eMachine !== EM_RISCV) {
    file.fail(ehdrAt(Ehdr.e_machine), `e_machine ${eMachine} is not EM_RISCV (${EM_RISCV})`);
  }
  const eVersion = file.u32(Ehdr.e_version);
  if (eVersion !== EV_CURRENT) {
    file.fail(ehdrAt(Ehdr.e_version), `e_version ${hex(eVersion)} is not EV_CURRENT (1)`);
  }
  const eFlags = file.u32(Ehdr.e_flags);
  if (eFlags & EF_RISCV_RVC) {
    file.fail(
      ehdrAt(Ehdr.e_flags),
      `e_flags ${hex(eFlags)} has EF_RISCV_RVC: compressed instructions are not supported (build with -march=rv32ima)`,
    );
  }
  if (eFlags & EF_RISCV_FLOAT_ABI) {
    file.fail(
      ehdrAt(Ehdr.e_flags),
      `e_flags ${hex(eFlags)} selects a hardware floating-point ABI: only soft-float (-mabi=ilp32) is supported`,
    );
  }
  if (eFlags & EF_RISCV_RVE) {
    file.fail(ehdrAt(Ehdr.e_flags), `e_flags ${hex(eFlags)} has EF_RISCV_RVE: RV32E is not supported`);
  }
  const eEhsize = file.u16(Ehdr.e_ehsize);
  if (eEhsize !== ELF32_EHDR_SIZE) {
    file.fail(ehdrAt(Ehdr.e_ehsize), `e_ehsize ${eEhsize} is not ${ELF32_EHDR_SIZE}`);
  }

  const e_phoff = file.u32(Ehdr.e_phoff);
  const e_phnum = file.u16(Ehdr.e_phnum);
  const ePhentsize = file.u16(Ehdr.e_phentsize);
  if (e_phnum === 0) {
    file.fail(ehdrAt(Ehdr.e_phnum), 'e_phnum is 0: no program headers, nothing to load');
  }
  if (e_phnum === PN_XNUM) {
    file.fail(ehdrAt(Ehdr.e_phnum), `e_phnum ${hex(e_phnum)} (PN_XNUM, extended numbering) is not supported`);
  }
  if (ePhentsize !== ELF32_PHDR_SIZE) {
    file.fail(ehdrAt(Ehdr.e_phentsize), `e_phentsize ${ePhentsize} is not ${ELF32_PHDR_SIZE}`);
  }
  file.need(
    e_phoff,
    e_phnum * ELF32_PHDR_SIZE,
    ehdrAt(Ehdr.e_phoff),
    `program header table at e_phoff ${hex(e_phoff)} (${e_phnum} × ${ELF32_PHDR_SIZE} bytes)`,
  );

  const e_shoff = file.u32(Ehdr.e_shoff);
  const e_shnum = file.u16(Ehdr.e_shnum);
  if (e_shoff !== 0) {
    const eShentsize = file.u16(Ehdr.e_shentsize);
    if (eShentsize !== ELF32_SHDR_SIZE) {
      file.fail(ehdrAt(Ehdr.e_shentsize), `e_shentsize ${eShentsize} is not ${ELF32_SHDR_SIZE}`);
    }
  }
  return {
    e_entry: file.u32(Ehdr.e_entry),
    e_phoff,
    e_phnum,
    e_shoff,
    e_shnum,
    e_shstrndx: file.u16(Ehdr.e_shstrndx),
  };
}

/**
 * Reads every program header (the table's bounds were checked with the
 * ELF header) and refuses dynamic linking. Checks of PT_LOAD contents are
 * in {@link checkLoadSegments}.
 */
function readProgramHeaders(file: ElfInput, header: ElfHeader): ProgramHeader[] {
  const phdrs: ProgramHeader[] = [];
  for (let index = 0; index < header.e_phnum; index++) {
    const at = header.e_phoff + index * ELF32_PHDR_SIZE;
    const phdr: ProgramHeader = {
      index,
      at,
      p_type: file.u32(at + Phdr.p_type),
      p_offset: file.u32(at + Phdr.p_offset),
      p_vaddr: file.u32(at + Phdr.p_vaddr),
      p_filesz: file.u32(at + Phdr.p_filesz),
      p_memsz: file.u32(at + Phdr.p_memsz),
      p_flags: file.u32(at + Phdr.p_flags),
    };
    const where = phdrAt(phdr);
    if (phdr.p_type === PT_INTERP) {
      file.fail(where, 'PT_INTERP: dynamically linked programs are not supported (link with -static)');
    }
    if (phdr.p_type === PT_DYNAMIC) {
      file.fail(where, 'PT_DYNAMIC: dynamically linked programs are not supported (link with -static)');
    }
    if (phdr.p_type === PT_PHDR && phdr.p_vaddr + phdr.p_memsz > ADDRESS_LIMIT) {
      file.fail(
        where,
        `PT_PHDR p_vaddr ${hex(phdr.p_vaddr)} + p_memsz ${hex(phdr.p_memsz)} exceeds the 32-bit address space`,
      );
    }
    phdrs.push(phdr);
  }
  return phdrs;
}

/** Message prefix for a program header: `program header 2 at offset 0x74`. */
function phdrAt(phdr: ProgramHeader): string {
  return `program header ${phdr.index} at offset ${hex(phdr.at)}`;
}

/**
 * Validates the PT_LOAD segments: at least one, each inside the file and
 * the address space with `p_filesz <= p_memsz`, their file bytes together
 * no more than the file (so copying them out is bounded), no two covering
 * the same address, and the entry point inside an executable one.
 */
function checkLoadSegments(file: ElfInput, header: ElfHeader, loads: readonly ProgramHeader[]): void {
  if (loads.length === 0) {
    file.fail(ehdrAt(Ehdr.e_phoff), `none of the ${header.e_phnum} program headers is PT_LOAD: nothing to load`);
  }
  for (const p of loads) {
    const where = phdrAt(p);
    if (p.p_filesz > p.p_memsz) {
      file.fail(where, `p_filesz ${hex(p.p_filesz)} exceeds p_memsz ${hex(p.p_memsz)}`);
    }
    if (p.p_offset + p.p_filesz > file.length) {
      file.fail(
        where,
        `p_offset ${hex(p.p_offset)} + p_filesz ${hex(p.p_filesz)} runs past the end of the file (${hex(file.length)} bytes)`,
      );
    }
    if (p.p_vaddr + p.p_memsz > ADDRESS_LIMIT) {
      file.fail(where, `p_vaddr ${hex(p.p_vaddr)} + p_memsz ${hex(p.p_memsz)} exceeds the 32-bit address space`);
    }
  }
  // Bounds the bytes copied out: segments may not reuse file bytes wholesale.
  const totalFileBytes = loads.reduce((n, p) => n + p.p_filesz, 0);
  if (totalFileBytes > file.length) {
    file.fail(
      ehdrAt(Ehdr.e_phoff),
      `PT_LOAD segments hold ${hex(totalFileBytes)} file bytes in total, more than the file's ${hex(file.length)}: their file ranges overlap`,
    );
  }
  // Sorted by start, any overlap shows up between neighbours.
  const sorted = loads.filter((p) => p.p_memsz > 0).sort((a, b) => a.p_vaddr - b.p_vaddr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.p_vaddr + prev.p_memsz > cur.p_vaddr) {
      file.fail(
        phdrAt(cur),
        `PT_LOAD [${hex(cur.p_vaddr)}, ${hex(cur.p_vaddr + cur.p_memsz)}) overlaps program header ${prev.index} ` +
          `[${hex(prev.p_vaddr)}, ${hex(prev.p_vaddr + prev.p_memsz)})`,
      );
    }
  }
  const entry = header.e_entry;
  const home = loads.find((p) => p.p_flags & PF_X && entry >= p.p_vaddr && entry < p.p_vaddr + p.p_memsz);
  if (!home) {
    file.fail(ehdrAt(Ehdr.e_entry), `e_entry ${hex(entry)} is not inside an executable PT_LOAD segment`);
  }
}

/**
 * Where the program header table sits in memory (for AT_PHDR): PT_PHDR's
 * address if present, else the PT_LOAD whose file bytes contain the whole
 * table (as Linux computes it); undefined when the table is not loaded.
 */
function findProgramHeaders(
  header: ElfHeader,
  phdrs: readonly ProgramHeader[],
  loads: readonly ProgramHeader[],
): Program['programHeaders'] {
  const count = header.e_phnum;
  const entrySize = ELF32_PHDR_SIZE;
  const pPhdr = phdrs.find((p) => p.p_type === PT_PHDR);
  if (pPhdr) return { address: pPhdr.p_vaddr, entrySize, count };
  const tableEnd = header.e_phoff + count * entrySize;
  const home = loads.find((p) => p.p_offset <= header.e_phoff && tableEnd <= p.p_offset + p.p_filesz);
  if (!home) return undefined;
  return { address: home.p_vaddr + (header.e_phoff - home.p_offset), entrySize, count };
}



/**
 * Reads the section header table when there is one (`e_shoff != 0`),
 * including extended numbering (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`),
 * checks every section's file range (except SHT_NOBITS) and allocated
 * address range, and resolves names through `e_shstrndx` (all names are
 * empty when it is SHN_UNDEF). Returns [] for a file without sections.
 */
function readSectionHeaders(file: ElfInput, header: ElfHeader): SectionHeader[] {
  const shoff = header.e_shoff;
  if (shoff === 0) return [];
  const where = ehdrAt(Ehdr.e_shoff);
  file.need(shoff, ELF32_SHDR_SIZE, where, `section header 0 at e_shoff ${hex(shoff)}`);
  let count = header.e_shnum;
  let shstrndx = header.e_shstrndx;
  if (count === 0) {
    count = file.u32(shoff + Shdr.sh_size);
    if (count > MAX_SECTIONS) {
      file.fail(shdrAt(0, shoff), `sh_size ${hex(count)} (extended e_shnum) exceeds ${MAX_SECTIONS} sections`);
    }
    if (count === 0) return [];
  }
  if (shstrndx === SHN_XINDEX) shstrndx = file.u32(shoff + Shdr.sh_link);
  file.need(
    shoff,
    count * ELF32_SHDR_SIZE,
    where,
    `section header table at e_shoff ${hex(shoff)} (${count} × ${ELF32_SHDR_SIZE} bytes)`,
  );

  const raw: RawSection[] = [];
  for (let index = 0; index < count; index++) {
    const at = shoff + index * ELF32_SHDR_SIZE;
    const sh: RawSection = {
      index,
      at,
      sh_name: file.u32(at + Shdr.sh_name),
      sh_type: file.u32(at + Shdr.sh_type),
      sh_flags: file.u32(at + Shdr.sh_flags),
      sh_addr: file.u32(at + Shdr.sh_addr),
      sh_offset: file.u32(at + Shdr.sh_offset),
      sh_size: file.u32(at + Shdr.sh_size),
      sh_link: file.u32(at + Shdr.sh_link),
      sh_entsize: file.u32(at + Shdr.sh_entsize),
    };
    // Section 0 is reserved; with extended numbering its fields hold counts.
    if (index > 0) checkSection(file, sh);
    raw.push(sh);
  }

  let shstrtab: RawSection | undefined;
  if (shstrndx !== SHN_UNDEF) {
    shstrtab = raw[shstrndx];
    if (!shstrtab) {
      file.fail(ehdrAt(Ehdr.e_shstrndx), `e_shstrndx ${shstrndx} is not below the section count ${count}`);
    }
    if (shstrtab.sh_type !== SHT_STRTAB) {
      file.fail(
        ehdrAt(Ehdr.e_shstrndx),
        `e_shstrndx ${shstrndx} names section type ${shstrtab.sh_type}, not SHT_STRTAB (${SHT_STRTAB})`,
      );
    }
  }
  const names = shstrtab && new StringTableReader(file, shstrtab, '.shstrtab');
  return raw.map((sh) => ({
    ...sh,
    name: names && sh.index > 0 ? names.at(sh.sh_name, shdrAt(sh.index, sh.at), 'sh_name') : '',
  }));
}

/** Checks one section's file range (unless SHT_NOBITS/SHT_NULL) and, when allocated, its address range. */
function checkSection(file: ElfInput, sh: RawSection): void {
  const where = shdrAt(sh.index, sh.at);
  if (sh.sh_type !== SHT_NOBITS && sh.sh_type !== SHT_NULL && sh.sh_offset + sh.sh_size > file.length) {
    file.fail(
      where,
      `sh_offset ${hex(sh.sh_offset)} + sh_size ${hex(sh.sh_size)} runs past the end of the file (${hex(file.length)} bytes)`,
    );
  }
  if (sh.sh_flags & SHF_ALLOC && sh.sh_addr + sh.sh_size > ADDRESS_LIMIT) {
    file.fail(where, `sh_addr ${hex(sh.sh_addr)} + sh_size ${hex(sh.sh_size)} exceeds the 32-bit address space`);
  }
}
