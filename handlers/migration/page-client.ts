/**
 * Post-copy, destination side: the restored machine starts with the
 * skeleton image, whose page data is a hole; a fault handler at the head
 * of the chain holds a fault on a page not yet here until it arrives
 * (asking the source for it and a few neighbours), then lets the lazy
 * restore's demand paging copy it in. Pages the source pushes unasked
 * fill the hole in the background.
 */

import { FaultStatus, PAGE_SIZE, hex32, type DecodedImage, type Fault, type RestorePlan } from '../../src/index.js';
import type { FramedLink } from './channel.js';
import { MigrationError } from './errors.js';
import { FrameType, frameTypeName, parseJson, type Frame } from './frame.js';
import { recordList } from './page-server.js';
import { yieldToEventLoop } from './yield.js';

/** Records asked for per fault: the faulting page and the next ones not yet here. */
const REQUEST_BATCH = 16;

/** A wait for one record. */
interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Pulls the pages of a post-copy migration.
 *
 * @internal Used by migrateIn.
 */
export class PageClient {
  private readonly received: Uint8Array;
  private receivedCount = 0;
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly asked: Uint8Array;
  private failure: MigrationError | null = null;
  /** Pages the destination asked for on demand. */
  pagesOnDemand = 0;
  private readonly maps = new Map<number, DecodedImage['layout']['maps'][number]>();

  constructor(
    private readonly link: FramedLink,
    private readonly image: DecodedImage,
    private readonly plan: () => RestorePlan | null,
  ) {
    const count = image.pages.ids.length;
    this.received = new Uint8Array(count);
    this.asked = new Uint8Array(count);
    for (const m of image.layout.maps) this.maps.set(m.id, m);
  }

  /** True once every page is here. */
  get complete(): boolean {
    return this.receivedCount === this.received.length;
  }

  /** The failure that ended page transfer, if any. */
  get error(): MigrationError | null {
    return this.failure;
  }

  /** Reads frames until every page is here or the connection fails. */
  async read(): Promise<void> {
    try {
      while (!this.complete) {
        const frame = await this.link.receive('pages', Infinity);
        this.take(frame);
      }
    } catch (err) {
      this.fail(err instanceof MigrationError ? err : new MigrationError(`migration: peer ${this.link.peer}: ${String(err)}`));
    }
  }

  /** Ends every wait with `err` (and every later fetch). */
  fail(err: MigrationError): void {
    if (this.failure !== null || this.complete) return;
    this.failure = err;
    for (const [record, list] of this.waiters) for (const w of list) w.reject(this.pageError(record, err.message));
    this.waiters.clear();
  }

  /**
   * Waits until `record` is here, asking the source for it (and its next
   * neighbours) if nobody asked yet; at most the link's timeout.
   */
  fetch(record: number): Promise<void> {
    if (this.received[record] === 1) return Promise.resolve();
    if (this.failure !== null) return Promise.reject(this.pageError(record, this.failure.message));
    const ask: number[] = [];
    for (let r = record; r < this.received.length && ask.length < REQUEST_BATCH; r++) {
      if (this.received[r] === 0 && this.asked[r] === 0) { this.asked[r] = 1; ask.push(r); }
    }
    if (ask.length > 0) {
      this.pagesOnDemand += ask.length;
      const payload = new Uint8Array(4 + 4 * ask.length);
      const view = new DataView(payload.buffer);
      view.setUint32(0, ask.length, true);
      ask.forEach((r, k) => view.setUint32(4 + 4 * k, r, true));
      this.link.send(FrameType.PageRequest, payload).catch((err: unknown) => this.fail(err instanceof MigrationError ? err : new MigrationError(String(err))));
    }
    return new Promise<void>((resolve, reject) => {
      // A late timer (the thread was busy) lets I/O already there have its turn first.
      const timer = setTimeout(() => {
        void yieldToEventLoop().then(() => {
          if (this.received[record] === 1 || this.failure !== null) return;
          const err = new MigrationError(`migration: peer ${this.link.peer}: timed out after ${this.link.timeoutMs} ms`);
          this.fail(err);
        });
      }, this.link.timeoutMs);
      const w: Waiter = { resolve: () => { clearTimeout(timer); resolve(); }, reject: (e) => { clearTimeout(timer); reject(e); } };
      let list = this.waiters.get(record);
      if (list === undefined) this.waiters.set(record, (list = []));
      list.push(w);
    });
  }

