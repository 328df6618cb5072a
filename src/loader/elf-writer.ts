/**
 * ELF32 writer: turns a {@link Program} into a static RISC-V executable
 * that `qemu-riscv32` runs, binutils reads and {@link parseElf} reads back.
 *
 * File layout (offsets grow downwards):
 *
 *   0          ELF header            ┐ header segment: a read-only PT_LOAD at
 *   52         program headers       │ a free page (below the lowest segment
 *   (align 4)  __ex_table entries    ┘ if possible), like gcc's first LOAD
 *   ...        segment bytes, each at a file offset ≡ p_vaddr (mod 4096)
 *   (align 4)  .symtab  .strtab  .shstrtab
 *   (align 4)  section headers
 */

import { expectObject } from '../arguments.js';
import { UsageError } from '../errors.js';
import { quote } from '../quote.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, Prot } from '../memory/page.js';
import {
  Ehdr,
  EI_CLASS,
  EI_DATA,
  EI_OSABI,
  EI_VERSION,
  ELF32_EHDR_SIZE,
  ELF32_PHDR_SIZE,
  ELF32_SHDR_SIZE,
  ELF32_SYM_SIZE,
  ELFCLASS32,
  ELFDATA2LSB,
  ELFMAG,
  ELFOSABI_SYSV,
  EM_RISCV,
  ET_EXEC,
  EV_CURRENT,
  EX_TABLE_ENTRY_SIZE,
  EX_TABLE_SECTION,
  PF_R,
  Phdr,
  pflagsFromProt,
  PT_LOAD,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  Shdr,
  SHN_ABS,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_GLOBAL,
  stInfo,
  STT_FUNC,
  STT_NOTYPE,
  Sym,
} from './elf-format.js';
import type { Program, ProgramSegment } from './program.js';

/** One past the highest guest address. */
const ADDRESS_LIMIT = 2 ** 32;
/** Most segments written: each needs up to two sections, and `e_shnum` must stay below SHN_LORESERVE. */
const MAX_SEGMENTS = 0x7f00;
/** Pages in the address space. */
const PAGE_COUNT = ADDRESS_LIMIT / PAGE_SIZE;

/**
 * Options of {@link writeElf}.
 *
 * @example
 * ```ts
 * const elf = writeElf(program, { headerSegment: false }); // no extable: exact round trip
 * ```
 */
export interface ElfWriteOptions {
  /**
   * Load the ELF header, the program headers and `__ex_table` as one
   * read-only PT_LOAD of their own (default `true`), so the program sees
   * its headers (AT_PHDR) and the reader finds the table at an allocated
   * address. It may be `false` only when the program has no exception
   * table; then `parseElf(writeElf(p))` has exactly `p`'s segments.
   */
  readonly headerSegment?: boolean;
  /**
   * Page-aligned address of the header segment. Default: the free pages
   * right below the lowest segment, else right above the highest, else
   * the lowest free gap above page 0.
   */
  readonly headerAddress?: number;
}

/**
 * Writes a program as a static ELF32 executable (`ET_EXEC`, `EM_RISCV`,
 * `e_flags` 0: no RVC, soft-float ABI).
 *
 * Each segment becomes a PT_LOAD (sorted by address, file offset congruent
 * to `vaddr` modulo 4096) with a section for its initialised bytes (named
 * `segment.sectionName`, or `.text`/`.data`/`.rodata` by its rights) and a
 * `.bss` SHT_NOBITS section for the zero-filled tail. Symbols go to
 * `.symtab` as global `STT_FUNC` (inside an executable segment) or
 * `STT_NOTYPE` symbols of the section holding their address (`SHN_ABS`
 * otherwise); exception-table entries go to `__ex_table` in Linux riscv's
 * relative layout inside the header segment (see
 * {@link ElfWriteOptions.headerSegment}).
 *
 * `parseElf(writeElf(p))` gives back `p`'s entry, segments (without
 * `sectionName`), symbols and exception table, plus the header segment and
 * `programHeaders` pointing into it.
 *
 * @param program - the program; `programHeaders` is ignored (recomputed)
 * @param options - see {@link ElfWriteOptions}
 * @returns the file's bytes
 * @throws {@link UsageError} when the program cannot be written as a valid
 *   executable: no segment, `memSize` below `data.length` or zero, a segment
 *   past 4 GiB, overlapping segments, unknown `flags` bits, an entry outside
 *   every executable segment, a value that is not a 32-bit address, an
 *   empty symbol or section name or one containing NUL, an extable `type`
 *   or `data` outside int16, `headerSegment: false` with an exception
 *   table, or no free pages for the header segment
 *
 * @example
 * ```ts
 * // li a0, 42; li a7, 93; ecall
 * const code = new Uint8Array(new Uint32Array([0x02a00513, 0x05d00893, 0x00000073]).buffer);
 * const elf = writeElf({
 *   name: 'exit42', entry: 0x10000, symbols: new Map([['_start', 0x10000]]), extable: [],
 *   segments: [{ vaddr: 0x10000, data: code, memSize: code.length, flags: Prot.Read | Prot.Exec }],
 * });
 * await writeFile('exit42.elf', elf);
 * ```
 */
