/**
 * One checkpoint image read over HTTP: everything but the page contents
 * up front, each page on request.
 *
 *   image file:  header | META CPU THRD LAYT GHND XTBL HNDL FSYS PLUG* PIDX | PDAT hdr | pages ... | END
 *   fetched at open:  [---------------- first read (64 KiB), more if needed -----------]      [END]
 *   fetched later:                                                          [run of pages]
 *
 * The bytes live in a buffer of the image's full size, zero where nothing
 * was fetched (allocated lazily by the platform: untouched pages of a large
 * ArrayBuffer cost address space, not memory), so the ordinary decoder,
 * page verification and restore read it as if it were a local file. The
 * decoder validates everything but the page contents at open; each page is
 * checked against its CRC in the page index as it arrives, and a page that
 * fails is fetched again (bounded), then refused naming the URL and page.
 */

import { FormatError, PAGE_SIZE, crc32, hex32, type DecodedImage } from '../../../src/index.js';
import { decodeImage } from '../../../src/plugin-kit.js';
import { fetchRange, type ResolvedPolicy } from './range-fetch.js';

/**
 * Bytes and requests a remote chain has fetched so far.
 *
 * @example
 * ```ts
 * console.log(chain.stats.requests, chain.stats.bytes, chain.stats.pageBytes);
 * ```
 */
export interface TransferStats {
  /** Range requests that succeeded. */
  requests: number;
  /** Bytes received in them. */
  bytes: number;
  /** Of these, bytes of page contents. */
  pageBytes: number;
}

/** Bytes of the first read of an image: the header and, usually, every section before the pages. */
const FIRST_READ = 64 * 1024;
/** Bytes of an image header (docs/checkpoint-format.md). */
const HEADER_BYTES = 64;
/** Bytes of a section header. */
const SECTION_HEADER_BYTES = 16;
/** The END section: header and one word. */
const END_BYTES = SECTION_HEADER_BYTES + 4;
/** Header offsets: total size (u64), header CRC. */
const TOTAL_SIZE_AT = 40, HEADER_CRC_AT = 60;
/** 'PDAT' as a little-endian word. */
const PDAT_TAG = 0x54414450;
/** Largest image a remote restore takes (its buffer must be allocatable): 2 GiB. */
const MAX_REMOTE_IMAGE = 2 ** 31;

/** See the file comment. */
export class RemoteImage {
  /** 1 where the record's page has arrived and passed its CRC. */
  private readonly arrived: Uint8Array;
  /** Requests under way, by record. */
  private readonly inflight = new Map<number, Promise<void>>();
  /** Readahead: the record after the last demand run, and that run's length. */
  nextExpected = -1;
  window = 1;

  private constructor(
    /** The image's URL (what messages name). */
    readonly url: string,
    /** The image's bytes: the sections, and the pages that have arrived. */
    readonly bytes: Uint8Array,
    /** The decoded image (pages unverified). */
    readonly decoded: DecodedImage,
    private readonly policy: ResolvedPolicy,
    private readonly stats: TransferStats,
  ) {
    this.arrived = new Uint8Array(decoded.pages.ids.length);
  }

  /**
   * Reads the header and every section but the pages of the image at
   * `url` (usually one request, two when the END section is not in it),
   * and validates them as a local restore would.
   *
   * @throws RemoteImageError naming the URL when it cannot be read; FormatError `URL: offset 0x…: reason` for a bad image.
   */
  static async open(url: string, policy: ResolvedPolicy, stats: TransferStats, firstRead = FIRST_READ): Promise<RemoteImage> {
    // Bytes damaged in transit fail the decoder as a damaged image would: read again before believing it.
    let refusal: unknown;
    for (let attempt = 0; attempt <= policy.retries; attempt++) {
      try {
        return await RemoteImage.openOnce(url, policy, stats, firstRead);
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        refusal = err;
      }
    }
    throw refusal;
  }

  private static async openOnce(url: string, policy: ResolvedPolicy, stats: TransferStats, firstRead: number): Promise<RemoteImage> {
    const first = await fetchRange({ url, start: 0, length: firstRead, what: 'header and sections', mayEndEarly: true }, policy);
    count(stats, first.bytes.length, 0);
    let prefix = first.bytes;
    const view = (): DataView => new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
    // A bad header: the decoder says what is wrong with it, naming the URL.
    if (prefix.length < HEADER_BYTES || crc32(prefix, 0, 0, HEADER_CRC_AT) !== view().getUint32(HEADER_CRC_AT, true)) decodeImage(prefix, url);
    const total = view().getUint32(TOTAL_SIZE_AT, true) + view().getUint32(TOTAL_SIZE_AT + 4, true) * 2 ** 32;
    if (first.total >= 0 && first.total !== total) {
      const how = first.total < total ? 'truncated: the server has' : 'the server has';
      throw new FormatError(`${url}: offset ${hex32(first.total < total ? first.total : total)}: ${how} ${first.total} bytes, the image header says ${total}`);
    }
    if (total > MAX_REMOTE_IMAGE) throw new FormatError(`${url}: offset ${hex32(TOTAL_SIZE_AT)}: the image claims ${total} bytes, more than a remote restore takes (${MAX_REMOTE_IMAGE})`);
    if (total < HEADER_BYTES + END_BYTES) decodeImage(prefix, url);
    // Walk the section headers up to PDAT, reading on when a section ends past what has arrived.
    let at = HEADER_BYTES;
    let pagesAt = -1, pagesLength = 0;
    for (;;) {
      if (at + SECTION_HEADER_BYTES > total) break;
      if (at + SECTION_HEADER_BYTES > prefix.length) prefix = await extend(url, prefix, at + SECTION_HEADER_BYTES, total, policy, stats, firstRead);
      const v = view();
      if (crc32(prefix, 0, at, at + 12) !== v.getUint32(at + 12, true)) break; // the decoder names it
      const tag = v.getUint32(at, true), length = v.getUint32(at + 4, true);
      if (tag === PDAT_TAG) {
        pagesAt = at;
        pagesLength = length;
        break;
      }
      const next = at + SECTION_HEADER_BYTES + length;
      if (next > total) break;
      if (next > prefix.length) prefix = await extend(url, prefix, next, total, policy, stats, firstRead);
      at = next;
    }
    const bytes = new Uint8Array(total);
    if (prefix.length > total) prefix = prefix.subarray(0, total);
    bytes.set(prefix);
    const endAt = pagesAt < 0 ? -1 : pagesAt + SECTION_HEADER_BYTES + pagesLength;
    if (endAt >= 0 && endAt + END_BYTES <= total && endAt + END_BYTES > prefix.length && total - endAt <= 4096) {
      const end = await fetchRange({ url, start: endAt, length: total - endAt, what: 'END section' }, policy);
      count(stats, end.bytes.length, 0);
      bytes.set(end.bytes, endAt);
    }
    const decoded = decodeImage(bytes, url, { verifyPages: false });
    checkPageIndex(decoded);
    const image = new RemoteImage(url, bytes, decoded, policy, stats);
    image.takePagesFrom(prefix);
    return image;
  }

