/**
 * The source side of a live migration (docs/migration.md):
 *
 *   Hello ─▶ Image #0 (full) ─▶ Image #1 … (pre-copy rounds, guest running)
 *   guest stops ─▶ Final (last delta) ─▶ ◀─ Ready ─▶ Commit ─▶ ◀─ Resumed
 *   post-copy: Final is the skeleton; then ◀─ PageRequest / Pages ─▶ … ◀─ Done
 *
 * Until Commit is sent the source's machine is untouched by the
 * migration: any failure leaves it ready to run on.
 */

import { PAGE_SIZE, type Machine, type RunResult } from '../../src/index.js';
import { decodeImage } from '../../src/plugin-kit.js';
import type { Checkpointer } from '../checkpoint/index.js';
import { FramedLink, type MigrationChannel } from './channel.js';
import { MigrationError } from './errors.js';
import { FrameType, frameTypeName, jsonPayload, parseJson, type Frame } from './frame.js';
import { PreCopyPolicy, type PreCopyBounds } from './policy.js';
import { PageServer } from './page-server.js';
import { yieldToEventLoop } from './yield.js';

/** Version of the protocol in the Hello frame. */
export const MIGRATION_PROTOCOL = 1;

/**
 * Options of {@link migrateOut}.
 *
 * @example
 * ```ts
 * await migrateOut(machine, cp, channel, { maxRounds: 10, timeoutMs: 5000 });
 * ```
 */
export interface MigrateOutOptions extends PreCopyBounds {
  /** Post-copy: stop at once, send only the non-memory state, serve pages on demand and push the rest. Default false. */
  readonly postCopy?: boolean;
  /** Guest instructions per slice while a round is on its way (default 65536); each round runs at least one slice. */
  readonly sliceInstructions?: number;
  /** Longest wait for the peer, in milliseconds (default 10000). */
  readonly timeoutMs?: number;
  /**
   * Runs the guest for a slice (default `machine.run`).
   *
   * @param maxInstructions - the slice's instruction bound
   */
  run?(maxInstructions: number): RunResult | Promise<RunResult>;
  /**
   * Receives each pre-copy round once the destination acknowledged it (progress).
   *
   * @param round - the round
   */
  onRound?(round: MigrationRound): void;
  /**
   * Runs once pre-copy is over, just before the guest stops (not counted
   * in the downtime): e.g. collect garbage so that no collection lands in
   * the downtime.
   */
  beforeStop?(): void;
}

/**
 * One pre-copy round.
 *
 * @example
 * ```ts
 * for (const r of report.rounds) console.log(r.round, r.pages, r.bytes);
 * ```
 */
export interface MigrationRound {
  /** 0 for the full image, then 1, 2, … */
  readonly round: number;
  /** Pages the round's image holds. */
  readonly pages: number;
  /** Bytes of the round's image. */
  readonly bytes: number;
  /** Guest instructions run while the round was sent. */
  readonly instructions: number;
}

/**
 * What a migration did (also what `faultline migrate --json` prints).
 *
 * @example
 * ```ts
 * console.log(`${report.downtimeMs.toFixed(2)} ms down, ${report.bytesSent} bytes`);
 * ```
 */
export interface MigrationReport {
  /** `pre-copy` or `post-copy`. */
  readonly mode: 'pre-copy' | 'post-copy';
  /** The pre-copy rounds (none for post-copy). */
  readonly rounds: readonly MigrationRound[];
  /** Why pre-copy stopped (see {@link PreCopyBounds}). */
  readonly stopReason: string;
  /** Pages of the final image (post-copy: pages of the machine, sent after resume). */
  readonly finalPages: number;
  /** Bytes of the final frame. */
  readonly finalBytes: number;
  /** Every byte the source sent. */
  readonly bytesSent: number;
  /** Bytes of guest memory with contents when the guest stopped. */
  readonly residentBytes: number;
  /** Milliseconds from the guest stopping on the source to the destination reporting it running. */
  readonly downtimeMs: number;
  /**
   * Where the downtime went: taking the final image on the source, sending
   * it, restoring on the destination (as it reports), and Commit/Resumed.
   */
  readonly downtimePhases: DowntimePhases;
  /** Pages the destination asked for after resuming (post-copy; 0 for pre-copy). */
  readonly pagesFetchedAfterResume: number;
  /** Pages sent after resume in all (post-copy; 0 for pre-copy). */
  readonly pagesSentAfterResume: number;
  /** Milliseconds from start to end of the migration. */
  readonly totalMs: number;
}

