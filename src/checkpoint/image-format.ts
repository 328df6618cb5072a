/**
 * The checkpoint image format: constants and the decoded form of an image.
 * docs/checkpoint-format.md describes the bytes; this file is its code.
 *
 *   offset  size  field
 *   0       8     magic 89 46 4C 43 4B 50 0D 0A  ("\x89FLCKP\r\n")
 *   8       4     format version (1)
 *   12      4     flags (bit 0: incremental)
 *   16      8     chain id
 *   24      4     sequence number in the chain (0 = the full base image)
 *   28      4     image id
 *   32      4     parent image id (0 for a base image)
 *   36      4     number of sections, END included
 *   40      8     total image size in bytes
 *   48      12    reserved, zero
 *   60      4     CRC-32 of bytes 0..59
 *   64      ...   sections, each a 16-byte header and a payload padded to 4
 */

import { hex32 } from '../errors.js';
import type { ExtableEntry } from '../loader/program.js';

/**
 * First eight bytes of every image.
 *
 * @example
 * ```ts
 * const isImage = IMAGE_MAGIC.every((b, i) => bytes[i] === b);
 * ```
 */
export const IMAGE_MAGIC = new Uint8Array([0x89, 0x46, 0x4c, 0x43, 0x4b, 0x50, 0x0d, 0x0a]);
/**
 * The format version this code writes and reads.
 *
 * @example
 * ```ts
 * if (new DataView(bytes.buffer).getUint32(HeaderField.version, true) !== IMAGE_VERSION) console.log('other version');
 * ```
 */
export const IMAGE_VERSION = 3;

/**
 * The oldest version this faultline restores: version 1 has no THRD
 * section and restores as a one-thread machine.
 *
 * @example
 * ```ts
 * const readable = (v: number) => v >= OLDEST_IMAGE_VERSION && v <= IMAGE_VERSION;
 * ```
 */
export const OLDEST_IMAGE_VERSION = 1;
/** Bytes of the image header. */
export const HEADER_SIZE = 64;
/** Bytes of a section header: tag, payload length, payload CRC, header CRC. */
export const SECTION_HEADER_SIZE = 16;
/** Bytes of one page record in the page index: dataspace id, page number, CRC. */
export const PAGE_RECORD_SIZE = 12;
/** Header flag: the image is incremental (holds only pages written since its parent). */
export const FLAG_INCREMENTAL = 1;

/**
 * Header field offsets.
 *
 * @example
 * ```ts
 * const sequence = new DataView(bytes.buffer).getUint32(HeaderField.sequence, true);
 * ```
 */
export const HeaderField = {
  /** Offset of the magic number. */
  magic: 0,
  /** Offset of the format version. */
  version: 8,
  /** Offset of the flags word. */
  flags: 12,
  /** Offset of the chain id (two words, low first). */
  chainId: 16,
  /** Offset of the sequence number. */
  sequence: 24,
  /** Offset of the image id. */
  imageId: 28,
  /** Offset of the parent image id. */
  parentId: 32,
  /** Offset of the section count. */
  sectionCount: 36,
  /** Offset of the total size (two words, low first). */
  totalSize: 40,
  /** Offset of the header CRC. */
  crc: 60,
} as const;

/**
 * Section tags: four ASCII characters read as a little-endian u32. Sections
 * appear in this order; `Plugin` may repeat (zero or more), every other
 * section appears exactly once.
 *
 * @example
 * ```ts
 * tagName(SectionTag.Layout); // 'LAYT'
 * ```
 */
