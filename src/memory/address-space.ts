/**
 * Address spaces: a root region map, protection overlays, the machine's
 * software TLBs and host access to guest memory. (The Linux memory calls
 * that map into an address space are in src/syscalls/linux-memory.ts.)
 *
 * Translation caches (one per access kind), indexed by virtual page number:
 *
 *   readTlb[vaddr >>> 12] = frame byte offset in memory.buffer, or 0
 *
 *   0 means "not known to be allowed" (offset 0 is never a frame, see
 *   physical-memory.ts, so a fresh zeroed array is an empty TLB and costs
 *   nothing to create): the CPU calls translate(), which walks root ->
 *   nested region maps -> dataspace, checks the rights and either fills
 *   the entry or fills `fault` and returns -1. Only allowed
 *   translations are ever cached, so adding rights never needs a flush and
 *   removing them always flushes exactly the affected pages.
 */

import { FaultlineError, UsageError, hex32 } from '../errors.js';
import { Access } from '../fault/cause.js';
import { Dataspace } from './dataspace.js';
import type { DataspaceOptions } from './dataspace.js';
import { collectMappings, formatMaps } from './maps-format.js';
import type { MapsEntry } from './maps-format.js';
import { ALL_RIGHTS, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, Prot, VPAGE_COUNT } from './page.js';
import type { PhysicalMemory } from './physical-memory.js';
import { ProtectionLayer } from './protection-layer.js';
import { RegionMap } from './region-map.js';
import type { RegionMapOptions, TranslationOwner } from './region-map.js';
import { TranslationFault } from './translation-fault.js';
import { RegionWalk, walkRegions } from './walk.js';

/** Size of the root region map: the whole 32-bit address space. */
const ADDRESS_SPACE_SIZE = 2 ** 32;

/**
 * Options of {@link AddressSpace}.
 *
 * @example
 * ```ts
 * const as = new AddressSpace({ memory: new PhysicalMemory() });
 * ```
 */
export interface AddressSpaceOptions {
  /** The physical memory (and quota) every dataspace of this address space lives in. */
  memory: PhysicalMemory;
}

/**
 * A guest's view of memory: a 4 GiB root region map, page-protection
 * layers (the guest's `mprotect` overlay first), the software TLBs the CPU
 * reads on its fast path, host access to guest memory and the
 * `/proc/self/maps` view. The Linux calls (`mmap`, `brk`, ...) that map
 * into it are `machine.linuxMemory`'s.
 *
 * Effective right of an access = AND of every region's rights along the
 * nesting path, the dataspace's own `writable`, and every protection layer.
 * Reading is always granted by regions; executing needs `executable` on
 * every region on the path.
 *
 * @example
 * ```ts
 * const as = new AddressSpace({ memory: new PhysicalMemory() });
 * const addr = 0x4000_0000;
 * as.root.attach(as.createDataspace(8192), { at: addr });
 * as.writeU32(addr, 42);
 * const frame = as.translate(addr, Access.Read); // > 0: as.memory.i32[(frame | (addr & 0xfff)) >> 2] === 42
 * ```
 */
export class AddressSpace implements TranslationOwner {
  /** Physical memory holding every frame this address space maps. */
  readonly memory: PhysicalMemory;
  /** The root region map, 2^32 bytes. */
  readonly root: RegionMap;
  /**
   * Read translations: frame offset per virtual page, or 0. Never
   * replaced. In a wasm-backed memory, a view of its prefix (wasm code reads it).
   */
  readonly readTlb: Int32Array;
  /** Write translations (pages holding decoded code stay 0). Never replaced; wasm-backed as {@link readTlb}. */
  readonly writeTlb: Int32Array;
  /** Execute translations. Never replaced. */
  readonly execTlb = new Int32Array(VPAGE_COUNT);
  /**
   * Decoded instructions per virtual page, owned by the CPU. Entries are
   * dropped whenever the page's mapping, execute right or contents (host
   * write, materialization) change. Call {@link markCode} after adding one.
   */
  readonly codeCache = new Map<number, Int32Array<ArrayBuffer>>();
  /** Details of the last failed {@link translate}; one reused object. */
  readonly fault: TranslationFault;
  /** The guest's `mprotect` overlay (7 = no restriction where never set). */
  readonly guestProtection: ProtectionLayer;