/**
 * Where the downtime of a migration went (milliseconds).
 *
 * @example
 * ```ts
 * const { checkpointMs, transferMs, restoreMs, commitMs } = report.downtimePhases;
 * ```
 */
export interface DowntimePhases {
  /** Taking the final image on the source. */
  readonly checkpointMs: number;
  /** Sending it and hearing back, less the destination's restore. */
  readonly transferMs: number;
  /** Validating and restoring the chain on the destination, as it reports. */
  readonly restoreMs: number;
  /** Commit, resume and the Resumed answer. */
  readonly commitMs: number;
}

/**
 * How {@link migrateOut} ended: `migrated` (the guest now runs on the
 * destination; the source must not run it) with the report, or `ended`
 * (the guest exited or stopped on the source during pre-copy, nothing
 * moved) with the run's result.
 *
 * @example
 * ```ts
 * const r: MigrateOutResult = await migrateOut(machine, cp, channel);
 * if (r.kind === 'ended') console.log(r.result);
 * ```
 */
export type MigrateOutResult = MigratedResult | EndedResult;

/**
 * The guest moved.
 *
 * @example
 * ```ts
 * if (r.kind === 'migrated') console.log(r.report.downtimeMs);
 * ```
 */
export interface MigratedResult {
  /** Always `migrated`. */
  readonly kind: 'migrated';
  /** What the migration did. */
  readonly report: MigrationReport;
}

/**
 * The guest ended on the source before it moved.
 *
 * @example
 * ```ts
 * if (r.kind === 'ended') console.log(r.result.kind);
 * ```
 */
export interface EndedResult {
  /** Always `ended`. */
  readonly kind: 'ended';
  /** How the guest's last run ended. */
  readonly result: RunResult;
}

/** A host clock in milliseconds. @internal */
export const now = (): number => (globalThis.performance?.now() ?? Date.now());

/**
 * Migrates the guest of `machine` to the destination at the other end of
 * `channel`. Pre-copy (the default): images go over while the guest runs
 * between rounds, until the {@link PreCopyBounds} say stop; then the
 * guest stops, the final delta goes over and, once the destination has
 * validated the whole chain, the source commits. Post-copy: the guest
 * stops at once, the destination starts from the non-memory state, and
 * pages follow (asked for on demand, the rest pushed) until it has all.
 *
 * @param machine - the running machine (between runs)
 * @param checkpointer - a checkpoint plugin installed in `machine`
 * @param channel - the connection to the destination
 * @param options - bounds, mode, timeout
 * @returns `migrated` with the report, or `ended` when the guest ended first
 * @throws MigrationError naming the peer and the cause; unless its `committed`
 *   is true the source's machine is as it was and may run on.
 * @example
 * ```ts
 * const cp = checkpoint();
 * machine.use(cp);
 * const result = await migrateOut(machine, cp, channel);
 * if (result.kind === 'migrated') console.log(result.report.downtimeMs);
 * ```
 */
