/**
 * The guest threads as a checkpoint holds them (a THRD section): capture
 * from a machine between runs, and restore into a machine whose CPU
 * section (the thread on the hart) was already restored.
 */

import type { ThreadRecord, ThreadsState } from '../checkpoint/image-format.js';
import { FaultlineError } from '../errors.js';
import type { Machine } from '../machine/machine.js';
import { futexKey } from './futex-table.js';
import { Wait, type GuestThread } from './guest-thread.js';
import { RseqEvent, RseqRegistration } from './rseq-registration.js';

/**
 * Everything about `machine`'s threads a restore needs to continue with
 * the same interleaving: each live thread (registers — the current one's
 * from the hart —, wait, futex queue position, counters) and the
 * scheduler's position. Throws FaultlineError while a thread waits for an
 * asynchronous handler (checkpoints are taken between runs, when none
 * does).
 *
 * @param machine - a machine between runs
 * @example
 * ```ts
 * const state = captureThreads(machine);
 * console.log(state.threads.map((t) => t.tid));
 * ```
 */
export function captureThreads(machine: Machine): ThreadsState {
  const s = machine.scheduler;
  s.syncCurrent();
  const positions = new Map<GuestThread, number>();
  for (const [, tids] of s.futexes.entries()) {
    tids.forEach((tid, k) => {
      const t = s.threads.find((x) => x.tid === tid);
      if (t !== undefined) positions.set(t, k);
    });
  }
  const threads: ThreadRecord[] = s.threads.map((t) => {
    if (t.wait === Wait.Fault) throw new FaultlineError(`captureThreads: thread ${t.tid} waits for an asynchronous fault handler; checkpoint between runs`);
    const waiting = t.wait === Wait.Futex;
    const shared = waiting && t.futexKey >= 2 ** 32;
    const blocked = t.wait === Wait.Io ? 'io' as const : t.wait === Wait.Sleep ? 'sleep' as const : undefined;
    return {
      tid: t.tid,
      paused: t.paused,
      waiting,
      ...(blocked === undefined ? {} : { blocked }),
      ...(blocked === 'io' ? { ioProgress: t.ioProgress } : {}),
      futexAddress: waiting ? (shared ? t.futexKey - 2 ** 32 : t.futexKey) : 0,
      futexShared: shared,
      futexBitset: waiting ? t.futexBitset : 0,
      queuePosition: positions.get(t) ?? 0,
      deadline: (waiting || blocked === 'sleep') && t.deadline !== Infinity ? t.deadline : null,
      clearChildTid: t.clearChildTid,
      retired: t.retired,
      faults: t.faults,
      cpu: t.cpu,
      rseq: t.rseq === null ? null : { address: t.rseq.address, length: t.rseq.length, signature: t.rseq.signature },
      rseqEvent: t.rseqEvent,
      rseqAborts: t.rseqAborts,
      hart: {
        regs: t.hart.regs,
        pc: t.hart.pc,
        instret: machine.cpu.instret,
        reservationValid: t.hart.reservationValid,
        reservationAddress: t.hart.reservationAddress,
        reservationValue: t.hart.reservationValue,
      },
    };
  });
  return {
    timeSlice: s.timeSlice,
    nextTid: s.upcomingTid,
    currentTid: s.current!.tid,
    sliceLeft: Math.max(0, s.sliceLeft),
    yieldRequested: s.yieldRequested,
    idleNs: s.idleNs,
    switches: s.switches,
    leaderTid: s.leader!.tid,
    leaderExitStatus: s.leader!.exitStatus,
    threads,
    cpus: s.cpus,
    rseqAborts: machine.rseqAbortCount,
  };
}

/**
 * Puts `state`'s threads into `machine`, a fresh machine whose hart holds
 * the current thread (restored from the CPU section): the same tids,
 * registers, waits in the same futex queue order, counters and scheduler
 * position. The time slice is the image's.
 *
 * @param machine - a restored machine, before it runs
 * @param state - a decoded THRD section
 * @example
 * ```ts
 * if (image.threads !== null) restoreThreads(machine, image.threads);
 * ```
 */
export function restoreThreads(machine: Machine, state: ThreadsState): void {
  const s = machine.scheduler;
  const first = s.current!;
  s.threads.length = 0;
  s.cpus = state.cpus ?? 1;
  machine.rseqAbortCount = state.rseqAborts ?? 0;
  let current: GuestThread | null = null;
  const waiters: Array<[GuestThread, number]> = [];
  for (const record of state.threads) {
    s.setNextTid(record.tid);
    const t = s.create();
    t.hart.copyFrom(record.hart);
    t.paused = record.paused;
    t.clearChildTid = record.clearChildTid;
    t.retired = record.retired;
    t.faults = record.faults;
    if (record.blocked === 'sleep') {
      t.wait = Wait.Sleep;
      t.deadline = record.deadline ?? Infinity;
      if (record.deadline !== null) s.timedWaiters++;
    }
    // A thread blocked in a read or write stands at its ecall: it runs the call again (and blocks again if it must).
    if (record.blocked === 'io') t.ioProgress = record.ioProgress ?? 0;
    t.cpu = record.cpu ?? 0;
    t.rseqAborts = record.rseqAborts ?? 0;
    if (record.rseq !== undefined && record.rseq !== null) {
      t.rseq = new RseqRegistration(record.rseq.address, record.rseq.length, record.rseq.signature);
      // A restored thread resumes as after a preemption: a section it was in restarts (docs/rseq.md).
      t.rseqEvent = (record.rseqEvent ?? 0) | RseqEvent.Restore;
    }
    if (record.waiting) {
      t.wait = Wait.Futex;
      t.futexKey = futexKey(record.futexAddress, record.futexShared);
      t.futexBitset = record.futexBitset;
      t.deadline = record.deadline ?? Infinity;
      if (record.deadline !== null) s.timedWaiters++;
      waiters.push([t, record.queuePosition]);
    }
    if (record.tid === state.currentTid) current = t;
  }
  waiters.sort((a, b) => a[1] - b[1]);
  for (const [t] of waiters) s.futexes.enqueue(t.futexKey, t);
  const leader = s.threads.find((t) => t.tid === state.leaderTid);
  if (leader !== undefined) {
    s.leader = leader;
  } else {
    // The leader has exited; its status stays for the process's end.
    first.exited = true;
    first.exitStatus = state.leaderExitStatus;
    s.leader = first;
  }
  s.setNextTid(state.nextTid);
  s.timeSlice = state.timeSlice;
  // The hart holds the current thread already (CPU section): adopt it
  // without reloading. A process that exited has no thread left.
  s.adoptCurrent(current ?? first);
  s.sliceLeft = state.sliceLeft;
  s.yieldRequested = state.yieldRequested;
  s.idleNs = state.idleNs;
  s.switches = state.switches;
}
