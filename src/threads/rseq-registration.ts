/**
 * Restartable sequences on the thread side (docs/design.md §11,
 * docs/rseq.md): a thread's registration, the events that make its
 * critical section restart, and Linux's "notify resume" step that runs
 * before the thread executes again — validate `rseq_cs`, move a thread
 * inside its section to `abort_ip`, clear `rseq_cs`, and write where it
 * runs into `cpu_id_start`, `cpu_id` and `mm_cid`.
 *
 * Cost when nothing is registered: the scheduler tests `rseq !== null` on
 * a switch and the run loop tests `rseqEvent !== 0` once per slice; no
 * instruction pays anything.
 */

import { hex32 } from '../errors.js';
import { Access, Cause } from '../fault/cause.js';
import { PendingWalk } from '../fault/fault-chain.js';
import { HandlerError } from '../fault/handler-error.js';
import { RunEnding } from '../fault/run-ending.js';
import { FaultStatus } from '../fault/status.js';
import type { Machine } from '../machine/machine.js';
import { Signal } from '../machine/run-result.js';
import { PAGE_MASK, PAGE_SHIFT } from '../memory/page.js';
import { RSEQ_TASK_SIZE, RseqCsField, RseqField } from '../syscalls/rseq-abi.js';
import type { GuestThread } from './guest-thread.js';

/**
 * Why a registered thread must pass Linux's resume step before it runs
 * again (its pending bits, as Linux's `rseq_event_mask`, plus faultline's
 * own). The `rseqAbort` event reports them.
 *
 * @example
 * ```ts
 * machine.events.on('rseqAbort', (tid, from, to, why) => {
 *   if (why & RseqEvent.Preempt) console.log(`thread ${tid} preempted at ${hex32(from)}`);
 * });
 * ```
 *
 * @enum
 */
export const RseqEvent = {
  /** 1: it left the hart (slice end, yield, blocking, a host pause or {@link Machine.preempt}). */
  Preempt: 1,
  /** 2: fault handling ran a guest handler for it, or blocked it (Linux: a signal). */
  Fault: 2,
  /** 4: it moved to another virtual CPU ({@link Machine.migrate}). */
  Migrate: 4,
  /** 8: the machine was restored from a checkpoint. */
  Restore: 8,
  /** 16: it just registered: only the CPU fields are written. */
  Register: 16,
} as const;

/** One of the {@link RseqEvent} bits. */
export type RseqEvent = (typeof RseqEvent)[keyof typeof RseqEvent];

/**
 * A thread's `rseq` registration: where its `struct rseq` is, the length
 * and signature it registered with (unregistration must repeat them).
 *
 * @example
 * ```ts
 * for (const t of machine.threads) if (t.rseq !== null) console.log(t.tid, hex32(t.rseq.address));
 * ```
 */
export class RseqRegistration {
  /**
   * Records a registration (made by the `rseq` system call or a restore).
   *
   * @param address - the thread's `struct rseq` (32-aligned)
   * @param length - `rseq_len` it registered with (32 or more)
   * @param signature - `sig` it registered with (each `abort_ip` must follow it)
   */
  constructor(readonly address: number, readonly length: number, readonly signature: number) {}
}

/** Bytes per word. */
const WORD = 4;

/**
 * Scratch state of one resume step (one step runs at a time; reused so
 * the step allocates nothing).
 */
const cs = { version: 0, flags: 0, start: 0, postCommit: 0, abort: 0 };

/**
 * Linux's `__rseq_handle_notify_resume` for thread `t`, on the hart, about
 * to run with `t.rseqEvent` set: when `rseq_cs` is set, validates the
 * descriptor (and the signature before `abort_ip`); a thread inside
 * `[start_ip, start_ip + post_commit_offset)` goes to `abort_ip`; `rseq_cs`
 * is cleared either way (the lazy clear); then the CPU fields are written.
 * Clears `t.rseqEvent` when done. Allocates nothing unless it fails.
 *
 * Throws RunEnding (the process dies of SIGSEGV, 139) for a bad
 * descriptor, a signature mismatch, non-zero flags in a section, or a
 * `struct rseq` / `rseq_cs` the fault chain could not make accessible —
 * where Linux's `force_sigsegv` kills it. HandlerError when a handler
 * answers one of these accesses with a promise (they are served
 * synchronously, like a guest handler's own accesses).
 *
 * @param m - the machine
 * @param t - the thread on the hart
 * @internal
 */