  /** Marks the pages the first reads brought whole, and that pass their CRC, as arrived (a small image needs no page request). */
  private takePagesFrom(prefix: Uint8Array): void {
    const p = this.decoded.pages;
    for (let k = 0; k < this.arrived.length; k++) {
      const at = p.dataOffset + k * PAGE_SIZE;
      if (at + PAGE_SIZE > prefix.length) break;
      if (crc32(this.bytes, 0, at, at + PAGE_SIZE) === p.crcs[k]) this.arrived[k] = 1;
    }
  }

  /** Pages (records) in the image's index. */
  get recordCount(): number {
    return this.arrived.length;
  }

  /** True once record `k`'s page has arrived and passed its CRC. */
  has(k: number): boolean {
    return this.arrived[k] !== 0;
  }

  /** The request under way that brings record `k`, if any. */
  pending(k: number): Promise<void> | undefined {
    return this.inflight.get(k);
  }

  /**
   * Fetches the pages of records `first .. first + n - 1` in one request
   * and checks each against its CRC (a bad page fetches the run again).
   * The promise is shared by every record of the run until it settles.
   *
   * @throws RemoteImageError `URL: bytes A-B (page P of dataspace D): cause` when every attempt failed.
   */
  fetchRun(first: number, n: number): Promise<void> {
    const p = this.decoded.pages;
    const start = p.dataOffset + first * PAGE_SIZE;
    const what = n === 1
      ? `page ${p.pages[first]} of dataspace ${p.ids[first]}`
      : `${n} pages from page ${p.pages[first]} of dataspace ${p.ids[first]}`;
    const check = (bytes: Uint8Array): string | null => {
      for (let j = 0; j < n; j++) {
        const c = crc32(bytes, 0, j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
        const k = first + j;
        if (c !== p.crcs[k]) return `page ${p.pages[k]} of dataspace ${p.ids[k]} arrived corrupted (CRC ${hex32(c)}, the index says ${hex32(p.crcs[k]!)})`;
      }
      return null;
    };
    const request = fetchRange({ url: this.url, start, length: n * PAGE_SIZE, what, check }, this.policy).then(
      (answer) => {
        count(this.stats, answer.bytes.length, answer.bytes.length);
        this.bytes.set(answer.bytes, start);
        this.arrived.fill(1, first, first + n);
        for (let k = first; k < first + n; k++) this.inflight.delete(k);
      },
      (err: unknown) => {
        for (let k = first; k < first + n; k++) this.inflight.delete(k);
        throw err;
      },
    );
    for (let k = first; k < first + n; k++) this.inflight.set(k, request);
    return request;
  }
}

function count(stats: TransferStats, bytes: number, pageBytes: number): void {
  stats.requests++;
  stats.bytes += bytes;
  stats.pageBytes += pageBytes;
}

/** Reads on from the end of `prefix` to at least `need` (and a first-read's worth more, within the image). */
async function extend(url: string, prefix: Uint8Array, need: number, total: number, policy: ResolvedPolicy, stats: TransferStats, step: number): Promise<Uint8Array> {
  const upTo = Math.min(total, Math.max(need, prefix.length + step));
  const more = await fetchRange({ url, start: prefix.length, length: upTo - prefix.length, what: 'sections' }, policy);
  count(stats, more.bytes.length, 0);
  const joined = new Uint8Array(upTo);
  joined.set(prefix);
  joined.set(more.bytes, prefix.length);
  return joined;
}

/**
 * The PDAT section's CRC is the CRC of the page CRCs in index order
 * (docs/checkpoint-format.md): checking it now ties the index to the
 * pages before any of them arrives.
 *
 * @throws FormatError naming the image and the PDAT section's CRC offset.
 */
function checkPageIndex(image: DecodedImage): void {
  const section = image.sections.find((s) => s.tag === 'PDAT');
  if (section === undefined) return;
  const crcs = image.pages.crcs;
  const word = new Uint8Array(4);
  let combined = 0;
  for (let k = 0; k < crcs.length; k++) {
    const c = crcs[k]!;
    word[0] = c; word[1] = c >>> 8; word[2] = c >>> 16; word[3] = c >>> 24;
    combined = crc32(word, combined);
  }
  if (combined !== section.crc) {
    throw new FormatError(`${image.name}: offset ${hex32(section.offset + 8)}: section 'PDAT' checksum ${hex32(section.crc)} does not match its page index (${hex32(combined)})`);
  }
}
