/**
 * The destination side of a live migration (docs/migration.md): receives
 * the pre-copy images, checking each and copying its pages into the
 * machine's unattached staging dataspaces as it arrives (StagedRestore);
 * on the final delta copies only its pages and rebuilds the rest of the
 * state around them in that machine, which does not run yet; answers
 * Ready, and resumes only on the source's Commit. Post-copy restores the
 * skeleton lazily instead. A failure before Commit discards the machine:
 * a half-migrated machine never runs.
 */

import { PAGE_SIZE, type DecodedImage, type Machine } from '../../src/index.js';
import { decodeImage } from '../../src/plugin-kit.js';
import type { ImageInput, RestoreOptions, RestoredCheckpoint } from '../checkpoint/index.js';
import { StagedRestore } from '../checkpoint/staged-restore.js';
import { FramedLink, type MigrationChannel } from './channel.js';
import { MigrationError } from './errors.js';
import { FrameType, jsonPayload, parseJson } from './frame.js';
import { PageClient } from './page-client.js';
import { MIGRATION_PROTOCOL, expect, now } from './source.js';

/**
 * What the destination knows before it builds the machine.
 *
 * @example
 * ```ts
 * const machineFor = (info: IncomingInfo) => new Machine({ memoryQuota: info.last.meta.memoryQuota });
 * ```
 */
export interface IncomingInfo {
  /** `pre-copy` or `post-copy`. */
  readonly mode: 'pre-copy' | 'post-copy';
  /** The program's name the source reported. */
  readonly program: string;
  /**
   * The image the machine is made for: the first pre-copy image (the
   * machine is built as soon as it arrives, outside the downtime), or the
   * final one when there was none (post-copy).
   */
  readonly last: DecodedImage;
}

/**
 * Options of {@link migrateIn}.
 *
 * @example
 * ```ts
 * const incoming = await migrateIn(channel, { machine: (info) => new Machine({ memoryQuota: info.last.meta.memoryQuota }) });
 * ```
 */
export interface MigrateInOptions {
  /**
   * Makes the fresh machine the guest is restored into.
   *
   * @param info - the mode, the program and the image it is made for
   */
  machine(info: IncomingInfo): Machine;
  /** Restore options (contributors, mounts, relinks); the restore is always lazy. */
  readonly restore?: Omit<RestoreOptions, 'lazy'>;
  /** Longest wait for the peer, in milliseconds (default 10000). */
  readonly timeoutMs?: number;
  /**
   * Runs after the restore and Commit, just before Resumed is sent (install plugins here).
   *
   * @param machine - the restored machine
   */
  beforeResume?(machine: Machine): void;
}

/**
 * A guest that arrived: run `machine` (with `runAsync` for post-copy,
 * whose faults wait for pages), calling {@link poll} between runs, and
 * {@link finish} when done.
 *
 * @example
 * ```ts
 * const incoming = await migrateIn(channel, options);
 * let r = await incoming.machine.runAsync({ maxInstructions: 1 << 20 });
 * while (r.kind === 'limit') { incoming.poll(); r = await incoming.machine.runAsync({ maxInstructions: 1 << 20 }); }
 * await incoming.finish();
 * ```
 */
export interface IncomingMigration {
  /** The restored machine, ready to run. */
  readonly machine: Machine;
  /** `pre-copy` or `post-copy`. */
  readonly mode: 'pre-copy' | 'post-copy';
  /**
   * The restore. Pre-copy: eager (`lazy` null; every page was copied as
   * its round arrived, so the plan's page sources are empty). Post-copy:
   * lazy, its pages served as they arrive from the source.
   */
  readonly restored: RestoredCheckpoint;
  /** Pre-copy images received before the final one. */
  readonly rounds: number;
  /** Pages asked of the source after resuming (post-copy). */
  readonly pagesOnDemand: number;
  /** True once every page is local (always for pre-copy). */
  readonly complete: boolean;
  /** The failure of post-copy page transfer, if any (faults waiting for pages end with it). */
  readonly error: MigrationError | null;
  /**
   * Call between runs: once every page is here (post-copy), finishes the
   * lazy restore, drops the page handler and tells the source (Done).
   */
  poll(): void;
  /** Tells the source the migration is over (Done) and closes the connection. */
  finish(): Promise<void>;
}

/**
 * Receives a migrating guest from the source at the other end of
 * `channel` and returns it restored, ready to run.
 *
 * @param channel - the connection from the source
 * @param options - the machine factory, restore options, timeout
 * @throws MigrationError naming the peer and the cause (timeout, closed connection, CRC, a bad image, an abort); nothing runs then.
 * @example
 * ```ts
 * const incoming = await migrateIn(channel, { machine: () => new Machine({ stdout: (b) => process.stdout.write(b) }) });
 * await incoming.machine.runAsync();
 * await incoming.finish();
 * ```
 */
