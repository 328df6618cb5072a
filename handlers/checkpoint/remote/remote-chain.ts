/**
 * A chain of checkpoint images on an HTTP server: which URLs make it up,
 * opening them, and bringing pages over — on demand with readahead, in a
 * recorded order (prefetch), or all that a restore still needs.
 *
 * Which URLs: several image URLs are the chain, base first; one image URL
 * is that image and the images before it in its directory (names of eight
 * or more digits as `faultline run --checkpoint-dir` writes them: image N
 * with sequence s comes after images N−s … N−1); a directory URL (ending in
 * `/`) is the newest chain of the directory, from its JSON listing (nginx's
 * `autoindex_format json`, or `faultline serve`).
 */

import { FormatError, UsageError, type DecodedImage, type RestorePlan } from '../../../src/index.js';
import { planRestore } from '../../../src/plugin-kit.js';
import type { ImageInput } from '../index.js';
import { RemoteImageError, resolvePolicy, type FetchPolicy, type ResolvedPolicy } from './range-fetch.js';
import { RemoteImage, type TransferStats } from './remote-image.js';

/**
 * How a remote chain fetches: the request policy and how pages are batched.
 *
 * @example
 * ```ts
 * const chain = await openRemoteChain(['http://127.0.0.1:8080/images/'], { timeoutMs: 2000, maxBatchPages: 16 });
 * ```
 */
export interface RemoteChainOptions extends FetchPolicy {
  /** Most pages one demand request brings (readahead doubles up to it on sequential faults). Default 32. */
  readonly maxBatchPages?: number;
  /** Most pages one prefetch or completion request brings. Default 256 (1 MiB). */
  readonly bulkBatchPages?: number;
  /** Bulk requests under way at once. Default 4. */
  readonly concurrency?: number;
  /** Bytes of the first read of each image (its header and sections, and any pages that fit). Default 65 536. */
  readonly firstReadBytes?: number;
}

/**
 * One image of a remote chain, as the chain shows it.
 *
 * @example
 * ```ts
 * for (const image of chain.images) console.log(image.url, image.decoded.header.sequence);
 * ```
 */
export interface RemoteImageInfo {
  /** The image's URL. */
  readonly url: string;
  /** The image's bytes: its sections, and the pages that have arrived (zero elsewhere). */
  readonly bytes: Uint8Array;
  /** The decoded image (pages unverified until they arrive). */
  readonly decoded: DecodedImage;
}

/** Image file names of a checkpoint directory. */
const IMAGE_NAME = /^(\d{8,15})\.ckpt$/;
/** Header offset of the sequence number. */
const SEQUENCE_AT = 24;

/**
 * An open remote chain. Pages are addressed by dataspace id and page
 * number of the last image's layout; the chain knows which image holds
 * each page's newest copy.
 *
 * @example
 * ```ts
 * const chain = await openRemoteChain(['http://127.0.0.1:8080/run/']);
 * restoreCheckpoint(machine, chain.inputs(), { lazy: true });
 * ```
 */
export class RemoteChain {
  /** Bytes and requests so far. */
  readonly stats: TransferStats;
  /** Page requests made because a fault needed a page that was neither there nor on its way. */
  demandRequests = 0;
  /** Faults that waited for a request another fault or the prefetch had started. */
  sharedWaits = 0;
  private readonly maxBatch: number;
  private readonly bulkBatch: number;
  private readonly concurrency: number;

  /** @internal Use {@link openRemoteChain}. */
  constructor(
    private readonly remote: readonly RemoteImage[],
    /** The validated chain. */
    readonly plan: RestorePlan,
    stats: TransferStats,
    options: RemoteChainOptions,
  ) {
    this.stats = stats;
    this.maxBatch = options.maxBatchPages ?? 32;
    this.bulkBatch = options.bulkBatchPages ?? 256;
    this.concurrency = options.concurrency ?? 4;
  }

  /** The images, base first. */
  get images(): readonly RemoteImageInfo[] {
    return this.remote;
  }

  /** The images as `restoreCheckpoint` takes them (name: the URL). */
  inputs(): ImageInput[] {
    return this.remote.map((i) => ({ name: i.url, bytes: i.bytes }));
  }

  /**
   * The image and record holding the newest copy of page `page` of dataspace `id`, or null when it has no contents.
   *
   * @internal
   */
  locate(id: number, page: number): { image: RemoteImage; record: number } | null {
    const src = this.plan.sources.get(id);
    if (src === undefined || page >= src.image.length) return null;
    const i = src.image[page]!;
    return i < 0 ? null : { image: this.remote[i]!, record: src.record[page]! };
  }

  /**
   * True when page `page` of dataspace `id` is here (or has no contents to fetch).
   *
   * @param id - dataspace id (of the last image's layout)
   * @param page - page number in the dataspace
   */
  present(id: number, page: number): boolean {
    const at = this.locate(id, page);
    return at === null || at.image.has(at.record);
  }