export const SectionTag = {
  /** Machine facts: quota, exit status, program name and entry. */
  Meta: tag('META'),
  /** The hart: registers, pc, instret, LR/SC reservation. */
  Cpu: tag('CPU '),
  /** The guest threads and the scheduler (since version 2). */
  Threads: tag('THRD'),
  /** Address-space layout. */
  Layout: tag('LAYT'),
  /** Guest fault handler registrations. */
  GuestHandlers: tag('GHND'),
  /** The exception table. */
  ExceptionTable: tag('XTBL'),
  /** The handle space: handles, open files, pipes, services, cwd, PRNG (since version 3). */
  Handles: tag('HNDL'),
  /** The in-memory file system tree and the mount table (since version 3; incremental in incremental images). */
  FileTree: tag('FSYS'),
  /** One plugin's state (repeats). */
  Plugin: tag('PLUG'),
  /** Page records: dataspace, page, CRC. */
  PageIndex: tag('PIDX'),
  /** Page contents, 4096 bytes each. */
  PageData: tag('PDAT'),
  /** End marker with the section count. */
  End: tag('END '),
} as const;

/**
 * First word of the RSEQ block that ends a THRD section from version 3 on
 * ('RSEQ' read as a little-endian u32).
 *
 * @example
 * ```ts
 * tagName(RSEQ_BLOCK_TAG); // 'RSEQ'
 * ```
 */
export const RSEQ_BLOCK_TAG = tag('RSEQ');

function tag(name: string): number {
  return (name.charCodeAt(0) | (name.charCodeAt(1) << 8) | (name.charCodeAt(2) << 16) | (name.charCodeAt(3) << 24)) >>> 0;
}

/**
 * The four characters of a section tag, or its hex value when they are not printable.
 *
 * @param value - a section tag as read from an image
 * @example
 * ```ts
 * tagName(0x54594c4c); // 'LLYT'
 * ```
 */
export function tagName(value: number): string {
  const chars = [0, 8, 16, 24].map((s) => (value >>> s) & 0xff);
  if (chars.every((c) => c >= 0x20 && c < 0x7f)) return String.fromCharCode(...chars);
  return hex32(value);
}

/**
 * State of one dataspace page, as the layout's run lists encode it.
 *
 * @example
 * ```ts
 * const run = (count << 2) | PageState.Data;
 * ```
 */
export const PageState = {
  /** Never written: reads as zero, holds no frame. */
  Zero: 0,
  /** Has contents: the latest image of the chain with a record for it holds them. */
  Data: 1,
  /** Given up for good by `munmap` (its quota returned). */
  Retired: 2,
} as const;

/** Bits of a run word: `count << RUN_SHIFT | state`. */
export const RUN_SHIFT = 2;

/** Flags of a dataspace record. */
export const DataspaceFlag = { Writable: 1, Shared: 2, Owned: 4 } as const;
/** Flags of a region record. */
export const RegionFlag = { Writable: 1, Executable: 2, Named: 4 } as const;

/**
 * The image header, decoded.
 *
 * @example
 * ```ts
 * const { incremental, sequence, chainId } = decodeImage(bytes, 'a.ckpt').header;
 * ```
 */
export interface ImageHeader {
  /** Format version (always {@link IMAGE_VERSION} once decoded). */
  readonly version: number;
  /** True for an incremental image. */
  readonly incremental: boolean;
  /** 16 hex digits naming the chain the image belongs to. */
  readonly chainId: string;
  /** Position in the chain; 0 for the base. */
  readonly sequence: number;
  /** Random id of this image. */
  readonly imageId: number;
  /** Id of the image this one increments (0 for a base). */
  readonly parentId: number;
  /** Number of sections, END included. */
  readonly sectionCount: number;
  /** Size of the whole image in bytes. */
  readonly totalSize: number;
}

/**
 * Machine-level facts of an image (META section).
 *
 * @example
 * ```ts
 * const quota = decodeImage(bytes, 'a.ckpt').meta.memoryQuota;
 * ```
 */
export interface MachineMeta {
  /** The machine's memory quota in bytes. */
  readonly memoryQuota: number;
  /** The guest's exit status if it had exited, else null. */
  readonly exitCode: number | null;
  /** Name of the loaded program. */
  readonly programName: string;
  /** Its entry point. */
  readonly programEntry: number;
}