export async function migrateIn(channel: MigrationChannel, options: MigrateInOptions): Promise<IncomingMigration> {
  const link = new FramedLink(channel, options.timeoutMs ?? 10_000);
  try {
    const hello = parseJson(await link.receive('the Hello frame'), link.peer);
    if (hello['protocol'] !== MIGRATION_PROTOCOL) throw new MigrationError(`migration: peer ${link.peer}: protocol ${String(hello['protocol'])}, this side speaks ${MIGRATION_PROTOCOL}`);
    const mode = hello['mode'] === 'post-copy' ? 'post-copy' : 'pre-copy';
    const program = typeof hello['program'] === 'string' ? hello['program'] : '';
    let staged: StagedRestore | null = null;
    let rounds = 0;
    let finalImage: ImageInput;
    let machine: Machine | undefined;
    let finalArrived = 0;
    for (;;) {
      const frame = await link.receive(rounds === 0 ? 'the first image' : `image ${rounds} or the Final frame`);
      if (frame.type === FrameType.Image) {
        const name = `${link.peer} round ${rounds}`;
        const decoded = decodeImage(frame.payload, name);
        // Made when the first image arrives (not in the downtime: a machine takes tens of milliseconds to build).
        if (machine === undefined) {
          machine = options.machine({ mode, program, last: decoded });
          prefault(machine, decoded.pages.ids.length * PAGE_SIZE);
        }
        staged ??= new StagedRestore(machine, { ...options.restore, rehearse: true });
        // Applied before the Ack, while the guest still runs on the source: the final delta is all that is left for the downtime.
        try {
          staged.add({ name, bytes: frame.payload, decoded });
        } catch (err) {
          throw await refuse(link, err);
        }
        rounds++;
        const ack = new Uint8Array(4);
        new DataView(ack.buffer).setUint32(0, rounds - 1, true);
        await link.send(FrameType.Ack, ack);
      } else if (frame.type === FrameType.Final) {
        finalArrived = now();
        const name = `${link.peer} final image`;
        const bytes = mode === 'post-copy' ? unpackSkeleton(frame.payload, link.peer) : frame.payload;
        finalImage = { name, bytes, decoded: decodeImage(bytes, name, { verifyPages: mode === 'pre-copy' }) };
        break;
      } else {
        expect(frame, FrameType.Final, link.peer);
      }
    }
    const last = finalImage.decoded!;
    machine ??= options.machine({ mode, program, last });
    staged ??= new StagedRestore(machine);
    let restored: RestoredCheckpoint;
    let client: PageClient | null = null;
    try {
      // Pre-copy: only the final delta's pages are copied now (the rounds were applied as they came); post-copy: a lazy restore of the skeleton.
      restored = staged.finish(finalImage, { ...options.restore, lazy: true });
      if (mode === 'post-copy') {
        const plan = restored.plan;
        client = new PageClient(link, last, () => plan);
      }
    } catch (err) {
      throw await refuse(link, err);
    }
    await link.send(FrameType.Ready, jsonPayload({ restoreMs: now() - finalArrived }));
    const commit = await link.receive('the Commit frame');
    expect(commit, FrameType.Commit, link.peer);
    let unregister: (() => void) | null = null;
    if (client !== null) {
      unregister = machine.registerFaultHandler(client.handler, { name: 'migration post-copy' });
      void client.read();
    }
    options.beforeResume?.(machine);
    await link.send(FrameType.Resumed);
    let done = false;
    const finish = async (): Promise<void> => {
      if (done) return;
      done = true;
      await link.send(FrameType.Done, jsonPayload({ pagesOnDemand: client?.pagesOnDemand ?? 0 })).catch(() => {});
      link.close();
    };
    const incoming: IncomingMigration = {
      machine, mode, restored, rounds,
      get pagesOnDemand() { return client?.pagesOnDemand ?? 0; },
      get complete() { return client === null || client.complete; },
      get error() { return client?.error ?? null; },
      poll() {
        if (client === null || !client.complete || unregister === null) return;
        unregister();
        unregister = null;
        restored.lazy?.complete();
        void finish();
      },
      finish,
    };
    if (client === null) await finish();
    return incoming;
  } catch (err) {
    link.close();
    if (err instanceof MigrationError) throw err;
    throw new MigrationError(`migration: peer ${link.peer}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Tells the source the destination refused the chain (Abort) and returns the error to throw. */
async function refuse(link: FramedLink, err: unknown): Promise<MigrationError> {
  const message = err instanceof Error ? err.message : String(err);
  await link.send(FrameType.Abort, jsonPayload({ message: `the destination refused the chain: ${message}` })).catch(() => {});
  return new MigrationError(`migration: peer ${link.peer}: the chain did not restore: ${message}`, { cause: err });
}

/**
 * Has the machine's memory buffer grow now to hold `bytes` more frames
 * (outside the downtime: growing later copies the buffer while the guest
 * waits). Skipped when the quota leaves less.
 */
function prefault(machine: Machine, bytes: number): void {
  try {
    machine.memory.prefault(Math.min(bytes + (1 << 20), machine.memory.remaining));
  } catch {
    // Not enough room: the buffer grows on demand instead.
  }
}

/** The image rebuilt from a skeleton, its page data left as a hole of zeros (filled as pages arrive). */
function unpackSkeleton(payload: Uint8Array, peer: string): Uint8Array {
  if (payload.length < 8) throw new MigrationError(`migration: peer ${peer}: Final frame of ${payload.length} bytes is too short for a skeleton`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const dataOffset = view.getUint32(0, true), dataLength = view.getUint32(4, true);
  const rest = payload.length - 8;
  if (dataOffset > rest || dataLength % 4096 !== 0) throw new MigrationError(`migration: peer ${peer}: skeleton page data at ${dataOffset} (+${dataLength}) does not fit its ${rest} bytes`);
  const image = new Uint8Array(rest + dataLength);
  image.set(payload.subarray(8, 8 + dataOffset), 0);
  image.set(payload.subarray(8 + dataOffset), dataOffset + dataLength);
  return image;
}

