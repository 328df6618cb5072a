/**
 * The ELF reader's symbol table, string tables and exception table
 * (`__ex_table`), each bounded by the bytes the file really has.
 */

import { quote } from '../quote.js';
import { ELF32_SYM_SIZE, EX_TABLE_ENTRY_SIZE, EX_TABLE_SECTION, SHN_LORESERVE, SHN_UNDEF, SHT_PROGBITS, SHT_STRTAB, SHT_SYMTAB, STB_LOCAL, STT_FILE, STT_NOTYPE, STT_SECTION, STT_TLS, Sym, stBind, stType } from './elf-format.js';
import { hex, shdrAt, type ElfInput, type RawSection, type SectionHeader } from './elf-input.js';
import type { ExtableEntry } from './program.js';

const utf8 = new TextDecoder('utf-8');

/** With {@link NAME_SCAN_SLACK}: how many bytes reading a string table's names may scan, per byte of the table. */
const NAME_SCAN_FACTOR = 4;
/** Bytes every string table may scan beyond {@link NAME_SCAN_FACTOR} × its size. */
const NAME_SCAN_SLACK = 0x10000;

/**
 * Reads NUL-terminated names from one string table whose file range is
 * already checked. Names may share bytes (ld merges common suffixes), but
 * all reads of distinct offsets together scan at most
 * `NAME_SCAN_FACTOR × sh_size + NAME_SCAN_SLACK` bytes, so entries that all
 * point into one long string cannot make parsing quadratic; repeated
 * offsets are served from a cache.
 */
export class StringTableReader {
  private budget: number;
  private readonly cache = new Map<number, string>();

  constructor(
    private readonly file: ElfInput,
    private readonly table: RawSection,
    private readonly tableName: string,
  ) {
    this.budget = NAME_SCAN_FACTOR * table.sh_size + NAME_SCAN_SLACK;
  }

  /**
   * The string at `offset`. Throws FormatError (at `where`, naming `field`)
   * when `offset` is outside the table, the string has no NUL before the
   * table's end, or the scan budget is spent.
   */
  at(offset: number, where: string, field: string): string {
    const cached = this.cache.get(offset);
    if (cached !== undefined) return cached;
    const { file, table, tableName } = this;
    if (offset >= table.sh_size) {
      file.fail(where, `${field} ${hex(offset)} is outside ${tableName} (sh_size ${hex(table.sh_size)})`);
    }
    const start = table.sh_offset + offset;
    const end = table.sh_offset + table.sh_size;
    const window = file.bytes.subarray(start, Math.min(end, start + this.budget));
    const nul = window.indexOf(0);
    if (nul < 0) {
      if (window.length < end - start) {
        file.fail(where, `${field} ${hex(offset)}: names in ${tableName} overlap too much (scan limit reached)`);
      }
      file.fail(where, `${field} ${hex(offset)} in ${tableName} is not NUL-terminated`);
    }
    this.budget -= nul + 1;
    const text = nul === 0 ? '' : utf8.decode(window.subarray(0, nul));
    this.cache.set(offset, text);
    return text;
  }
}

/**
 * RISC-V mapping symbols (`$x`, `$d`, `$xrv32i2p1...`, `$x.foo`) mark code
 * and data for disassemblers; they are local and not program symbols.
 */
function isMappingSymbol(name: string): boolean {
  return /^\$[xd](?:$|\.|rv)/.test(name);
}

/**
 * Symbol values by name from the first SHT_SYMTAB section, with names from
 * its `sh_link` string table. Skips the null symbol, empty names, section,
 * file and TLS symbols, undefined symbols and local mapping symbols. On a
 * name clash a global or weak symbol replaces a local one; otherwise the
 * first wins. Throws FormatError on a malformed table or name.
 */
