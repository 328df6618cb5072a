/**
 * Zero-fill backing: a unit's first touch makes (or reuses) its chunk's
 * dataspace and attaches the chunk, zero-filled.
 */

import { ChunkedBacking } from './chunked.js';

/** See {@link ChunkedBacking}; contents are zero. */
export class ZeroFillBacking extends ChunkedBacking {
  prepare(unit: number): null {
    if (this.filled[unit] === 0) this.fill(unit, null);
    return null;
  }
}