export async function migrateOut(machine: Machine, checkpointer: Checkpointer, channel: MigrationChannel, options: MigrateOutOptions = {}): Promise<MigrateOutResult> {
  const link = new FramedLink(channel, options.timeoutMs ?? 10_000);
  const started = now();
  const postCopy = options.postCopy ?? false;
  const slice = options.sliceInstructions ?? 1 << 16;
  const run = options.run ?? ((n: number) => machine.run({ maxInstructions: n }));
  let committed = false;
  try {
    await link.send(FrameType.Hello, jsonPayload({ protocol: MIGRATION_PROTOCOL, mode: postCopy ? 'post-copy' : 'pre-copy', program: machine.program?.name ?? '' }));
    const rounds: MigrationRound[] = [];
    let stopReason = 'post-copy';
    if (!postCopy) {
      const policy = new PreCopyPolicy(options, started);
      for (let round = 0; ; round++) {
        const image = checkpointer.checkpoint(round === 0 ? { full: true } : {});
        const pages = decodeImage(image, `round ${round}`, { verifyPages: false }).pages.ids.length;
        // The round is done when the destination acknowledged it (received and checked): the guest runs meanwhile.
        let done = false;
        const acked = (async () => {
          await link.send(FrameType.Image, image);
          const ack = await link.receive(`the Ack of round ${round}`, link.timeoutMs + image.length / 1024);
          expect(ack, FrameType.Ack, link.peer);
        })();
        acked.then(() => { done = true; }, () => { done = true; });
        const before = machine.cpu.instret;
        let result: RunResult | null = null;
        do {
          result = await run(slice);
          if (result.kind !== 'limit') break;
          await yieldToEventLoop();
        } while (!done);
        await acked;
        const r: MigrationRound = { round, pages, bytes: image.length, instructions: machine.cpu.instret - before };
        rounds.push(r);
        options.onRound?.(r);
        if (result.kind !== 'limit') {
          await link.send(FrameType.Abort, jsonPayload({ message: `the guest ended on the source (${result.kind}) during pre-copy` }));
          link.close();
          return { kind: 'ended', result };
        }
        const stop = policy.stop(rounds, link.bytesSent, now());
        if (stop !== null) {
          stopReason = stop;
          break;
        }
      }
    }
    options.beforeStop?.();
    // The guest is stopped from here on: downtime starts.
    const stopped = now();
    const image = checkpointer.checkpoint(postCopy ? { full: true } : {});
    // Pre-copy sends the image as it is: it is decoded (for the report) once the guest runs again.
    const skeletonOf = postCopy ? decodeImage(image, 'final image', { verifyPages: false }) : null;
    const finalPayload = skeletonOf === null ? image : skeleton(image, skeletonOf.pages.dataOffset, skeletonOf.pages.ids.length * PAGE_SIZE);
    const captured = now();
    await link.send(FrameType.Final, finalPayload);
    const ready = await link.receive('the Ready frame (the destination validating the chain)');
    expect(ready, FrameType.Ready, link.peer);
    const readyAt = now();
    const restoreMs = parseJson(ready, link.peer)['restoreMs'];
    committed = true;
    await link.send(FrameType.Commit);
    const resumed = await link.receive('the Resumed frame');
    expect(resumed, FrameType.Resumed, link.peer);
    const resumedAt = now();
    const downtimeMs = resumedAt - stopped;
    const decoded = skeletonOf ?? decodeImage(image, 'final image', { verifyPages: false });
    const finalPages = decoded.pages.ids.length;
    const phases = {
      checkpointMs: captured - stopped,
      restoreMs: typeof restoreMs === 'number' ? restoreMs : NaN,
      transferMs: Math.max(0, readyAt - captured - (typeof restoreMs === 'number' ? restoreMs : 0)),
      commitMs: resumedAt - readyAt,
    };
    // Pages with contents: the full image's count (round 0, or the final image when it is the full one).
    const residentBytes = (rounds[0]?.pages ?? finalPages) * PAGE_SIZE;
    let fetched = 0, pushed = 0;
    if (postCopy) {
      const server = new PageServer(link, image, decoded.pages.dataOffset, finalPages);
      const done = await server.serve();
      fetched = done.pagesOnDemand;
      pushed = server.pagesSent;
    }
    const report: MigrationReport = {
      mode: postCopy ? 'post-copy' : 'pre-copy', rounds, stopReason, finalPages, finalBytes: finalPayload.length, bytesSent: link.bytesSent,
      residentBytes, downtimeMs, downtimePhases: phases, pagesFetchedAfterResume: fetched, pagesSentAfterResume: pushed, totalMs: now() - started,
    };
    link.close();
    return { kind: 'migrated', report };
  } catch (err) {
    link.close();
    const e = err instanceof MigrationError ? err : new MigrationError(`migration: peer ${link.peer}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    e.committed = committed;
    throw e;
  }
}

/** Refuses a frame other than `type` (an Abort carries the peer's message). */
export function expect(frame: Frame, type: number, peer: string): void {
  if (frame.type === type) return;
  if (frame.type === FrameType.Abort) {
    const m = parseJson(frame, peer)['message'];
    throw new MigrationError(`migration: peer ${peer} aborted: ${typeof m === 'string' ? m : 'no reason given'}`);
  }
  throw new MigrationError(`migration: peer ${peer}: stream offset ${frame.offset}: ${frameTypeName(frame.type)} frame where ${frameTypeName(type)} was expected`);
}

/** The image without its page data, prefixed by where the data was: u32 offset, u32 length. */
function skeleton(image: Uint8Array, dataOffset: number, dataLength: number): Uint8Array {
  const out = new Uint8Array(8 + image.length - dataLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, dataOffset, true);
  view.setUint32(4, dataLength, true);
  out.set(image.subarray(0, dataOffset), 8);
  out.set(image.subarray(dataOffset + dataLength), 8 + dataOffset);
  return out;
}