export function writeElf(program: Program, options: ElfWriteOptions = {}): Uint8Array {
  expectObject('writeElf', 'program', program);
  expectObject('writeElf', 'options', options, true);
  if (!Array.isArray(program.segments) || !(program.symbols instanceof Map) || !Array.isArray(program.extable)) {
    throw new UsageError('writeElf: program must have segments (an array), symbols (a Map) and extable (an array)');
  }
  const withHeaders = options.headerSegment ?? true;
  checkProgram(program, withHeaders);
  const segments = [...program.segments].sort((a, b) => a.vaddr - b.vaddr);
  const extable = program.extable;

  // Header block: ELF header, program headers, then the extable (if any).
  const phnum = segments.length + (withHeaders ? 1 : 0);
  const phdrEnd = ELF32_EHDR_SIZE + phnum * ELF32_PHDR_SIZE;
  const extableOffset = alignUp(phdrEnd, 4);
  const headerSize = extable.length > 0 ? extableOffset + extable.length * EX_TABLE_ENTRY_SIZE : phdrEnd;
  const headerAddress = withHeaders ? placeHeaderSegment(segments, headerSize, options.headerAddress) : 0;

  // Segment bytes, each at a file offset congruent to its address.
  let offset = headerSize;
  const loads: LoadPlan[] = segments.map((segment) => {
    const fileOffset = offset + ((segment.vaddr - offset) & PAGE_MASK);
    offset = fileOffset + segment.data.length;
    return { vaddr: segment.vaddr, fileOffset, segment };
  });
  if (withHeaders) {
    loads.push({ vaddr: headerAddress, fileOffset: 0, segment: undefined });
    loads.sort((a, b) => a.vaddr - b.vaddr);
  }

  // Sections: allocated ones by address, then .symtab, .strtab, .shstrtab.
  const shstrtab = new StringTable();
  const sections: SectionPlan[] = [
    { name: '', type: 0, flags: 0, addr: 0, offset: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0 },
  ];
  const allocated: SectionPlan[] = [];
  if (extable.length > 0) {
    allocated.push(
      allocSection(EX_TABLE_SECTION, SHT_PROGBITS, SHF_ALLOC, headerAddress + extableOffset, extableOffset, extable.length * EX_TABLE_ENTRY_SIZE),
    );
  }
  for (const { segment, fileOffset } of loads) {
    if (!segment) continue;
    const flags = SHF_ALLOC | (segment.flags & Prot.Write ? SHF_WRITE : 0) | (segment.flags & Prot.Exec ? SHF_EXECINSTR : 0);
    const fileSize = segment.data.length;
    if (fileSize > 0) {
      const name = segment.sectionName ?? defaultSectionName(segment.flags);
      allocated.push(allocSection(name, SHT_PROGBITS, flags, segment.vaddr, fileOffset, fileSize));
    }
    if (segment.memSize > fileSize) {
      const name = fileSize === 0 ? (segment.sectionName ?? '.bss') : '.bss';
      allocated.push(
        allocSection(name, SHT_NOBITS, flags, segment.vaddr + fileSize, fileOffset + fileSize, segment.memSize - fileSize),
      );
    }
  }
  allocated.sort((a, b) => a.addr - b.addr);
  sections.push(...allocated);

  // Symbols: all global, typed and placed by the section holding them.
  const strtab = new StringTable();
  const symbols = [...program.symbols].map(([name, value]) => ({
    name: strtab.add(name),
    value,
    shndx: sectionIndexOf(sections, value),
    type: segments.some((s) => s.flags & Prot.Exec && value >= s.vaddr && value < s.vaddr + s.memSize)
      ? STT_FUNC
      : STT_NOTYPE,
  }));
  const symtabIndex = sections.length;
  const symtabOffset = alignUp(offset, 4);
  const symtabSize = (symbols.length + 1) * ELF32_SYM_SIZE;
  const strtabOffset = symtabOffset + symtabSize;
  const strtabBytes = strtab.bytes();
  const shstrtabOffset = strtabOffset + strtabBytes.length;
  sections.push({
    name: '.symtab', type: SHT_SYMTAB, flags: 0, addr: 0, offset: symtabOffset, size: symtabSize,
    link: symtabIndex + 1, info: 1, align: 4, entsize: ELF32_SYM_SIZE,
  });
  sections.push({
    name: '.strtab', type: SHT_STRTAB, flags: 0, addr: 0, offset: strtabOffset, size: strtabBytes.length,
    link: 0, info: 0, align: 1, entsize: 0,
  });
  const shstrndx = sections.length;
  sections.push({
    name: '.shstrtab', type: SHT_STRTAB, flags: 0, addr: 0, offset: shstrtabOffset, size: 0,
    link: 0, info: 0, align: 1, entsize: 0,
  });
  const nameOffsets = sections.map((s) => shstrtab.add(s.name));
  const shstrtabBytes = shstrtab.bytes();
  sections[shstrndx]!.size = shstrtabBytes.length;
  const shoff = alignUp(shstrtabOffset + shstrtabBytes.length, 4);
  const fileSize = shoff + sections.length * ELF32_SHDR_SIZE;

  const out = new Uint8Array(fileSize);
  const view = new DataView(out.buffer);

  // ELF header.
  out.set(ELFMAG, 0);
  out[EI_CLASS] = ELFCLASS32;
  out[EI_DATA] = ELFDATA2LSB;
  out[EI_VERSION] = EV_CURRENT;
  out[EI_OSABI] = ELFOSABI_SYSV;
  view.setUint16(Ehdr.e_type, ET_EXEC, true);
  view.setUint16(Ehdr.e_machine, EM_RISCV, true);
  view.setUint32(Ehdr.e_version, EV_CURRENT, true);
  view.setUint32(Ehdr.e_entry, program.entry, true);
  view.setUint32(Ehdr.e_phoff, ELF32_EHDR_SIZE, true);
  view.setUint32(Ehdr.e_shoff, shoff, true);
  view.setUint32(Ehdr.e_flags, 0, true);
  view.setUint16(Ehdr.e_ehsize, ELF32_EHDR_SIZE, true);
  view.setUint16(Ehdr.e_phentsize, ELF32_PHDR_SIZE, true);
  view.setUint16(Ehdr.e_phnum, phnum, true);
  view.setUint16(Ehdr.e_shentsize, ELF32_SHDR_SIZE, true);
  view.setUint16(Ehdr.e_shnum, sections.length, true);
  view.setUint16(Ehdr.e_shstrndx, shstrndx, true);

  // Program headers and segment bytes.
  loads.forEach(({ vaddr, fileOffset, segment }, i) => {
    const at = ELF32_EHDR_SIZE + i * ELF32_PHDR_SIZE;
    const fileBytes = segment ? segment.data.length : headerSize;
    view.setUint32(at + Phdr.p_type, PT_LOAD, true);
    view.setUint32(at + Phdr.p_offset, fileOffset, true);
    view.setUint32(at + Phdr.p_vaddr, vaddr, true);
    view.setUint32(at + Phdr.p_paddr, vaddr, true);
    view.setUint32(at + Phdr.p_filesz, fileBytes, true);
    view.setUint32(at + Phdr.p_memsz, segment ? segment.memSize : headerSize, true);
    view.setUint32(at + Phdr.p_flags, segment ? pflagsFromProt(segment.flags) : PF_R, true);
    view.setUint32(at + Phdr.p_align, PAGE_SIZE, true);
    if (segment) out.set(segment.data, fileOffset);
  });

  // __ex_table: insn and fixup relative to the field's own address.
  extable.forEach((entry, k) => {
    const at = extableOffset + k * EX_TABLE_ENTRY_SIZE;
    const address = headerAddress + at;
    view.setInt32(at, (entry.insn - address) | 0, true);
    view.setInt32(at + 4, (entry.fixup - (address + 4)) | 0, true);
    view.setInt16(at + 8, entry.type, true);
    view.setInt16(at + 10, entry.data, true);
  });

  // .symtab (entry 0 is the null symbol), .strtab, .shstrtab.
  symbols.forEach((sym, i) => {
    const at = symtabOffset + (i + 1) * ELF32_SYM_SIZE;
    view.setUint32(at + Sym.st_name, sym.name, true);
    view.setUint32(at + Sym.st_value, sym.value, true);
    view.setUint32(at + Sym.st_size, 0, true);
    view.setUint8(at + Sym.st_info, stInfo(STB_GLOBAL, sym.type));
    view.setUint8(at + Sym.st_other, 0);
    view.setUint16(at + Sym.st_shndx, sym.shndx, true);
  });
  out.set(strtabBytes, strtabOffset);
  out.set(shstrtabBytes, shstrtabOffset);

  // Section headers.
  sections.forEach((s, i) => {
    const at = shoff + i * ELF32_SHDR_SIZE;
    view.setUint32(at + Shdr.sh_name, nameOffsets[i]!, true);
    view.setUint32(at + Shdr.sh_type, s.type, true);
    view.setUint32(at + Shdr.sh_flags, s.flags, true);
    view.setUint32(at + Shdr.sh_addr, s.addr, true);
    view.setUint32(at + Shdr.sh_offset, s.offset, true);
    view.setUint32(at + Shdr.sh_size, s.size, true);
    view.setUint32(at + Shdr.sh_link, s.link, true);
    view.setUint32(at + Shdr.sh_info, s.info, true);
    view.setUint32(at + Shdr.sh_addralign, s.align, true);
    view.setUint32(at + Shdr.sh_entsize, s.entsize, true);
  });
  return out;
}