  /**
   * Called after decoded code of virtual pages [start, end) was dropped
   * (anything compiled from it must not run again), or null. The wasm
   * tier's cpu sets it: its code map outlives a single run.
   * @internal
   */
  onCodeDropped: ((start: number, end: number) => void) | null = null;

  /** True when readTlb and writeTlb are views of the wasm memory (see clearTlb). */
  private readonly sharedTlbs: boolean;
  /** 1 where `codeCache` has an entry: writeTlb stays 0 there. */
  private readonly codePages = new Uint8Array(VPAGE_COUNT);
  /** Every protection layer, guestProtection first. Replaced on change (copy-on-write). */
  private layers: readonly ProtectionLayer[];
  /** The record every walk of this address space fills (one, reused: walks allocate nothing). */
  private readonly walk = new RegionWalk();
  /** Result registers of {@link resolve} (host access walk). */
  private hostDataspace: Dataspace | null = null;
  private hostOffset = 0;

  /**
   * Creates an empty address space (nothing mapped, no break, no layers
   * but the guest's). A {@link Machine} makes its own; create one directly
   * only to use the memory layer without a CPU. Never throws.
   *
   * @param options - the physical memory to allocate from
   * @example
   * ```ts
   * const as = new AddressSpace({ memory: new PhysicalMemory({ quota: 16 << 20 }) });
   * ```
   */
  constructor(options: AddressSpaceOptions) {
    this.memory = options.memory;
    const tlbs = this.memory.claimWasmTlbs();
    this.readTlb = tlbs?.read ?? new Int32Array(VPAGE_COUNT);
    this.writeTlb = tlbs?.write ?? new Int32Array(VPAGE_COUNT);
    this.sharedTlbs = tlbs !== null;
    this.root = new RegionMap(ADDRESS_SPACE_SIZE, { name: 'root' });
    this.root.owner = this;
    this.fault = new TranslationFault(this.root);
    this.guestProtection = new ProtectionLayer('guest mprotect', this);
    this.layers = [this.guestProtection];
  }

  // ---- factories -------------------------------------------------------

  /**
   * Creates a zero-filled dataspace in this address space's physical
   * memory, charged to its quota.
   *
   * @param size - bytes: a positive multiple of 4096
   * @param options - `writable`, `name`, `shared`
   * @throws UsageError when `size` is not a positive multiple of 4096.
   * @throws QuotaExceededError when the quota cannot cover `size`.
   * @example
   * ```ts
   * const ds = as.createDataspace(4 * PAGE_SIZE, { name: 'buffer' });
   * ```
   */
  createDataspace(size: number, options: DataspaceOptions = {}): Dataspace {
    return new Dataspace(this.memory, size, options);
  }

  /**
   * Creates an empty region map (attach it somewhere to make a managed dataspace).
   *
   * @param size - bytes the map spans: a positive multiple of 4096 up to 2^32
   * @param options - `name` for messages and `maps()`
   * @throws UsageError when `size` is not a positive multiple of 4096 up to 2^32.
   * @example
   * ```ts
   * const managed = as.createRegionMap(1 << 20, { name: 'lazy' });
   * as.root.attach(managed, { at: 0x3000_0000 });
   * ```
   */
  createRegionMap(size: number, options: RegionMapOptions = {}): RegionMap {
    return new RegionMap(size, options);
  }

  // ---- MMU slow path ---------------------------------------------------

