/**
 * Decodes and validates one checkpoint image. Untrusted input: every field
 * is bounds-checked and cross-checked before anything uses it, and every
 * problem is a FormatError naming the image and the byte offset.
 */

import { expectBytes, expectInteger, expectObject, expectString } from '../arguments.js';
import { FormatError, hex32 } from '../errors.js';
import { ExceptionTable } from '../fault/exception-table.js';
import type { ExtableEntry } from '../loader/program.js';
import { TRAMPOLINE_ADDRESS } from '../machine/guest-handlers.js';
import { MAX_QUOTA } from '../memory/physical-memory.js';
import { PAGE_SHIFT, PAGE_SIZE, Prot } from '../memory/page.js';
import { quote } from '../quote.js';
import { ByteReader } from './byte-codec.js';
import { MAX_CPUS } from '../machine/validate.js';
import { RSEQ_ORIG_SIZE } from '../syscalls/rseq-abi.js';
import { crc32 } from './crc32.js';
import { decodeLayout, layoutProt, reservedBytes } from './layout-reader.js';
import {
  FLAG_INCREMENTAL,
  HEADER_SIZE,
  HeaderField,
  IMAGE_MAGIC,
  IMAGE_VERSION,
  OLDEST_IMAGE_VERSION,
  PAGE_RECORD_SIZE,
  PageState,
  RSEQ_BLOCK_TAG,
  RUN_SHIFT,
  SECTION_HEADER_SIZE,
  SectionTag,
  tagName,
  type CpuState,
  type ThreadRecord,
  type ThreadsState,
  type DecodedImage,
  type GuestHandlersState,
  type ImageHeader,
  type LayoutState,
  type MachineMeta,
  type PageIndex,
  type SectionInfo,
} from './image-format.js';

/**
 * Options of {@link decodeImage}.
 *
 * @example
 * ```ts
 * const image = decodeImage(bytes, 'a.ckpt', { verifyPages: false });
 * ```
 */
export interface DecodeOptions {
  /**
   * Check every page's CRC now (default true). Lazy restore passes false
   * and checks each page with {@link verifyPage} when it is first touched.
   */
  readonly verifyPages?: boolean;
}

/** Largest address space: 2^32 bytes. */
const MAX_SPAN = 2 ** 32;
/**
 * Largest guest-handler instruction limit an image may carry (2^32 - 1):
 * the bound on one handler call must stay a bound a run reaches.
 */
export const MAX_HANDLER_INSTRUCTION_LIMIT = 2 ** 32 - 1;
/** Largest exit status. */
const MAX_EXIT_CODE = 255;
/** The order sections must come in; PLUG may repeat. */
const ORDER = [
  SectionTag.Meta,
  SectionTag.Cpu,
  SectionTag.Threads,
  SectionTag.Layout,
  SectionTag.GuestHandlers,
  SectionTag.ExceptionTable,
  SectionTag.Handles,
  SectionTag.FileTree,
  SectionTag.Plugin,
  SectionTag.PageIndex,
  SectionTag.PageData,
  SectionTag.End,
];

/**
 * Decodes `bytes` as a checkpoint image named `name` (used in messages).
 * Checks the magic number, the version, the header and section CRCs, the
 * section order, every count and reference of the layout, and (unless
 * `verifyPages: false`) every page's CRC. The result keeps views into
 * `bytes`; do not modify it afterwards.
 *
 * @param bytes - the image
 * @param name - what messages call it (a file name)
 * @param options - whether to check every page now
 * @throws FormatError `name: offset 0x…: reason` for a truncated, corrupted, malformed or wrong-version image,
 *   or one whose claims exceed its bytes, its quota or the layout bound (docs/hostile-inputs.md).
 * @throws UsageError when `bytes` is not a Uint8Array, `name` not a string or `options` not an object.
 * @example
 * ```ts
 * const image = decodeImage(await readFile('000000.ckpt'), '000000.ckpt');
 * console.log(image.header.sequence, image.pages.ids.length);
 * ```
 */
