/**
 * Guest accesses done by the real CPU, for the MMU property test: loads and
 * stores are `lw`/`sw` instructions executed by a `Cpu` on the address
 * space (from a probe code page outside the modelled window), and fetches
 * go through the CPU's own decoded-instruction cache exactly as its
 * dispatcher does (execute translation, lazily decoded slots that stores
 * and flushes invalidate). A stale TLB entry or stale decoded code in the
 * machine itself is therefore observed.
 */
import { Cpu, StopReason } from '../../src/cpu/cpu.js';
import { decodeInto } from '../../src/cpu/decoder.js';
import { Op } from '../../src/cpu/op.js';
import { Access } from '../../src/fault/cause.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../../src/memory/page.js';
import type { GuestAccess, GuestResult } from './guest-access.js';

/** Where the probe instructions live: far above the modelled window. */
const PROBE = 0x7000_0000;
/** lw a0, 0(a1); sw a2, 0(a1) */
const PROBE_CODE = new Uint8Array(new Int32Array([0x0005a503, 0x00c5a023]).buffer);
const A0 = 10, A1 = 11, A2 = 12;

const cpus = new WeakMap<AddressSpace, Cpu>();
/** The raw word each decoded slot was decoded from (what the CPU executes). */
const rawWords = new WeakMap<Int32Array, Int32Array>();

function cpuFor(as: AddressSpace): Cpu {
  let cpu = cpus.get(as);
  if (cpu === undefined) {
    const ds = as.createDataspace(PAGE_SIZE, { name: 'probe' });
    ds.write(0, PROBE_CODE);
    as.root.attach(ds, { at: PROBE, writable: false, executable: true, name: 'probe' });
    cpu = new Cpu(as, { jit: false });
    cpus.set(as, cpu);
  }
  return cpu;
}

function cpuFault(cpu: Cpu): GuestResult {
  const f = cpu.fault;
  return { ok: false, fault: { address: f.address >>> 0, access: f.access, protection: f.protection, regionMap: f.regionMap!, offset: f.regionOffset } };
}

function addressFault(as: AddressSpace): GuestResult {
  const f = as.fault;
  return { ok: false, fault: { address: f.address, access: f.access, protection: f.protection, regionMap: f.regionMap, offset: f.offset } };
}

export const cpuGuestAccess: GuestAccess = {
  read32(as, vaddr) {
    const cpu = cpuFor(as);
    cpu.x[A1] = vaddr | 0;
    cpu.pc = PROBE;
    if (cpu.run(1) === StopReason.Fault) return cpuFault(cpu);
    return { ok: true, value: cpu.x[A0]! };
  },

  write32(as, vaddr, value) {
    const cpu = cpuFor(as);
    cpu.x[A1] = vaddr | 0;
    cpu.x[A2] = value | 0;
    cpu.pc = PROBE + 4;
    if (cpu.run(1) === StopReason.Fault) return cpuFault(cpu);
    return { ok: true, value: 0 };
  },

  fetch32(as, vaddr) {
    // What the CPU's dispatcher does on entering a page and at a slot.
    vaddr >>>= 0;
    const vpage = vaddr >>> PAGE_SHIFT;
    let frame = as.execTlb[vpage]!;
    if (frame === 0) {
      frame = as.translate(vaddr, Access.Execute);
      if (frame < 0) return addressFault(as);
    }
    let code = as.codeCache.get(vpage);
    if (code === undefined) {
      code = new Int32Array(2048);
      as.codeCache.set(vpage, code);
      as.markCode(vpage);
    }
    let raw = rawWords.get(code);
    if (raw === undefined) {
      raw = new Int32Array(1024);
      rawWords.set(code, raw);
    }
    const slot = ((vaddr & PAGE_MASK) >>> 2) << 1;
    if (code[slot] === Op.Undecoded) {
      const word = as.memory.i32[(frame | (vaddr & PAGE_MASK)) >> 2]!;
      decodeInto(word, vaddr | 0, code, slot);
      raw[slot >> 1] = word;
    }
    return { ok: true, value: raw[slot >> 1]! };
  },

  fenceI(as) {
    as.dropDecodedCode();
  },
};