/**
 * The hart (CPU section).
 *
 * @example
 * ```ts
 * const { pc, instret } = decodeImage(bytes, 'a.ckpt').cpu;
 * ```
 */
export interface CpuState {
  /** x0..x31. */
  readonly regs: Int32Array;
  /** Address of the next instruction. */
  readonly pc: number;
  /** Instructions retired (also what rdcycle/rdtime read). */
  readonly instret: number;
  /** LR/SC reservation. */
  readonly reservationValid: boolean;
  /** Address of the LR/SC reservation. */
  readonly reservationAddress: number;
  /** Value loaded by the LR that made the reservation. */
  readonly reservationValue: number;
}

/**
 * One guest thread as a THRD section records it.
 *
 * @example
 * ```ts
 * for (const t of image.threads?.threads ?? []) console.log(t.tid, t.hart.pc);
 * ```
 */
export interface ThreadRecord {
  /** Its thread id. */
  readonly tid: number;
  /** Paused by the host. */
  readonly paused: boolean;
  /** Waiting in futex WAIT. */
  readonly waiting: boolean;
  /**
   * Blocked otherwise (absent: not): `sleep` in `clock_nanosleep` until
   * `deadline`; `io` in a read or write that would block — the thread
   * stands at its `ecall` and runs the call again, `ioProgress` holding
   * the bytes a blocking write had written. Written in the wait word of
   * the THRD record (2 io, 3 sleep; the io progress in the futex address
   * word), so images without them read as before.
   */
  readonly blocked?: 'io' | 'sleep';
  /** For an `io` wait: bytes a blocking write had written so far. */
  readonly ioProgress?: number;
  /** The futex word it waits on (when waiting). */
  readonly futexAddress: number;
  /** Whether that futex is a shared one (no FUTEX_PRIVATE_FLAG). */
  readonly futexShared: boolean;
  /** The wait's bitset. */
  readonly futexBitset: number;
  /** Its place in the queue of that futex (0 first): the wake order. */
  readonly queuePosition: number;
  /** Virtual time (ns) at which the wait times out, or null for none. */
  readonly deadline: number | null;
  /** `clear_child_tid` (0: none). */
  readonly clearChildTid: number;
  /** Instructions it retired. */
  readonly retired: number;
  /** Faults it took. */
  readonly faults: number;
  /** Its registers, pc and reservation (`instret` is the machine's, in the CPU section). */
  readonly hart: CpuState;
  /** The virtual CPU it runs on (0 in an image without an RSEQ block). */
  readonly cpu?: number;
  /** Its `rseq` registration, or null (none in an image without an RSEQ block). */
  readonly rseq?: RseqRecord | null;
  /** Its pending restart events (`RseqEvent` bits). */
  readonly rseqEvent?: number;
  /** Its aborted critical sections. */
  readonly rseqAborts?: number;
}

/**
 * A thread's `rseq` registration as the THRD section's RSEQ block holds it.
 *
 * @example
 * ```ts
 * for (const t of image.threads?.threads ?? []) if (t.rseq) console.log(t.tid, t.rseq.address);
 * ```
 */
export interface RseqRecord {
  /** Address of its `struct rseq`. */
  readonly address: number;
  /** `rseq_len` it registered with. */
  readonly length: number;
  /** The signature it registered with. */
  readonly signature: number;
}

/**
 * The THRD section: the live threads in round-robin order and where the
 * scheduler stands.
 *
 * @example
 * ```ts
 * const threads = image.threads?.threads.length ?? 1;
 * ```
 */
