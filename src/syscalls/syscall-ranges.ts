import { Access } from '../fault/cause.js';
import type { AddressSpace } from '../memory/address-space.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../memory/page.js';

/** Ranges a thread's record holds before it grows (futex: the word and the timeout). */
export const MAX_RANGES = 2;

/** The longest path a call reads, with its NUL (Linux's PATH_MAX). */
export const PATH_MAX = 4096;

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
  address = new Uint32Array(MAX_RANGES);
  /** Length of each range (bytes); for a string range, up to and with its NUL once found. */
  length = new Uint32Array(MAX_RANGES);
  /** Access of each range: {@link Access.Read} or {@link Access.Write}. */
  access = new Uint8Array(MAX_RANGES);
  /** Bytes of each range resolved so far (the accessible prefix once done). */
  accessible = new Uint32Array(MAX_RANGES);
  /** 1 for a NUL-terminated string range (a path): it ends at its NUL; 2 once the NUL was found. */
  text = new Uint8Array(MAX_RANGES);
  /** Index of the range being faulted in. */
  current = 0;
  /** Whether the call's second set of ranges (`readv`/`writev` buffers, read from the first) was added. */
  expanded = false;

  /** Makes this record a copy of `other` (a nested call saves and restores its thread's record with it). */
  copyFrom(other: SyscallRanges): void {
    this.reserve(other.count);
    const n = other.count;
    this.address.set(other.address.subarray(0, n));
    this.length.set(other.length.subarray(0, n));
    this.access.set(other.access.subarray(0, n));
    this.accessible.set(other.accessible.subarray(0, n));
    this.text.set(other.text.subarray(0, n));
    this.count = n;
    this.current = other.current;
    this.expanded = other.expanded;
  }

  /** Forgets every range. */
  clear(): void {
    this.count = 0;
    this.current = 0;
    this.expanded = false;
  }

  /** Makes room for `n` ranges (grows rarely: only `readv`/`writev` need many). */
  reserve(n: number): void {
    if (n <= this.address.length) return;
    const grow = <T extends Uint32Array | Uint8Array>(old: T, make: (k: number) => T): T => { const a = make(n); a.set(old); return a; };
    this.address = grow(this.address, (k) => new Uint32Array(k));
    this.length = grow(this.length, (k) => new Uint32Array(k));
    this.access = grow(this.access, (k) => new Uint8Array(k));
    this.accessible = grow(this.accessible, (k) => new Uint32Array(k));
    this.text = grow(this.text, (k) => new Uint8Array(k));
  }

  /**
   * Adds a NUL-terminated string at `address` (a path): faulted in page
   * by page up to its NUL, at most {@link PATH_MAX} bytes. Once resolved,
   * `terminated(k)` says whether the NUL was found; the string's bytes are
   * `length[k] - 1`.
   */
  addString(address: number): void {
    const k = this.count;
    this.add(address, PATH_MAX, Access.Read);
    // A string near the top of the address space may still end before it.
    if (this.length[k] === 0) this.length[k] = Math.min(PATH_MAX, ADDRESS_SPACE_END - (address >>> 0));
    this.text[k] = 1;
  }

  /** Whether string range `k` resolved up to its NUL. */
  terminated(k: number): boolean {
    return k < this.count && this.text[k] === 2 && this.accessible[k]! >= this.length[k]!;
  }

  /**
   * Adds a range of `length` bytes at `address`. A range that runs past
   * the top of the address space is refused whole, as Linux's `access_ok`
   * refuses it: it stays empty, nothing is faulted in, and the call sees 0
   * accessible bytes.
   */
  add(address: number, length: number, access: Access): void {
    if (this.count >= this.address.length) this.reserve(this.count * 2);
    const k = this.count++;
    this.text[k] = 0;
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
      if (table[at >>> PAGE_SHIFT]! === 0 && as.translate(at, access) < 0) return true;
      const step = PAGE_SIZE - (at & PAGE_MASK);
      if (this.text[k] === 1) this.findNul(k, at, Math.min(step, this.length[k]! - this.accessible[k]!), as);
      this.accessible[k] = this.accessible[k]! + step;
    }
    if (this.accessible[k]! > this.length[k]!) this.accessible[k] = this.length[k]!;
    return false;
  }

  /** Looks for the NUL of string range `k` in `n` bytes at `at` (mapped); ends the range after it when found. */
  private findNul(k: number, at: number, n: number, as: AddressSpace): void {
    const bytes = as.readBytes(at, n);
    const nul = bytes.indexOf(0);
    if (nul < 0) return;
    this.text[k] = 2;
    this.length[k] = this.accessible[k]! + nul + 1;
  }

  /** Ends range `k` at the bytes resolved so far (a fault there stayed unresolved). */
  truncate(k: number): void {
    this.length[k] = this.accessible[k]!;
  }
}