export function decodeImage(bytes: Uint8Array, name: string, options: DecodeOptions = {}): DecodedImage {
  expectBytes('decodeImage', 'bytes', bytes);
  expectString('decodeImage', 'name', name);
  expectObject('decodeImage', 'options', options, true);
  const header = decodeHeader(bytes, name);
  const sections: SectionInfo[] = [];
  let meta: MachineMeta | undefined;
  let cpu: CpuState | undefined;
  let threads: ThreadsState | null = null;
  let layout: LayoutState | undefined;
  let guestHandlers: GuestHandlersState | undefined;
  let extable: readonly ExtableEntry[] | null = null;
  let handles: Uint8Array | null = null;
  let tree: Uint8Array | null = null;
  const plugins = new Map<string, Uint8Array>();
  let pages: PageIndex | undefined;
  let stage = 0;
  let at = HEADER_SIZE;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let s = 0; ; s++) {
    const r = new ByteReader(bytes, name, at, bytes.length);
    if (r.remaining < SECTION_HEADER_SIZE) r.fail(`truncated: section header ${s} needs ${SECTION_HEADER_SIZE} bytes, ${r.remaining} left`);
    const tag = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    const storedCrc = view.getUint32(at + 8, true);
    const headerCrc = view.getUint32(at + 12, true);
    const computedHeaderCrc = crc32(bytes, 0, at, at + 12);
    if (headerCrc !== computedHeaderCrc) {
      r.fail(`section header ${s} is corrupted (header CRC ${hex32(headerCrc)}, computed ${hex32(computedHeaderCrc)})`);
    }
    // THRD is there from version 2 on; a version-1 image goes from CPU to LAYT.
    if (ORDER[stage] === SectionTag.Threads && header.version < 2) stage++;
    // HNDL and FSYS are there from version 3 on.
    if (ORDER[stage] === SectionTag.Handles && header.version < 3) stage += 2;
    const expected = ORDER[stage]!;
    if (tag !== expected && !(expected === SectionTag.Plugin && tag === SectionTag.PageIndex)) {
      const wanted = expected === SectionTag.Plugin ? "'PLUG' or 'PIDX'" : `'${tagName(expected)}'`;
      r.fail(`section ${s} is '${tagName(tag)}' where ${wanted} was expected (sections out of order)`);
    }
    if (tag !== SectionTag.Plugin) stage = ORDER.indexOf(tag) + 1;
    const start = at + SECTION_HEADER_SIZE;
    const end = start + length;
    if (length % 4 !== 0) r.fail(`section '${tagName(tag)}' length ${length} is not a multiple of 4`, at + 4);
    if (end > bytes.length) r.fail(`truncated: section '${tagName(tag)}' needs ${length} bytes of payload, ${bytes.length - start} left`, at + 4);
    sections.push({ tag: tagName(tag), offset: at, length, crc: storedCrc });
    if (tag !== SectionTag.PageData) {
      const c = crc32(bytes, 0, start, end);
      if (c !== storedCrc) r.fail(`section '${tagName(tag)}' is corrupted (CRC ${hex32(storedCrc)}, computed ${hex32(c)})`, at + 8);
    }
    const p = new ByteReader(bytes, name, start, end);
    switch (tag) {
      case SectionTag.Meta: meta = decodeMeta(p); break;
      case SectionTag.Cpu: cpu = decodeCpu(p); break;
      case SectionTag.Threads: threads = decodeThreads(p, cpu!, meta!); break;
      case SectionTag.Layout: layout = decodeLayout(p, meta!); break;
      case SectionTag.GuestHandlers: guestHandlers = decodeGuestHandlers(p, layout!, meta!); break;
      case SectionTag.ExceptionTable: extable = decodeExtable(p); break;
      case SectionTag.Handles: handles = decodeLengthPrefixed(p, 'handle space'); break;
      case SectionTag.FileTree: tree = decodeLengthPrefixed(p, 'file tree'); break;
      case SectionTag.Plugin: {
        const pluginName = p.string('plugin name');
        if (plugins.has(pluginName)) p.fail(`plugin state ${quote(pluginName)} appears twice`, start);
        const sizeAt = p.offset;
        const size = p.u32('plugin state length');
        if (size > p.remaining) p.fail(`state of plugin ${quote(pluginName)} claims ${size} bytes, ${p.remaining} are left in its section`, sizeAt);
        plugins.set(pluginName, p.raw(size, `state of plugin ${quote(pluginName)}`).slice());
        p.expectEnd(`the state of plugin ${quote(pluginName)}`);
        break;
      }
      case SectionTag.PageIndex: pages = decodePageIndex(p, layout!, !header.incremental); break;
      case SectionTag.PageData: {
        const count = pages!.ids.length;
        if (length !== count * PAGE_SIZE) p.fail(`page data holds ${length} bytes, the index lists ${count} pages of ${PAGE_SIZE}`, at + 4);
        pages = { ...pages!, dataOffset: start };
        if (options.verifyPages ?? true) verifyAllPages(bytes, name, pages, storedCrc, at + 8);
        break;
      }
      case SectionTag.End: {
        const count = p.u32('section count');
        p.expectEnd('END');
        if (count !== header.sectionCount || s + 1 !== count) {
          p.fail(`END counts ${count} sections, the header ${header.sectionCount}, the image has ${s + 1}`, start);
        }
        at = end;
        if (at !== header.totalSize) new ByteReader(bytes, name, at, at).fail(`image ends at ${at}, its header says ${header.totalSize} bytes`);
        return {
          name, bytes, header, meta: meta!, cpu: cpu!, threads, layout: layout!, guestHandlers: guestHandlers!,
          exceptionTable: extable, capabilities: handles === null || tree === null ? null : { handles, tree }, plugins, pages: pages!, pagesVerified: options.verifyPages ?? true, sections,
        };
      }
      default:
        r.fail(`unknown section '${tagName(tag)}'`);
    }
    at = end;
  }
}

