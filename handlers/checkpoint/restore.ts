/**
 * Restore: decode and validate a chain of images, check what the last one
 * reserves against the quota, let the plugins installed on the machine
 * step aside, rebuild the machine eagerly (every page now) or lazily
 * (lazy-restore.ts: pages on first touch), and hand plugin state back.
 */

import { FormatError, UsageError, applyTreeImage, hex32, restoreHandleSpace, type DecodedImage, type Machine, type RestorePlan } from '../../src/index.js';
import { beginRestore, decodeImage, planRestore, recordReservedBytes, restoreMachine } from '../../src/plugin-kit.js';
import type { CheckpointContributor, ImageInput, RestoreOptions, RestoredCheckpoint } from './index.js';
import { LazyRestorer } from './lazy-restore.js';

/**
 * Decodes and validates `images` as one chain (base first) — every CRC,
 * the chain order and every reference — and only then rebuilds the state
 * of the last image in the fresh `machine`: an image that is truncated,
 * corrupted, out of order or of another version is refused before the
 * machine changes. Continuing the machine then gives exactly what the
 * checkpointed machine would have done. With `lazy`, pages are copied on
 * first touch instead (each page's CRC is checked then; a corrupted page
 * stops the run with an error naming the image and offset).
 *
 * The guest's handles and file system come back first; a mounted file
 * that changed, a mounted directory or a service provider that is missing
 * is refused naming the handle or object (`options.relink` and
 * `options.mountedDirectory` re-create them elsewhere). Such a refusal may
 * come after the file tree was rebuilt: try again on a new machine.
 *
 * Host fault handlers and plugins are not in images: install them on the
 * machine before or after (the lazy restore's demand paging sits at the
 * head of the chain, guest handlers behind what is installed before).
 *
 * @param machine - a fresh machine
 * @param images - the chain, full base first, each with the name its errors use
 * @param options - lazy restore and contributors
 * @throws FormatError `image: offset 0x…: reason` for a bad image or chain.
 * @throws UsageError when the machine is not fresh, its quota is too small, or plugin state is unclaimed.
 * @example
 * ```ts
 * const machine = new Machine({ stdout: out.sink });
 * const { lazy } = restoreCheckpoint(machine, [{ name: '0.ckpt', bytes: base }, { name: '1.ckpt', bytes: inc }], { lazy: true });
 * machine.run();
 * ```
 */
export function restoreCheckpoint(machine: Machine, images: readonly ImageInput[], options: RestoreOptions = {}): RestoredCheckpoint {
  const lazy = options.lazy ?? false;
  const decoded = images.map((i) => (i.decoded !== undefined && i.decoded.bytes === i.bytes && (lazy || i.decoded.pagesVerified) ? i.decoded : decodeImage(i.bytes, i.name, { verifyPages: !lazy })));
  checkQuota(machine, decoded[decoded.length - 1]);
  const plan = planRestore(decoded);
  const last = plan.last;
  const claim = claimants(last, options);
  // The capability space first: it checks every external object (mounted directories and files, services) before it changes anything.
  restoreCapabilities(machine, plan, options);
  let restorer: LazyRestorer | null = null;
  // Plugins installed before (demand paging) step aside and take over the rebuilt state after.
  const end = beginRestore(machine);
  try {
    if (lazy) {
      restorer = new LazyRestorer(machine, plan);
      restoreMachine(machine, plan, restorer.hooks);
      restorer.start();
    } else {
      restoreMachine(machine, plan);
    }
  } finally {
    end();
  }
  for (const [name, state] of last.plugins) claim.get(name)?.restoreState(state);
  return { image: last, plan, lazy: restorer };
}

/**
 * The contributors of `options` by name, once every plugin state `last`
 * holds has one (or `ignoreUnclaimedState` lets it go).
 *
 * @throws UsageError naming the first unclaimed state.
 */
export function claimants(last: DecodedImage, options: RestoreOptions): Map<string, CheckpointContributor> {
  const claim = new Map<string, CheckpointContributor>();
  for (const c of options.contributors ?? []) claim.set(c.name, c);
  for (const name of last.plugins.keys()) {
    if (!claim.has(name) && options.ignoreUnclaimedState !== true) {
      throw new UsageError(`restore: ${last.name} holds state of plugin '${name}' and no contributor of that name was given (pass it in contributors, or ignoreUnclaimedState)`);
    }
  }
  return claim;
}

