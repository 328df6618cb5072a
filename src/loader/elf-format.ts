/**
 * ELF32 constants and record layouts used by the ELF reader and writer.
 * Names follow the System V gABI (`<elf.h>`) and the RISC-V psABI; only
 * what a static RV32 executable needs is listed.
 *
 * Record layouts (little-endian, byte offsets):
 *
 *   Elf32_Ehdr (52)   0 e_ident[16]  16 e_type  18 e_machine  20 e_version
 *                     24 e_entry  28 e_phoff  32 e_shoff  36 e_flags
 *                     40 e_ehsize  42 e_phentsize  44 e_phnum
 *                     46 e_shentsize  48 e_shnum  50 e_shstrndx
 *   Elf32_Phdr (32)   0 p_type  4 p_offset  8 p_vaddr  12 p_paddr
 *                     16 p_filesz  20 p_memsz  24 p_flags  28 p_align
 *   Elf32_Shdr (40)   0 sh_name  4 sh_type  8 sh_flags  12 sh_addr
 *                     16 sh_offset  20 sh_size  24 sh_link  28 sh_info
 *                     32 sh_addralign  36 sh_entsize
 *   Elf32_Sym  (16)   0 st_name  4 st_value  8 st_size  12 st_info
 *                     13 st_other  14 st_shndx
 *   __ex_table (12)   0 insn (int32, relative to &insn)
 *                     4 fixup (int32, relative to &fixup)
 *                     8 type (int16)  10 data (int16)
 */

import { Prot } from '../memory/page.js';

/** `e_ident[EI_MAG0..EI_MAG3]`: `\x7fELF`. */
export const ELFMAG = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);
/** Index of the file class byte in `e_ident`. */
export const EI_CLASS = 4;
/** Index of the data encoding byte in `e_ident`. */
export const EI_DATA = 5;
/** Index of the ELF version byte in `e_ident`. */
export const EI_VERSION = 6;
/** Index of the OS ABI byte in `e_ident`. */
export const EI_OSABI = 7;
/** Size of `e_ident`. */
export const EI_NIDENT = 16;

/** `e_ident[EI_CLASS]`: 32-bit objects. */
export const ELFCLASS32 = 1;
/** `e_ident[EI_CLASS]`: 64-bit objects (refused). */
export const ELFCLASS64 = 2;
/** `e_ident[EI_DATA]`: two's complement, little-endian. */
export const ELFDATA2LSB = 1;
/** `e_version` and `e_ident[EI_VERSION]`: the current version. */
export const EV_CURRENT = 1;
/** `e_ident[EI_OSABI]`: UNIX System V (what gcc emits). */
export const ELFOSABI_SYSV = 0;

/** `e_type`: relocatable object. */
export const ET_REL = 1;
/** `e_type`: executable file (the only type accepted). */
export const ET_EXEC = 2;
/** `e_type`: shared object or position-independent executable. */
export const ET_DYN = 3;

/** `e_machine`: RISC-V. */
export const EM_RISCV = 243;

/** `e_flags` (RISC-V psABI): the object uses compressed instructions. */
export const EF_RISCV_RVC = 0x0001;
/** `e_flags` (RISC-V psABI): mask of the floating-point ABI field. */
export const EF_RISCV_FLOAT_ABI = 0x0006;
/** `e_flags` (RISC-V psABI): the RV32E base (16 registers). */
export const EF_RISCV_RVE = 0x0008;
/** `e_flags` (RISC-V psABI): the RVTSO memory model. */
export const EF_RISCV_TSO = 0x0010;

/** Size of `Elf32_Ehdr`. */
export const ELF32_EHDR_SIZE = 52;
/** Size of `Elf32_Phdr`. */
export const ELF32_PHDR_SIZE = 32;
/** Size of `Elf32_Shdr`. */
export const ELF32_SHDR_SIZE = 40;
/** Size of `Elf32_Sym`. */
export const ELF32_SYM_SIZE = 16;

/** Byte offsets of the `Elf32_Ehdr` fields. */
export const Ehdr = {
  e_ident: 0,
  e_type: 16,
  e_machine: 18,
  e_version: 20,
  e_entry: 24,
  e_phoff: 28,
  e_shoff: 32,
  e_flags: 36,
  e_ehsize: 40,
  e_phentsize: 42,
  e_phnum: 44,
  e_shentsize: 46,
  e_shnum: 48,
  e_shstrndx: 50,
} as const;

/** Byte offsets of the `Elf32_Phdr` fields (all 32-bit). */
export const Phdr = {
  p_type: 0,
  p_offset: 4,
  p_vaddr: 8,
  p_paddr: 12,
  p_filesz: 16,
  p_memsz: 20,
  p_flags: 24,
  p_align: 28,
} as const;

/** Byte offsets of the `Elf32_Shdr` fields (all 32-bit). */
export const Shdr = {
  sh_name: 0,
  sh_type: 4,
  sh_flags: 8,
  sh_addr: 12,
  sh_offset: 16,
  sh_size: 20,
  sh_link: 24,
  sh_info: 28,
  sh_addralign: 32,
  sh_entsize: 36,
} as const;

/** Byte offsets of the `Elf32_Sym` fields. */
export const Sym = {
  st_name: 0,
  st_value: 4,
  st_size: 8,
  st_info: 12,
  st_other: 13,
  st_shndx: 14,
} as const;