  /**
   * Makes page `page` of dataspace `id` present: null when it is already
   * (or has no contents), else a promise of its arrival. A page on its way
   * is waited for; otherwise one request brings it with the following
   * records of its image that the restore still needs — one page at
   * first, twice as many each time the faults run on sequentially, up to
   * `maxBatchPages`.
   *
   * @param id - dataspace id (of the last image's layout)
   * @param page - page number in the dataspace
   * @throws (the promise) RemoteImageError naming the URL, the page and the cause.
   */
  demand(id: number, page: number): Promise<void> | null {
    const at = this.locate(id, page);
    if (at === null) return null;
    const { image, record } = at;
    if (image.has(record)) return null;
    const pending = image.pending(record);
    if (pending !== undefined) {
      this.sharedWaits++;
      return pending;
    }
    image.window = record === image.nextExpected ? Math.min(image.window * 2, this.maxBatch) : 1;
    const n = this.runFrom(image, record, image.window);
    image.nextExpected = record + n;
    this.demandRequests++;
    return image.fetchRun(record, n);
  }

  /**
   * Brings the pages named in `order` (dataspace id, page pairs) in that
   * order, coalescing records adjacent in their image into one request,
   * `concurrency` requests at a time. Pages already here or on their way
   * are skipped. Failures are left for a demand fault to meet again.
   *
   * @param order - dataspace id and page number pairs, first wanted first
   */
  async prefetch(order: Iterable<readonly [number, number]>): Promise<void> {
    const pairs = [...order];
    // Records the order names, by image: a request brings a run of them, nothing the order does not name.
    const wanted = new Map<RemoteImage, Uint8Array>();
    for (const [id, page] of pairs) {
      const at = this.locate(id, page);
      if (at === null) continue;
      let marks = wanted.get(at.image);
      if (marks === undefined) wanted.set(at.image, marks = new Uint8Array(at.image.recordCount));
      marks[at.record] = 1;
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pairs.length) {
        const [id, page] = pairs[next++]!;
        const at = this.locate(id, page);
        if (at === null || at.image.has(at.record) || at.image.pending(at.record) !== undefined) continue;
        const n = this.runFrom(at.image, at.record, this.bulkBatch, wanted.get(at.image));
        await at.image.fetchRun(at.record, n).catch(() => {});
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
  }

  /**
   * Brings every page the restore still needs (the newest copies not here
   * yet) in bulk requests; `only` limits it to some dataspaces.
   *
   * @param only - true for the dataspace ids to bring (default: all)
   * @throws RemoteImageError for the first page that cannot be had.
   */
  async fetchAll(only?: (id: number) => boolean): Promise<void> {
    const work: [RemoteImage, number][] = [];
    for (const [id, src] of this.plan.sources) {
      if (only !== undefined && !only(id)) continue;
      for (let page = 0; page < src.image.length; page++) {
        const i = src.image[page]!;
        if (i >= 0) work.push([this.remote[i]!, src.record[page]!]);
      }
    }
    work.sort((a, b) => this.remote.indexOf(a[0]) - this.remote.indexOf(b[0]) || a[1] - b[1]);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const [image, record] = work[next++]!;
        if (image.has(record)) continue;
        const pending = image.pending(record);
        if (pending !== undefined) { await pending; continue; }
        await image.fetchRun(record, this.runFrom(image, record, this.bulkBatch));
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
  }

  /**
   * Records `record`, `record + 1`, … of `image` that can go in one request
   * (at most `limit`): each not here, not on its way, and the newest copy
   * of its page (a copy a later image replaces is never needed), and
   * marked in `only` when given.
   */
  private runFrom(image: RemoteImage, record: number, limit: number, only?: Uint8Array): number {
    const p = image.decoded.pages;
    const index = this.remote.indexOf(image);
    let n = 1;
    while (n < limit) {
      const k = record + n;
      if (k >= image.recordCount || image.has(k) || image.pending(k) !== undefined || (only !== undefined && only[k] === 0)) break;
      const src = this.plan.sources.get(p.ids[k]!);
      if (src === undefined || src.image[p.pages[k]!] !== index) break;
      n++;
    }
    return n;
  }
}

/**
 * Opens the chain that `urls` name (see the file comment), reading each
 * image's sections but no page, and validates it as a restore would.
 *
 * @param urls - image URLs (the chain, base first, or one image), or one directory URL ending in `/`
 * @param options - request policy and batching
 * @throws UsageError for no URLs or a URL that is not http(s); RemoteImageError naming the URL when it cannot be read;
 *   FormatError naming the URL and offset for a bad image or chain.
 * @example
 * ```ts
 * const chain = await openRemoteChain(['http://127.0.0.1:8080/run/00000003.ckpt']);
 * console.log(chain.images.length, chain.stats.bytes);
 * ```
 */
export async function openRemoteChain(urls: readonly string[], options: RemoteChainOptions = {}): Promise<RemoteChain> {
  const fn = 'openRemoteChain';
  if (!Array.isArray(urls) || urls.length === 0) throw new UsageError(`${fn}: give at least one URL`);
  for (const u of urls) if (!isRemoteUrl(u)) throw new UsageError(`${fn}: ${JSON.stringify(u)} is not an http:// or https:// URL`);
  for (const [name, value] of [['maxBatchPages', options.maxBatchPages], ['bulkBatchPages', options.bulkBatchPages], ['concurrency', options.concurrency], ['firstReadBytes', options.firstReadBytes]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new UsageError(`${fn}: ${name} must be a positive integer, got ${String(value)}`);
  }
  const policy = resolvePolicy(fn, options);
  const stats: TransferStats = { requests: 0, bytes: 0, pageBytes: 0 };
  let list = [...urls];
  if (list.length === 1 && list[0]!.endsWith('/')) list = [await newestImageOf(list[0]!, policy)];
  const images = await Promise.all(list.map((u) => RemoteImage.open(u, policy, stats, options.firstReadBytes)));
  if (list.length === 1) {
    const only = images[0]!;
    const sequence = only.decoded.header.sequence;
    if (sequence > 0) {
      const before = siblingUrls(only.url, sequence);
      const earlier = await Promise.all(before.map((u) => RemoteImage.open(u, policy, stats, options.firstReadBytes)));
      images.unshift(...earlier);
    }
  }
  const plan = planRestore(images.map((i) => i.decoded));
  return new RemoteChain(images, plan, stats, options);
}

/**
 * True for a string that starts with `http://` or `https://` (any case).
 *
 * @param value - anything
 * @example
 * ```ts
 * isRemoteUrl('https://example.org/ck/');   // true
 * ```
 */
export function isRemoteUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\//i.test(value);
}

/**
 * The URLs of the `sequence` images before the image at `url` in its
 * directory: `NNNNNNNN.ckpt` numbered one less each.
 *
 * @throws FormatError when the name is not an image number, or too small for the sequence.
 */
function siblingUrls(url: string, sequence: number): string[] {
  const u = new URL(url);
  const slash = u.pathname.lastIndexOf('/');
  const name = decodeURIComponent(u.pathname.slice(slash + 1));
  const m = IMAGE_NAME.exec(name);
  const number = m === null ? -1 : Number(m[1]);
  if (number < sequence) {
    throw new FormatError(
      `${url}: offset 0x${SEQUENCE_AT.toString(16).padStart(8, '0')}: incremental image (sequence ${sequence}) whose name does not lead to the images before it (give the chain's URLs, base first, or its directory URL)`,
    );
  }
  const out: string[] = [];
  for (let n = number - sequence; n < number; n++) {
    const v = new URL(u.href);
    v.pathname = u.pathname.slice(0, slash + 1) + `${String(n).padStart(8, '0')}.ckpt`;
    out.push(v.href);
  }
  return out;
}

/**
 * The URL of the newest image in the directory at `url`, from its JSON
 * listing: an array of names, or of objects with a `name` (nginx
 * `autoindex_format json`).
 *
 * @throws RemoteImageError when the listing cannot be had, is not JSON, or lists no image.
 */
async function newestImageOf(url: string, policy: ResolvedPolicy): Promise<string> {
  const text = await fetchListing(url, policy);
  let names: string[];
  try {
    const list = JSON.parse(text) as unknown;
    if (!Array.isArray(list)) throw new Error('not an array');
    names = list.map((e: unknown) => (typeof e === 'string' ? e : typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : ''));
  } catch {
    throw new RemoteImageError(`${url}: the directory listing is not JSON (serve it with faultline serve, or nginx 'autoindex on; autoindex_format json;'), or give the image URLs`, url);
  }
  const numbers = names.map((n) => IMAGE_NAME.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => m[1]!);
  if (numbers.length === 0) throw new RemoteImageError(`${url}: the directory lists no checkpoint image (NNNNNNNN.ckpt)`, url);
  const newest = numbers.reduce((a, b) => (Number(b) > Number(a) ? b : a));
  return new URL(`${newest}.ckpt`, url).href;
}

/** GET `url` as text, with the policy's timeout and retries. */
async function fetchListing(url: string, policy: ResolvedPolicy): Promise<string> {
  let cause = '';
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, policy.retryDelayMs * 2 ** (attempt - 1)));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), policy.timeoutMs);
    try {
      const response = await policy.fetch(url, { signal: controller.signal, headers: { Accept: 'application/json' } });
      if (response.status === 404) throw new RemoteImageError(`${url}: directory listing: HTTP 404 Not Found`, url);
      if (!response.ok) { cause = `HTTP ${response.status}`; continue; }
      return await response.text();
    } catch (err) {
      if (err instanceof RemoteImageError) throw err;
      cause = controller.signal.aborted ? `no answer within ${policy.timeoutMs} ms` : err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
  }
  throw new RemoteImageError(`${url}: directory listing: ${cause} (${policy.retries + 1} attempts)`, url);
}
