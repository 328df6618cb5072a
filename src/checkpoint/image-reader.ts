/**
 * Decodes and validates one checkpoint image. Untrusted input: every field
 * is bounds-checked and cross-checked before anything uses it, and every
 * problem is a FormatError naming the image and the byte offset.
 */

import { FormatError, hex32 } from '../errors.js';
import { ExceptionTable } from '../fault/exception-table.js';
import type { ExtableEntry } from '../loader/program.js';
import { PAGE_SIZE, Prot } from '../memory/page.js';
import { ByteReader } from './byte-codec.js';
import { crc32 } from './crc32.js';
import {
  DataspaceFlag,
  FLAG_INCREMENTAL,
  HEADER_SIZE,
  HeaderField,
  IMAGE_MAGIC,
  IMAGE_VERSION,
  PAGE_RECORD_SIZE,
  PageState,
  RUN_SHIFT,
  RegionFlag,
  SECTION_HEADER_SIZE,
  SectionTag,
  tagName,
  type CpuState,
  type DataspaceRecord,
  type DecodedImage,
  type GuestHandlersState,
  type ImageHeader,
  type LayoutState,
  type MachineMeta,
  type PageIndex,
  type ProtectionRun,
  type RegionMapRecord,
  type RegionRecord,
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

/** Largest address space / dataspace / region map: 2^32 bytes. */
const MAX_SPAN = 2 ** 32;
/** The order sections must come in; PLUG may repeat. */
const ORDER = [
  SectionTag.Meta,
  SectionTag.Cpu,
  SectionTag.Layout,
  SectionTag.GuestHandlers,
  SectionTag.ExceptionTable,
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
 * @throws FormatError `name: offset 0x…: reason` for a truncated, corrupted, malformed or wrong-version image.
 * @example
 * ```ts
 * const image = decodeImage(await readFile('000000.ckpt'), '000000.ckpt');
 * console.log(image.header.sequence, image.pages.ids.length);
 * ```
 */
export function decodeImage(bytes: Uint8Array, name: string, options: DecodeOptions = {}): DecodedImage {
  const header = decodeHeader(bytes, name);
  const sections: SectionInfo[] = [];
  let meta: MachineMeta | undefined;
  let cpu: CpuState | undefined;
  let layout: LayoutState | undefined;
  let guestHandlers: GuestHandlersState | undefined;
  let extable: readonly ExtableEntry[] | null = null;
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
      case SectionTag.Layout: layout = decodeLayout(p); break;
      case SectionTag.GuestHandlers: guestHandlers = decodeGuestHandlers(p); break;
      case SectionTag.ExceptionTable: extable = decodeExtable(p); break;
      case SectionTag.Plugin: {
        const pluginName = p.string('plugin name');
        if (plugins.has(pluginName)) p.fail(`plugin state '${pluginName}' appears twice`, start);
        const size = p.u32('plugin state length');
        plugins.set(pluginName, p.raw(size, `state of plugin '${pluginName}'`).slice());
        p.expectEnd(`the state of plugin '${pluginName}'`);
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
          name, bytes, header, meta: meta!, cpu: cpu!, layout: layout!, guestHandlers: guestHandlers!,
          exceptionTable: extable, plugins, pages: pages!, pagesVerified: options.verifyPages ?? true, sections,
        };
      }
      default:
        r.fail(`unknown section '${tagName(tag)}'`);
    }
    at = end;
  }
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
  if (version !== IMAGE_VERSION) r.fail(`format version ${version}, this faultline reads version ${IMAGE_VERSION}`, HeaderField.version);
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
  const memoryQuota = r.u64('memory quota', MAX_SPAN);
  const exited = r.u32('exited flag');
  const code = r.u32('exit code');
  const programEntry = r.u32('program entry');
  const programName = r.string('program name');
  r.expectEnd('META');
  return { memoryQuota, exitCode: exited !== 0 ? code & 0xff : null, programName, programEntry };
}

function decodeCpu(r: ByteReader): CpuState {
  const regs = new Int32Array(32);
  for (let k = 0; k < 32; k++) regs[k] = r.i32(`register x${k}`);
  regs[0] = 0;
  const pc = r.i32('pc');
  const instret = r.u64('instret');
  const reservationValid = r.u32('reservation flag') !== 0;
  const reservationAddress = r.i32('reservation address');
  const reservationValue = r.i32('reservation value');
  r.expectEnd('CPU');
  return { regs, pc, instret, reservationValid, reservationAddress, reservationValue };
}

