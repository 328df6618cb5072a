import { Access } from '../fault/cause.js';
import type { AddressSpace } from '../memory/address-space.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../memory/page.js';

/** The most guest ranges one system call touches (futex: the word and the timeout). */
export const MAX_RANGES = 2;

/** Bytes of the 32-bit address space. */
const ADDRESS_SPACE_END = 2 ** 32;

/**
 * The guest memory one system call will read or write, resolved through
 * the fault chain before the call runs (docs/design.md §3: system calls
 * fault like guest accesses). Each range ends up with `accessible[k]`:
 * how many of its bytes, from the start, could be resolved — a short
 * count means a fault stayed unresolved there, and the call answers
 * `-EFAULT` (or a partial count) as Linux's `copy_from_user` would.
 *
 * A thread keeps one preallocated record; filling it never allocates.
 * @internal
 */
export class SyscallRanges {
  /** Number of ranges in use. */
  count = 0;
  /** Start of each range. */
  readonly address = new Uint32Array(MAX_RANGES);
  /** Length of each range (bytes). */
  readonly length = new Uint32Array(MAX_RANGES);
  /** Access of each range: {@link Access.Read} or {@link Access.Write}. */
  readonly access = new Uint8Array(MAX_RANGES);
  /** Bytes of each range resolved so far (the accessible prefix once done). */
  readonly accessible = new Uint32Array(MAX_RANGES);
  /** Index of the range being faulted in. */
  current = 0;

  /** Forgets every range. */
  clear(): void {
    this.count = 0;
    this.current = 0;
  }

  /**
   * Adds a range of `length` bytes at `address`. A range that runs past
   * the top of the address space is refused whole, as Linux's `access_ok`
   * refuses it: it stays empty, nothing is faulted in, and the call sees 0
   * accessible bytes.
   */
  add(address: number, length: number, access: Access): void {
    const k = this.count++;
    const start = address >>> 0;
    this.address[k] = start;
    this.length[k] = start + length > ADDRESS_SPACE_END ? 0 : length;
    this.access[k] = access;
    this.accessible[k] = 0;
  }

  /** Whether range `k` resolved completely (and is not empty because access_ok refused it). */
  whole(k: number, wanted: number): boolean {
    return k < this.count && this.accessible[k]! >= wanted;
  }

  /**
   * Advances range `k` over the pages `as` already allows, and returns
   * true when it stopped at a page that does not (translation has filled
   * the fault record: the caller dispatches that fault), false when the
   * range is resolved (its accessible count then is at most its length).
   */
  stepToFault(k: number, as: AddressSpace): boolean {
    const access = this.access[k]!;
    const table = access === Access.Write ? as.writeTlb : as.readTlb;
    while (this.accessible[k]! < this.length[k]!) {
      const at = (this.address[k]! + this.accessible[k]!) >>> 0;
      if (table[at >>> PAGE_SHIFT]! < 0 && as.translate(at, access) < 0) return true;
      this.accessible[k] = this.accessible[k]! + PAGE_SIZE - (at & PAGE_MASK);
    }
    if (this.accessible[k]! > this.length[k]!) this.accessible[k] = this.length[k]!;
    return false;
  }

  /** Ends range `k` at the bytes resolved so far (a fault there stayed unresolved). */
  truncate(k: number): void {
    this.length[k] = this.accessible[k]!;
  }
}
