/**
 * Checks that decoded images form one chain (a base and its increments, in
 * order) and works out, for every page with contents in the last image's
 * layout, which image holds its newest copy.
 */

import { FormatError, UsageError, hex32 } from '../errors.js';
import { describeValue, quote } from '../quote.js';
import { reservedBytes } from './layout-reader.js';
import { HeaderField, PageState, RUN_SHIFT, type DataspaceRecord, type DecodedImage } from './image-format.js';

/**
 * Where the newest copy of each page of one dataspace is.
 *
 * @example
 * ```ts
 * const src = plan.sources.get(id); const newest = src === undefined ? -1 : src.image[page];
 * ```
 */
export interface PageSources {
  /** Index into {@link RestorePlan.images} per page, or -1 (no contents). */
  readonly image: Int32Array;
  /** Record index in that image's page index, per page. */
  readonly record: Int32Array;
}

/**
 * A validated chain, ready to restore.
 *
 * @example
 * ```ts
 * const plan: RestorePlan = planRestore([decodeImage(base, 'base'), decodeImage(next, 'next')]);
 * ```
 */
export interface RestorePlan {
  /** The chain, base first. */
  readonly images: readonly DecodedImage[];
  /** The image whose state is restored (the last one). */
  readonly last: DecodedImage;
  /** Page sources of every dataspace of the last layout that has pages in state Data, by id. */
  readonly sources: ReadonlyMap<number, PageSources>;
  /** Bytes of backing the restored layout reserves (retired pages excluded). */
  readonly reservedBytes: number;
}

/**
 * Checks that `image` continues a chain right after `prev`: it belongs
 * to the chain of `base` (the chain's full image), has sequence number
 * `k` and `prev` as its parent. O(1): a restore that receives a chain
 * image by image checks each as it comes.
 *
 * @param base - the chain's full image (sequence 0)
 * @param prev - the image before `image` (sequence `k - 1`)
 * @param image - the image to check
 * @param k - the sequence number `image` must have (1 or more)
 * @throws FormatError naming `image` and the header offset of the field that does not fit.
 * @example
 * ```ts
 * checkChainLink(images[0], images[1], next, 2);
 * ```
 */
export function checkChainLink(base: DecodedImage, prev: DecodedImage, image: DecodedImage, k: number): void {
  const h = image.header;
  if (h.chainId !== base.header.chainId) {
    throw new FormatError(`${image.name}: offset ${hex32(HeaderField.chainId)}: belongs to chain ${h.chainId}, not to chain ${base.header.chainId} of ${base.name}`);
  }
  if (h.sequence !== k) {
    throw new FormatError(`${image.name}: offset ${hex32(HeaderField.sequence)}: sequence ${h.sequence} where ${k} was expected (images out of order or missing)`);
  }
  if (h.parentId !== prev.header.imageId) {
    throw new FormatError(`${image.name}: offset ${hex32(HeaderField.parentId)}: parent ${hex32(h.parentId)} is not the preceding image ${prev.name} (${hex32(prev.header.imageId)})`);
  }
}

/**
 * Validates that `images` are one chain in order: the first is a full
 * image, each next one is incremental, of the same chain, with the next
 * sequence number and its predecessor as parent. Then locates the newest
 * copy of every page the last layout says has contents.
 *
 * @param images - decoded images, the full base first
 * @throws FormatError naming the image and header offset of a chain that is empty, out of order, mixed or incomplete.
 * @throws UsageError when `images` is not an array of decoded images.
 * @example
 * ```ts
 * const plan = planRestore(files.map((f) => decodeImage(f.bytes, f.name)));
 * ```
 */
export function planRestore(images: readonly DecodedImage[]): RestorePlan {
  if (!Array.isArray(images)) throw new UsageError(`planRestore: images must be an array of decoded images, got ${describeValue(images)}`);
  images.forEach((img, k) => {
    if (img === null || typeof img !== 'object' || typeof img.header !== 'object' || typeof img.layout !== 'object' || !(img.bytes instanceof Uint8Array)) {
      throw new UsageError(`planRestore: images[${k}] is ${describeValue(img)}, not an image from decodeImage`);
    }
  });
  if (images.length === 0) throw new FormatError('restore: no images given');
  const base = images[0]!;
  if (base.header.incremental) {
    throw new FormatError(`${base.name}: offset ${hex32(HeaderField.sequence)}: incremental image (sequence ${base.header.sequence}) where the full base image of the chain was expected`);
  }
  for (let k = 1; k < images.length; k++) checkChainLink(base, images[k - 1]!, images[k]!, k);
  const last = images[images.length - 1]!;
  const wanted = new Map<number, DataspaceRecord>();
  for (const ds of last.layout.dataspaces) {
    if (ds.runs.some((run: number) => (run & 3) === PageState.Data)) wanted.set(ds.id, ds);
  }
  const sources = new Map<number, PageSources>();
  for (const [id, ds] of wanted) {
    const n = ds.size / 4096;
    sources.set(id, { image: new Int32Array(n).fill(-1), record: new Int32Array(n) });
  }
  images.forEach((img, i) => {
    const { ids, pages } = img.pages;
    let current = -1;
    let src: PageSources | undefined;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] !== current) {
        current = ids[k]!;
        src = sources.get(current);
      }
      if (src !== undefined && pages[k]! < src.image.length) {
        src.image[pages[k]!] = i;
        src.record[pages[k]!] = k;
      }
    }
  });
  for (const [id, ds] of wanted) {
    const src = sources.get(id)!;
    let page = 0;
    for (const run of ds.runs) {
      const end = page + (run >>> RUN_SHIFT);
      if ((run & 3) === PageState.Data) {
        for (let p = page; p < end; p++) {
          if (src.image[p]! < 0) {
            throw new FormatError(
              `${last.name}: offset ${hex32(HeaderField.sequence)}: page ${p} of dataspace ${id} ${quote(ds.name)} has contents but no image of the chain holds them (an image of the chain is missing)`,
            );
          }
        }
      }
      page = end;
    }
  }
  return { images, last, sources, reservedBytes: reservedBytes(last.layout) };
}