export function rseqResume(m: Machine, t: GuestThread): void {
  const reg = t.rseq;
  const why = t.rseqEvent;
  if (reg === null) {
    t.rseqEvent = 0;
    return;
  }
  const cpu = m.cpu;
  const base = reg.address;
  const lo = readWord(m, t, base + RseqField.rseqCs, 'rseq_cs');
  const hi = readWord(m, t, base + RseqField.rseqCs + WORD, 'rseq_cs');
  if (lo !== 0 || hi !== 0) {
    if (hi !== 0) kill(m, t, base + RseqField.rseqCs, `rseq_cs ${hex64(hi, lo)} is not a user address`);
    readDescriptor(m, t, lo);
    const pc = cpu.pc >>> 0;
    if (pc - cs.start >= 0 && pc - cs.start < cs.postCommit) {
      // rseq_need_restart: flags of the descriptor and of struct rseq must be 0.
      if (cs.flags !== 0) kill(m, t, lo + RseqCsField.flags, `rseq_cs ${hex32(lo)} has flags ${hex32(cs.flags)} (must be 0)`);
      const flags = readWord(m, t, base + RseqField.flags, 'flags');
      if (flags !== 0) kill(m, t, base + RseqField.flags, `struct rseq at ${hex32(base)} has flags ${hex32(flags)} (must be 0)`);
      clearRseqCs(m, t, base);
      cpu.pc = cs.abort | 0;
      t.rseqAborts++;
      m.rseqAbortCount++;
      m.events.emit('rseqAbort', t.tid, pc, cs.abort, why);
    } else {
      clearRseqCs(m, t, base);
    }
  }
  const vcpu = t.cpu;
  writeWord(m, t, base + RseqField.cpuIdStart, vcpu, 'cpu_id_start');
  writeWord(m, t, base + RseqField.cpuId, vcpu, 'cpu_id');
  writeWord(m, t, base + RseqField.nodeId, 0, 'node_id');
  writeWord(m, t, base + RseqField.mmCid, vcpu, 'mm_cid');
  t.rseqEvent = 0;
}

/**
 * Linux's `rseq_get_rseq_cs`: reads the descriptor at `at` into
 * {@link cs} and applies its checks in Linux's order; a failure kills.
 */
function readDescriptor(m: Machine, t: GuestThread, at: number): void {
  cs.version = readWord(m, t, at + RseqCsField.version, 'rseq_cs.version');
  cs.flags = readWord(m, t, at + RseqCsField.flags, 'rseq_cs.flags');
  const startLo = readWord(m, t, at + RseqCsField.startIp, 'rseq_cs.start_ip');
  const startHi = readWord(m, t, at + RseqCsField.startIp + WORD, 'rseq_cs.start_ip');
  const pcoLo = readWord(m, t, at + RseqCsField.postCommitOffset, 'rseq_cs.post_commit_offset');
  const pcoHi = readWord(m, t, at + RseqCsField.postCommitOffset + WORD, 'rseq_cs.post_commit_offset');
  const abortLo = readWord(m, t, at + RseqCsField.abortIp, 'rseq_cs.abort_ip');
  const abortHi = readWord(m, t, at + RseqCsField.abortIp + WORD, 'rseq_cs.abort_ip');
  // Each value is below 2^32 when its high word is 0; otherwise it is past TASK_SIZE.
  if (startHi !== 0) bad(m, t, at, `start_ip ${hex64(startHi, startLo)} is not a user address`);
  if (pcoHi !== 0 || startLo + pcoLo >= RSEQ_TASK_SIZE) bad(m, t, at, `start_ip ${hex32(startLo)} + post_commit_offset ${hex64(pcoHi, pcoLo)} runs past the user address space`);
  if (abortHi !== 0) bad(m, t, at, `abort_ip ${hex64(abortHi, abortLo)} is not a user address`);
  if (cs.version !== 0) bad(m, t, at, `version ${cs.version} (must be 0)`);
  if (abortLo - startLo >= 0 && abortLo - startLo < pcoLo) bad(m, t, at, `abort_ip ${hex32(abortLo)} is inside the critical section [${hex32(startLo)}, ${hex32(startLo + pcoLo)})`);
  const sig = readWord(m, t, (abortLo - WORD) >>> 0, 'the signature before abort_ip');
  const want = t.rseq!.signature;
  if (sig !== want) kill(m, t, (abortLo - WORD) >>> 0, `signature ${hex32(sig)} before abort_ip ${hex32(abortLo)} is not the registered ${hex32(want)}`);
  cs.start = startLo;
  cs.postCommit = pcoLo;
  cs.abort = abortLo;
}

/** Linux's `clear_rseq_cs`: both words of `rseq_cs` become 0. */
function clearRseqCs(m: Machine, t: GuestThread, base: number): void {
  writeWord(m, t, base + RseqField.rseqCs, 0, 'rseq_cs');
  writeWord(m, t, base + RseqField.rseqCs + WORD, 0, 'rseq_cs');
}

