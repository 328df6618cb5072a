/**
 * Checkpointing (docs/design.md §5): full and incremental checkpoints of a running
 * machine, restore into a fresh machine (eager or lazy), built on the
 * public API, the dirty-log plugin and the demand-paging plugin.
 *
 *   checkpoint()  #0 full         #1 incremental        #2 incremental
 *                 all pages with  pages written since   pages written since
 *                 contents        #0 (dirty log), pages #1 ...
 *                                 that got contents,
 *                                 the stack's pages
 *   every image also holds the whole CPU context and layout (small)
 *
 *   restoreCheckpoint(fresh, [#0, #1, #2]) = the state at #2
 *
 * This file holds the options, the factory and the public types; the
 * phases are one module each: capture.ts (which pages), write.ts (the
 * image), restore.ts (eager restore), lazy-restore.ts (lazy restore).
 * The image format is in src/checkpoint/ and docs/checkpoint-format.md.
 */

import type { DecodedImage, MountedDirectory, Plugin, RestorePlan } from '../../src/index.js';
import type { LazyRestore } from './lazy-restore.js';
import { CheckpointPlugin } from './plugin.js';

export type { LazyRestore } from './lazy-restore.js';
export { restoreCheckpoint, inspectImage } from './restore.js';

/**
 * A plugin (or any object) that saves its own state in checkpoint images
 * under its name and gets it back on restore. `saveState` is called at
 * every checkpoint; `restoreState` once, after the machine is rebuilt.
 * Neither may run the machine.
 *
 * @example
 * ```ts
 * let counter = 0;
 * const contributor: CheckpointContributor = {
 *   name: 'my-counter',
 *   saveState: () => new Uint8Array(Uint32Array.of(counter).buffer),
 *   restoreState: (bytes) => { counter = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true); },
 * };
 * ```
 */
export interface CheckpointContributor {
  /** Unique name; the image's PLUG section is keyed by it. */
  readonly name: string;
  /** The state to save now. */
  saveState(): Uint8Array;
  /** Takes back the state saved by {@link saveState}. May throw to refuse it.
   * @param state - the bytes `saveState` returned
   */
  restoreState(state: Uint8Array): void;
}

/**
 * Options of {@link checkpoint}.
 *
 * @example
 * ```ts
 * const cp = checkpoint({ logStack: false, contributors: [myPluginState] });
 * ```
 */
export interface CheckpointOptions {
  /** Name of the plugin and prefix of its dirty log's name. Default `'checkpoint'`. */
  readonly name?: string;
  /**
   * Make images after the first incremental (default true). False makes
   * every image full (no dirty log is installed).
   */
  readonly incremental?: boolean;
  /**
   * Log the `[stack]` with the dirty log too (default false: the stack's
   * pages with contents are saved whole in every image, as the dirty log
   * leaves the stack writable — needed when the guest registers its own
   * fault handlers, whose frames live there).
   */
  readonly logStack?: boolean;
  /** Plugins whose state goes into every image. */
  readonly contributors?: readonly CheckpointContributor[];
  /** Chain id of the first chain (16 hex digits), for reproducible images. Default: random. */
  readonly chainId?: string;
}

/**
 * Options of {@link Checkpointer.checkpoint}.
 *
 * @example
 * ```ts
 * const base = cp.checkpoint({ full: true });
 * ```
 */
export interface TakeOptions {
  /** Start a new chain with a full image even if an incremental one is possible. */
  readonly full?: boolean;
}

/**
 * The checkpoint plugin: install with `machine.use(cp)`, then call
 * {@link checkpoint} between runs.
 *
 * @example
 * ```ts
 * const cp: Checkpointer = checkpoint();
 * machine.use(cp);
 * const image = cp.checkpoint();
 * ```
 */
export interface Checkpointer extends Plugin {
  /**
   * Captures the machine as an image: the first (or with `full`) a full
   * one starting a new chain, each next one incremental, holding only the
   * pages written since the previous image (plus the stack's, unless
   * `logStack`). Call between runs (not from a fault handler).
   *
   * @param options - `full: true` starts a new chain
   * @throws UsageError when not installed, or called while a guest handler runs.
   * @example
   * ```ts
   * const cp = checkpoint();
   * machine.use(cp);
   * machine.run({ maxInstructions: 1e6 });
   * await writeFile('0.ckpt', cp.checkpoint());
   * ```
   */
  checkpoint(options?: TakeOptions): Uint8Array;
  /**
   * Reports a host write to guest memory that raised no fault (through
   * `writeBytes` or `Dataspace.write` on a page that already had contents),
   * so the next incremental image includes it.
   *
   * @param vaddr - first byte written
   * @param length - bytes written
   * @throws UsageError when the range is outside the 32-bit address space.
   * @example
   * ```ts
   * machine.addressSpace.writeBytes(addr, bytes);
   * cp.markDirty(addr, bytes.length);
   * ```
   */
  markDirty(vaddr: number, length: number): void;
  /**
   * Adds a contributor whose state goes into the next images.
   *
   * @param contributor - the state provider
   * @throws UsageError when its name is taken.
   * @example
   * ```ts
   * cp.addContributor({ name: 'cli', saveState: () => bytes, restoreState: () => {} });
   * ```
   */
  addContributor(contributor: CheckpointContributor): void;
  /** Sequence number the next image gets (0: it will be full). */
  readonly nextSequence: number;
  /** Chain id of the current chain (16 hex digits). */
  readonly chainId: string;
}