  /**
   * Translates `vaddr` for `access`: walks root -> nested maps -> dataspace
   * and checks the effective right. On success fills the TLB of that access
   * (a write materializes the page and also fills readTlb when reading is
   * allowed; a read of a never-written page maps the zero frame) and returns
   * the frame's byte offset in `memory` (the physical memory may have grown:
   * re-read its views). On failure returns -1 and fills {@link fault}. Does
   * not allocate, except a frame on first write.
   *
   * A write to a page marked as code returns the frame without filling
   * writeTlb, so every store there comes back here and the CPU can update
   * its decoded instructions.
   *
   * @param vaddr - the virtual address
   * @param access - an {@link Access} kind
   * @throws FaultlineError when a dataspace of another physical memory is attached (a broken invariant).
   * @example
   * ```ts
   * let e = as.readTlb[addr >>> 12];
   * if (e === 0) e = as.translate(addr, Access.Read);
   * if (e > 0) value = as.memory.i32[(e | (addr & 0xfff)) >> 2];
   * ```
   */
  translate(vaddr: number, access: number): number {
    vaddr = vaddr >>> 0;
    const vpage = vaddr >>> PAGE_SHIFT;
    const w = this.walk;
    if (!walkRegions(this.root, vaddr, w)) return this.fail(vaddr, access, false, w.map!, w.offset, null);
    const ds = w.dataspace!;
    let prot = w.rights;
    const layers = this.layers;
    for (let i = 0; i < layers.length; i++) prot &= layers[i]!.prot[vpage]!;
    if ((prot & rightFor(access)) === 0) return this.fail(vaddr, access, true, w.map!, w.offset, ds);
    if (ds.memory !== this.memory) {
      throw new FaultlineError(
        `translate: dataspace "${ds.name}" at ${hex32(vaddr)} belongs to another physical memory`,
      );
    }
    const page = w.dataspaceOffset >>> PAGE_SHIFT;
    let frame: number;
    if (access === Access.Write) {
      frame = ds.frameForWrite(page);
      if (this.codePages[vpage] === 0) this.writeTlb[vpage] = frame;
      if ((prot & Prot.Read) !== 0) this.readTlb[vpage] = frame;
    } else {
      frame = ds.frameForRead(page);
      if (access === Access.Read) this.readTlb[vpage] = frame;
      else this.execTlb[vpage] = frame;
    }
    return frame;
  }

  /**
   * Caches the translation that {@link translate} would make for `vaddr`
   * and `access`, when that is only a cache fill: the access is allowed
   * now and a write finds its page already materialized. Otherwise does
   * nothing: it never allocates a frame and never fills the fault record.
   * A fault handler that has just made an access possible calls it, so
   * that the retried access hits the TLB — in the wasm tier a miss is a
   * call out of WebAssembly and back (docs/performance.md, "Fault costs
   * on wasm-backed memory").
   *
   * @internal
   */
  prefill(vaddr: number, access: number): void {
    const prot = this.effectiveProt(vaddr);
    if (prot < 0 || (prot & rightFor(access)) === 0) return;
    // effectiveProt's walk left the dataspace in this.walk.
    const ds = this.walk.dataspace!;
    if (ds.memory !== this.memory) return;
    if (access === Access.Write && !ds.isMaterialized(this.walk.dataspaceOffset >>> PAGE_SHIFT)) return;
    this.translate(vaddr, access);
  }

  /**
   * Effective Prot bits at `vaddr` (all layers and levels ANDed), or -1
   * when nothing is mapped there. Does not touch the TLBs.
   *
   * @param vaddr - any address in the page
   * @example
   * ```ts
   * if (as.effectiveProt(addr) & Prot.Write) console.log('writable');
   * ```
   */
  effectiveProt(vaddr: number): number {
    vaddr = vaddr >>> 0;
    const w = this.walk;
    if (!walkRegions(this.root, vaddr, w)) return -1;
    let prot = w.rights;
    const layers = this.layers;
    for (let i = 0; i < layers.length; i++) prot &= layers[i]!.prot[vaddr >>> PAGE_SHIFT]!;
    return prot;
  }

  /**
   * The Prot bits the guest itself sees at `vaddr`: the regions' rights and
   * its own `mprotect` overlay, without the plugins' protection layers
   * (which must stay invisible to it), or -1 when nothing is mapped there.
   *
   * @param vaddr - any address in the page
   * @example
   * ```ts
   * if (as.guestProt(fn) & Prot.Exec) console.log('the guest may run code there');
   * ```
   */
  guestProt(vaddr: number): number {
    vaddr = vaddr >>> 0;
    const w = this.walk;
    if (!walkRegions(this.root, vaddr, w)) return -1;
    return w.rights & this.guestProtection.prot[vaddr >>> PAGE_SHIFT]!;
  }