function decodeLayout(r: ByteReader): LayoutState {
  const brkBase = r.u32('brk base');
  const currentBrk = r.u32('current brk');
  const brkSet = r.u32('brk flag') !== 0;
  const mmapTop = r.u64('mmap top', MAX_SPAN);
  const sizes = new Map<number, number>();
  const dsCount = r.count('dataspace', 20);
  const dataspaces: DataspaceRecord[] = [];
  for (let k = 0; k < dsCount; k++) {
    const at = r.offset;
    const id = r.u32('dataspace id');
    if (id === 0 || sizes.has(id)) r.fail(`dataspace id ${id} is zero or used twice`, at);
    const size = r.u64('dataspace size', MAX_SPAN);
    if (size === 0 || size % PAGE_SIZE !== 0) r.fail(`dataspace ${id} has size ${size}, not a positive multiple of ${PAGE_SIZE}`, at + 4);
    const flags = r.u32('dataspace flags');
    if ((flags & ~7) !== 0) r.fail(`dataspace ${id} has unknown flags ${hex32(flags)}`, r.offset - 4);
    const name = r.string('dataspace name');
    const runsAt = r.offset;
    const runCount = r.count('page run', 4);
    const runs = new Uint32Array(runCount);
    let pages = 0;
    for (let j = 0; j < runCount; j++) {
      const run = r.u32('page run');
      const state = run & ((1 << RUN_SHIFT) - 1);
      if (state > PageState.Retired || run >>> RUN_SHIFT === 0) r.fail(`dataspace ${id}: bad page run ${hex32(run)}`, r.offset - 4);
      pages += run >>> RUN_SHIFT;
      runs[j] = run;
    }
    if (pages !== size / PAGE_SIZE) r.fail(`dataspace ${id}: page runs cover ${pages} pages, its size ${size / PAGE_SIZE}`, runsAt);
    sizes.set(id, size);
    dataspaces.push({
      id, size, name, runs,
      writable: (flags & DataspaceFlag.Writable) !== 0,
      shared: (flags & DataspaceFlag.Shared) !== 0,
      owned: (flags & DataspaceFlag.Owned) !== 0,
    });
  }
  const mapCount = r.count('region map', 16);
  if (mapCount === 0) r.fail('the layout has no root region map');
  const maps: RegionMapRecord[] = [];
  for (let k = 0; k < mapCount; k++) {
    const at = r.offset;
    const id = r.u32('region map id');
    if (id === 0 || sizes.has(id)) r.fail(`region map id ${id} is zero or used twice`, at);
    const size = r.u64('region map size', MAX_SPAN);
    if (size === 0 || size % PAGE_SIZE !== 0) r.fail(`region map ${id} has size ${size}, not a positive multiple of ${PAGE_SIZE}`, at + 4);
    const name = r.string('region map name');
    const regionCount = r.count('region', 24);
    const regions: RegionRecord[] = [];
    let prevEnd = 0;
    for (let j = 0; j < regionCount; j++) {
      const rAt = r.offset;
      const regionAt = r.u32('region address');
      const offset = r.u32('region offset');
      const rSize = r.u64('region size', MAX_SPAN);
      const target = r.u32('region target');
      const flags = r.u32('region flags');
      if ((flags & ~7) !== 0) r.fail(`region map ${id}: region at ${hex32(regionAt)} has unknown flags ${hex32(flags)}`, r.offset - 4);
      const regionName = (flags & RegionFlag.Named) !== 0 ? r.string('region name') : undefined;
      const targetSize = sizes.get(target);
      if (targetSize === undefined) r.fail(`region map ${id}: region at ${hex32(regionAt)} refers to unknown (or later) object ${target}`, rAt + 16);
      if (regionAt % PAGE_SIZE !== 0 || offset % PAGE_SIZE !== 0 || rSize === 0 || rSize % PAGE_SIZE !== 0) {
        r.fail(`region map ${id}: region at ${hex32(regionAt)} is not page aligned`, rAt);
      }
      if (regionAt < prevEnd || regionAt + rSize > size) r.fail(`region map ${id}: region at ${hex32(regionAt)} overlaps another or passes the end`, rAt);
      if (offset + rSize > targetSize) r.fail(`region map ${id}: region at ${hex32(regionAt)} passes the end of object ${target}`, rAt + 4);
      prevEnd = regionAt + rSize;
      regions.push({ at: regionAt, offset, size: rSize, target, writable: (flags & RegionFlag.Writable) !== 0, executable: (flags & RegionFlag.Executable) !== 0, name: regionName });
    }
    sizes.set(id, size);
    maps.push({ id, size, name, regions });
  }
  if (maps[maps.length - 1]!.size !== MAX_SPAN) r.fail('the last region map (the root) does not span 2^32 bytes');
  const protCount = r.count('protection run', 12);
  const protection: ProtectionRun[] = [];
  let prevEnd = 0;
  for (let k = 0; k < protCount; k++) {
    const at = r.offset;
    const firstPage = r.u32('protection run start');
    const pageCount = r.u32('protection run length');
    const prot = r.u32('protection bits');
    if (firstPage < prevEnd || pageCount === 0 || firstPage + pageCount > MAX_SPAN / PAGE_SIZE || (prot & ~(Prot.Read | Prot.Write | Prot.Exec)) !== 0) {
      r.fail(`bad protection run (${firstPage}+${pageCount}, prot ${prot})`, at);
    }
    prevEnd = firstPage + pageCount;
    protection.push({ firstPage, pageCount, prot });
  }
  r.expectEnd('LAYT');
  return { dataspaces, maps, protection, brkBase, currentBrk, brkSet, mmapTop };
}