/**
 * Rebuilds the file tree (the full image's tree and every increment's
 * changes) and the handle space of the last image, mounting what
 * `options.mountedDirectory` gives for each recorded mount. Images from
 * before version 3 hold none: the machine keeps its own stdio. Each of
 * the two checks all it needs before it changes anything, and both run
 * before memory is touched; a refusal by the handle space comes after
 * the tree was applied, so a machine a restore refused is not used again.
 *
 * @throws FormatError or UsageError naming the image and the handle, mount or object that cannot be re-created
 */
export function restoreCapabilities(machine: Machine, plan: RestorePlan, options: RestoreOptions): void {
  const last = plan.last;
  if (last.capabilities === null) return;
  const trees = plan.images.map((image) => {
    if (image.capabilities === null) throw new FormatError(`${image.name}: holds no file tree, but ${last.name} of the same chain does`);
    return image.capabilities.tree;
  });
  const mountedDirectory = options.mountedDirectory;
  try {
    applyTreeImage(machine.fileSystem, trees, mountedDirectory === undefined ? {} : { mountedDirectory });
    restoreHandleSpace(machine, last.capabilities.handles, options.relink === undefined ? {} : { relink: options.relink });
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(inImage(plan, err.message));
    if (err instanceof UsageError) throw new UsageError(`restore: ${last.name}: ${err.message.replace(/^applyTreeImage: /, '')}`);
    throw err;
  }
}

/** Bytes of a section header, before its payload (docs/checkpoint-format.md). */
const SECTION_HEADER_BYTES = 16;

/**
 * A tree-image or handle-space message (`tree image K: offset 0x…: …`,
 * `handle space: offset 0x…: …`, or one naming a handle) as an image
 * error: the image's name and the absolute offset in it (inside the FSYS
 * or HNDL payload; the section header when the message names none), as
 * every other image error reads.
 */
function inImage(plan: RestorePlan, message: string): string {
  const m = /^(?:tree image (\d+)|handle space)(?:: offset 0x([0-9a-f]+))?: ([\s\S]*)$/.exec(message);
  const treeIndex = m?.[1];
  const image = treeIndex !== undefined ? plan.images[Number(treeIndex)] ?? plan.last : plan.last;
  const tag = treeIndex !== undefined || (m === null && /^tree image/.test(message)) ? 'FSYS' : 'HNDL';
  const section = image.sections.find((x) => x.tag === tag);
  const payload = section === undefined ? 0 : section.offset + SECTION_HEADER_BYTES + 4;
  const at = m?.[2] !== undefined ? payload + parseInt(m[2], 16) : section?.offset ?? 0;
  return `${image.name}: offset ${hex32(at)}: ${tag}: ${m === null ? message : m[3]}`;
}

/**
 * Refuses (UsageError, nothing allocated) a last image whose layout
 * reserves more guest memory than `machine`'s quota leaves: what an image
 * claims is checked before anything is built for it.
 */
function checkQuota(machine: Machine, last: DecodedImage | undefined): void {
  if (last === undefined) return;
  let bytes = 0;
  for (const ds of last.layout.dataspaces) bytes += recordReservedBytes(ds);
  if (bytes > machine.memory.remaining) {
    throw new UsageError(
      `restore: ${last.name} needs ${bytes} bytes of guest memory, the machine's quota leaves ${machine.memory.remaining} (the image was made with a quota of ${last.meta.memoryQuota})`,
    );
  }
}

/**
 * Decodes one image without restoring it (for tools such as `faultline
 * inspect`): every CRC is checked.
 *
 * @param input - the image and its name
 * @throws FormatError naming the image and offset.
 * @example
 * ```ts
 * const image = inspectImage({ name: 'a.ckpt', bytes });
 * console.log(image.header.sequence, image.pages.ids.length);
 * ```
 */
export function inspectImage(input: ImageInput): DecodedImage {
  return decodeImage(input.bytes, input.name);
}