  /** Fills {@link fault}'s record once, where translation fails; returns -1. */
  private fail(
    vaddr: number,
    access: number,
    protection: boolean,
    map: RegionMap,
    offset: number,
    ds: Dataspace | null,
  ): number {
    return this.fault.fill(vaddr, access, protection, map, offset, ds);
  }

  // ---- translation cache maintenance ------------------------------------

  /**
   * Records that `codeCache` holds decoded instructions for virtual page
   * `vpage`: its write translation is dropped and not cached again until the
   * page is flushed, so stores there take the slow path.
   *
   * @param vpage - the virtual page number (address >>> 12)
   * @example
   * ```ts
   * as.codeCache.set(vpage, decoded);
   * as.markCode(vpage);
   * ```
   */
  markCode(vpage: number): void {
    this.codePages[vpage] = 1;
    this.writeTlb[vpage] = 0;
  }

  /**
   * Drops cached translations of `count` virtual pages from `vpageStart`.
   * `rights` (Prot bits, default all) says which kinds: Read clears readTlb,
   * Write clears writeTlb, Exec clears execTlb and drops decoded code
   * (`codeCache` entries and code marks). Every invalidation in the memory
   * layer comes through here.
   *
   * @param vpageStart - first virtual page number
   * @param count - number of pages
   * @param rights - Prot bits of the translation kinds to drop
   * @example
   * ```ts
   * as.flush(0x10, 4); // pages 0x10000..0x13fff
   * ```
   */
  flush(vpageStart: number, count: number, rights: number = ALL_RIGHTS): void {
    if (count === 1) {
      // One page (a demand-paging evict, a first write): plain stores beat
      // three calls of the fill builtin.
      if ((rights & Prot.Read) !== 0) this.readTlb[vpageStart] = 0;
      if ((rights & Prot.Write) !== 0) this.writeTlb[vpageStart] = 0;
      if ((rights & Prot.Exec) !== 0) {
        this.execTlb[vpageStart] = 0;
        if (this.codePages[vpageStart] !== 0) this.dropCode(vpageStart, vpageStart + 1);
      }
      return;
    }
    const end = vpageStart + count;
    if ((rights & Prot.Read) !== 0) this.clearTlb(this.readTlb, vpageStart, end);
    if ((rights & Prot.Write) !== 0) this.clearTlb(this.writeTlb, vpageStart, end);
    if ((rights & Prot.Exec) !== 0) {
      this.execTlb.fill(0, vpageStart, end);
      this.dropCode(vpageStart, end);
    }
  }

  /**
   * Drops every cached translation and all decoded code.
   *
   * @example
   * ```ts
   * as.flushAll();
   * ```
   */
  flushAll(): void {
    this.clearTlb(this.readTlb, 0, VPAGE_COUNT);
    this.clearTlb(this.writeTlb, 0, VPAGE_COUNT);
    this.execTlb.fill(0);
    this.dropDecodedCode();
  }

  /**
   * Zeroes entries `[start, end)` of the read or write TLB. Those of a
   * wasm-backed memory are views of it, where `fill` stores element by
   * element (≈ 20x slower); the memory's `fillBytes` clears them at memset
   * speed.
   */
  private clearTlb(tlb: Int32Array, start: number, end: number): void {
    if (this.sharedTlbs) this.memory.fillBytes(tlb.byteOffset + start * 4, (end - start) * 4, 0);
    else tlb.fill(0, start, end);
  }

  /**
   * Drops all decoded code and code marks, keeping the TLBs (what `fence.i`
   * needs after stores to code through another mapping).
   *
   * @example
   * ```ts
   * as.dropDecodedCode(); // fence.i
   * ```
   */
  dropDecodedCode(): void {
    for (const vpage of this.codeCache.keys()) this.codePages[vpage] = 0;
    this.codeCache.clear();
    this.onCodeDropped?.(0, VPAGE_COUNT);
  }