/** `p_type`: unused entry. */
export const PT_NULL = 0;
/** `p_type`: loadable segment. */
export const PT_LOAD = 1;
/** `p_type`: dynamic linking information (refused: static programs only). */
export const PT_DYNAMIC = 2;
/** `p_type`: program interpreter path (refused: static programs only). */
export const PT_INTERP = 3;
/** `p_type`: auxiliary notes. */
export const PT_NOTE = 4;
/** `p_type`: the program header table itself, in memory. */
export const PT_PHDR = 6;
/** `p_type`: thread-local storage template. */
export const PT_TLS = 7;
/** `p_type`: GNU stack executability marker. */
export const PT_GNU_STACK = 0x6474e551;
/** `p_type` (RISC-V psABI): `.riscv.attributes`. */
export const PT_RISCV_ATTRIBUTES = 0x70000003;

/** `p_flags`: execute. */
export const PF_X = 1;
/** `p_flags`: write. */
export const PF_W = 2;
/** `p_flags`: read. */
export const PF_R = 4;

/** `sh_type`: inactive section header. */
export const SHT_NULL = 0;
/** `sh_type`: program-defined contents. */
export const SHT_PROGBITS = 1;
/** `sh_type`: symbol table. */
export const SHT_SYMTAB = 2;
/** `sh_type`: string table. */
export const SHT_STRTAB = 3;
/** `sh_type`: occupies no file space (`.bss`). */
export const SHT_NOBITS = 8;

/** `sh_flags`: writable at run time. */
export const SHF_WRITE = 1;
/** `sh_flags`: occupies memory at run time. */
export const SHF_ALLOC = 2;
/** `sh_flags`: executable instructions. */
export const SHF_EXECINSTR = 4;

/** Section index: undefined or meaningless reference. */
export const SHN_UNDEF = 0;
/** Section index: first reserved index. */
export const SHN_LORESERVE = 0xff00;
/** Section index: absolute value, not relative to a section. */
export const SHN_ABS = 0xfff1;
/** Section index: common symbol. */
export const SHN_COMMON = 0xfff2;
/** Section index (and `e_shstrndx`): the real index lives elsewhere (extended numbering). */
export const SHN_XINDEX = 0xffff;

/** `ELF32_ST_BIND`: local symbol. */
export const STB_LOCAL = 0;
/** `ELF32_ST_BIND`: global symbol. */
export const STB_GLOBAL = 1;
/** `ELF32_ST_BIND`: weak symbol. */
export const STB_WEAK = 2;

/** `ELF32_ST_TYPE`: unspecified. */
export const STT_NOTYPE = 0;
/** `ELF32_ST_TYPE`: data object. */
export const STT_OBJECT = 1;
/** `ELF32_ST_TYPE`: function. */
export const STT_FUNC = 2;
/** `ELF32_ST_TYPE`: section. */
export const STT_SECTION = 3;
/** `ELF32_ST_TYPE`: source file. */
export const STT_FILE = 4;
/** `ELF32_ST_TYPE`: thread-local storage (value is an offset, not an address). */
export const STT_TLS = 6;

/** Name of the exception-table section (Linux). */
export const EX_TABLE_SECTION = '__ex_table';
/** Size of one `__ex_table` entry in Linux riscv's layout. */
export const EX_TABLE_ENTRY_SIZE = 12;

/**
 * `ELF32_ST_BIND(info)`: the binding (STB_*) of a symbol's `st_info`.
 *
 * @example
 * ```ts
 * stBind(0x12) === STB_GLOBAL; // global function
 * ```
 */
export function stBind(info: number): number {
  return info >>> 4;
}

/**
 * `ELF32_ST_TYPE(info)`: the type (STT_*) of a symbol's `st_info`.
 *
 * @example
 * ```ts
 * stType(0x12) === STT_FUNC;
 * ```
 */
export function stType(info: number): number {
  return info & 0xf;
}

/**
 * `ELF32_ST_INFO(bind, type)`: packs a binding and a type into `st_info`.
 *
 * @example
 * ```ts
 * stInfo(STB_GLOBAL, STT_FUNC) === 0x12;
 * ```
 */
export function stInfo(bind: number, type: number): number {
  return ((bind << 4) | (type & 0xf)) & 0xff;
}

/**
 * Maps ELF `p_flags` (X=1, W=2, R=4) to {@link Prot} bits (R=1, W=2, X=4);
 * other bits (PF_MASKOS, PF_MASKPROC) are dropped. Never throws.
 *
 * @example
 * ```ts
 * protFromPflags(PF_R | PF_X) === (Prot.Read | Prot.Exec); // 5 -> 5
 * protFromPflags(PF_R | PF_W) === (Prot.Read | Prot.Write); // 6 -> 3
 * ```
 */
export function protFromPflags(pFlags: number): number {
  return (
    (pFlags & PF_R ? Prot.Read : 0) | (pFlags & PF_W ? Prot.Write : 0) | (pFlags & PF_X ? Prot.Exec : 0)
  );
}

/**
 * Maps {@link Prot} bits to ELF `p_flags`; the inverse of
 * {@link protFromPflags}. Never throws.
 *
 * @example
 * ```ts
 * pflagsFromProt(Prot.Read | Prot.Write) === (PF_R | PF_W); // 3 -> 6
 * ```
 */
export function pflagsFromProt(prot: number): number {
  return (prot & Prot.Read ? PF_R : 0) | (prot & Prot.Write ? PF_W : 0) | (prot & Prot.Exec ? PF_X : 0);
}
