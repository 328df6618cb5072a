/**
 * The machine's physical memory: one flat `ArrayBuffer` cut into 4 KiB
 * frames, plus the quota that bounds how much of it guests may use.
 *
 *   byte offset 0        4096         8192                     bump      byteLength
 *  +----------+------------+--------------------------------+------------+
 *  | reserved | zero frame | frames: in use, or free list   | never used |
 *  +----------+------------+--------------------------------+------------+
 *
 * Frames are named by their byte offset in the buffer (a positive int32),
 * so a translation is `offset | (vaddr & PAGE_MASK)`. Offset 0 is never a
 * frame (its 4 KiB are never handed out): the TLBs use 0 for "no
 * translation", so a fresh zeroed TLB is already empty (address-space.ts).
 *
 * A wasm-backed memory (option `wasm`, for the `wasm` tier) puts the read
 * and write TLBs, the cpu's registers and the code map first (see `WasmLayout`); its zero
 * frame and frames follow them, and offset 0 is a TLB entry, never a frame.
 */

import { FaultlineError, QuotaExceededError, UsageError } from '../errors.js';
import { PAGE_SIZE, PAGE_MASK } from './page.js';
import { bulkFillFor, type BulkFill } from './bulk-fill.js';

/**
 * Default quota: 1 GiB of backing memory.
 *
 * @example
 * ```ts
 * new Machine().memory.quota === DEFAULT_QUOTA; // true
 * ```
 */
export const DEFAULT_QUOTA = 1 << 30;
/**
 * Largest quota accepted: 1.5 GiB, so that every frame offset stays a
 * positive int32. A larger quota throws a UsageError.
 *
 * @example
 * ```ts
 * const machine = new Machine({ memoryQuota: MAX_QUOTA });
 * ```
 */
export const MAX_QUOTA = 3 << 29;
/** Size of the buffer before the first growth. */
const INITIAL_BYTES = 1 << 20;
/** Bytes at the start of the buffer that are never a frame: offset 0 means "none". */
const RESERVED_BYTES = PAGE_SIZE;

/**
 * Options of {@link PhysicalMemory}.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ quota: 64 << 20 });
 * ```
 */
export interface PhysicalMemoryOptions {
  /** Bytes of backing guests may reserve: a positive multiple of 4096, at most 1.5 GiB. Default 1 GiB. */
  quota?: number;
  /**
   * Bytes of buffer to start with (rounded up to a page, at most quota plus
   * two frames). Default 1 MiB. A machine that knows it will touch a lot of
   * memory saves the copies of repeated doubling.
   */
  initialSize?: number;
  /**
   * Back the frames by a shared `WebAssembly.Memory` (default false), with
   * the read and write TLBs and a register area before the first frame, so
   * that code compiled to WebAssembly (the `wasm` tier) reaches all of them.
   * Throws when this runtime has no shared WebAssembly memory; see
   * {@link wasmMemorySupported}.
   */
  wasm?: boolean;
}

/** Slots of the wasm tier's code map (a power of two). @internal */
export const CODE_MAP_SLOTS = 1 << 16;

/**
 * Layout of a wasm-backed {@link PhysicalMemory} (byte offsets): the
 * read TLB, the write TLB (1 Mi int32 entries each), the register area of
 * the cpu (x0..x32, then the exit words), the code map, then the frames.
 * @internal
 */
export const WasmLayout = {
  readTlb: 0,
  writeTlb: 4 << 20,
  registers: 8 << 20,
  /** Instructions the last wasm call retired (int32 after x0..x32). */
  retired: (8 << 20) + 33 * 4,
  /**
   * Set (1) when a wasm call must return to JavaScript: a slow path
   * faulted, grew memory or rewrote code. The caller clears it.
   */
  stop: (8 << 20) + 34 * 4,
  /**
   * The wasm tier's code map: {@link CODE_MAP_SLOTS} pairs (entry pc + 1,
   * table index of the function entered there), by a hash of the pc
   * (src/cpu/wasm/wasm-dispatcher.ts); zeros are empty slots.
   */
  codeMap: (8 << 20) + 4096,
  /** First frame: the zero frame. */
  frames: (8 << 20) + 4096 + CODE_MAP_SLOTS * 8,
} as const;

/** Bytes of a WebAssembly page. */
const WASM_PAGE = 65536;

