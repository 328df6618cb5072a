/**
 * `faultline inspect --json` (docs/access-tracking.md, "inspect"): a
 * decoded checkpoint image as one JSON object, every section included.
 */
import type { DecodedImage } from '../src/checkpoint/image-format.js';
import { JSON_FORMAT_VERSION, toJsonValue } from './json-output.js';

/**
 * `image` as JSON: `header` (with the chain: id, sequence, parent),
 * `sections`, `meta`, `cpu`, `threads`, `layout`, `guestHandlers`,
 * `exceptionTable`, `plugins` (state bytes as base64) and `pages` (the
 * page index as records `{ dataspace, page, crc, offset }`).
 */
export function imageJson(image: DecodedImage): Record<string, unknown> {
  const { bytes: _bytes, pages, plugins, name, ...rest } = image;
  void _bytes;
  const index = [];
  for (let k = 0; k < pages.ids.length; k++) {
    index.push({ dataspace: pages.ids[k]!, page: pages.pages[k]!, crc: pages.crcs[k]!, offset: pages.dataOffset + k * 4096 });
  }
  const h = image.header;
  return {
    type: 'image',
    format: 'faultline-inspect',
    version: JSON_FORMAT_VERSION,
    name,
    chain: { id: h.chainId, sequence: h.sequence, imageId: h.imageId, parentId: h.parentId, incremental: h.incremental },
    ...(toJsonValue(rest, Infinity) as Record<string, unknown>),
    plugins: Object.fromEntries([...plugins].map(([n, state]) => [n, { bytes: state.length, base64: Buffer.from(state.buffer, state.byteOffset, state.length).toString('base64') }])),
    pages: { count: pages.ids.length, dataOffset: pages.dataOffset, index },
  };
}
