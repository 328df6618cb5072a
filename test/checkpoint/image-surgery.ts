/**
 * Test helpers that edit checkpoint images as an attacker would: walk the
 * sections, change bytes, and put every checksum right again, so that the
 * structural validation — not the CRCs — is what a test exercises.
 * Also crafts images from decoded ones with `encodeImage` (valid framing,
 * hostile contents).
 */
import {
  HEADER_SIZE,
  HeaderField,
  SECTION_HEADER_SIZE,
  SectionTag,
} from '../../src/checkpoint/image-format.js';
import { crc32, type DecodedImage } from '../../src/index.js';
import { decodeImage, encodeImage, type ImageContents } from '../../src/plugin-kit.js';

/** One section as laid out in an image. */
export interface SectionSpan {
  /** Offset of its 16-byte header. */
  readonly at: number;
  readonly tag: number;
  /** Payload length as stored. */
  readonly length: number;
}

const PAGE_DATA = SectionTag.PageData;

/**
 * The sections of `bytes`, following the stored lengths from offset 64
 * until END, the end of the bytes, or a length that leaves the bytes.
 * Trusts nothing but never reads out of bounds.
 */
export function sectionsOf(bytes: Uint8Array): SectionSpan[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SectionSpan[] = [];
  let at = HEADER_SIZE;
  while (at + SECTION_HEADER_SIZE <= bytes.length && out.length < 10_000) {
    const tag = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    out.push({ at, tag, length });
    const next = at + SECTION_HEADER_SIZE + Math.ceil(length / 4) * 4;
    if (tag === SectionTag.End || next > bytes.length) break;
    at = next;
  }
  return out;
}

/**
 * Recomputes every checksum of `bytes` in place: each section's payload
 * CRC (PDAT's from its pages, whose CRCs go into the page index first),
 * each section header's CRC and the image header's CRC. With `fixSize`,
 * also sets the header's total size to the byte length.
 */
export function refreshCrcs(bytes: Uint8Array, fixSize = false): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sections = sectionsOf(bytes);
  const index = sections.find((s) => s.tag === SectionTag.PageIndex);
  const data = sections.find((s) => s.tag === PAGE_DATA);
  if (index !== undefined && data !== undefined) {
    const start = index.at + SECTION_HEADER_SIZE;
    const count = start + 4 <= bytes.length ? view.getUint32(start, true) : 0;
    const word = new Uint8Array(4);
    let combined = 0;
    for (let k = 0; k < count && k < 1 << 16; k++) {
      const page = data.at + SECTION_HEADER_SIZE + k * 4096;
      const record = start + 4 + k * 12 + 8;
      if (page + 4096 > bytes.length || record + 4 > index.at + SECTION_HEADER_SIZE + index.length || record + 4 > bytes.length) break;
      const c = crc32(bytes, 0, page, page + 4096);
      view.setUint32(record, c, true);
      word[0] = c; word[1] = c >>> 8; word[2] = c >>> 16; word[3] = c >>> 24;
      combined = crc32(word, combined);
    }
    view.setUint32(data.at + 8, combined, true);
  }
  for (const s of sections) {
    const start = s.at + SECTION_HEADER_SIZE;
    if (s.tag !== PAGE_DATA) view.setUint32(s.at + 8, crc32(bytes, 0, start, Math.min(start + s.length, bytes.length)), true);
    view.setUint32(s.at + 12, crc32(bytes, 0, s.at, s.at + 12), true);
  }
  if (bytes.length >= HEADER_SIZE) {
    if (fixSize) {
      view.setUint32(HeaderField.totalSize, bytes.length, true);
      view.setUint32(HeaderField.totalSize + 4, 0, true);
    }
    view.setUint32(HeaderField.crc, crc32(bytes, 0, 0, HeaderField.crc), true);
  }
  return bytes;
}

/**
 * Rewrites the section table of an image whose sections were moved,
 * duplicated or dropped: the header's section count, END's count and the
 * total size follow the bytes, then every checksum.
 */
export function refreshFraming(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sections = sectionsOf(bytes);
  if (bytes.length >= HEADER_SIZE) view.setUint32(HeaderField.sectionCount, sections.length, true);
  const end = sections.find((s) => s.tag === SectionTag.End);
  if (end !== undefined && end.at + SECTION_HEADER_SIZE + 4 <= bytes.length) view.setUint32(end.at + SECTION_HEADER_SIZE, sections.length, true);
  return refreshCrcs(bytes, true);
}

/** The bytes of one section, header and padded payload (clipped to the image). */
export function sectionBytes(bytes: Uint8Array, s: SectionSpan): Uint8Array {
  return bytes.subarray(s.at, Math.min(bytes.length, s.at + SECTION_HEADER_SIZE + Math.ceil(s.length / 4) * 4));
}

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Re-encodes decoded image `image` with `changes` applied (valid framing
 * and CRCs, contents as given). Page contents are taken from the image.
 */
export function reencode(image: DecodedImage, changes: Partial<ImageContents> = {}): Uint8Array {
  const h = image.header;
  const p = image.pages;
  const frames = Int32Array.from(p.ids, (_, k) => p.dataOffset + k * 4096);
  return encodeImage({
    identity: { incremental: h.incremental, chainId: h.chainId, sequence: h.sequence, imageId: h.imageId, parentId: h.parentId },
    meta: image.meta,
    cpu: image.cpu,
    threads: image.threads,
    layout: image.layout,
    guestHandlers: image.guestHandlers,
    exceptionTable: image.exceptionTable,
    capabilities: image.capabilities,
    plugins: image.plugins,
    pages: { count: p.ids.length, ids: p.ids, pages: p.pages, frames, memory: image.bytes },
    ...changes,
  } as ImageContents);
}

/** Decodes `bytes` named `name` (a valid image) — shorthand for the tests. */
export function decoded(bytes: Uint8Array, name = 'seed.ckpt'): DecodedImage {
  return decodeImage(bytes, name);
}
