/**
 * Reverse execution (docs/design.md §15, docs/debugging.md): the machine is
 * deterministic, so going back means restoring an earlier in-memory
 * snapshot into a fresh machine and running forward again, counting
 * instructions exactly.
 *
 *   forward:  S0 ──I──► S1 ──I──► S2 ── ... ──► N       (a snapshot every I
 *             instructions of the debugged run, taken between slices)
 *   bs:       restore the newest Sk ≤ N−1, run N−1−Sk instructions
 *   bc:       for k = newest..0: restore Sk, run to min(Sk+1, N) with the
 *             breakpoints and watchpoints on, noting each stop; the last
 *             one found wins (restore Sk again, run to it). None: S0.
 *
 * Memory is bounded: at most `maxSnapshots` images and `maxBytes` bytes;
 * past either, every other snapshot is dropped and the interval doubles
 * (the history stays complete, a step back gets slower). Time is bounded
 * too: the interval is at least a quarter of the image's size in bytes
 * (a 64 MiB guest is snapshotted every 16M instructions, not every 1M). The host gives
 * the capture (machine → bytes) and the restore (bytes → a fresh machine
 * with the same options and plugins), so the core needs no checkpoint
 * code of its own.
 */

import { UsageError } from '../errors.js';
import type { Machine } from '../machine/machine.js';
import type { GdbStub } from './gdb-stub.js';
import type { Rewinder } from './rewinder.js';
import { WatchKind, Watchpoints } from './watchpoints.js';

/**
 * Options of {@link ReverseExecution}.
 *
 * @example
 * ```ts
 * const reverse = new ReverseExecution({
 *   capture: (m) => cp.checkpoint({ full: true }),
 *   restore: (bytes) => { const m = new Machine(); restoreCheckpoint(m, [{ name: 'snap', bytes }]); return m; },
 * });
 * ```
 */
export interface ReverseOptions {
  /**
   * A snapshot of `machine` now (a full checkpoint image).
   *
   * @param machine - the debugged machine, between runs
   */
  readonly capture: (machine: Machine) => Uint8Array;
  /**
   * A fresh machine in the state `bytes` captured, with the debugged machine's options and plugins.
   *
   * @param bytes - what {@link ReverseOptions.capture} returned
   */
  readonly restore: (bytes: Uint8Array) => Machine;
  /** Instructions between snapshots at first (default 1,000,000). */
  readonly interval?: number;
  /** Most snapshots kept (default 256, at least 4). */
  readonly maxSnapshots?: number;
  /** Most bytes of snapshots kept (default 256 MiB). */
  readonly maxBytes?: number;
  /**
   * Least instructions between snapshots per byte of the last image
   * (default 0.25: a 64 MiB image is taken every 16M instructions at most
   * once); 0 keeps the interval as given.
   */
  readonly intervalPerByte?: number;
}

/**
 * What {@link ReverseExecution.usage} reports.
 *
 * @example
 * ```ts
 * const { snapshots, bytes } = reverse.usage;
 * ```
 */
export interface SnapshotUsage {
  /** Snapshots held. */
  readonly snapshots: number;
  /** Their total size in bytes. */
  readonly bytes: number;
  /** Instructions between snapshots now (doubles when thinned). */
  readonly interval: number;
}

interface Snapshot {
  readonly instret: number;
  readonly bytes: Uint8Array;
}

/** Instructions per forward slice of a replay. */
const REPLAY_SLICE = 1 << 24;

/**
 * Periodic snapshots and the replay that steps back. Give it to the stub
 * as its `rewinder`; the stub calls {@link beforeRun} before each slice.
 *
 * @example
 * ```ts
 * const reverse = new ReverseExecution({ capture, restore });
 * const stub = new GdbStub(machine, { send, rewinder: reverse });
 * ```
 */
export class ReverseExecution implements Rewinder {
  private readonly snapshots: Snapshot[] = [];
  private interval: number;
  private readonly maxSnapshots: number;
  private readonly maxBytes: number;
  private bytes = 0;
  /** The most instructions the debugged run has reached (output past it is new). */
  highWater = 0;

  /**
   * Throws UsageError without capture and restore functions or for a bad interval.
   *
   * @param options - capture and restore functions and the bounds
   */
  constructor(private readonly options: ReverseOptions) {
    if (typeof options?.capture !== 'function' || typeof options.restore !== 'function') throw new UsageError('ReverseExecution: options.capture and options.restore must be functions');
    this.interval = options.interval ?? 1_000_000;
    this.maxSnapshots = Math.max(4, options.maxSnapshots ?? 256);
    this.maxBytes = options.maxBytes ?? 256 << 20;
    if (!Number.isSafeInteger(this.interval) || this.interval < 1) throw new UsageError(`ReverseExecution: interval must be a positive integer, got ${this.interval}`);
  }

  /** Snapshots held now, their bytes and the current interval. */
  get usage(): SnapshotUsage {
    return { snapshots: this.snapshots.length, bytes: this.bytes, interval: this.interval };
  }

  /**
   * Called before the debugged machine runs: takes a snapshot when one is
   * due, and returns how many instructions may run before the next one.
   *
   * @param machine - the debugged machine, between runs
   */
  beforeRun(machine: Machine): number {
    const now = machine.cpu.instret;
    if (now > this.highWater) this.highWater = now;
    const last = this.snapshots[this.snapshots.length - 1];
    if (last === undefined || now >= last.instret + this.interval) {
      const bytes = this.options.capture(machine);
      this.snapshots.push({ instret: now, bytes });
      this.bytes += bytes.length;
      // A big image is taken less often: copying it stays a small share of the run.
      const floor = Math.ceil(bytes.length * (this.options.intervalPerByte ?? 0.25));
      if (this.interval < floor) this.interval = floor;
      this.thin();
      return this.interval;
    }
    return last.instret + this.interval - now;
  }