export interface ThreadsState {
  /** Instructions per slice. */
  readonly timeSlice: number;
  /** The tid the next thread gets. */
  readonly nextTid: number;
  /** The thread on the hart. */
  readonly currentTid: number;
  /** Instructions left in its slice. */
  readonly sliceLeft: number;
  /** A `sched_yield` asked to switch at the next step. */
  readonly yieldRequested: boolean;
  /** Virtual nanoseconds skipped while every thread slept. */
  readonly idleNs: number;
  /** Switches so far. */
  readonly switches: number;
  /** The tid whose exit status becomes the process's when the last thread exits with `exit`. */
  readonly leaderTid: number;
  /** Its exit status, if it has exited. */
  readonly leaderExitStatus: number;
  /** The live threads, in round-robin order. */
  readonly threads: readonly ThreadRecord[];
  /** Virtual CPUs (1 in an image without an RSEQ block, from before version 3). */
  readonly cpus?: number;
  /** Critical sections aborted so far, every thread. */
  readonly rseqAborts?: number;
}

/**
 * One dataspace of the layout.
 *
 * @example
 * ```ts
 * for (const ds of image.layout.dataspaces) console.log(ds.id, ds.name, ds.size);
 * ```
 */
export interface DataspaceRecord {
  /** Id, stable across the images of a chain. */
  readonly id: number;
  /** Bytes (a multiple of 4096). */
  readonly size: number;
  /** Name (for messages and `maps()`). */
  readonly name: string;
  /** False once sealed. */
  readonly writable: boolean;
  /** Informational shared flag (`s` in `maps()`). */
  readonly shared: boolean;
  /** Owned anonymous memory of the Linux-flavoured calls (mmap, brk, the loader's segments and stack). */
  readonly owned: boolean;
  /** Page states as runs: `count << RUN_SHIFT | PageState`, covering every page in order. */
  readonly runs: Uint32Array;
}

/**
 * One region of a region map.
 *
 * @example
 * ```ts
 * for (const r of image.layout.maps.at(-1)!.regions) console.log(hex32(r.at), r.size, r.target);
 * ```
 */
export interface RegionRecord {
  /** Offset of the region's first byte in its region map. */
  readonly at: number;
  /** Offset inside the target where the region starts. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Id of the attached dataspace or region map. */
  readonly target: number;
  /** Write right at this level. */
  readonly writable: boolean;
  /** Execute right at this level. */
  readonly executable: boolean;
  /** Name given at attach time, if any. */
  readonly name: string | undefined;
}

/**
 * One region map of the layout.
 *
 * @example
 * ```ts
 * const root = image.layout.maps[image.layout.maps.length - 1];
 * ```
 */
export interface RegionMapRecord {
  /** Id, unique among the dataspaces and region maps of the image. */
  readonly id: number;
  /** Size in bytes. */
  readonly size: number;
  /** Name (for messages and `maps()`). */
  readonly name: string;
  /** Regions sorted by address. */
  readonly regions: readonly RegionRecord[];
}

/**
 * A run of pages with the same guest protection (only runs other than rwx are stored).
 *
 * @example
 * ```ts
 * for (const run of image.layout.protection) console.log(run.firstPage * 4096, run.pageCount, run.prot);
 * ```
 */
export interface ProtectionRun {
  /** First virtual page number. */
  readonly firstPage: number;
  /** Number of pages. */
  readonly pageCount: number;
  /** Prot bits. */
  readonly prot: number;
}

/**
 * Address-space layout (LAYT section).
 *
 * @example
 * ```ts
 * const { brkBase, currentBrk, mmapTop } = image.layout;
 * ```
 */
export interface LayoutState {
  /** Every dataspace reachable from the root, sorted by id. */
  readonly dataspaces: readonly DataspaceRecord[];
  /** Region maps, every map after the maps attached into it; the root is last. */
  readonly maps: readonly RegionMapRecord[];
  /** Guest `mprotect` overlay. */
  readonly protection: readonly ProtectionRun[];
  /** Start of the heap. */
  readonly brkBase: number;
  /** Current program break. */
  readonly currentBrk: number;
  /** True once the loader set the heap start. */
  readonly brkSet: boolean;
  /** Upper end of the mmap search range. */
  readonly mmapTop: number;
}

/**
 * Guest fault handlers (GHND section).
 *
 * @example
 * ```ts
 * const handlers = image.guestHandlers.functions.map(hex32);
 * ```
 */
