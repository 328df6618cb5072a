/**
 * Checkpointing (DESIGN §5): full and incremental checkpoints of a running
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
 * The image format is in src/checkpoint/ and docs/checkpoint-format.md.
 */

import {
  PAGE_SIZE,
  UsageError,
  type AddressSpace,
  type Dataspace,
  type DecodedImage,
  type LayoutState,
  type Machine,
  type Plugin,
  type RegionMap,
  type RestorePlan,
  type Uninstall,
} from '../src/index.js';
import {
  ObjectIds,
  RegionName,
  beginRestore,
  RegionWalk,
  captureLayout,
  decodeImage,
  encodeImage,
  guestFrameLow,
  pageFrame,
  planRestore,
  recordReservedBytes,
  restoreMachine,
  walkRegions,
  type ImagePageSource,
} from '../src/plugin-kit.js';
import { dirtyLog, type DirtyLog } from './dirty-log.js';
import { LazyRestorer, type LazyRestore } from './_internals/lazy-restore.js';

export type { LazyRestore } from './_internals/lazy-restore.js';

/** Register number of sp. */
const SP = 2;

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
 * Makes a checkpoint plugin (DESIGN §5). `install` installs a dirty log
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

/** State of the previous image of the current chain. */
interface ChainState {
  readonly chainId: string;
  sequence: number;
  imageId: number;
  /** Per dataspace id: 1 where the page had contents at the previous image. */
  data: Map<number, Uint8Array>;
}

/** See {@link checkpoint}. */
class CheckpointPlugin implements Checkpointer {
  readonly name: string;
  private readonly incremental: boolean;
  private readonly logStack: boolean;
  private readonly contributors = new Map<string, CheckpointContributor>();
  private readonly ids = new ObjectIds();
  private machine: Machine | null = null;
  private log: DirtyLog | null = null;
  private logOff: Uninstall | null = null;
  private chain: ChainState | null = null;
  private firstChainId: string | undefined;
  /** Host writes reported while no dirty log is installed. */
  private readonly pendingDirty: [number, number][] = [];

  constructor(options: CheckpointOptions) {
    this.name = options.name ?? 'checkpoint';
    this.incremental = options.incremental ?? true;
    this.logStack = options.logStack ?? false;
    for (const c of options.contributors ?? []) this.addContributor(c);
    if (options.chainId !== undefined && !/^[0-9a-f]{16}$/.test(options.chainId)) {
      throw new UsageError(`checkpoint: chainId must be 16 lowercase hex digits, got '${options.chainId}'`);
    }
    this.firstChainId = options.chainId;
  }

  get nextSequence(): number {
    return this.chain === null ? 0 : this.chain.sequence + 1;
  }

  get chainId(): string {
    return this.chain?.chainId ?? this.firstChainId ?? '';
  }

  install(machine: Machine): () => void {
    if (this.machine !== null) throw new UsageError(`${this.name}: install: already installed in a machine`);
    if (this.incremental) {
      const log = dirtyLog({ name: `${this.name}/dirty-log`, includeStack: this.logStack });
      this.logOff = machine.use(log);
      this.log = log;
    }
    this.machine = machine;
    this.chain = null; // a new machine starts a new chain
    machine.events.on('fault', this.onFault);
    return () => {
      machine.events.off('fault', this.onFault);
      this.logOff?.();
      this.logOff = null;
      this.log = null;
      this.machine = null;
      this.chain = null;
    };
  }

  addContributor(contributor: CheckpointContributor): void {
    if (contributor === null || typeof contributor !== 'object' || typeof contributor.saveState !== 'function' || typeof contributor.restoreState !== 'function') {
      throw new UsageError(`${this.name}: addContributor: expected { name, saveState(), restoreState() }`);
    }
    if (this.contributors.has(contributor.name)) throw new UsageError(`${this.name}: addContributor: '${contributor.name}' is already a contributor`);
    this.contributors.set(contributor.name, contributor);
  }

