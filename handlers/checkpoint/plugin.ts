/**
 * The checkpoint plugin: installs a dirty log (for incremental images),
 * keeps the chain, and takes images between runs — capture (capture.ts)
 * then write (write.ts).
 */

import { UsageError, type Machine, type Uninstall } from '../../src/index.js';
import { ObjectIds, captureLayout, frameGeneration, guestFrameLow } from '../../src/plugin-kit.js';
import { dirtyLog, type DirtyLog } from '../dirty-log.js';
import { dataBits, markedPages, selectPages, type ChainState } from './capture.js';
import type { CheckpointContributor, CheckpointOptions, Checkpointer, TakeOptions } from './index.js';
import { newChainId, newImageId, writeImage } from './write.js';

/** Register number of sp. */
const SP = 2;

/** See `checkpoint` in index.ts. */
export class CheckpointPlugin implements Checkpointer {
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
  /**
   * Pages the last checkpoint looked at one by one to choose and record
   * its pages (a test hook: an incremental image costs its marked pages).
   *
   * @internal
   */
  pagesVisited = 0;
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
    const marked = prev === null ? null : markedPages(as, dirty, this.pendingDirty, this.logStack);
    this.pendingDirty.length = 0;
    const selection = selectPages(layout, dataspaces, prev, marked, as.memory.u8);
    const pages = selection.source;

    const chainId = prev !== null ? prev.chainId : this.newChainId();
    const sequence = prev !== null ? prev.sequence + 1 : 0;
    const imageId = newImageId(prev?.imageId ?? 0);
    const plugins = new Map<string, Uint8Array>();
    for (const [name, c] of this.contributors) {
      const state = c.saveState();
      if (!(state instanceof Uint8Array)) throw new UsageError(`${this.name}: contributor '${name}' saveState() returned ${typeof state}, not a Uint8Array`);
      plugins.set(name, state);
    }
    const treeGeneration = machine.fileSystem.generation;
    const bytes = writeImage(machine, { incremental: prev !== null, chainId, sequence, imageId, parentId: prev?.imageId ?? 0 }, layout, plugins, pages, prev?.treeGeneration ?? 0);
    // A dataspace whose pages with contents did not change since prev keeps its bits (no walk).
    const data = new Map<number, Uint8Array>(), generations = new Map<number, number>();
    let visited = selection.visited;
    for (const [id, ds] of dataspaces) {
      const generation = frameGeneration(ds);
      const bits = this.chain?.generations.get(id) === generation ? this.chain.data.get(id) : undefined;
      if (bits === undefined) visited += ds.pageCount;
      data.set(id, bits ?? dataBits(ds));
      generations.set(id, generation);
    }
    this.chain = { chainId, sequence, imageId, treeGeneration, data, generations };
    this.pagesVisited = visited;
    return bytes;
  }

  private newChainId(): string {
    const given = this.firstChainId;
    this.firstChainId = undefined;
    if (given !== undefined) return given;
    return newChainId();
  }
}
