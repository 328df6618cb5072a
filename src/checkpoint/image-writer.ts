/**
 * Encodes a checkpoint image (see image-format.ts and
 * docs/checkpoint-format.md for the bytes).
 */

import { RSEQ_BLOCK_TAG } from './image-format.js';
import { FaultlineError } from '../errors.js';
import type { ExtableEntry } from '../loader/program.js';
import { PAGE_SIZE } from '../memory/page.js';
import { ByteWriter } from './byte-codec.js';
import { crc32 } from './crc32.js';
import {
  DataspaceFlag,
  FLAG_INCREMENTAL,
  HEADER_SIZE,
  HeaderField,
  IMAGE_MAGIC,
  IMAGE_VERSION,
  OLDEST_IMAGE_VERSION,
  PAGE_RECORD_SIZE,
  RegionFlag,
  SECTION_HEADER_SIZE,
  SectionTag,
  type CpuState,
  type MachineSections,
  type GuestHandlersState,
  type LayoutState,
  type MachineMeta,
  type ThreadsState,
} from './image-format.js';

/**
 * The pages an image holds: page `k` is page `pages[k]` of dataspace
 * `ids[k]`, and its 4096 bytes are at `memory[frames[k]]`. Sorted by
 * (dataspace id, page).
 *
 * @example
 * ```ts
 * const pages: PageSource = { count: 0, ids: new Uint32Array(0), pages: new Uint32Array(0), frames: new Int32Array(0), memory: machine.memory.u8 };
 * ```
 */
export interface PageSource {
  /** Number of pages. */
  readonly count: number;
  /** Dataspace id of each page. */
  readonly ids: Uint32Array;
  /** Page number of each page. */
  readonly pages: Uint32Array;
  /** Byte offset of each page's contents in `memory`. */
  readonly frames: Int32Array;
  /** The bytes the frames index (the physical memory). */
  readonly memory: Uint8Array;
}

/**
 * Identity of an image in its chain.
 *
 * @example
 * ```ts
 * const identity: ImageIdentity = { incremental: false, chainId: '0123456789abcdef', sequence: 0, imageId: 1, parentId: 0 };
 * ```
 */
export interface ImageIdentity {
  /** True for an incremental image (sequence > 0). */
  readonly incremental: boolean;
  /** 16 hex digits. */
  readonly chainId: string;
  /** Position in the chain (0 for a full image). */
  readonly sequence: number;
  /** Random nonzero id of the image. */
  readonly imageId: number;
  /** Id of the previous image of the chain (0 for a full image). */
  readonly parentId: number;
}

/**
 * Everything {@link encodeImage} writes.
 *
 * @example
 * ```ts
 * const bytes = encodeImage(contents);
 * ```
 */
export interface ImageContents extends MachineSections {
  /** Where the image sits in its chain. */
  readonly identity: ImageIdentity;
  /** The pages to write. */
  readonly pages: PageSource;
}

/**
 * Encodes `contents` as one image: header, META, CPU, THRD (unless
 * `threads` is null), LAYT, GHND, XTBL,
 * one PLUG per plugin, PIDX, PDAT, END. The page data is copied once,
 * straight into the result, and checksummed there.
 *
 * @param contents - everything the image holds
 * @throws FaultlineError when the pages are not sorted by (dataspace, page) (a broken invariant of the caller).
 * @example
 * ```ts
 * const bytes = encodeImage({ identity, meta, cpu, layout, guestHandlers, exceptionTable: null, plugins: new Map(), pages });
 * ```
 */
