import { FormatError, hex32 } from '../errors.js';
import { RegionName } from '../memory/mman.js';
import type { LinuxMemory } from '../syscalls/linux-memory.js';
import { PAGE_SHIFT, PAGE_SIZE, Prot } from '../memory/page.js';
import { AT, buildInitialStack } from './initial-stack.js';
import type { Program } from './program.js';

/**
 * Top of the guest stack (the 3 GiB / 1 GiB split of 32-bit Linux): the
 * stack occupies `[STACK_TOP - stackSize, STACK_TOP)`.
 *
 * @example
 * ```ts
 * console.log(machine.context.regs[2] < STACK_TOP); // sp starts just below it
 * ```
 */
export const STACK_TOP = 0xc000_0000;
/**
 * Default stack size: 8 MiB, Linux's default `ulimit -s`.
 *
 * @example
 * ```ts
 * machine.load(program, { stackSize: DEFAULT_STACK_SIZE * 2 });
 * ```
 */
export const DEFAULT_STACK_SIZE = 8 << 20;

/**
 * Options of {@link Machine.load}: what the new process sees.
 *
 * @example
 * ```ts
 * machine.load(program, { argv: ['prog', '--fast'], envp: ['HOME=/'], stackSize: 1 << 20 });
 * ```
 */
export interface LoadOptions {
  /** Argument vector; `argv[0]` defaults to the program name. */
  readonly argv?: readonly string[];
  /** Environment strings (`NAME=value`). */
  readonly envp?: readonly string[];
  /** Stack size in bytes (page multiple). */
  readonly stackSize?: number;
}

/** Where the loaded program starts. */
export interface LoadedImage {
  /** Initial pc. */
  readonly entry: number;
  /** Initial stack pointer (points at argc). */
  readonly sp: number;
  /** Initial program break. */
  readonly brk: number;
}

/**
 * Maps `program` into `linux.addressSpace` as Linux's ELF loader would: each run of pages
 * covered by segments becomes one private dataspace named after the
 * program (pages shared by two segments get the union of their rights),
 * the break starts at the page after the highest segment, and an 8 MiB
 * `[stack]` holds argc/argv/envp/auxv. Throws FormatError if a segment
 * overlaps something already mapped, QuotaExceededError when over quota.
 */
export function loadProgram(linux: LinuxMemory, program: Program, options: LoadOptions = {}): LoadedImage {
  const as = linux.addressSpace;
  // Rights per page: union over the segments covering it.
  const pageRights = new Map<number, number>();
  let highest = 0;
  for (const seg of program.segments) {
    if (seg.memSize === 0) continue;
    const first = seg.vaddr >>> PAGE_SHIFT;
    const last = (seg.vaddr + seg.memSize - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) pageRights.set(p, (pageRights.get(p) ?? 0) | seg.flags);
    highest = Math.max(highest, seg.vaddr + seg.memSize);
  }
  const pages = [...pageRights.keys()].sort((a, b) => a - b);
  for (let k = 0; k < pages.length; ) {
    let end = k + 1;
    while (end < pages.length && pages[end] === pages[end - 1]! + 1) end++;
    const start = pages[k]! * PAGE_SIZE;
    const size = (end - k) * PAGE_SIZE;
    for (let p = k; p < end; p++) {
      if (as.root.lookup(pages[p]! * PAGE_SIZE) !== undefined) {
        throw new FormatError(`${program.name}: segment page ${hex32(pages[p]! * PAGE_SIZE)} overlaps an existing mapping`);
      }
    }
    // Owned anonymous memory, as Linux's private file mappings become
    // after the first write: a guest munmap returns its quota.
    const ds = linux.mapAnonymous(start, size, { prot: Prot.Read, name: program.name });
    for (let p = k; p < end; p++) {
      as.guestProtection.protect(pages[p]! * PAGE_SIZE, PAGE_SIZE, pageRights.get(pages[p]!)!);
    }
    for (const seg of program.segments) {
      if (seg.data.length > 0 && seg.vaddr >= start && seg.vaddr < start + size) {
        ds.write(seg.vaddr - start, seg.data);
      }
    }
    k = end;
  }
  const brk = Math.ceil(highest / PAGE_SIZE) * PAGE_SIZE;
  linux.setBrkBase(brk);

  const stackSize = options.stackSize ?? DEFAULT_STACK_SIZE;
  const stack = linux.mapAnonymous(STACK_TOP - stackSize, stackSize, { prot: Prot.Read | Prot.Write, name: RegionName.Stack });

  const auxv: [number, number][] = [
    [AT.PAGESZ, PAGE_SIZE],
    [AT.ENTRY, program.entry],
    [AT.UID, 0], [AT.EUID, 0], [AT.GID, 0], [AT.EGID, 0],
  ];
  if (program.programHeaders !== undefined) {
    auxv.unshift(
      [AT.PHDR, program.programHeaders.address],
      [AT.PHENT, program.programHeaders.entrySize],
      [AT.PHNUM, program.programHeaders.count],
    );
  }
  // AT_RANDOM bytes are fixed so that every run of a program is identical.
  const random16 = new Uint8Array(16).map((_, i) => (i * 37 + 11) & 0xff);
  const argv = options.argv ?? [program.name];
  const image = buildInitialStack({ stackTop: STACK_TOP, argv, envp: options.envp ?? [], auxv, random16 });
  stack.write(image.base - (STACK_TOP - stackSize), image.bytes);
  return { entry: program.entry, sp: image.sp, brk };
}
