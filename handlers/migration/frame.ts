/**
 * Frames of the migration protocol (docs/migration.md): every message
 * between source and destination is one frame
 *
 *   offset 0  u32  length L of what follows (type, payload, CRC)
 *          4  u8   type ({@link FrameType})
 *          5  ...  payload (L - 5 bytes)
 *      L - 1  u32  CRC-32 of type and payload
 *
 * (little-endian). A transport carries bytes only; {@link FrameDecoder}
 * cuts them back into frames and checks each CRC, so a frame damaged on
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

/** Bytes around the payload: length, type, CRC. */
const OVERHEAD = 9;

/**
 * Encodes one frame as a list of chunks (header, payload, CRC): the
 * payload is not copied, which matters for a 256 MiB image.
 *
 * @param type - the frame type
 * @param payload - its payload
 * @returns the chunks to send, in order
 */
export function encodeFrame(type: FrameTypeValue, payload: Uint8Array = new Uint8Array(0)): Uint8Array[] {
  const length = payload.length + OVERHEAD - 4;
  if (length > MAX_FRAME_BYTES) throw new MigrationError(`migration: a ${frameTypeName(type)} frame of ${payload.length} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame limit`);
  const head = new Uint8Array(5);
  const view = new DataView(head.buffer);
  view.setUint32(0, length, true);
  head[4] = type;
  const crc = crc32(payload, crc32(head, 0, 4, 5));
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc, true);
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
  private head = new Uint8Array(4);
  private headFill = 0;
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
   * @throws MigrationError for a frame longer than {@link MAX_FRAME_BYTES}, shorter than its fixed part, or whose CRC is wrong.
   */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.body === null) {
        if (this.headFill === 0) this.frameStart = this.streamOffset + at;
        const take = Math.min(4 - this.headFill, chunk.length - at);
        this.head.set(chunk.subarray(at, at + take), this.headFill);
        this.headFill += take;
        at += take;
        if (this.headFill < 4) break;
        const length = new DataView(this.head.buffer).getUint32(0, true);
        if (length < OVERHEAD - 4 || length > MAX_FRAME_BYTES) {
          throw new MigrationError(`migration: peer ${this.peer}: stream offset ${this.frameStart}: frame length ${length} is outside ${OVERHEAD - 4}..${MAX_FRAME_BYTES} (corrupt stream)`);
        }
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
        this.headFill = 0;
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
    const type = body[0]!;
    const end = body.length - 4;
    const stored = new DataView(body.buffer, body.byteOffset + end, 4).getUint32(0, true);
    const actual = crc32(body, 0, 0, end);
    if (stored !== actual) {
      throw new MigrationError(
        `migration: peer ${this.peer}: stream offset ${this.frameStart}: ${frameTypeName(type)} frame of ${body.length + 4} bytes fails its CRC (stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${actual.toString(16).padStart(8, '0')})`,
      );
    }
    this.frames.push({ type, payload: body.subarray(1, end), offset: this.frameStart });
  }
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