/**
 * True when this runtime can back guest memory by a shared
 * `WebAssembly.Memory` (WebAssembly, SharedArrayBuffer and threads support).
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ wasm: wasmMemorySupported() });
 * ```
 */
export function wasmMemorySupported(): boolean {
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer !== 'undefined' && m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/**
 * All page frames of a machine in one flat buffer with typed views, and the
 * quota accounting for dataspaces.
 *
 * The buffer starts at 1 MiB (see `initialSize`) and doubles when frames run out (a new buffer,
 * the used part copied, new views, `generation` incremented). Code that
 * caches the views must re-read them after any call that may allocate a
 * frame; frame offsets stay valid across growth. The buffer never grows past
 * quota + two frames (the reserved first page and the zero frame), because every materialized frame
 * belongs to a dataspace whose full size was reserved.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ quota: 64 << 20 });
 * const frame = memory.allocFrame();
 * memory.u8[frame] = 42;
 * memory.freeFrame(frame);
 * ```
 */
export class PhysicalMemory {
  /** The whole backing store. Replaced on growth (a SharedArrayBuffer when wasm-backed). */
  buffer: ArrayBuffer | SharedArrayBuffer;
  /** The WebAssembly memory behind {@link buffer}, or null (a plain ArrayBuffer). @internal */
  readonly wasmMemory: WebAssembly.Memory | null;
  /** Unsigned byte view of {@link buffer}. Replaced on growth. */
  u8: Uint8Array;
  /** Signed byte view. Replaced on growth. */
  i8: Int8Array;
  /** Unsigned halfword view (index = offset >> 1). Replaced on growth. */
  u16: Uint16Array;
  /** Signed halfword view (index = offset >> 1). Replaced on growth. */
  i16: Int16Array;
  /** Word view (index = offset >> 2). Replaced on growth. */
  i32: Int32Array;
  /** Incremented each time the buffer (and so every view) is replaced. */
  generation = 0;
  /** Byte offset of a frame that is always zero; never handed out for writing. */
  readonly zeroFrame: number;

  private readonly quotaBytes: number;
  private reservedBytes = 0;
  /** Buffer size never exceeded: quota plus the reserved page and the zero frame. */
  private readonly limit: number;
  /** Offset of the first never-used frame. */
  private bump: number;
  /** Offset of the first frame: after the never-used first page, or after the wasm prefix. */
  private readonly firstFrame: number;
  /** Stack of freed frame offsets; its capacity is the buffer's frame count, so a push never overflows. */
  private freeList: Int32Array;
  private freeCount = 0;
  /** `memory.fill` over the wasm memory (typed-array fill is ~20x slower on shared memory), or null. */
  private readonly bulkFill: BulkFill | null;

  /**
   * @param options - `quota` (default 1 GiB) and `initialSize` of the buffer
   * @throws UsageError when `quota` is not a positive multiple of 4096 or exceeds 1.5 GiB.
   */
  constructor(options: PhysicalMemoryOptions = {}) {
    const quota = options.quota ?? DEFAULT_QUOTA;
    if (!Number.isInteger(quota) || quota <= 0 || (quota & PAGE_MASK) !== 0 || quota > MAX_QUOTA) {
      throw new UsageError(
        `PhysicalMemory: quota must be a positive multiple of ${PAGE_SIZE} of at most ${MAX_QUOTA} bytes, got ${String(quota)}`,
      );
    }
    const initialSize = options.initialSize ?? INITIAL_BYTES;
    if (!Number.isInteger(initialSize) || initialSize <= 0) {
      throw new UsageError(`PhysicalMemory: initialSize must be a positive integer, got ${String(initialSize)}`);
    }
    this.quotaBytes = quota;
    // Frames follow the never-used first page, or a wasm memory's TLBs and registers.
    this.firstFrame = options.wasm === true ? WasmLayout.frames : RESERVED_BYTES;
    this.limit = this.firstFrame + quota + PAGE_SIZE;
    this.bump = this.firstFrame;
    if (options.wasm === true) {
      // A shared memory grows in place, so views of its prefix stay valid for ever.
      const initial = Math.ceil(Math.min(this.firstFrame + initialSize, this.limit) / WASM_PAGE);
      this.wasmMemory = new WebAssembly.Memory({ initial, maximum: Math.ceil(this.limit / WASM_PAGE), shared: true });
      this.buffer = this.wasmMemory.buffer;
      this.bulkFill = bulkFillFor(this.wasmMemory);
    } else {
      this.wasmMemory = null;
      this.bulkFill = null;
      this.buffer = new ArrayBuffer(Math.min(Math.ceil(initialSize / PAGE_SIZE) * PAGE_SIZE, this.limit));
    }
    const initial = this.buffer.byteLength;
    this.u8 = new Uint8Array(this.buffer);
    this.i8 = new Int8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i16 = new Int16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.freeList = new Int32Array(initial / PAGE_SIZE);
    this.zeroFrame = this.allocFrame();
  }

  /** Bytes guests may reserve in total. */
  get quota(): number {
    return this.quotaBytes;
  }

  /** Bytes currently reserved by dataspaces. */
  get reserved(): number {
    return this.reservedBytes;
  }

  /** Bytes still available for reservation. */
  get remaining(): number {
    return this.quotaBytes - this.reservedBytes;
  }

  /** Current size of {@link buffer} in bytes. */
  get capacity(): number {
    return this.buffer.byteLength;
  }

  /** Frames handed out and not freed, the zero frame included. */
  get framesInUse(): number {
    return (this.bump - this.firstFrame) / PAGE_SIZE - this.freeCount;
  }

  /**
   * Reserves `bytes` of quota for `what` (named in the error).
   *
   * @param bytes - how many bytes to reserve (a non-negative integer)
   * @param what - what they are for, for the error message
   * @throws QuotaExceededError naming `what`, the request and the remaining quota; nothing is reserved then.
   * @example
   * ```ts
   * memory.reserve(8192, 'dataspace "heap"');
   * ```
   */
  reserve(bytes: number, what: string): void {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new UsageError(`reserve: byte count must be a non-negative integer, got ${String(bytes)}`);
    }
    if (bytes > this.quotaBytes - this.reservedBytes) {
      throw new QuotaExceededError(
        `reserve: quota exceeded for ${what}: requested ${bytes} bytes, ${this.quotaBytes - this.reservedBytes} of ${this.quotaBytes} bytes remain`,
      );
    }
    this.reservedBytes += bytes;
  }

  /**
   * Gives back `bytes` reserved earlier.
   *
   * @param bytes - how many reserved bytes to give back
   * @throws FaultlineError when more is released than reserved (a broken invariant).
   * @example
   * ```ts
   * memory.release(8192);
   * ```
   */
  release(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > this.reservedBytes) {
      throw new FaultlineError(`release: cannot release ${String(bytes)} bytes, only ${this.reservedBytes} are reserved`);
    }
    this.reservedBytes -= bytes;
  }

  /**
   * Returns the byte offset of a zeroed 4 KiB frame, from the free list or
   * fresh from the buffer (which may grow: re-read the views afterwards).
   * Callers own the frame until {@link freeFrame}.
   *
   * @throws QuotaExceededError when the buffer is at its limit (only when callers allocate past their reservations).
   * @example
   * ```ts
   * const frame = memory.allocFrame();
   * memory.i32[frame >> 2] = 1;
   * ```
   */
  allocFrame(): number {
    if (this.freeCount > 0) {
      const frame = this.freeList[--this.freeCount]!;
      this.fillBytes(frame, PAGE_SIZE, 0);
      return frame;
    }
    // (A wasm memory's last 64 KiB page may reach past the limit: frames stop there.)
    if (this.bump + PAGE_SIZE > Math.min(this.buffer.byteLength, this.limit)) this.grow();
    const frame = this.bump;
    this.bump += PAGE_SIZE;
    return frame;
  }

  /**
   * Makes room for `bytes` more fresh frames and has the host commit them
   * now (like `MAP_POPULATE`): the buffer grows to hold them and one zero
   * byte is written into each of their pages, so the first guest write to
   * them later costs no host page fault (≈ µs each on a VM). Fresh frames
   * are known to be zero and are handed out without clearing. Frames
   * already on the free list are not affected.
   *
   * @param bytes - how many bytes of fresh frames to prepare (rounded up to frames)
   * @throws UsageError when `bytes` is not a non-negative integer.
   * @throws QuotaExceededError when they do not fit under the buffer's limit.
   * @example
   * ```ts
   * machine.memory.prefault(64 << 20);   // before a restore of 64 MiB
   * ```
   */
  prefault(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0) throw new UsageError(`prefault: byte count must be a non-negative integer, got ${String(bytes)}`);
    const end = this.bump + Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    if (end > this.limit) {
      throw new QuotaExceededError(`prefault: ${bytes} more bytes do not fit: ${this.limit - this.bump} bytes of frames remain`);
    }
    while (this.buffer.byteLength < end) this.grow();
    const u8 = this.u8;
    for (let at = this.bump; at < end; at += PAGE_SIZE) u8[at] = 0;
  }

  /**
   * Returns a frame from {@link allocFrame} to the free list. Its contents
   * are cleared when it is handed out again.
   *
   * @param frame - a byte offset returned by {@link PhysicalMemory.allocFrame}
   * @throws FaultlineError when `frame` is not a frame offset handed out before, or is the zero frame.
   * @example
   * ```ts
   * memory.freeFrame(memory.allocFrame());
   * ```
   */
  freeFrame(frame: number): void {
    if ((frame & PAGE_MASK) !== 0 || frame < this.firstFrame || frame >= this.bump || frame === this.zeroFrame) {
      throw new FaultlineError(`freeFrame: ${String(frame)} is not an allocated frame offset`);
    }
    this.freeList[this.freeCount++] = frame;
  }

  /**
   * Sets `length` bytes at byte offset `at` to `byte`: `u8.fill`, or on a
   * wasm-backed memory WebAssembly's `memory.fill` (on shared memory the
   * typed-array fill stores element by element, ≈ 20x slower; see
   * bulk-fill.ts).
   * @internal The range must lie inside {@link buffer}.
   */
  fillBytes(at: number, length: number, byte: number): void {
    const fill = this.bulkFill;
    if (fill !== null) fill(at, byte, length);
    else this.u8.fill(byte, at, at + length);
  }

  /**
   * The TLB arrays of a wasm-backed memory (views of its prefix, filled
   * with -1), for the first address space that asks; null for any later one
   * or when not wasm-backed (that address space keeps plain arrays).
   * @internal
   */
  claimWasmTlbs(): { read: Int32Array; write: Int32Array } | null {
    if (this.wasmMemory === null || this.tlbsClaimed) return null;
    this.tlbsClaimed = true;
    const buffer = this.wasmMemory.buffer;
    return {
      read: new Int32Array(buffer, WasmLayout.readTlb, 1 << 20),
      write: new Int32Array(buffer, WasmLayout.writeTlb, 1 << 20),
    };
  }

  /**
   * Registers x0..x32 of the cpu that runs wasm code against this memory
   * (a view of its register area), for the first cpu that asks; null for
   * any later one or when not wasm-backed.
   * @internal
   */
  claimWasmRegisters(): Int32Array | null {
    if (this.wasmMemory === null || this.registersClaimed) return null;
    this.registersClaimed = true;
    return new Int32Array(this.wasmMemory.buffer, WasmLayout.registers, 33);
  }

  private tlbsClaimed = false;
  private registersClaimed = false;

  /** Doubles the buffer (capped at the limit), copying the used part. */
  private grow(): void {
    const old = this.buffer.byteLength;
    if (old >= this.limit) {
      throw new QuotaExceededError(
        `allocFrame: physical memory exhausted at ${old} bytes (quota ${this.quotaBytes} bytes)`,
      );
    }
    let buffer: ArrayBuffer | SharedArrayBuffer;
    if (this.wasmMemory !== null) {
      // Grows in place: nothing to copy, the old views stay valid (shorter).
      const pages = Math.min(old * 2, Math.ceil(this.limit / WASM_PAGE) * WASM_PAGE) / WASM_PAGE;
      this.wasmMemory.grow(pages - old / WASM_PAGE);
      buffer = this.wasmMemory.buffer;
    } else {
      buffer = new ArrayBuffer(Math.min(old * 2, this.limit));
      new Uint8Array(buffer).set(this.u8.subarray(0, this.bump));
    }
    const size = buffer.byteLength;
    const u8 = new Uint8Array(buffer);
    const freeList = new Int32Array(size / PAGE_SIZE);
    freeList.set(this.freeList.subarray(0, this.freeCount));
    this.buffer = buffer;
    this.u8 = u8;
    this.i8 = new Int8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.i16 = new Int16Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.freeList = freeList;
    this.generation++;
  }
}