  markDirty(vaddr: number, length: number): void {
    if (!Number.isInteger(vaddr) || vaddr < 0 || !Number.isInteger(length) || length < 0 || vaddr + length > 2 ** 32) {
      throw new UsageError(`${this.name}: markDirty: range ${String(vaddr)} + ${String(length)} is outside the 32-bit address space`);
    }
    if (this.log !== null) this.log.markDirty(vaddr, length);
    else this.pendingDirty.push([vaddr, length]);
  }

  /**
   * A guest handler's frame is written below sp by the host, raising no
   * fault: report those bytes to the dirty log (cheap; a no-op while no
   * guest handler is registered).
   */
  private readonly onFault = (): void => {
    const machine = this.machine, log = this.log;
    if (machine === null || log === null) return;
    const low = guestFrameLow(machine);
    const sp = machine.cpu.x[SP]! >>> 0;
    if (low >= 0 && sp > low) log.markDirty(low, sp - low);
  };

  checkpoint(options: TakeOptions = {}): Uint8Array {
    const machine = this.machine;
    if (machine === null) throw new UsageError(`${this.name}: checkpoint: not installed (machine.use(plugin) first)`);
    if (machine.guestHandlers.active) throw new UsageError(`${this.name}: checkpoint: a guest fault handler is running; checkpoint between runs`);
    if (machine.running) throw new UsageError(`${this.name}: checkpoint: the machine is running (called from a fault handler or an event listener?); checkpoint between runs`);
    if (machine.program === null) throw new UsageError(`${this.name}: checkpoint: no program loaded`);
    const as = machine.addressSpace;
    const dirty = this.log !== null ? this.log.collect() : new Uint32Array(0);
    const { layout, dataspaces } = captureLayout(machine, this.ids);
    const prev = options.full === true || !this.incremental ? null : this.chain;
    const marked = prev === null ? null : this.markedPages(as, dirty);
    this.pendingDirty.length = 0;
    const pages = selectPages(layout, dataspaces, prev, marked, as.memory.u8);

    const chainId = prev !== null ? prev.chainId : this.newChainId();
    const sequence = prev !== null ? prev.sequence + 1 : 0;
    let imageId = randomWord();
    if (prev !== null && imageId === prev.imageId) imageId = (imageId + 1) >>> 0 || 1;
    const plugins = new Map<string, Uint8Array>();
    for (const [name, c] of this.contributors) {
      const state = c.saveState();
      if (!(state instanceof Uint8Array)) throw new UsageError(`${this.name}: contributor '${name}' saveState() returned ${typeof state}, not a Uint8Array`);
      plugins.set(name, state);
    }
    const cpu = machine.cpu;
    const bytes = encodeImage({
      identity: { incremental: prev !== null, chainId, sequence, imageId, parentId: prev?.imageId ?? 0 },
      meta: { memoryQuota: machine.memory.quota, exitCode: machine.exitCode, programName: machine.program.name, programEntry: machine.program.entry },
      cpu: {
        regs: cpu.x.subarray(0, 32),
        pc: cpu.pc,
        instret: cpu.instret,
        reservationValid: cpu.reservationValid,
        reservationAddress: cpu.reservationAddress,
        reservationValue: cpu.reservationValue,
      },
      layout,
      guestHandlers: { functions: machine.guestHandlers.list().map((g) => g.fn), instructionLimit: machine.guestHandlers.instructionLimit },
      exceptionTable: machine.exceptionTable === null ? null : machine.exceptionTable.entries(),
      plugins,
      pages,
    });
    const data = new Map<number, Uint8Array>();
    for (const [id, ds] of dataspaces) data.set(id, dataBits(ds));
    this.chain = { chainId, sequence, imageId, data };
    return bytes;
  }