  /** Drops decoded code of pages [start, end). */
  private dropCode(start: number, end: number): void {
    const cache = this.codeCache;
    if (cache.size === 0) return;
    if (cache.size < end - start) {
      for (const vpage of cache.keys()) {
        if (vpage >= start && vpage < end) {
          cache.delete(vpage);
          this.codePages[vpage] = 0;
        }
      }
    } else {
      for (let p = start; p < end; p++) {
        if (this.codePages[p] !== 0) {
          cache.delete(p);
          this.codePages[p] = 0;
        }
      }
    }
    this.onCodeDropped?.(start, end);
  }

  // ---- protection layers -------------------------------------------------

  /**
   * Adds a protection layer (all pages unrestricted) whose rights are ANDed
   * into every translation from now on.
   *
   * @param name - name for messages
   * @example
   * ```ts
   * const layer = as.createProtectionLayer('dirty-log');
   * layer.protect(start, length, Prot.Read | Prot.Exec);
   * ```
   */
  createProtectionLayer(name: string): ProtectionLayer {
    const layer = new ProtectionLayer(name, this);
    this.layers = [...this.layers, layer];
    return layer;
  }

  /**
   * Removes a layer created by {@link createProtectionLayer}. Returns false
   * when it was not there. Rights only grow, so nothing is flushed.
   *
   * @param layer - a layer from {@link AddressSpace.createProtectionLayer}
   * @throws UsageError when asked to remove {@link guestProtection}.
   * @example
   * ```ts
   * as.removeProtectionLayer(layer);
   * ```
   */
  removeProtectionLayer(layer: ProtectionLayer): boolean {
    if (layer === this.guestProtection) {
      throw new UsageError('removeProtectionLayer: the guest protection layer cannot be removed');
    }
    if (!this.layers.includes(layer)) return false;
    this.layers = this.layers.filter((l) => l !== layer);
    return true;
  }

  /** Every protection layer, guest protection first. */
  get protectionLayers(): readonly ProtectionLayer[] {
    return this.layers;
  }

  // ---- host access ---------------------------------------------------------

  /**
   * Copies `length` bytes of guest memory from `vaddr`, ignoring
   * protections and raising no guest fault.
   *
   * @param vaddr - first guest address
   * @param length - bytes to copy
   * @throws FaultlineError naming the first unmapped address in the range.
   * @example
   * ```ts
   * const bytes = as.readBytes(bufferAddress, count);
   * ```
   */
  readBytes(vaddr: number, length: number): Uint8Array {
    this.checkHostRange('readBytes', vaddr, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = vaddr + done;
      const chunk = Math.min(PAGE_SIZE - (at & PAGE_MASK), length - done);
      if (!this.resolve(at)) throw new FaultlineError(`readBytes: address ${hex32(at)} is not mapped`);
      const ds = this.hostDataspace!;
      const f = ds.frames[Math.floor(this.hostOffset / PAGE_SIZE)]!;
      if (f >= 0) {
        const from = f + (this.hostOffset & PAGE_MASK);
        out.set(ds.memory.u8.subarray(from, from + chunk), done);
      }
      done += chunk;
    }
    return out;
  }

  /**
   * Copies `bytes` into guest memory at `vaddr`, ignoring protections (it
   * can write read-only guest pages) and raising no guest fault. Decoded
   * code of the written pages is dropped. Nothing is written unless every
   * page is mapped to a writable dataspace.
   *
   * @param vaddr - first guest address
   * @param bytes - what to copy in
   * @throws FaultlineError naming the address when a page is unmapped or its dataspace is read-only (sealed).
   * @example
   * ```ts
   * as.writeBytes(stackPointer, new TextEncoder().encode('argv0\0'));
   * ```
   */
  writeBytes(vaddr: number, bytes: Uint8Array): void {
    const length = bytes.length;
    this.checkHostRange('writeBytes', vaddr, length);
    for (let done = 0; done < length; ) {
      const at = vaddr + done;
      if (!this.resolve(at)) throw new FaultlineError(`writeBytes: address ${hex32(at)} is not mapped`);
      if (!this.hostDataspace!.writable) {
        throw new FaultlineError(
          `writeBytes: address ${hex32(at)} is in read-only dataspace "${this.hostDataspace!.name}"`,
        );
      }
      done += Math.min(PAGE_SIZE - (at & PAGE_MASK), length - done);
    }
    for (let done = 0; done < length; ) {
      const at = vaddr + done;
      const chunk = Math.min(PAGE_SIZE - (at & PAGE_MASK), length - done);
      this.resolve(at);
      this.hostDataspace!.write(this.hostOffset, bytes.subarray(done, done + chunk));
      done += chunk;
    }
  }