/**
 * Makes a checkpoint plugin (docs/design.md §5). `install` installs a dirty log
 * (unless `incremental: false`) at the head of the chain; `uninstall`
 * removes it. Images capture the hart (registers, pc, instret, LR/SC
 * reservation), the layout (every dataspace and region map reachable from
 * the root, regions and rights, the guest's `mprotect` overlay, `brk` and
 * `mmap` bookkeeping), page contents, the guest's handler registrations,
 * the exception table, and each contributor's state.
 *
 * Not captured: host fault handlers and other plugins (install them again
 * on the restored machine), protection layers of other plugins, dataspaces
 * not reachable from the root, output already written.
 *
 * @param options - chain, stack and contributor options
 * @example
 * ```ts
 * import { Machine, assemble } from 'faultline';
 * import { checkpoint, restoreCheckpoint } from 'faultline/handlers';
 *
 * const machine = new Machine();
 * machine.load(assemble(source));
 * const cp = checkpoint();
 * machine.use(cp);
 * const images = [];
 * while (machine.run({ maxInstructions: 100_000 }).kind === 'limit') images.push(cp.checkpoint());
 * const copy = new Machine();
 * restoreCheckpoint(copy, images.map((bytes, k) => ({ name: `#${k}`, bytes })));
 * ```
 */
export function checkpoint(options: CheckpointOptions = {}): Checkpointer {
  return new CheckpointPlugin(options);
}

/**
 * One image to restore from, with the name its errors use (a file name).
 *
 * @example
 * ```ts
 * const input: ImageInput = { name: '00000000.ckpt', bytes: await readFile('00000000.ckpt') };
 * ```
 */
export interface ImageInput {
  /** Name for error messages (a file name). */
  readonly name: string;
  /** The image bytes. */
  readonly bytes: Uint8Array;
  /**
   * The result of `decodeImage` on exactly these bytes, reused instead of
   * decoding again (migration decodes each image as it arrives, so the
   * final restore does not). Optional.
   */
  readonly decoded?: DecodedImage;
}

/**
 * Options of {@link restoreCheckpoint}.
 *
 * @example
 * ```ts
 * restoreCheckpoint(machine, images, { lazy: true, contributors: [myPluginState] });
 * ```
 */
export interface RestoreOptions {
  /**
   * Start with memory unpopulated and copy each page from the images on
   * first touch (demand paging). The images must stay unmodified while
   * the restore is lazy. Default false.
   */
  readonly lazy?: boolean;
  /** Receivers of plugin state saved in the images, matched by name. */
  readonly contributors?: readonly CheckpointContributor[];
  /** Skip plugin state no contributor claims (default false: refuse it). */
  readonly ignoreUnclaimedState?: boolean;
  /**
   * The host directory to mount where the image recorded a mount (its
   * guest path, read-only flag and the label of the directory it had,
   * by default the host path). Without it, an image holding mounts is
   * refused. `faultline/node` gives `new HostDirectory(path)`.
   *
   * @param mount - the recorded guest path, read-only flag and label
   * @returns the directory to mount there, or undefined to refuse the restore
   */
  mountedDirectory?(mount: { readonly guestPath: string; readonly readOnly: boolean; readonly label: string }): MountedDirectory | undefined;
  /**
   * Relinks external objects the images refer to (docs/handles.md): a
   * mounted file's guest path or a service name, old → new. A relinked
   * mounted file is not compared with the identity it had.
   */
  readonly relink?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/**
 * What {@link restoreCheckpoint} restored.
 *
 * @example
 * ```ts
 * const { image, lazy } = restoreCheckpoint(machine, images, { lazy: true });
 * lazy?.complete();
 * ```
 */
export interface RestoredCheckpoint {
  /** The last image of the chain: the state the machine is in now. */
  readonly image: DecodedImage;
  /** The validated chain. */
  readonly plan: RestorePlan;
  /** The lazy restore in progress, or null for an eager restore. */
  readonly lazy: LazyRestore | null;
}

export {
  RemoteImageError, RemoteChain, openRemoteChain, isRemoteUrl, restoreRemote, encodeTouchOrder, decodeTouchOrder, fetchBoundMs,
  type FetchPolicy, type TransferStats, type RemoteChainOptions, type RemoteImageInfo, type RemoteRestore, type RemoteRestoreOptions, type TouchOrder,
} from './remote/index.js';