function decodeGuestHandlers(r: ByteReader): GuestHandlersState {
  const instructionLimit = r.u64('handler instruction limit');
  if (instructionLimit === 0) r.fail('handler instruction limit is 0', r.offset - 8);
  const n = r.count('guest handler', 4);
  const functions: number[] = [];
  for (let k = 0; k < n; k++) functions.push(r.u32('guest handler address'));
  r.expectEnd('GHND');
  return { instructionLimit, functions };
}

function decodeExtable(r: ByteReader): readonly ExtableEntry[] | null {
  const start = r.offset;
  const present = r.u32('exception table flag');
  const n = r.count('exception table entry', 16);
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
  return present !== 0 ? entries : null;
}

/**
 * Decodes the page index and checks every record names a page in state
 * Data of a dataspace of `layout`; with `complete`, also that every such
 * page has a record (a full image is self-contained).
 */
function decodePageIndex(r: ByteReader, layout: LayoutState, complete: boolean): PageIndex {
  const start = r.offset;
  const n = r.count('page record', PAGE_RECORD_SIZE);
  const [ids, pages, crcs] = r.u32Triples(n, 'page records');
  r.expectEnd('PIDX');
  const byId = new Map(layout.dataspaces.map((d) => [d.id, d]));
  let k = 0;
  for (const ds of [...layout.dataspaces].sort((a, b) => a.id - b.id)) {
    let page = 0;
    for (const run of ds.runs) {
      const count = run >>> RUN_SHIFT, state = run & 3;
      const end = page + count;
      if (state === PageState.Data) {
        for (let p = page; p < end; p++) {
          const here = k < n && ids[k] === ds.id && pages[k] === p;
          if (here) k++;
          else if (complete) r.fail(`full image lacks page ${p} of dataspace ${ds.id} ("${ds.name}")`, start);
        }
      }
      if (k < n && ids[k] === ds.id && pages[k]! < end) {
        r.fail(`page record ${k} names page ${pages[k]} of dataspace ${ds.id}, which holds no data there (or records are out of order)`, start + 4 + k * PAGE_RECORD_SIZE);
      }
      page = end;
    }
    if (k < n && ids[k] === ds.id) {
      r.fail(`page record ${k} names page ${pages[k]} of dataspace ${ds.id}, outside it (or out of order)`, start + 4 + k * PAGE_RECORD_SIZE);
    }
  }
  if (k < n) {
    const why = byId.has(ids[k]!) ? 'out of order' : 'an unknown dataspace';
    r.fail(`page record ${k} names dataspace ${ids[k]}: ${why}`, start + 4 + k * PAGE_RECORD_SIZE);
  }
  return { ids, pages, crcs, dataOffset: 0 };
}