/** A PT_LOAD to write: a program segment, or the header segment when `segment` is undefined. */
interface LoadPlan {
  readonly vaddr: number;
  readonly fileOffset: number;
  readonly segment: ProgramSegment | undefined;
}

/** A section header to write; `size` of `.shstrtab` is filled in last. */
interface SectionPlan {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  size: number;
  readonly link: number;
  readonly info: number;
  readonly align: number;
  readonly entsize: number;
}

/** An allocated section with word alignment. */
function allocSection(name: string, type: number, flags: number, addr: number, offset: number, size: number): SectionPlan {
  return { name, type, flags, addr, offset, size, link: 0, info: 0, align: 4, entsize: 0 };
}

/** `.text` for executable, `.data` for writable, `.rodata` otherwise. */
function defaultSectionName(flags: number): string {
  return flags & Prot.Exec ? '.text' : flags & Prot.Write ? '.data' : '.rodata';
}

/**
 * `st_shndx` for a symbol at `value`: the allocated section containing it,
 * else one ending exactly there (as ld does for `_end`), else SHN_ABS.
 */
function sectionIndexOf(sections: readonly SectionPlan[], value: number): number {
  let endsHere = -1;
  for (let i = 1; i < sections.length; i++) {
    const s = sections[i]!;
    if (!(s.flags & SHF_ALLOC)) continue;
    if (value >= s.addr && value < s.addr + s.size) return i;
    if (value === s.addr + s.size && endsHere < 0) endsHere = i;
  }
  return endsHere >= 0 ? endsHere : SHN_ABS;
}