export function encodeImage(contents: ImageContents): Uint8Array {
  const p = contents.pages;
  for (let k = 1; k < p.count; k++) {
    if (p.ids[k]! < p.ids[k - 1]! || (p.ids[k] === p.ids[k - 1] && p.pages[k]! <= p.pages[k - 1]!)) {
      throw new FaultlineError(`encodeImage: page records are not sorted at record ${k}`);
    }
  }
  const small: [number, Uint8Array][] = [
    [SectionTag.Meta, encodeMeta(contents.meta)],
    [SectionTag.Cpu, encodeCpu(contents.cpu)],
    ...(contents.threads === null ? [] : [[SectionTag.Threads, encodeThreads(contents.threads)] as [number, Uint8Array]]),
    [SectionTag.Layout, encodeLayout(contents.layout)],
    [SectionTag.GuestHandlers, encodeGuestHandlers(contents.guestHandlers)],
    [SectionTag.ExceptionTable, encodeExtable(contents.exceptionTable)],
  ];
  if (contents.capabilities !== null) {
    if (contents.threads === null) throw new FaultlineError('encodeImage: an image with a capability space needs its threads (version 3)');
    small.push([SectionTag.Handles, lengthPrefixed(contents.capabilities.handles)], [SectionTag.FileTree, lengthPrefixed(contents.capabilities.tree)]);
  } else if (contents.threads !== null) {
    throw new FaultlineError('encodeImage: a version-3 image needs the capability space (capabilities is null)');
  }
  for (const [name, state] of contents.plugins) {
    const w = new ByteWriter();
    w.string(name);
    w.u32(state.length);
    w.raw(state);
    small.push([SectionTag.Plugin, w.finish()]);
  }
  const indexBytes = 4 + p.count * PAGE_RECORD_SIZE;
  const dataBytes = p.count * PAGE_SIZE;
  const sectionCount = small.length + 3;
  let total = HEADER_SIZE;
  for (const [, payload] of small) total += SECTION_HEADER_SIZE + padded(payload.length);
  total += SECTION_HEADER_SIZE + indexBytes + SECTION_HEADER_SIZE + dataBytes + SECTION_HEADER_SIZE + 4;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = HEADER_SIZE;
  for (const [tag, payload] of small) {
    out.set(payload, at + SECTION_HEADER_SIZE);
    writeSectionHeader(out, view, at, tag, payload.length, crc32(payload));
    at += SECTION_HEADER_SIZE + padded(payload.length);
  }

  // Page data first (its CRCs go into the index), then the index before it.
  const indexAt = at;
  const dataAt = indexAt + SECTION_HEADER_SIZE + indexBytes;
  const records = indexAt + SECTION_HEADER_SIZE + 4;
  let pageCrcs = 0;
  const crcWord = new Uint8Array(4);
  for (let k = 0; k < p.count; k++) {
    const to = dataAt + SECTION_HEADER_SIZE + k * PAGE_SIZE;
    const from = p.frames[k]!;
    out.set(p.memory.subarray(from, from + PAGE_SIZE), to);
    const c = crc32(out, 0, to, to + PAGE_SIZE);
    const r = records + k * PAGE_RECORD_SIZE;
    view.setUint32(r, p.ids[k]!, true);
    view.setUint32(r + 4, p.pages[k]!, true);
    view.setUint32(r + 8, c, true);
    crcWord[0] = c; crcWord[1] = c >>> 8; crcWord[2] = c >>> 16; crcWord[3] = c >>> 24;
    pageCrcs = crc32(crcWord, pageCrcs);
  }
  view.setUint32(indexAt + SECTION_HEADER_SIZE, p.count, true);
  writeSectionHeader(out, view, indexAt, SectionTag.PageIndex, indexBytes, crc32(out, 0, indexAt + SECTION_HEADER_SIZE, dataAt));
  writeSectionHeader(out, view, dataAt, SectionTag.PageData, dataBytes, pageCrcs);
  at = dataAt + SECTION_HEADER_SIZE + dataBytes;
  view.setUint32(at + SECTION_HEADER_SIZE, sectionCount, true);
  writeSectionHeader(out, view, at, SectionTag.End, 4, crc32(out, 0, at + SECTION_HEADER_SIZE, at + SECTION_HEADER_SIZE + 4));

  const id = contents.identity;
  out.set(IMAGE_MAGIC, HeaderField.magic);
  // Without threads the image has version 1's layout (no THRD section).
  view.setUint32(HeaderField.version, contents.threads === null ? OLDEST_IMAGE_VERSION : IMAGE_VERSION, true);
  view.setUint32(HeaderField.flags, id.incremental ? FLAG_INCREMENTAL : 0, true);
  if (!/^[0-9a-f]{16}$/.test(id.chainId)) throw new FaultlineError(`encodeImage: chain id must be 16 hex digits, got '${id.chainId}'`);
  view.setUint32(HeaderField.chainId, parseInt(id.chainId.slice(8), 16), true);
  view.setUint32(HeaderField.chainId + 4, parseInt(id.chainId.slice(0, 8), 16), true);
  view.setUint32(HeaderField.sequence, id.sequence, true);
  view.setUint32(HeaderField.imageId, id.imageId, true);
  view.setUint32(HeaderField.parentId, id.parentId, true);
  view.setUint32(HeaderField.sectionCount, sectionCount, true);
  view.setUint32(HeaderField.totalSize, total % 2 ** 32, true);
  view.setUint32(HeaderField.totalSize + 4, Math.floor(total / 2 ** 32), true);
  view.setUint32(HeaderField.crc, crc32(out, 0, 0, HeaderField.crc), true);
  return out;
}

/** `bytes` after their length (a section payload's length is a multiple of 4, so the exact length goes inside). */
function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  w.u32(bytes.length);
  w.raw(bytes);
  return w.finish();
}

function padded(n: number): number {
  return (n + 3) & ~3;
}

/** Section header at `at`: tag, length, payload CRC, CRC of those 12 bytes. */
function writeSectionHeader(out: Uint8Array, view: DataView, at: number, tag: number, length: number, crc: number): void {
  view.setUint32(at, tag, true);
  view.setUint32(at + 4, length, true);
  view.setUint32(at + 8, crc, true);
  view.setUint32(at + 12, crc32(out, 0, at, at + 12), true);
}

function encodeMeta(meta: MachineMeta): Uint8Array {
  const w = new ByteWriter();
  w.u64(meta.memoryQuota);
  w.u32(meta.exitCode === null ? 0 : 1);
  w.u32(meta.exitCode ?? 0);
  w.u32(meta.programEntry);
  w.string(meta.programName);
  return w.finish();
}