  /**
   * Pages to save whatever the previous image held, per dataspace id: the
   * dirty log's pages, host writes reported with markDirty before the log
   * existed, and (unless the stack is logged) every page of the stack.
   */
  private markedPages(as: AddressSpace, dirty: Uint32Array): Map<Dataspace, Uint8Array> {
    const marked = new Map<Dataspace, Uint8Array>();
    const mark = (ds: Dataspace, page: number, count = 1): void => {
      let bits = marked.get(ds);
      if (bits === undefined) marked.set(ds, (bits = new Uint8Array(ds.pageCount)));
      bits.fill(1, page, page + count);
    };
    for (const vaddr of dirty) {
      const hit = resolvePage(as.root, vaddr);
      if (hit !== null) mark(hit.ds, hit.page);
    }
    for (const [vaddr, length] of this.pendingDirty) {
      for (let a = Math.floor(vaddr / PAGE_SIZE) * PAGE_SIZE; a < vaddr + length; a += PAGE_SIZE) {
        const hit = resolvePage(as.root, a);
        if (hit !== null) mark(hit.ds, hit.page);
      }
    }
    if (!this.logStack) {
      for (const r of as.root.regions()) {
        if (r.name === RegionName.Stack && !r.target.isRegionMap) mark(r.target, r.offset / PAGE_SIZE, r.size / PAGE_SIZE);
      }
    }
    return marked;
  }

  private newChainId(): string {
    const given = this.firstChainId;
    this.firstChainId = undefined;
    if (given !== undefined) return given;
    return randomWord().toString(16).padStart(8, '0') + randomWord().toString(16).padStart(8, '0');
  }
}

/** The walk record of {@link resolvePage} (one, reused). */
const walk = new RegionWalk();

/** The dataspace and page behind virtual address `vaddr`, through nested maps, or null. */
function resolvePage(root: RegionMap, vaddr: number): { ds: Dataspace; page: number } | null {
  if (!walkRegions(root, vaddr >>> 0, walk)) return null;
  return { ds: walk.dataspace!, page: Math.floor(walk.dataspaceOffset / PAGE_SIZE) };
}

/** 1 where the page of `ds` has contents. */
function dataBits(ds: Dataspace): Uint8Array {
  const bits = new Uint8Array(ds.pageCount);
  for (let p = 0; p < ds.pageCount; p++) if (pageFrame(ds, p) >= 0) bits[p] = 1;
  return bits;
}

/**
 * The pages an image must hold, sorted by (id, page): every page with
 * contents for a full image (`prev` null) or a dataspace new since `prev`;
 * otherwise the pages with contents that had none at `prev` or are marked.
 */
function selectPages(
  layout: LayoutState,
  dataspaces: ReadonlyMap<number, Dataspace>,
  prev: ChainState | null,
  marked: Map<Dataspace, Uint8Array> | null,
  memory: Uint8Array,
): ImagePageSource {
  const ids: number[] = [], pages: number[] = [], frames: number[] = [];
  for (const rec of layout.dataspaces) {
    const ds = dataspaces.get(rec.id)!;
    const before = prev?.data.get(rec.id);
    const mark = marked?.get(ds);
    for (let p = 0; p < ds.pageCount; p++) {
      const frame = pageFrame(ds, p);
      if (frame < 0) continue;
      if (before !== undefined && before[p] === 1 && (mark === undefined || mark[p] === 0)) continue;
      ids.push(rec.id);
      pages.push(p);
      frames.push(frame);
    }
  }
  return { count: ids.length, ids: Uint32Array.from(ids), pages: Uint32Array.from(pages), frames: Int32Array.from(frames), memory };
}

/** A random nonzero 32-bit word (Web Crypto where present). */
function randomWord(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  let v = 0;
  while (v === 0) {
    if (c?.getRandomValues !== undefined) v = c.getRandomValues(new Uint32Array(1))[0]!;
    else v = Math.floor(Math.random() * 2 ** 32) >>> 0;
  }
  return v;
}

// ---- restore -----------------------------------------------------------------

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
  const decoded = images.map((i) => decodeImage(i.bytes, i.name, { verifyPages: !lazy }));
  checkQuota(machine, decoded[decoded.length - 1]);
  const plan = planRestore(decoded);
  const last = plan.last;
  const claim = new Map<string, CheckpointContributor>();
  for (const c of options.contributors ?? []) claim.set(c.name, c);
  for (const name of last.plugins.keys()) {
    if (!claim.has(name) && options.ignoreUnclaimedState !== true) {
      throw new UsageError(`restore: ${last.name} holds state of plugin '${name}' and no contributor of that name was given (pass it in contributors, or ignoreUnclaimedState)`);
    }
  }
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
