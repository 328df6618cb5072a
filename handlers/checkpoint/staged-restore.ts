/**
 * Staged restore: a chain restored image by image as it arrives (live
 * migration's pre-copy rounds), so that the last image costs only its own
 * pages.
 *
 *   add(#0)   pages of #0 ──copy──▶ staging dataspaces (unattached, in the machine)
 *   add(#1)   pages of #1 ──copy──▶ the same (newest copy wins)
 *   …
 *   finish(#n) check #n, copy its pages, drop pages #n's layout says have
 *              none, then rebuild the machine (layout, hart, threads,
 *              handles, files, plugin state) around the staging
 *              dataspaces: nothing is copied twice, no page is walked twice
 *
 * Until `finish` the machine holds unattached dataspaces only: it is still
 * fresh for a restore, and runs nothing. When the quota cannot hold the
 * staging, it is given up and `finish` restores the whole chain the usual
 * way (restore.ts).
 */

import { Machine, PAGE_SIZE, PageState, QuotaExceededError, FormatError, hex32, type Dataspace, type DataspaceRecord, type DecodedImage, type RestorePlan } from '../../src/index.js';
import { beginRestore, checkChainLink, decodeImage, pageFrame, recordPageStates, recordReservedBytes, restoreMachine, type RestoreHooks } from '../../src/plugin-kit.js';
import type { ImageInput, RestoreOptions, RestoredCheckpoint } from './index.js';
import { claimants, restoreCapabilities, restoreCheckpoint } from './restore.js';

/**
 * A chain restored into `machine` as its images arrive (base first):
 * {@link add} each image but the last, then {@link finish} with the last.
 * The result equals `restoreCheckpoint(machine, chain)` (eager); a failure
 * leaves the machine unusable (restore into a new one).
 *
 * @internal Used by the migration destination (handlers/migration/destination.ts).
 */
export class StagedRestore {
  private readonly images: ImageInput[] = [];
  private readonly decoded: DecodedImage[] = [];
  /** Staging dataspace per image id, or null once staging was given up. */
  private staged: Map<number, Dataspace> | null = new Map();
  /**
   * Pages copied into staging dataspaces so far (a test hook: the final
   * image must cost only its own pages).
   */
  pagesCopied = 0;

  /**
   * @param machine - the fresh machine the chain is restored into
   * @param options - the options `finish` will get (contributors are not
   *   used before `finish`); `rehearse` is true to run the final restore's
   *   code on a scratch machine after each image (see {@link rehearse})
   */
  constructor(private readonly machine: Machine, private readonly options: RestoreOptions & { readonly rehearse?: boolean } = {}) {}

  /** False once the quota could not hold the staging (`finish` then restores the whole chain). */
  get staging(): boolean {
    return this.staged !== null;
  }

  /**
   * Takes the next image of the chain: checks that it continues the
   * chain and copies its pages into the staging dataspaces.
   *
   * @param input - the image; its `decoded` is reused when its pages were verified
   * @throws FormatError naming the image when it is corrupted or does not continue the chain.
   */
  add(input: ImageInput): void {
    const image = this.decode(input);
    this.link(image);
    this.images.push({ name: input.name, bytes: input.bytes, decoded: image });
    this.decoded.push(image);
    if (this.staged === null) return;
    try {
      this.drop(image, this.staged);
      this.copyPages(image);
    } catch (err) {
      if (!(err instanceof QuotaExceededError)) throw err;
      this.giveUp();
      return;
    }
    this.settle(image, this.staged, null);
    if (this.options.rehearse === true) this.rehearse();
  }

  /**
   * Restores the state of `input`, the chain's last image: its pages go
   * into the staging dataspaces, which the rebuilt layout then attaches.
   * Without staging (given up, or no image added), restores the whole
   * chain with `restoreCheckpoint` and `options` (lazy if asked).
   *
   * @param input - the last image
   * @param options - contributors, mounts, relinks (and `lazy` for the fallback)
   * @throws FormatError or UsageError as `restoreCheckpoint` does.
   */
  finish(input: ImageInput, options: RestoreOptions = {}): RestoredCheckpoint {
    const staged = this.staged;
    if (staged === null || this.images.length === 0) return restoreCheckpoint(this.machine, [...this.images, input], options);
    const last = this.decode(input);
    const prev = this.decoded[this.decoded.length - 1]!;
    this.link(last);
    const claim = claimants(last, options);
    const plan = stagedPlan([...this.decoded, last]);
    // The capability space first, as restoreCheckpoint does: it checks every external object before memory changes.
    restoreCapabilities(this.machine, plan, options);
    this.drop(last, staged);
    this.copyPages(last);
    this.settle(last, staged, prev);
    rebuild(this.machine, plan, { prebuilt: (rec) => staged.get(rec.id) });
    for (const [name, state] of last.plugins) claim.get(name)?.restoreState(state);
    this.staged = null;
    return { image: last, plan, lazy: null };
  }

  /**
   * Runs what `finish` runs — the capability space, the layout, the hart
   * and threads — on a scratch machine with the newest image's state (no page
   * contents, no plugin state handed back), then drops it: in a fresh
   * process (and after the engine dropped code unused for a while),
   * compiling that code costs more than running it, and `finish` runs
   * while the guest is stopped. A failure here is ignored: `finish`
   * reports it on the real image.
   */
  private rehearse(): void {
    try {
      const scratch = new Machine({ memoryQuota: this.machine.memory.quota });
      const plan = stagedPlan([...this.decoded]);
      restoreCapabilities(scratch, plan, this.options);
      rebuild(scratch, plan);
    } catch {
      // Only a rehearsal.
    }
  }