/** A payload's exact bytes after their u32 length (copied: restore keeps them after the image is gone). */
function decodeLengthPrefixed(p: ByteReader, what: string): Uint8Array {
  const at = p.offset;
  const size = p.u32(`${what} length`);
  if (size > p.remaining) p.fail(`the ${what} claims ${size} bytes, ${p.remaining} are left in its section`, at);
  const bytes = p.raw(size, what).slice();
  if (p.remaining >= 4) p.fail(`${p.remaining} bytes follow the ${what}`, p.offset);
  return bytes;
}

/**
 * Checks the CRC of record `k` of `image`'s page index against its data.
 * Returns the page's bytes (a view into the image).
 *
 * @param image - a decoded image
 * @param k - index of the record in its page index
 * @throws FormatError naming the image, the page's offset, its dataspace and page number.
 * @example
 * ```ts
 * const bytes = verifyPage(image, k);
 * ```
 */
export function verifyPage(image: DecodedImage, k: number): Uint8Array {
  expectObject('verifyPage', 'image', image);
  expectInteger('verifyPage', 'k', k, 0, image.pages.ids.length - 1);
  const p = image.pages;
  const at = p.dataOffset + k * PAGE_SIZE;
  const c = crc32(image.bytes, 0, at, at + PAGE_SIZE);
  if (c !== p.crcs[k]) {
    throw new FormatError(
      `${image.name}: offset ${hex32(at)}: page ${p.pages[k]} of dataspace ${p.ids[k]} is corrupted (CRC ${hex32(p.crcs[k]!)}, computed ${hex32(c)})`,
    );
  }
  return image.bytes.subarray(at, at + PAGE_SIZE);
}