/** `value` rounded up to a multiple of the power of two `alignment`. */
function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/**
 * Page-aligned address for the header segment of `size` bytes, on pages no
 * segment touches: `requested` if given and free, else right below the
 * lowest segment, right above the highest, or the lowest free gap (never
 * page 0). Throws UsageError when nothing fits.
 */
function placeHeaderSegment(sorted: readonly ProgramSegment[], size: number, requested: number | undefined): number {
  const pages = Math.ceil(size / PAGE_SIZE);
  // Busy page ranges [first, end), sorted and merged.
  const busy: [number, number][] = [];
  for (const s of sorted) {
    const first = Math.floor(s.vaddr / PAGE_SIZE);
    const end = Math.ceil((s.vaddr + s.memSize) / PAGE_SIZE);
    const last = busy[busy.length - 1];
    if (last && first <= last[1]) last[1] = Math.max(last[1], end);
    else busy.push([first, end]);
  }
  const free = (first: number): boolean =>
    first >= 1 && first + pages <= PAGE_COUNT && busy.every(([b, e]) => first + pages <= b || first >= e);

  if (requested !== undefined) {
    if (!isAddress(requested) || requested & PAGE_MASK || !free(requested >>> PAGE_SHIFT)) {
      throw new UsageError(
        `writeElf: headerAddress ${hex(requested)} is not a free page-aligned range of ${pages} page(s)`,
      );
    }
    return requested;
  }
  const candidates = [busy[0]![0] - pages, busy[busy.length - 1]![1], 1, ...busy.map(([, e]) => e)];
  const first = candidates.find(free);
  if (first === undefined) {
    throw new UsageError(`writeElf: no ${pages} free page(s) left in the address space for the ELF headers`);
  }
  return first * PAGE_SIZE;
}