  /**
   * Reads a little-endian 32-bit word (unsigned) at `vaddr`; see {@link readBytes}.
   *
   * @param vaddr - guest address (any alignment)
   * @throws FaultlineError naming the address when unmapped.
   * @example
   * ```ts
   * const argc = as.readU32(sp);
   * ```
   */
  readU32(vaddr: number): number {
    const b = this.readBytes(vaddr, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /**
   * Writes a little-endian 32-bit word at `vaddr`; see {@link writeBytes}.
   *
   * @param vaddr - guest address (any alignment)
   * @param value - the word; its low 32 bits are written
   * @throws FaultlineError naming the address when unmapped or read-only.
   * @example
   * ```ts
   * as.writeU32(sp, argc);
   * ```
   */
  writeU32(vaddr: number, value: number): void {
    this.writeBytes(vaddr, new Uint8Array([value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24]));
  }

  /**
   * Reads a NUL-terminated UTF-8 string at `vaddr`, at most `max` bytes
   * (the string is cut there when no NUL comes first).
   *
   * @param vaddr - address of the first character
   * @param max - most bytes to read
   * @throws FaultlineError naming the address when a byte before the NUL is unmapped.
   * @example
   * ```ts
   * const path = as.readCString(a0, 4096);
   * ```
   */
  readCString(vaddr: number, max = 4096): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    let at = vaddr >>> 0;
    while (total < max) {
      if (at >= ADDRESS_SPACE_SIZE) throw new FaultlineError(`readCString: string at ${hex32(vaddr)} runs past 2^32`);
      const chunk = Math.min(PAGE_SIZE - (at & PAGE_MASK), max - total);
      const bytes = this.readBytes(at, chunk);
      const nul = bytes.indexOf(0);
      if (nul >= 0) {
        parts.push(bytes.subarray(0, nul));
        total += nul;
        break;
      }
      parts.push(bytes);
      total += chunk;
      at += chunk;
    }
    const joined = new Uint8Array(total);
    let pos = 0;
    for (const p of parts) {
      joined.set(p, pos);
      pos += p.length;
    }
    return new TextDecoder().decode(joined);
  }

  /** Walks to the dataspace behind `vaddr` ignoring rights; sets hostDataspace/hostOffset. */
  private resolve(vaddr: number): boolean {
    const w = this.walk;
    if (!walkRegions(this.root, vaddr, w)) return false;
    this.hostDataspace = w.dataspace;
    this.hostOffset = w.dataspaceOffset;
    return true;
  }

  private checkHostRange(fn: string, vaddr: number, length: number): void {
    if (!Number.isInteger(vaddr) || vaddr < 0 || !Number.isInteger(length) || length < 0 || vaddr + length > ADDRESS_SPACE_SIZE) {
      throw new FaultlineError(`${fn}: range ${String(vaddr)} + ${String(length)} is outside the 32-bit address space`);
    }
  }

  // ---- the /proc/self/maps view ------------------------------------------

  /**
   * The mappings as `/proc/self/maps` shows them: flattened through nested
   * maps (holes inside managed maps are not listed), with effective rights
   * (AND along the path and the guest protection layer), adjacent pieces
   * of equal rights and name merged.
   *
   * @example
   * ```ts
   * for (const m of as.mappings()) if (m.write) console.log(hex32(m.start), m.name);
   * ```
   */
  mappings(): MapsEntry[] {
    return collectMappings(this.root, this.guestProtection);
  }

  /**
   * {@link mappings} formatted like `/proc/self/maps`, one line per entry:
   * `00010000-00012000 r-xp 00000000 00:00 0          name`.
   *
   * @example
   * ```ts
   * console.log(as.maps());
   * ```
   */
  maps(): string {
    return formatMaps(this.mappings());
  }
}

/** The Prot bit an access needs. */
function rightFor(access: number): number {
  return access === Access.Write ? Prot.Write : access === Access.Execute ? Prot.Exec : Prot.Read;
}