  /** The decoded image with every page's CRC checked. */
  private decode(input: ImageInput): DecodedImage {
    const d = input.decoded;
    return d !== undefined && d.bytes === input.bytes && d.pagesVerified ? d : decodeImage(input.bytes, input.name);
  }

  /** Refuses an image that does not continue the chain. */
  private link(image: DecodedImage): void {
    const k = this.decoded.length;
    if (k === 0) {
      if (image.header.incremental) {
        throw new FormatError(`${image.name}: offset ${hex32(0)}: incremental image (sequence ${image.header.sequence}) where the full base image of the chain was expected`);
      }
      return;
    }
    checkChainLink(this.decoded[0]!, this.decoded[k - 1]!, image, k);
  }

  /** Copies every page `image` holds into its staging dataspace (made on first sight). */
  private copyPages(image: DecodedImage): void {
    const staged = this.staged!;
    const { ids, pages, dataOffset } = image.pages;
    const bytes = image.bytes;
    let current = -1;
    let ds: Dataspace | undefined;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] !== current) {
        current = ids[k]!;
        ds = staged.get(current) ?? this.stage(image, current);
      }
      const at = dataOffset + k * PAGE_SIZE;
      ds!.write(pages[k]! * PAGE_SIZE, bytes.subarray(at, at + PAGE_SIZE));
      this.pagesCopied++;
    }
  }

  /** A new staging dataspace for record `id` of `image`, its retired pages retired (they never come back). */
  private stage(image: DecodedImage, id: number): Dataspace {
    const rec = image.layout.dataspaces.find((r) => r.id === id);
    if (rec === undefined) throw new FormatError(`${image.name}: page data of dataspace ${id}, which its layout does not hold`);
    const ds = this.machine.addressSpace.createDataspace(rec.size, { name: rec.name, shared: rec.shared });
    forRuns(rec, PageState.Retired, (page, count) => ds.retire(page, count));
    this.staged!.set(id, ds);
    return ds;
  }

  /** Destroys the staging dataspaces `image`'s layout no longer holds (first: their quota may be needed by new ones). */
  private drop(image: DecodedImage, staged: Map<number, Dataspace>): void {
    const wanted = new Set(image.layout.dataspaces.map((r) => r.id));
    for (const [id, ds] of staged) {
      if (wanted.has(id)) continue;
      ds.destroy();
      staged.delete(id);
    }
  }

  /**
   * Makes the staging match `last`'s layout (after {@link drop}): pages it
   * says have no contents are dropped, pages it says are retired retired,
   * and every
   * page it says has contents must have come in some image. After each
   * image the staging matches that image's layout, so a record whose page
   * states did not change since `prev` (the image before) matches already
   * (its pages in `last` had contents before): only changed records are
   * walked page by page.
   *
   * @throws FormatError naming a page with contents that no image held.
   */
  private settle(last: DecodedImage, staged: Map<number, Dataspace>, prev: DecodedImage | null): void {
    const before = new Map((prev?.layout.dataspaces ?? []).map((r) => [r.id, r.runs]));
    for (const rec of last.layout.dataspaces) {
      if (sameRuns(before.get(rec.id), rec.runs)) continue;
      const ds = staged.get(rec.id);
      forRuns(rec, PageState.Data, (page, count) => {
        for (let p = page; p < page + count; p++) {
          if (ds === undefined || pageFrame(ds, p) < 0) {
            throw new FormatError(
              `${last.name}: offset ${hex32(0)}: page ${p} of dataspace ${rec.id} "${rec.name}" has contents but no image of the chain holds them (an image of the chain is missing)`,
            );
          }
        }
      });
      if (ds === undefined) continue;
      forRuns(rec, PageState.Zero, (page, count) => ds.discard(page, count));
      // Unmapped since: retired for good, their quota given back, as a restore of this image would.
      forRuns(rec, PageState.Retired, (page, count) => ds.retire(page, count));
    }
  }

  /** Gives the staging up (the quota cannot hold it): `finish` restores the whole chain. */
  private giveUp(): void {
    for (const ds of this.staged!.values()) ds.destroy();
    this.staged = null;
  }
}

/** True when `a` and `b` hold the same run words. */
/**
 * The plan of a chain whose pages are all in staging dataspaces already:
 * no page sources; the quota the last image's layout reserves.
 */
function stagedPlan(images: readonly DecodedImage[]): RestorePlan {
  const last = images[images.length - 1]!;
  let reservedBytes = 0;
  for (const rec of last.layout.dataspaces) reservedBytes += recordReservedBytes(rec);
  return { images, last, sources: new Map(), reservedBytes };
}

/** Rebuilds `machine` from `plan`, the plugins installed before stepped aside meanwhile (beginRestore). */
function rebuild(machine: Machine, plan: RestorePlan, hooks: RestoreHooks = {}): void {
  const end = beginRestore(machine);
  try {
    restoreMachine(machine, plan, hooks);
  } finally {
    end();
  }
}

function sameRuns(a: Uint32Array | undefined, b: Uint32Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Calls `fn` for each run of pages of `rec` in `state`. */
function forRuns(rec: DataspaceRecord, state: number, fn: (page: number, count: number) => void): void {
  const states = recordPageStates(rec);
  for (let p = 0; p < states.length; ) {
    let end = p + 1;
    while (end < states.length && states[end] === states[p]) end++;
    if (states[p] === state) fn(p, end - p);
    p = end;
  }
}