/** A descriptor check failed (-EINVAL in Linux, then SIGSEGV). */
function bad(m: Machine, t: GuestThread, at: number, what: string): never {
  kill(m, t, at, `bad rseq_cs at ${hex32(at)}: ${what}`);
}

/**
 * Ends the run as Linux's `force_sigsegv` ends the process: a `'fault'`
 * result with SIGSEGV, its fault record a read at `at` by the thread at
 * its pc, `handler` 'rseq'. The thread keeps its event, so a later run
 * ends the same way.
 */
function kill(m: Machine, t: GuestThread, at: number, what: string): never {
  const fault = t.fault;
  if (fault.address !== (at >>> 0) || !fault.isPageFault) {
    fault.cause = Cause.LoadPageFault;
    fault.access = Access.Read;
    fault.address = at >>> 0;
    fault.protection = false;
  }
  fault.pc = m.cpu.pc;
  fault.size = WORD;
  fault.tid = t.tid;
  const snapshot = fault.snapshot();
  throw new RunEnding('fault', snapshot, Signal.SIGSEGV, 'rseq', `rseq: thread ${t.tid} at pc ${hex32(m.cpu.pc)}: ${what} (SIGSEGV, as Linux)`);
}

/** `hi:lo` as one 64-bit hex number. */
function hex64(hi: number, lo: number): string {
  return hi === 0 ? hex32(lo) : `0x${(hi >>> 0).toString(16)}${(lo >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The word at `at` as the kernel's `get_user` reads it: through the
 * TLB, else translation, else the fault chain (synchronously); any
 * alignment. Kills the process when it stays inaccessible.
 */
function readWord(m: Machine, t: GuestThread, at: number, what: string): number {
  at = at >>> 0;
  if (at > RSEQ_TASK_SIZE - WORD) kill(m, t, at, `${what} at ${hex32(at)} runs past the address space`);
  if ((at & 3) === 0) {
    const frame = frameOf(m, t, at, Access.Read, what);
    return m.memory.i32[(frame | (at & PAGE_MASK)) >> 2]! >>> 0;
  }
  let value = 0;
  for (let k = 0; k < WORD; k++) {
    const byte = (at + k) >>> 0;
    const frame = frameOf(m, t, byte, Access.Read, what);
    value |= m.memory.u8[frame | (byte & PAGE_MASK)]! << (8 * k);
  }
  return value >>> 0;
}

/** Writes an aligned word as the kernel's `put_user` does (see {@link readWord}). */
function writeWord(m: Machine, t: GuestThread, at: number, value: number, what: string): void {
  const as = m.addressSpace;
  if (as.writeTlb[at >>> PAGE_SHIFT]! === 0) {
    frameOf(m, t, at, Access.Write, what);
    if (as.writeTlb[at >>> PAGE_SHIFT]! === 0) {
      // A page holding decoded code: the address space's own write drops them.
      as.writeU32(at, value);
      return;
    }
  }
  m.memory.i32[(as.writeTlb[at >>> PAGE_SHIFT]! | (at & PAGE_MASK)) >> 2] = value;
}

/**
 * The frame of the page at `at` for `access`, faulting it in through the
 * chain as the kernel's uaccess would (Fixed retries). Kills the process
 * when the chain leaves it inaccessible.
 */
function frameOf(m: Machine, t: GuestThread, at: number, access: number, what: string): number {
  const as = m.addressSpace, cpu = m.cpu;
  const tlb = access === Access.Write ? as.writeTlb : as.readTlb;
  let frame = tlb[at >>> PAGE_SHIFT]!;
  if (frame > 0) return frame;
  for (;;) {
    frame = as.translate(at, access);
    if (frame >= 0) return frame;
    // Translation filled the thread's fault record; add where and how big.
    const fault = t.fault, pc = cpu.pc;
    fault.pc = pc;
    fault.size = WORD;
    t.faults++;
    m.events.emit('fault', fault);
    const status = m.chain.walk(fault, t.context);
    if (status instanceof PendingWalk) {
      status.promise.then(noop, noop);
      status.abandon();
      const by = status.entry.name;
      throw new HandlerError(`fault handler '${by}' returned a promise for the rseq area of thread ${t.tid} (${fault.describe()}); these accesses are served synchronously`, by, fault.snapshot());
    }
    cpu.pc = pc; // the kernel's access does not move the thread
    // Unresolved: the run's end reports it ('unresolved' once, from the machine).
    if (status !== FaultStatus.Fixed) kill(m, t, at, `cannot ${access === Access.Write ? 'write' : 'read'} ${what} at ${hex32(at)}`);
    const by = m.chain.decidedBy!.name;
    t.livelock.fixed(fault, by, pc, cpu.instret);
    m.events.emit('fixed', fault, by);
  }
}

function noop(): void {}