  /** Drops every other snapshot (never the first) while over a bound. */
  private thin(): void {
    while (this.snapshots.length > this.maxSnapshots || (this.bytes > this.maxBytes && this.snapshots.length > 2)) {
      const kept = this.snapshots.filter((_, k) => k % 2 === 0);
      this.bytes = kept.reduce((sum, s) => sum + s.bytes.length, 0);
      this.snapshots.length = 0;
      this.snapshots.push(...kept);
      this.interval *= 2;
    }
  }

  /** Index of the newest snapshot at or before `instret`, or -1. */
  private newestAtOrBefore(instret: number): number {
    for (let k = this.snapshots.length - 1; k >= 0; k--) if (this.snapshots[k]!.instret <= instret) return k;
    return -1;
  }

  /**
   * A fresh machine in the state of instruction `target`: the newest
   * snapshot before it, run forward exactly. Null when no snapshot is
   * that old.
   *
   * @param target - the instruction count to reach
   */
  machineAt(target: number): Machine | null {
    const k = this.newestAtOrBefore(target);
    if (k < 0) return null;
    const m = this.options.restore(this.snapshots[k]!.bytes);
    runExactly(m, target);
    return m;
  }

  /**
   * {@link Rewinder.stepBack}: the state one instruction earlier, or
   * `'start'` where the history begins.
   *
   * @param stub - the session; its machine is replaced
   */
  async stepBack(stub: GdbStub): Promise<string> {
    const now = stub.machine.cpu.instret;
    if (now > this.highWater) this.highWater = now;
    const first = this.snapshots[0];
    if (first === undefined || now <= first.instret) return 'start';
    const m = this.machineAt(now - 1)!;
    stub.attach(m);
    return '';
  }

  /**
   * {@link Rewinder.continueBack}: back to the previous breakpoint or
   * watchpoint hit, or to the start.
   *
   * @param stub - the session (its breakpoints and watchpoints); its machine is replaced
   */
  async continueBack(stub: GdbStub): Promise<string> {
    const now = stub.machine.cpu.instret;
    if (now > this.highWater) this.highWater = now;
    for (let k = this.newestAtOrBefore(now - 1); k >= 0; k--) {
      const from = this.snapshots[k]!;
      const until = Math.min(now, this.snapshots[k + 1]?.instret ?? now);
      const stop = this.lastStop(stub, from, until);
      if (stop !== null) {
        const m = this.options.restore(from.bytes);
        runExactly(m, stop.instret);
        stub.attach(m);
        return stop.extra;
      }
    }
    const first = this.snapshots[0];
    if (first !== undefined) {
      stub.attach(this.options.restore(first.bytes));
    }
    return 'start';
  }

  /**
   * Replays [from, until) with the stub's breakpoints and watchpoints and
   * returns the last stop before `until`: its instruction count and the
   * stop reply's extra fields.
   */
  private lastStop(stub: GdbStub, from: Snapshot, until: number): { instret: number; extra: string } | null {
    const m = this.options.restore(from.bytes);
    const cpu = m.cpu;
    const watch = new Watchpoints();
    watch.install(m);
    for (const w of stub.watchpoints.list()) watch.add(w.kind, w.start, w.end - w.start);
    cpu.breakpoints = stub.breakpoints.size === 0 ? null : stub.breakpoints;
    cpu.breakpointResume = -1;
    let last: { instret: number; extra: string } | null = null;
    while (cpu.instret < until) {
      const before = cpu.instret;
      const r = m.run({ maxInstructions: Math.min(REPLAY_SLICE, until - cpu.instret) });
      watch.rearm();
      watch.resumeInstret = -1;
      if (watch.hit !== null) {
        const kind = watch.hit.kind === WatchKind.Write ? 'watch' : watch.hit.kind === WatchKind.Read ? 'rwatch' : 'awatch';
        last = { instret: cpu.instret, extra: `${kind}:${watch.hit.address.toString(16)};` };
        watch.clearHit();
        watch.resumeInstret = cpu.instret;
        cpu.breakpointResume = cpu.instret;
        continue;
      }
      if (cpu.breakpoints !== null && cpu.breakpoints.has(cpu.pc) && cpu.instret !== cpu.breakpointResume && cpu.instret < until) {
        last = { instret: cpu.instret, extra: '' };
        cpu.breakpointResume = cpu.instret;
        continue;
      }
      if (r.kind !== 'limit' || (cpu.instret === before && r.kind === 'limit' && watch.hit === null && !(cpu.breakpoints?.has(cpu.pc) ?? false))) break;
    }
    cpu.breakpoints = null;
    watch.uninstall();
    return last;
  }
}

/**
 * Runs `m` until exactly `target` instructions retired (a run may stop
 * short of its limit when guest fault handlers ran: those count against
 * it but retire nothing).
 *
 * @param m - a machine at or before `target`
 * @param target - the instruction count to reach
 * @example
 * ```ts
 * const m = restoreFromSnapshot();
 * runExactly(m, 1_234_567);   // m.cpu.instret === 1_234_567 unless the guest ended first
 * ```
 */
export function runExactly(m: Machine, target: number): void {
  const cpu = m.cpu;
  while (cpu.instret < target) {
    const before = cpu.instret;
    const r = m.run({ maxInstructions: Math.min(REPLAY_SLICE, target - cpu.instret) });
    if (r.kind !== 'limit' || cpu.instret === before) break;
  }
}
