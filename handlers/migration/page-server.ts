/**
 * Post-copy, source side: serves the pages the destination asks for
 * first, pushes every other page in the background, and ends when the
 * destination says it has them all (Done).
 *
 *   Pages frame:        u32 count, u32 record[count], count × 4096 bytes
 *   PageRequest frame:  u32 count, u32 record[count]
 *
 * A record is the page's index in the final image's page index.
 */

import { PAGE_SIZE } from '../../src/index.js';
import type { FramedLink } from './channel.js';
import { MigrationError } from './errors.js';
import { FrameType, frameTypeName, parseJson, type Frame } from './frame.js';

/** Pages per pushed frame (256 KiB). */
const PUSH_BATCH = 64;

/** Reads the u32 list of a PageRequest or Pages frame; the count must fit the payload. */
export function recordList(frame: Frame, peer: string, withData: boolean): Uint32Array {
  const p = frame.payload;
  const fail = (): never => { throw new MigrationError(`migration: peer ${peer}: stream offset ${frame.offset}: malformed ${frameTypeName(frame.type)} frame of ${p.length} bytes`); };
  if (p.length < 4) fail();
  const view = new DataView(p.buffer, p.byteOffset, p.length);
  const count = view.getUint32(0, true);
  if (p.length !== 4 + count * 4 + (withData ? count * PAGE_SIZE : 0)) fail();
  const out = new Uint32Array(count);
  for (let k = 0; k < count; k++) out[k] = view.getUint32(4 + 4 * k, true);
  return out;
}

/** The Pages payload for `records` of `image` (page data at `dataOffset`). */
export function pagesPayload(image: Uint8Array, dataOffset: number, records: readonly number[]): Uint8Array {
  const n = records.length;
  const out = new Uint8Array(4 + 4 * n + n * PAGE_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true);
  records.forEach((r, k) => {
    view.setUint32(4 + 4 * k, r, true);
    const at = dataOffset + r * PAGE_SIZE;
    out.set(image.subarray(at, at + PAGE_SIZE), 4 + 4 * n + k * PAGE_SIZE);
  });
  return out;
}

/**
 * Serves the pages of one post-copy migration.
 *
 * @internal Used by migrateOut.
 */
export class PageServer {
  private readonly sent: Uint8Array;
  private readonly requests: number[] = [];
  private next = 0;
  /** Pages sent (pushed or asked for). */
  pagesSent = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly link: FramedLink, private readonly image: Uint8Array, private readonly dataOffset: number, private readonly count: number) {
    this.sent = new Uint8Array(count);
  }

  /**
   * Serves until the destination's Done (with its count of pages asked
   * for on demand). After the last page is pushed it waits for Done at
   * most the link's timeout.
   *
   * @throws MigrationError when the connection fails or the peer aborts.
   */
  async serve(): Promise<{ pagesOnDemand: number }> {
    const state: { done: { pagesOnDemand: number } | null; failure: unknown } = { done: null, failure: null };
    const reader = (async () => {
      for (;;) {
        const frame = await this.link.receive('page requests or the Done frame', Infinity);
        if (frame.type === FrameType.PageRequest) {
          for (const r of recordList(frame, this.link.peer, false)) {
            if (r >= this.count) throw new MigrationError(`migration: peer ${this.link.peer}: asked for page record ${r}, the image has ${this.count}`);
            this.requests.push(r);
          }
        } else if (frame.type === FrameType.Done) {
          const n = parseJson(frame, this.link.peer)['pagesOnDemand'];
          state.done = { pagesOnDemand: typeof n === 'number' ? n : 0 };
          return;
        } else if (frame.type === FrameType.Abort) {
          const m = parseJson(frame, this.link.peer)['message'];
          throw new MigrationError(`migration: peer ${this.link.peer} aborted: ${typeof m === 'string' ? m : 'no reason given'}`);
        } else {
          throw new MigrationError(`migration: peer ${this.link.peer}: stream offset ${frame.offset}: unexpected ${frameTypeName(frame.type)} frame during post-copy`);
        }
        this.wake?.();
      }
    })().then(
      () => { this.wake?.(); },
      (err: unknown) => { state.failure = err; this.wake?.(); },
    );
    while (state.done === null && state.failure === null) {
      const batch: number[] = [];
      while (this.requests.length > 0 && batch.length < PUSH_BATCH) {
        const r = this.requests.shift()!;
        if (this.sent[r] === 0) { this.sent[r] = 1; batch.push(r); }
      }
      while (batch.length < PUSH_BATCH && this.next < this.count) {
        const r = this.next++;
        if (this.sent[r] === 0) { this.sent[r] = 1; batch.push(r); }
      }
      if (batch.length > 0) {
        this.pagesSent += batch.length;
        try {
          await this.link.send(FrameType.Pages, pagesPayload(this.image, this.dataOffset, batch));
        } catch (err) {
          // The destination may have said Done (its guest ended) and closed while pages were on their way: that is success.
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([reader, new Promise((resolve) => { timer = setTimeout(resolve, this.link.timeoutMs); })]);
          clearTimeout(timer);
          if (state.done !== null) return state.done;
          throw err;
        }
        continue;
      }
      // Everything is pushed: wait for Done (or a failure), at most the timeout.
      const timedOut = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(true), this.link.timeoutMs);
        this.wake = () => { clearTimeout(timer); resolve(false); };
      });
      this.wake = null;
      if (timedOut && state.done === null && state.failure === null) {
        throw new MigrationError(`migration: peer ${this.link.peer}: timed out after ${this.link.timeoutMs} ms waiting for the Done frame (every page was sent)`);
      }
    }
    if (state.failure !== null) throw state.failure;
    return state.done!;
  }
}