export interface GuestHandlersState {
  /** Registered guest functions, chain order (head first). */
  readonly functions: readonly number[];
  /** The registry's per-call instruction bound. */
  readonly instructionLimit: number;
}

/**
 * The page index (PIDX section): parallel arrays, sorted by (dataspace, page).
 *
 * @example
 * ```ts
 * const pagesHere = image.pages.ids.length;
 * ```
 */
export interface PageIndex {
  /** Dataspace id of each record. */
  readonly ids: Uint32Array;
  /** Page number of each record. */
  readonly pages: Uint32Array;
  /** CRC-32 of each record's page. */
  readonly crcs: Uint32Array;
  /** Absolute offset in the image of the first page's data (record k at dataOffset + 4096 k). */
  readonly dataOffset: number;
}

/**
 * The sections that describe the machine, as written by `encodeImage` and
 * read back by `decodeImage`: META, CPU, LAYT, GHND, XTBL and PLUG.
 *
 * @example
 * ```ts
 * const { cpu, layout }: MachineSections = decodeImage(bytes, 'a.ckpt');
 * ```
 */
export interface MachineSections {
  /** The META section: machine facts. */
  readonly meta: MachineMeta;
  /** The CPU section: the hart. */
  readonly cpu: CpuState;
  /** The THRD section: every thread and the scheduler; null in a version-1 image (one thread, the hart). */
  readonly threads: ThreadsState | null;
  /** The LAYT section: the address-space layout. */
  readonly layout: LayoutState;
  /** The GHND section: guest fault handler registrations. */
  readonly guestHandlers: GuestHandlersState;
  /** The XTBL section: the exception table, or null when the machine had none. */
  readonly exceptionTable: readonly ExtableEntry[] | null;
  /** The HNDL and FSYS sections: the capability space; null in an image before version 3. */
  readonly capabilities: CapabilityState | null;
  /** The PLUG sections: state contributed by plugins, by name, in writing order. */
  readonly plugins: ReadonlyMap<string, Uint8Array>;
}

/**
 * The capability space in an image (docs/checkpoint-format.md, HNDL and
 * FSYS): both payloads have their own layout, magic and CRC, checked when
 * a restore applies them (src/handles/handle-space-image.ts,
 * src/fs/tree-image.ts).
 *
 * @example
 * ```ts
 * const caps = image.capabilities;
 * if (caps !== null) console.log(caps.handles.length, caps.tree.length);
 * ```
 */
export interface CapabilityState {
  /** The handle space, whole in every image (captureHandleSpace). */
  readonly handles: Uint8Array;
  /** The file tree: whole in a full image, the changes since the parent in an incremental one (captureTree). */
  readonly tree: Uint8Array;
}

/**
 * A decoded image: everything but the page contents, which stay in `bytes`.
 *
 * @example
 * ```ts
 * const image: DecodedImage = decodeImage(bytes, 'a.ckpt');
 * ```
 */
export interface DecodedImage extends MachineSections {
  /** Name used in messages (file name, or `image #k`). */
  readonly name: string;
  /** The image bytes. */
  readonly bytes: Uint8Array;
  /** The decoded header. */
  readonly header: ImageHeader;
  /** The PIDX section. */
  readonly pages: PageIndex;
  /** True when every page's CRC was checked at decode time. */
  readonly pagesVerified: boolean;
  /** Where each section starts (its header), by tag name, for `inspect`. */
  readonly sections: readonly SectionInfo[];
}

/**
 * Where a section sits in its image.
 *
 * @example
 * ```ts
 * for (const s of image.sections) console.log(s.tag, hex32(s.offset), s.length);
 * ```
 */
export interface SectionInfo {
  /** The four-character tag. */
  readonly tag: string;
  /** Absolute offset of the section header. */
  readonly offset: number;
  /** Payload bytes (without padding). */
  readonly length: number;
  /** The stored payload CRC. */
  readonly crc: number;
}