  /**
   * The fault handler: a page fault on a page not yet here waits for it;
   * everything else is the next handler's.
   */
  readonly handler = (fault: Fault): FaultStatus | Promise<FaultStatus> => {
    if (!fault.isPageFault || this.complete) return FaultStatus.Continue;
    const record = this.recordAt(fault.address >>> 0);
    if (record < 0 || this.received[record] === 1) return FaultStatus.Continue;
    return this.fetch(record).then(
      () => FaultStatus.Continue,
      (err: unknown) => {
        throw new MigrationError(`migration: fault at ${hex32(fault.address >>> 0)} (pc ${hex32(fault.pc >>> 0)}): ${err instanceof Error ? err.message.replace(/^migration: /, '') : String(err)}`);
      },
    );
  };

  /** The page record holding the page at `vaddr`, or -1 (no contents there, or not restored from the image). */
  recordAt(vaddr: number): number {
    const plan = this.plan();
    if (plan === null) return -1;
    let map = this.image.layout.maps[this.image.layout.maps.length - 1];
    let offset = vaddr;
    while (map !== undefined) {
      const region = map.regions.find((r) => offset >= r.at && offset < r.at + r.size);
      if (region === undefined) return -1;
      const inner = offset - region.at + region.offset;
      const sub = this.maps.get(region.target);
      if (sub !== undefined) {
        map = sub;
        offset = inner;
        continue;
      }
      const src = plan.sources.get(region.target);
      if (src === undefined) return -1;
      const page = Math.floor(inner / PAGE_SIZE);
      return src.image[page] === 0 ? src.record[page]! : -1;
    }
    return -1;
  }

  private take(frame: Frame): void {
    if (frame.type === FrameType.Abort) {
      const m = parseJson(frame, this.link.peer)['message'];
      throw new MigrationError(`migration: peer ${this.link.peer} aborted: ${typeof m === 'string' ? m : 'no reason given'}`);
    }
    if (frame.type !== FrameType.Pages) throw new MigrationError(`migration: peer ${this.link.peer}: stream offset ${frame.offset}: unexpected ${frameTypeName(frame.type)} frame during post-copy`);
    const records = recordList(frame, this.link.peer, true);
    const base = 4 + 4 * records.length;
    const bytes = this.image.bytes, dataOffset = this.image.pages.dataOffset;
    records.forEach((r, k) => {
      if (r >= this.received.length) throw new MigrationError(`migration: peer ${this.link.peer}: stream offset ${frame.offset}: page record ${r} is outside the image's ${this.received.length}`);
      if (this.received[r] === 1) return;
      bytes.set(frame.payload.subarray(base + k * PAGE_SIZE, base + (k + 1) * PAGE_SIZE), dataOffset + r * PAGE_SIZE);
      this.received[r] = 1;
      this.receivedCount++;
      const list = this.waiters.get(r);
      if (list !== undefined) {
        this.waiters.delete(r);
        for (const w of list) w.resolve();
      }
    });
  }

  private pageError(record: number, cause: string): MigrationError {
    const id = this.image.pages.ids[record]!, page = this.image.pages.pages[record]!;
    const ds = this.image.layout.dataspaces.find((d) => d.id === id);
    return new MigrationError(`migration: page ${page} of dataspace ${id} "${ds?.name ?? '?'}" (image record ${record}, offset ${hex32(page * PAGE_SIZE)}) not received: ${cause.replace(/^migration: /, '')}`);
  }
}