export function readSymbols(file: ElfInput, sections: readonly SectionHeader[]): Map<string, number> {
  const symbols = new Map<string, number>();
  // Section 0 is reserved (its fields are unchecked), never a symbol table.
  const symtab = sections.find((s) => s.index > 0 && s.sh_type === SHT_SYMTAB);
  if (!symtab) return symbols;
  const where = shdrAt(symtab.index, symtab.at, symtab.name);
  if (symtab.sh_entsize !== ELF32_SYM_SIZE) {
    file.fail(where, `SHT_SYMTAB sh_entsize ${symtab.sh_entsize} is not ${ELF32_SYM_SIZE}`);
  }
  if (symtab.sh_size % ELF32_SYM_SIZE !== 0) {
    file.fail(where, `SHT_SYMTAB sh_size ${hex(symtab.sh_size)} is not a multiple of ${ELF32_SYM_SIZE}`);
  }
  const strtab = sections[symtab.sh_link];
  if (!strtab || symtab.sh_link === SHN_UNDEF || strtab.sh_type !== SHT_STRTAB) {
    file.fail(where, `SHT_SYMTAB sh_link ${symtab.sh_link} does not name a SHT_STRTAB section`);
  }
  const names = new StringTableReader(file, strtab, strtab.name ? quote(strtab.name) : `section ${strtab.index}`);
  const isLocal = new Map<string, boolean>();
  const count = symtab.sh_size / ELF32_SYM_SIZE;
  for (let i = 1; i < count; i++) {
    const at = symtab.sh_offset + i * ELF32_SYM_SIZE;
    const symWhere = `symbol ${i} at offset ${hex(at)}`;
    const name = names.at(file.u32(at + Sym.st_name), symWhere, 'st_name');
    const info = file.u8(at + Sym.st_info);
    const shndx = file.u16(at + Sym.st_shndx);
    if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= sections.length) {
      file.fail(symWhere, `st_shndx ${shndx} is not below the section count ${sections.length}`);
    }
    const type = stType(info);
    const local = stBind(info) === STB_LOCAL;
    if (name === '' || shndx === SHN_UNDEF) continue;
    if (type === STT_SECTION || type === STT_FILE || type === STT_TLS) continue;
    if (local && type === STT_NOTYPE && isMappingSymbol(name)) continue;
    const seenLocal = isLocal.get(name);
    if (seenLocal === undefined || (seenLocal && !local)) {
      symbols.set(name, file.u32(at + Sym.st_value));
      isLocal.set(name, local);
    }
  }
  return symbols;
}

/**
 * Entries of the section named `__ex_table` (there may be at most one), in
 * file order. Each 12-byte entry holds `insn` and `fixup` relative to the
 * field's own address (`sh_addr + 12 k` and `+ 4`), resolved modulo 2^32,
 * then the signed 16-bit `type` and `data`. Throws FormatError for a
 * second table, a table that is not SHT_PROGBITS or a size that is not a
 * whole number of entries.
 */
export function readExtable(file: ElfInput, sections: readonly SectionHeader[]): ExtableEntry[] {
  const tables = sections.filter((s) => s.index > 0 && s.name === EX_TABLE_SECTION);
  if (tables.length === 0) return [];
  const sh = tables[0]!;
  if (tables.length > 1) {
    const second = tables[1]!;
    file.fail(shdrAt(second.index, second.at, second.name), `a second ${EX_TABLE_SECTION} (the first is section ${sh.index})`);
  }
  const where = shdrAt(sh.index, sh.at, sh.name);
  // Only SHT_PROGBITS has a checked file range (and entries in the file).
  if (sh.sh_type !== SHT_PROGBITS) {
    file.fail(where, `${EX_TABLE_SECTION} has sh_type ${sh.sh_type}, not SHT_PROGBITS (${SHT_PROGBITS})`);
  }
  if (sh.sh_size % EX_TABLE_ENTRY_SIZE !== 0) {
    file.fail(where, `sh_size ${hex(sh.sh_size)} is not a multiple of the ${EX_TABLE_ENTRY_SIZE}-byte entry`);
  }
  const entries: ExtableEntry[] = [];
  for (let k = 0; k < sh.sh_size; k += EX_TABLE_ENTRY_SIZE) {
    const at = sh.sh_offset + k;
    const address = sh.sh_addr + k;
    entries.push({
      insn: (address + file.i32(at)) >>> 0,
      fixup: (address + 4 + file.i32(at + 4)) >>> 0,
      type: file.i16(at + 8),
      data: file.i16(at + 10),
    });
  }
  return entries;
}
