import { Access, Cause } from '../fault/cause.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../memory/page.js';
import type { Cpu } from './cpu.js';
import { amoResult } from './amo.js';
import { Op } from './op.js';

/*
 * Cold paths of guest memory access: TLB misses, misaligned and
 * page-crossing accesses, stores into pages that hold decoded code, and
 * faults. Each checks every page it touches before changing anything, so a
 * faulting instruction leaves no trace (docs/design.md §2: precise faults).
 * On a fault they fill `cpu.fault`, set `cpu.trapped` and return.
 */

/**
 * Frame of the page holding `address` for `access`, or -1 when translation
 * failed: it filled cpu.fault (the address space's fault record) with the
 * cause, address and region; this adds the pc and size and sets trapped.
 */
function frameFor(cpu: Cpu, address: number, access: number, size: number, pc: number): number {
  const as = cpu.addressSpace;
  const table = access === Access.Read ? as.readTlb : as.writeTlb;
  const cached = table[address >>> PAGE_SHIFT]!;
  if (cached > 0) return cached;
  const frame = as.translate(address, access);
  if (frame >= 0) return frame;
  const f = cpu.fault;
  f.pc = pc;
  f.size = size;
  cpu.trapped = true;
  return -1;
}

/** Records a fault that is not a page fault. */
export function raise(cpu: Cpu, cause: number, access: number, address: number, size: number, pc: number): void {
  const f = cpu.fault;
  f.cause = cause;
  f.access = access;
  f.address = address | 0;
  f.pc = pc;
  f.size = size;
  f.protection = false;
  f.regionMap = null;
  f.regionOffset = 0;
  cpu.trapped = true;
}

/**
 * Loads `size` bytes at `address` (any alignment), zero-extended.
 * Returns 0 with cpu.trapped set when a page faults.
 */
export function loadSlow(cpu: Cpu, address: number, size: number, pc: number): number {
  const first = frameFor(cpu, address, Access.Read, size, pc);
  if (first < 0) return 0;
  const inPage = PAGE_SIZE - (address & PAGE_MASK);
  let second = first;
  if (inPage < size) {
    const next = (address + inPage) | 0;
    second = frameFor(cpu, next, Access.Read, size, pc);
    if (second < 0) { cpu.fault.address = next; return 0; }
  }
  const u8 = cpu.addressSpace.memory.u8;
  let value = 0;
  for (let k = 0; k < size; k++) {
    const off = (address & PAGE_MASK) + k;
    const byte = off < PAGE_SIZE ? u8[first + off]! : u8[second + off - PAGE_SIZE]!;
    value |= byte << (8 * k);
  }
  return size === 4 ? value | 0 : value;
}

/** Zeroes decoded slots of code pages that a store of `size` bytes at `address` touched. */
function invalidateDecoded(cpu: Cpu, address: number, size: number): void {
  const cache = cpu.addressSpace.codeCache;
  if (cache.size === 0) return;
  for (let a = address & ~3; a < address + size; a += 4) {
    const vpage = (a >>> PAGE_SHIFT) >>> 0;
    const code = cache.get(vpage);
    if (code !== undefined) {
      const slot = ((a & PAGE_MASK) >>> 2) << 1;
      code[slot] = Op.Undecoded;
      cpu.dropBlocks(code, vpage);
      cpu.codeTouched = true;
    }
  }
}

/**
 * Stores the low `size` bytes of `value` at `address` (any alignment).
 * Returns false with cpu.trapped set when a page faults; nothing is written then.
 */
export function storeSlow(cpu: Cpu, address: number, size: number, value: number, pc: number): boolean {
  const first = frameFor(cpu, address, Access.Write, size, pc);
  if (first < 0) return false;
  const inPage = PAGE_SIZE - (address & PAGE_MASK);
  let second = first;
  if (inPage < size) {
    const next = (address + inPage) | 0;
    second = frameFor(cpu, next, Access.Write, size, pc);
    if (second < 0) { cpu.fault.address = next; return false; }
  }
  const memory = cpu.addressSpace.memory;
  if ((address & (size - 1)) === 0) {
    // Aligned (the common miss: a first write to a page): one typed store.
    const at = first | (address & PAGE_MASK);
    if (size === 4) memory.i32[at >> 2] = value;
    else if (size === 2) memory.u16[at >> 1] = value;
    else memory.u8[at] = value;
  } else {
    const u8 = memory.u8;
    for (let k = 0; k < size; k++) {
      const off = (address & PAGE_MASK) + k;
      const byte = (value >>> (8 * k)) & 0xff;
      if (off < PAGE_SIZE) u8[first + off] = byte;
      else u8[second + off - PAGE_SIZE] = byte;
    }
  }
  invalidateDecoded(cpu, address, size);
  return true;
}

/**
 * An AMO that missed the fast path: misaligned (store/AMO misaligned fault),
 * not writable (store page fault), or a code page. Returns the old value;
 * cpu.trapped tells whether it faulted.
 */
export function amoSlow(cpu: Cpu, op: number, address: number, src: number, pc: number): number {
  if ((address & 3) !== 0) {
    raise(cpu, Cause.StoreAddressMisaligned, Access.Write, address, 4, pc);
    return 0;
  }
  const frame = frameFor(cpu, address, Access.Write, 4, pc);
  if (frame < 0) return 0;
  const i32 = cpu.addressSpace.memory.i32;
  const k = (frame | (address & PAGE_MASK)) >> 2;
  const old = i32[k]!;
  i32[k] = amoResult(op, old, src);
  invalidateDecoded(cpu, address, 4);
  return old;
}

/** lr.w: loads and sets the reservation. Misaligned is a load-misaligned fault. */
export function loadReserved(cpu: Cpu, address: number, pc: number): number {
  if ((address & 3) !== 0) {
    raise(cpu, Cause.LoadAddressMisaligned, Access.Read, address, 4, pc);
    return 0;
  }
  const frame = frameFor(cpu, address, Access.Read, 4, pc);
  if (frame < 0) return 0;
  const value = cpu.addressSpace.memory.i32[(frame | (address & PAGE_MASK)) >> 2]!;
  cpu.reservationValid = true;
  cpu.reservationAddress = address;
  cpu.reservationValue = value;
  return value;
}

/**
 * sc.w: stores when the reservation is for `address` and the word still
 * holds the reserved value (as qemu's cmpxchg does); returns 0 on success,
 * 1 on failure (a failed sc.w touches no memory and cannot fault).
 * Misaligned is a store-misaligned fault. The reservation is consumed
 * unless the store faults.
 */
export function storeConditional(cpu: Cpu, address: number, value: number, pc: number): number {
  if ((address & 3) !== 0) {
    raise(cpu, Cause.StoreAddressMisaligned, Access.Write, address, 4, pc);
    return 0;
  }
  if (!cpu.reservationValid || cpu.reservationAddress !== address) {
    cpu.reservationValid = false;
    return 1;
  }
  const frame = frameFor(cpu, address, Access.Write, 4, pc);
  if (frame < 0) return 0;
  cpu.reservationValid = false;
  const i32 = cpu.addressSpace.memory.i32;
  const k = (frame | (address & PAGE_MASK)) >> 2;
  if (i32[k] !== cpu.reservationValue) return 1;
  i32[k] = value;
  invalidateDecoded(cpu, address, 4);
  return 0;
}