function encodeCpu(cpu: CpuState): Uint8Array {
  const w = new ByteWriter();
  for (let k = 0; k < 32; k++) w.u32(k === 0 ? 0 : cpu.regs[k]!);
  w.u32(cpu.pc);
  w.u64(cpu.instret);
  w.u32(cpu.reservationValid ? 1 : 0);
  w.u32(cpu.reservationAddress);
  w.u32(cpu.reservationValue);
  return w.finish();
}

/** A deadline of "never" in the THRD section. */
const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

function encodeThreads(state: ThreadsState): Uint8Array {
  const w = new ByteWriter();
  w.u32(state.timeSlice);
  w.u32(state.nextTid);
  w.u32(state.currentTid);
  w.u32(state.sliceLeft);
  w.u32(state.yieldRequested ? 1 : 0);
  w.u64(state.idleNs);
  w.u64(state.switches);
  w.u32(state.leaderTid);
  w.u32(state.leaderExitStatus);
  w.u32(state.threads.length);
  for (const t of state.threads) {
    w.u32(t.tid);
    w.u32(t.paused ? 1 : 0);
    w.u32(t.waiting ? 1 : t.blocked === 'io' ? 2 : t.blocked === 'sleep' ? 3 : 0);
    w.u32(t.blocked === 'io' ? (t.ioProgress ?? 0) : t.futexAddress);
    w.u32(t.futexShared ? 1 : 0);
    w.u32(t.futexBitset);
    w.u32(t.queuePosition);
    w.u64(t.deadline === null ? NO_DEADLINE : t.deadline);
    w.u32(t.clearChildTid);
    w.u64(t.retired);
    w.u64(t.faults);
    for (let k = 0; k < 32; k++) w.u32(k === 0 ? 0 : t.hart.regs[k]!);
    w.u32(t.hart.pc);
    w.u32(t.hart.reservationValid ? 1 : 0);
    w.u32(t.hart.reservationAddress);
    w.u32(t.hart.reservationValue);
  }
  // Version 3: the RSEQ block (docs/checkpoint-format.md).
  w.u32(RSEQ_BLOCK_TAG);
  w.u32(state.cpus ?? 1);
  w.u64(state.rseqAborts ?? 0);
  for (const t of state.threads) {
    const reg = t.rseq ?? null;
    w.u32(t.cpu ?? 0);
    w.u32(reg === null ? 0 : 1);
    w.u32(reg === null ? 0 : reg.address);
    w.u32(reg === null ? 0 : reg.length);
    w.u32(reg === null ? 0 : reg.signature);
    w.u32(t.rseqEvent ?? 0);
    w.u64(t.rseqAborts ?? 0);
  }
  return w.finish();
}

function encodeLayout(layout: LayoutState): Uint8Array {
  const w = new ByteWriter();
  w.u32(layout.brkBase);
  w.u32(layout.currentBrk);
  w.u32(layout.brkSet ? 1 : 0);
  w.u64(layout.mmapTop);
  w.u32(layout.dataspaces.length);
  for (const ds of layout.dataspaces) {
    w.u32(ds.id);
    w.u64(ds.size);
    w.u32((ds.writable ? DataspaceFlag.Writable : 0) | (ds.shared ? DataspaceFlag.Shared : 0) | (ds.owned ? DataspaceFlag.Owned : 0));
    w.string(ds.name);
    w.u32(ds.runs.length);
    for (const run of ds.runs) w.u32(run);
  }
  w.u32(layout.maps.length);
  for (const map of layout.maps) {
    w.u32(map.id);
    w.u64(map.size);
    w.string(map.name);
    w.u32(map.regions.length);
    for (const r of map.regions) {
      w.u32(r.at);
      w.u32(r.offset);
      w.u64(r.size);
      w.u32(r.target);
      w.u32((r.writable ? RegionFlag.Writable : 0) | (r.executable ? RegionFlag.Executable : 0) | (r.name !== undefined ? RegionFlag.Named : 0));
      if (r.name !== undefined) w.string(r.name);
    }
  }
  w.u32(layout.protection.length);
  for (const run of layout.protection) {
    w.u32(run.firstPage);
    w.u32(run.pageCount);
    w.u32(run.prot);
  }
  return w.finish();
}

function encodeGuestHandlers(state: GuestHandlersState): Uint8Array {
  const w = new ByteWriter();
  w.u64(state.instructionLimit);
  w.u32(state.functions.length);
  for (const fn of state.functions) w.u32(fn);
  return w.finish();
}

function encodeExtable(entries: readonly ExtableEntry[] | null): Uint8Array {
  const w = new ByteWriter();
  w.u32(entries === null ? 0 : 1);
  w.u32(entries === null ? 0 : entries.length);
  for (const e of entries ?? []) {
    w.u32(e.insn);
    w.u32(e.fixup);
    w.u32(e.type);
    w.u32(e.data);
  }
  return w.finish();
}