function verifyAllPages(bytes: Uint8Array, name: string, pages: PageIndex, sectionCrc: number, crcOffset: number): void {
  const word = new Uint8Array(4);
  let combined = 0;
  for (let k = 0; k < pages.ids.length; k++) {
    const at = pages.dataOffset + k * PAGE_SIZE;
    const c = crc32(bytes, 0, at, at + PAGE_SIZE);
    if (c !== pages.crcs[k]) {
      throw new FormatError(
        `${name}: offset ${hex32(at)}: page ${pages.pages[k]} of dataspace ${pages.ids[k]} is corrupted (CRC ${hex32(pages.crcs[k]!)}, computed ${hex32(c)})`,
      );
    }
    word[0] = c; word[1] = c >>> 8; word[2] = c >>> 16; word[3] = c >>> 24;
    combined = crc32(word, combined);
  }
  if (combined !== sectionCrc) {
    throw new FormatError(`${name}: offset ${hex32(crcOffset)}: section 'PDAT' checksum ${hex32(sectionCrc)} does not match its pages (${hex32(combined)})`);
  }
}

function decodeHeader(bytes: Uint8Array, name: string): ImageHeader {
  const r = new ByteReader(bytes, name, 0, bytes.length);
  if (bytes.length < IMAGE_MAGIC.length || IMAGE_MAGIC.some((b, i) => bytes[i] !== b)) {
    r.fail('not a faultline checkpoint image (bad magic number)');
  }
  if (bytes.length < HEADER_SIZE) r.fail(`truncated: ${bytes.length} bytes, the header alone needs ${HEADER_SIZE}`, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(HeaderField.version, true);
  if (version < OLDEST_IMAGE_VERSION || version > IMAGE_VERSION) {
    r.fail(`format version ${version}, this faultline reads versions ${OLDEST_IMAGE_VERSION} to ${IMAGE_VERSION}`, HeaderField.version);
  }
  const stored = view.getUint32(HeaderField.crc, true);
  const computed = crc32(bytes, 0, 0, HeaderField.crc);
  if (stored !== computed) r.fail(`header is corrupted (CRC ${hex32(stored)}, computed ${hex32(computed)})`, HeaderField.crc);
  const flags = view.getUint32(HeaderField.flags, true);
  if ((flags & ~FLAG_INCREMENTAL) !== 0) r.fail(`unknown header flags ${hex32(flags)}`, HeaderField.flags);
  const totalSize = view.getUint32(HeaderField.totalSize, true) + view.getUint32(HeaderField.totalSize + 4, true) * 2 ** 32;
  if (bytes.length < totalSize) r.fail(`truncated: the image has ${bytes.length} of its ${totalSize} bytes`, bytes.length);
  if (bytes.length > totalSize) r.fail(`${bytes.length - totalSize} unexpected bytes after the end of the image`, totalSize);
  const hex = (v: number) => v.toString(16).padStart(8, '0');
  const incremental = (flags & FLAG_INCREMENTAL) !== 0;
  const sequence = view.getUint32(HeaderField.sequence, true);
  const parentId = view.getUint32(HeaderField.parentId, true);
  if (incremental !== (sequence > 0)) r.fail(`sequence ${sequence} contradicts the ${incremental ? 'incremental' : 'full'} flag`, HeaderField.sequence);
  if (!incremental && parentId !== 0) r.fail(`a full image names parent ${hex32(parentId)}`, HeaderField.parentId);
  return {
    version,
    incremental,
    chainId: hex(view.getUint32(HeaderField.chainId + 4, true)) + hex(view.getUint32(HeaderField.chainId, true)),
    sequence,
    imageId: view.getUint32(HeaderField.imageId, true),
    parentId,
    sectionCount: view.getUint32(HeaderField.sectionCount, true),
    totalSize,
  };
}

function decodeMeta(r: ByteReader): MachineMeta {
  const quotaAt = r.offset;
  const memoryQuota = r.u64('memory quota', MAX_SPAN);
  if (memoryQuota === 0 || memoryQuota % PAGE_SIZE !== 0 || memoryQuota > MAX_QUOTA) {
    r.fail(`memory quota ${memoryQuota} is not a positive multiple of ${PAGE_SIZE} of at most ${MAX_QUOTA} bytes`, quotaAt);
  }
  const exited = r.flag('exited flag');
  const code = r.u32('exit code');
  if (code > (exited ? MAX_EXIT_CODE : 0)) r.fail(`exit code ${code} ${exited ? `exceeds ${MAX_EXIT_CODE}` : 'given for a guest that has not exited'}`, r.offset - 4);
  const programEntry = r.u32('program entry');
  const programName = r.string('program name');
  r.expectEnd('META');
  return { memoryQuota, exitCode: exited ? code : null, programName, programEntry };
}

function decodeCpu(r: ByteReader): CpuState {
  const regs = new Int32Array(32);
  for (let k = 0; k < 32; k++) regs[k] = r.i32(`register x${k}`);
  regs[0] = 0;
  const pc = r.i32('pc');
  const instret = r.u64('instret');
  const reservationValid = r.flag('reservation flag');
  const reservationAddress = r.i32('reservation address');
  const reservationValue = r.i32('reservation value');
  r.expectEnd('CPU');
  return { regs, pc, instret, reservationValid, reservationAddress, reservationValue };
}

/** Bytes of one thread record in a THRD section. */
const THREAD_RECORD_SIZE = 4 * 7 + 8 + 4 + 8 + 8 + 4 * 36;
/** A deadline of "never" in the THRD section. */
const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

/**
 * Decodes the THRD section and checks what restoring relies on: a time
 * slice of at least 1, distinct tids below the next tid, the current
 * thread among them (its registers are the CPU section's; no threads only
 * once the process exited), waits only with
 * aligned words and a queue order without gaps, the slice left within the
 * slice. The record count is bounded by the section's bytes.
 */
function decodeThreads(r: ByteReader, cpu: CpuState, meta: MachineMeta): ThreadsState {
  const sliceAt = r.offset;
  const timeSlice = r.u32('time slice');
  if (timeSlice < 1) r.fail('time slice 0 (must be at least 1)', sliceAt);
  const nextTid = r.u32('next tid');
  const currentAt = r.offset;
  const currentTid = r.u32('current tid');
  const sliceLeftAt = r.offset;
  const sliceLeft = r.u32('slice left');
  if (sliceLeft > timeSlice) r.fail(`slice left ${sliceLeft} is more than the time slice ${timeSlice}`, sliceLeftAt);
  const yieldRequested = r.flag('yield flag');
  const idleNs = r.u64('idle time');
  const switches = r.u64('switch count');
  const leaderTid = r.u32('leader tid');
  const leaderExitStatus = r.u32('leader exit status');
  if (leaderExitStatus > 255) r.fail(`leader exit status ${leaderExitStatus} is not 0..255`, r.offset - 4);
  const countAt = r.offset;
  const count = r.u32('thread count');
  if (count < 1 && meta.exitCode === null) r.fail('no threads, but the process has not exited', countAt);
  if (count * THREAD_RECORD_SIZE > r.remaining) r.fail(`${count} threads need ${count * THREAD_RECORD_SIZE} bytes, ${r.remaining} are left`, countAt);
  const threads: ThreadRecord[] = [];
  const tids = new Set<number>();
  const queues = new Map<string, number[]>();
  for (let k = 0; k < count; k++) {
    const at = r.offset;
    const tid = r.u32('tid');
    if (tid < 1 || tid >= nextTid) r.fail(`thread ${k} has tid ${tid}, outside 1..${nextTid - 1}`, at);
    if (tids.has(tid)) r.fail(`tid ${tid} appears twice`, at);
    tids.add(tid);
    const paused = r.flag('paused flag');
    const waitAt = r.offset;
    const waitKind = r.u32('wait kind');
    if (waitKind > 3) r.fail(`thread ${tid} has wait kind ${waitKind} (0 none, 1 futex, 2 io, 3 sleep)`, waitAt);
    const waiting = waitKind === 1;
    const blocked = waitKind === 2 ? 'io' as const : waitKind === 3 ? 'sleep' as const : undefined;
    const futexAddress = r.u32('futex address');
    if (waiting && (futexAddress & 3) !== 0) r.fail(`thread ${tid} waits on misaligned futex ${hex32(futexAddress)}`, at);
    const futexShared = r.flag('futex shared flag');
    const futexBitset = r.u32('futex bitset');
    if (waiting && futexBitset === 0) r.fail(`thread ${tid} waits with an empty bitset`, at);
    const queuePosition = r.u32('futex queue position');
    const deadlineRaw = r.u64('deadline', NO_DEADLINE);
    const clearChildTid = r.u32('clear_child_tid');
    const retired = r.u64('retired instructions');
    const faults = r.u64('fault count');
    const regs = new Int32Array(32);
    for (let j = 0; j < 32; j++) regs[j] = r.i32(`thread ${tid} register x${j}`);
    regs[0] = 0;
    const pc = r.i32('pc');
    const reservationValid = r.flag('reservation flag');
    const reservationAddress = r.i32('reservation address');
    const reservationValue = r.i32('reservation value');
    if (waiting) {
      const key = `${futexAddress}/${futexShared}`;
      const q = queues.get(key);
      if (q === undefined) queues.set(key, [queuePosition]);
      else q.push(queuePosition);
    }
    if (blocked === 'sleep' && deadlineRaw === NO_DEADLINE) r.fail(`thread ${tid} sleeps with no deadline`, at);
    threads.push({
      tid, paused, waiting, futexAddress: blocked === 'io' ? 0 : futexAddress, futexShared, futexBitset, queuePosition,
      ...(blocked === undefined ? {} : { blocked }),
      ...(blocked === 'io' ? { ioProgress: futexAddress } : {}),
      deadline: (!waiting && blocked !== 'sleep') || deadlineRaw === NO_DEADLINE ? null : deadlineRaw,
      clearChildTid, retired, faults,
      hart: { regs, pc, instret: cpu.instret, reservationValid, reservationAddress, reservationValue },
    });
  }
  for (const [key, positions] of queues) {
    const sorted = positions.slice().sort((a, b) => a - b);
    if (sorted.some((v, i) => v !== i)) r.fail(`the waiters on futex ${key.split('/')[0]} have queue positions ${positions.join(', ')}, not 0..${positions.length - 1}`, countAt);
  }
  if (count > 0 && !tids.has(currentTid)) r.fail(`the current thread ${currentTid} is not among the threads`, currentAt);
  // Version 3 ends the section with the RSEQ block; version 2 has none (one CPU, nothing registered).
  if (r.remaining === 0) return { timeSlice, nextTid, currentTid, sliceLeft, yieldRequested, idleNs, switches, leaderTid, leaderExitStatus, threads };
  const rseq = decodeRseqBlock(r, threads);
  r.expectEnd('THRD');
  return { timeSlice, nextTid, currentTid, sliceLeft, yieldRequested, idleNs, switches, leaderTid, leaderExitStatus, threads: rseq.threads, cpus: rseq.cpus, rseqAborts: rseq.aborts };
}

/** Bytes of one thread's entry in the RSEQ block. */
const RSEQ_ENTRY_SIZE = 4 * 6 + 8;

/**
 * Decodes the RSEQ block at the end of a version-3 THRD section: the
 * virtual CPU count (1..{@link MAX_CPUS}), the abort count, and per thread
 * (in the records' order) its CPU (below the count), registration
 * (32-aligned, length at least 32), pending events and aborts.
 */
function decodeRseqBlock(r: ByteReader, records: ThreadRecord[]): { cpus: number; aborts: number; threads: ThreadRecord[] } {
  const tagAt = r.offset;
  const tag = r.u32('RSEQ block tag');
  if (tag !== RSEQ_BLOCK_TAG) r.fail(`${hex32(tag)} where the RSEQ block or the end of THRD belongs`, tagAt);
  const cpusAt = r.offset;
  const cpus = r.u32('virtual CPU count');
  if (cpus < 1 || cpus > MAX_CPUS) r.fail(`virtual CPU count ${cpus} is not 1..${MAX_CPUS}`, cpusAt);
  const aborts = r.u64('rseq abort count');
  if (records.length * RSEQ_ENTRY_SIZE > r.remaining) r.fail(`${records.length} RSEQ entries need ${records.length * RSEQ_ENTRY_SIZE} bytes, ${r.remaining} are left`, r.offset);
  const threads = records.map((t) => {
    const at = r.offset;
    const cpu = r.u32(`thread ${t.tid} CPU`);
    if (cpu >= cpus) r.fail(`thread ${t.tid} is on CPU ${cpu}, but there are ${cpus}`, at);
    const registered = r.flag(`thread ${t.tid} rseq flag`);
    const address = r.u32(`thread ${t.tid} rseq address`);
    const length = r.u32(`thread ${t.tid} rseq length`);
    const signature = r.u32(`thread ${t.tid} rseq signature`);
    if (registered && (address % RSEQ_ORIG_SIZE !== 0 || length < RSEQ_ORIG_SIZE || address + length > 2 ** 32)) {
      r.fail(`thread ${t.tid} registered rseq at ${hex32(address)} with length ${length} (needs 32-alignment, at least 32 bytes, below 2^32)`, at);
    }
    const eventAt = r.offset;
    const rseqEvent = r.u32(`thread ${t.tid} rseq events`);
    if (rseqEvent > 31) r.fail(`thread ${t.tid} has rseq event bits ${hex32(rseqEvent)} (known: 0x1f)`, eventAt);
    const rseqAborts = r.u64(`thread ${t.tid} rseq aborts`);
    return { ...t, cpu, rseq: registered ? { address, length, signature } : null, rseqEvent, rseqAborts };
  });
  return { cpus, aborts, threads };
}

/**
 * Decodes the GHND section and checks that restoring can register every
 * handler again as the live machine did: a limit from 1 to
 * {@link MAX_HANDLER_INSTRUCTION_LIMIT}, each address nonzero, 4-aligned,
 * listed once and executable in `layout`, the trampoline page free and
 * one page of quota left for it.
 */
function decodeGuestHandlers(r: ByteReader, layout: LayoutState, meta: MachineMeta): GuestHandlersState {
  const limitAt = r.offset;
  const instructionLimit = r.u64('handler instruction limit');
  if (instructionLimit === 0 || instructionLimit > MAX_HANDLER_INSTRUCTION_LIMIT) {
    r.fail(`handler instruction limit ${instructionLimit} is not from 1 to ${MAX_HANDLER_INSTRUCTION_LIMIT}`, limitAt);
  }
  const n = r.count('guest handler', 4);
  const functions: number[] = [];
  const seen = new Set<number>();
  for (let k = 0; k < n; k++) {
    const fn = r.u32('guest handler address');
    const at = r.offset - 4;
    if (fn === 0 || fn % 4 !== 0) r.fail(`guest handler ${hex32(fn)} is not a nonzero 4-aligned address`, at);
    if (fn >>> PAGE_SHIFT === TRAMPOLINE_ADDRESS >>> PAGE_SHIFT) r.fail(`guest handler ${hex32(fn)} is on the trampoline page`, at);
    if (seen.has(fn)) r.fail(`guest handler ${hex32(fn)} is listed twice`, at);
    const prot = layoutProt(layout, fn);
    if (prot < 0 || (prot & Prot.Exec) === 0) r.fail(`guest handler ${hex32(fn)} is not in an executable mapping of the layout`, at);
    seen.add(fn);
    functions.push(fn);
  }
  if (n > 0) {
    if (layoutProt(layout, TRAMPOLINE_ADDRESS) >= 0) r.fail(`guest handlers are registered but the layout maps the trampoline page ${hex32(TRAMPOLINE_ADDRESS)}`, limitAt);
    if (reservedBytes(layout) + PAGE_SIZE > meta.memoryQuota) {
      r.fail(`guest handlers are registered but the memory quota ${meta.memoryQuota} leaves no page for their trampoline`, limitAt);
    }
  }
  r.expectEnd('GHND');
  return { instructionLimit, functions };
}

function decodeExtable(r: ByteReader): readonly ExtableEntry[] | null {
  const start = r.offset;
  const present = r.flag('exception table flag');
  const n = r.count('exception table entry', 16);
  if (!present && n !== 0) r.fail(`exception table is absent but lists ${n} entries`, start + 4);
  const entries: ExtableEntry[] = [];
  for (let k = 0; k < n; k++) {
    entries.push({ insn: r.u32('extable insn'), fixup: r.u32('extable fixup'), type: r.u32('extable type'), data: r.i32('extable data') });
  }
  r.expectEnd('XTBL');
  try {
    new ExceptionTable(entries);
  } catch (err) {
    r.fail(`bad exception table: ${err instanceof Error ? err.message : String(err)}`, start);
  }
  return present ? entries : null;
}

/**
 * Decodes the page index and checks that every record names a page in
 * state Data of a dataspace of `layout`, sorted by (dataspace, page) with
 * no duplicates; with `complete`, also that every such page has a record
 * (a full image is self-contained). Work is linear in the records and the
 * page runs — never in the pages a layout claims.
 */
function decodePageIndex(r: ByteReader, layout: LayoutState, complete: boolean): PageIndex {
  const start = r.offset;
  const n = r.count('page record', PAGE_RECORD_SIZE);
  const [ids, pages, crcs] = r.u32Triples(n, 'page records');
  r.expectEnd('PIDX');
  const recordAt = (k: number) => start + 4 + k * PAGE_RECORD_SIZE;
  let k = 0;
  for (const ds of [...layout.dataspaces].sort((a, b) => a.id - b.id)) {
    let page = 0;
    for (const run of ds.runs) {
      const count = run >>> RUN_SHIFT, state = run & 3;
      const end = page + count;
      if (state === PageState.Data) {
        const first = k;
        let next = page;
        while (k < n && ids[k] === ds.id && pages[k]! < end) {
          if (pages[k]! < next) r.fail(`page record ${k} names page ${pages[k]} of dataspace ${ds.id} again or out of order`, recordAt(k));
          if (complete && pages[k] !== next) break;
          next = pages[k]! + 1;
          k++;
        }
        if (complete && k - first !== count) r.fail(`full image lacks page ${next} of dataspace ${ds.id} ${quote(ds.name)}`, start);
      } else if (k < n && ids[k] === ds.id && pages[k]! < end) {
        r.fail(`page record ${k} names page ${pages[k]} of dataspace ${ds.id}, which holds no data there (or records are out of order)`, recordAt(k));
      }
      page = end;
    }
    if (k < n && ids[k] === ds.id) {
      r.fail(`page record ${k} names page ${pages[k]} of dataspace ${ds.id}, outside it (or out of order)`, recordAt(k));
    }
  }
  if (k < n) {
    const why = layout.dataspaces.some((d) => d.id === ids[k]) ? 'out of order' : 'an unknown dataspace';
    r.fail(`page record ${k} names dataspace ${ids[k]}: ${why}`, recordAt(k));
  }
  return { ids, pages, crcs, dataOffset: 0 };
}
