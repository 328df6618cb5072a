/**
 * Frames of the migration protocol (docs/migration.md): every message
 * between source and destination is one frame
 *
 *   offset 0   u32  length P of the payload
 *          4   u8   type ({@link FrameType}), then 3 zero bytes
 *          8   u32  CRC-32 of bytes 0..7 (a damaged length is caught before it is believed)
 *         12   ...  payload (P bytes)
 *     12 + P   u32  CRC-32 of the payload
 *
 * (little-endian). A transport carries bytes only; {@link FrameDecoder}
 * cuts them back into frames and checks both CRCs, so a frame damaged on
 * the way is refused naming its type and offset in the stream.
 */

import { crc32 } from '../../src/index.js';
import { MigrationError } from './errors.js';

/** Message kinds (docs/migration.md lists who sends which, and when). */
export const FrameType = {
  /** Source → destination: JSON `{ protocol, mode, program }`, first frame. */
  Hello: 1,
  /** Source → destination: one pre-copy round's image (full first, then incremental). */
  Image: 2,
  /** Source → destination: the final delta (pre-copy) or the skeleton image (post-copy). */
  Final: 3,
  /** Destination → source: the chain is complete and validated; waiting for Commit. */
  Ready: 4,
  /** Source → destination: the source has stopped for good; resume. */
  Commit: 5,
  /** Destination → source: the guest runs on the destination. */
  Resumed: 6,
  /** Destination → source: page records wanted now (post-copy). */
  PageRequest: 7,
  /** Source → destination: page records and their contents (post-copy). */
  Pages: 8,
  /** Destination → source: every page is in; JSON `{ pagesOnDemand }`. */
  Done: 9,
  /** Either way: JSON `{ message }`; the migration is off. */
  Abort: 10,
  /** Destination → source: a pre-copy image arrived and checked out (payload: u32 round). */
  Ack: 11,
} as const;

/** One of {@link FrameType}'s values. */
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

/** The name of frame type `type`, for messages. */
export function frameTypeName(type: number): string {
  for (const [name, value] of Object.entries(FrameType)) if (value === type) return name;
  return `unknown type ${type}`;
}

/** Largest frame (length field): 2 GiB, above any image a 1.5 GiB quota allows. */
export const MAX_FRAME_BYTES = 2 ** 31;

/** Bytes of the frame header. */
const HEADER = 12;

/**
 * Encodes one frame as a list of chunks (header, payload, CRC): the
 * payload is not copied, which matters for a 256 MiB image.
 *
 * @param type - the frame type
 * @param payload - its payload
 * @returns the chunks to send, in order
 */
export function encodeFrame(type: FrameTypeValue, payload: Uint8Array = new Uint8Array(0)): Uint8Array[] {
  if (payload.length > MAX_FRAME_BYTES) throw new MigrationError(`migration: a ${frameTypeName(type)} frame of ${payload.length} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame limit`);
  const head = new Uint8Array(HEADER);
  const view = new DataView(head.buffer);
  view.setUint32(0, payload.length, true);
  head[4] = type;
  view.setUint32(8, crc32(head, 0, 0, 8), true);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc32(payload), true);
  return [head, payload, tail];
}

/** A decoded frame. */
export interface Frame {
  /** Its type. */
  readonly type: number;
  /** Its payload (a view into the decoder's buffer). */
  readonly payload: Uint8Array;
  /** Offset of the frame's first byte in the stream. */
  readonly offset: number;
}

/**
 * Cuts a byte stream into frames, checking each frame's length bound and
 * CRC. Feed it what the transport delivers with {@link push}; take whole
 * frames with {@link next}.
 */
export class FrameDecoder {
  private readonly frames: Frame[] = [];
  private readonly head = new Uint8Array(HEADER);
  private headFill = 0;
  private type = 0;
  /** Payload and trailing CRC of the frame being read, once its header checked out. */
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private streamOffset = 0;
  private frameStart = 0;

  /**
   * @param peer - the other side, named in errors
   */
  constructor(private readonly peer: string) {}

  /**
   * Adds bytes from the transport.
   *
   * @param chunk - the next bytes of the stream
   * @throws MigrationError for a header or payload whose CRC is wrong, or a length over {@link MAX_FRAME_BYTES}.
   */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.body === null) {
        if (this.headFill === 0) this.frameStart = this.streamOffset + at;
        const take = Math.min(HEADER - this.headFill, chunk.length - at);
        this.head.set(chunk.subarray(at, at + take), this.headFill);
        this.headFill += take;
        at += take;
        if (this.headFill < HEADER) break;
        this.headFill = 0;
        const view = new DataView(this.head.buffer);
        const stored = view.getUint32(8, true), actual = crc32(this.head, 0, 0, 8);
        if (stored !== actual) throw this.error(`frame header fails its CRC (stored ${hex(stored)}, computed ${hex(actual)})`);
        const length = view.getUint32(0, true);
        this.type = this.head[4]!;
        if (length > MAX_FRAME_BYTES) throw this.error(`${frameTypeName(this.type)} frame claims ${length} bytes, over the ${MAX_FRAME_BYTES}-byte limit`);
        this.body = new Uint8Array(length + 4);
        this.bodyFill = 0;
      }
      const body = this.body;
      const take = Math.min(body.length - this.bodyFill, chunk.length - at);
      body.set(chunk.subarray(at, at + take), this.bodyFill);
      this.bodyFill += take;
      at += take;
      if (this.bodyFill === body.length) {
        this.body = null;
        this.finish(body);
      }
    }
    this.streamOffset += chunk.length;
  }

  /** The next whole frame, or undefined when none is complete yet. */
  next(): Frame | undefined {
    return this.frames.shift();
  }

  /** True when a frame has begun but not ended (the stream was cut inside it if it ends now). */
  get partial(): boolean {
    return this.body !== null || this.headFill > 0;
  }

  private finish(body: Uint8Array): void {
    const end = body.length - 4;
    const stored = new DataView(body.buffer, body.byteOffset + end, 4).getUint32(0, true);
    const actual = crc32(body, 0, 0, end);
    if (stored !== actual) throw this.error(`${frameTypeName(this.type)} frame of ${end} payload bytes fails its CRC (stored ${hex(stored)}, computed ${hex(actual)})`);
    this.frames.push({ type: this.type, payload: body.subarray(0, end), offset: this.frameStart });
  }

  private error(what: string): MigrationError {
    return new MigrationError(`migration: peer ${this.peer}: stream offset ${this.frameStart}: ${what} (corrupted on the way)`);
  }
}

/** `v` as 0x and 8 hex digits. */
function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** JSON payload of `value`. */
export function jsonPayload(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/**
 * Parses a JSON payload into an object.
 *
 * @throws MigrationError naming the peer and frame type when it is not a JSON object.
 */
export function parseJson(frame: Frame, peer: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.payload));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new MigrationError(`migration: peer ${peer}: stream offset ${frame.offset}: ${frameTypeName(frame.type)} frame does not hold a JSON object`);
}