/** Unpadded hex for messages. */
function hex(value: number): string {
  return Number.isFinite(value) && value >= 0 ? '0x' + value.toString(16) : String(value);
}

/** True for an integer in [0, 2^32). */
function isAddress(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < ADDRESS_LIMIT;
}

/** True for an integer in the int16 range. */
function isInt16(value: number): boolean {
  return Number.isInteger(value) && value >= -0x8000 && value <= 0x7fff;
}

/** Throws UsageError unless `name` can be an ELF string: non-empty, no NUL. */
function checkName(name: string, what: string): void {
  if (name.length === 0 || name.includes('\0')) {
    throw new UsageError(`writeElf: ${what} ${quote(name)} must be non-empty without NUL characters`);
  }
}

/**
 * Checks that `program` can be written as an executable the reader accepts
 * (see {@link writeElf} for the list); throws UsageError naming the field.
 */
function checkProgram(program: Program, withHeaders: boolean): void {
  if (program.segments.length === 0) throw new UsageError('writeElf: the program has no segments');
  if (program.segments.length > MAX_SEGMENTS) {
    throw new UsageError(`writeElf: ${program.segments.length} segments are more than the ${MAX_SEGMENTS} supported`);
  }
  program.segments.forEach((s, i) => {
    const what = `writeElf: segment ${i} at ${hex(s.vaddr)}`;
    if (!isAddress(s.vaddr)) throw new UsageError(`${what}: vaddr is not a 32-bit address`);
    if (!Number.isInteger(s.memSize) || s.memSize < 1 || s.memSize < s.data.length) {
      throw new UsageError(`${what}: memSize ${s.memSize} must be at least 1 and at least data.length ${s.data.length}`);
    }
    if (s.vaddr + s.memSize > ADDRESS_LIMIT) {
      throw new UsageError(`${what}: memSize ${hex(s.memSize)} runs past the 32-bit address space`);
    }
    if (!Number.isInteger(s.flags) || (s.flags & ~(Prot.Read | Prot.Write | Prot.Exec)) !== 0) {
      throw new UsageError(`${what}: flags ${s.flags} has bits other than Prot.Read | Prot.Write | Prot.Exec`);
    }
    if (s.sectionName !== undefined) checkName(s.sectionName, `segment ${i} sectionName`);
  });
  const sorted = [...program.segments].sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.vaddr + prev.memSize > cur.vaddr) {
      throw new UsageError(
        `writeElf: segment at ${hex(cur.vaddr)} overlaps the segment [${hex(prev.vaddr)}, ${hex(prev.vaddr + prev.memSize)})`,
      );
    }
  }
  const entry = program.entry;
  if (
    !isAddress(entry) ||
    !program.segments.some((s) => s.flags & Prot.Exec && entry >= s.vaddr && entry < s.vaddr + s.memSize)
  ) {
    throw new UsageError(`writeElf: entry ${hex(entry)} is not inside an executable segment`);
  }
  for (const [name, value] of program.symbols) {
    checkName(name, 'symbol name');
    if (!isAddress(value)) throw new UsageError(`writeElf: symbol ${name} value ${value} is not a 32-bit address`);
  }
  program.extable.forEach((e, k) => {
    if (!isAddress(e.insn) || !isAddress(e.fixup)) {
      throw new UsageError(`writeElf: extable entry ${k}: insn ${e.insn} or fixup ${e.fixup} is not a 32-bit address`);
    }
    if (!isInt16(e.type) || !isInt16(e.data)) {
      throw new UsageError(`writeElf: extable entry ${k}: type ${e.type} or data ${e.data} is outside int16`);
    }
  });
  if (!withHeaders && program.extable.length > 0) {
    throw new UsageError('writeElf: headerSegment: false needs an empty exception table (__ex_table must be loaded)');
  }
}

/** An ELF string table under construction: offset 0 is the empty string; equal names share bytes. */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private static readonly encoder = new TextEncoder();

  /** The offset of `name` (added on first use). */
  add(name: string): number {
    if (name === '') return 0;
    let offset = this.offsets.get(name);
    if (offset === undefined) {
      offset = this.size;
      const encoded = StringTable.encoder.encode(name);
      this.chunks.push(encoded, new Uint8Array(1));
      this.size += encoded.length + 1;
      this.offsets.set(name, offset);
    }
    return offset;
  }

  /** The table's bytes. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
