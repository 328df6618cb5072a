import type { Fault } from '../src/fault/fault.js';
import { disassemble } from '../src/disasm/disassemble.js';
import type { Machine } from '../src/machine/machine.js';
import { causeName } from '../src/fault/cause.js';
import { hex32 } from '../src/errors.js';
import type { StatsCounts } from './cli-state.js';

/** `fault.describe()` plus the faulting instruction, e.g. `... pc 0x00010074: sw a5,0(a0)`. */
export function describeWithInstruction(machine: Machine, fault: Fault): string {
  let text = fault.describe();
  try {
    const word = machine.addressSpace.readU32(fault.pc);
    text = text.replace(`pc ${hex32(fault.pc)}`, `pc ${hex32(fault.pc)}: ${disassemble(word, fault.pc)}`);
  } catch {
    // The pc itself is not mapped (a fetch fault): nothing to disassemble.
  }
  return text;
}

/** Prints one line per fault, with its thread, and its outcome to `print` (`--trace-faults`). */
export function traceFaults(machine: Machine, print: (line: string) => void): void {
  let pending = '';
  machine.events.on('fault', (fault) => { pending = `thread ${fault.tid}: ${describeWithInstruction(machine, fault)}`; });
  machine.events.on('fixed', (_fault, by) => print(`[fault] ${pending} -> fixed by ${by}`));
  machine.events.on('unresolved', (_fault, by) => print(`[fault] ${pending} -> unresolved${by === null ? '' : ` (failed by ${by})`}`));
}

/** Counts for `--stats`: faults by cause and by the handler that resolved them. */
export class FaultStats {
  private readonly byCause: Map<string, number>;
  private readonly byHandler: Map<string, number>;
  private unresolved: number;

  /** Starts counting `machine`'s faults, from `saved` (counts an image carried) or zero. */
  constructor(machine: Machine, saved: StatsCounts | null = null) {
    this.byCause = new Map(saved?.byCause ?? []);
    this.byHandler = new Map(saved?.byHandler ?? []);
    this.unresolved = saved?.unresolved ?? 0;
    machine.events.on('fault', (fault) => { const k = causeName(fault.cause); this.byCause.set(k, (this.byCause.get(k) ?? 0) + 1); });
    machine.events.on('fixed', (_fault, by) => { this.byHandler.set(by, (this.byHandler.get(by) ?? 0) + 1); });
    machine.events.on('unresolved', () => { this.unresolved++; });
    machine.events.on('threadExit', (tid, status) => {
      const t = machine.threads.find((x) => x.tid === tid);
      if (t !== undefined) this.threads.set(tid, `${t.retired} instructions, ${t.faults} faults${rseqPart(t.rseqAborts)}, exit ${status}`);
      if (t !== undefined) this.exited.set(tid, { tid, instructions: t.retired, faults: t.faults, rseqAborts: t.rseqAborts, state: 'exited', exitStatus: status });
    });
    machine.events.on('rseqAbort', (_tid, from) => { this.abortsAt.set(from, (this.abortsAt.get(from) ?? 0) + 1); });
  }

  /** rseq aborts of this process by the pc they interrupted. */
  private readonly abortsAt = new Map<number, number>();

  /**
   * The rseq lines (docs/rseq.md): virtual CPUs and aborts in all, then the
   * pcs aborted most (at most 8, by count then address). None for a
   * one-CPU machine that never aborted.
   */
  rseqLines(machine: Machine): string[] {
    if (machine.cpus === 1 && machine.rseqAborts === 0) return [];
    const out = [`[stats] rseq: ${machine.rseqAborts} aborts, ${machine.cpus} virtual CPUs`];
    const top = [...this.abortsAt].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 8);
    for (const [pc, n] of top) out.push(`[stats]   rseq aborts at ${hex32(pc)}: ${n}`);
    return out;
  }

  /** Per thread: what it did, once it exited. */
  private readonly threads = new Map<number, string>();

  /** Per exited thread, as JSON (`--stats --json`). */
  private readonly exited = new Map<number, { tid: number; instructions: number; faults: number; rseqAborts: number; state: string; exitStatus: number }>();

  /**
   * The `--stats --json` object (docs/access-tracking.md, "stats"): the
   * same figures as {@link lines}, {@link threadLines} and {@link rseqLines}.
   */
  json(machine: Machine, instructions: number, executed: number, seconds: number): Record<string, unknown> {
    const byCause = Object.fromEntries(this.byCause), byHandler = Object.fromEntries(this.byHandler);
    const total = [...this.byCause.values()].reduce((a, b) => a + b, 0);
    const threads = [...this.exited.values()];
    for (const t of machine.threads) if (!this.exited.has(t.tid)) threads.push({ tid: t.tid, instructions: t.retired, faults: t.faults, rseqAborts: t.rseqAborts, state: String(t.state), exitStatus: -1 });
    return {
      type: 'stats', version: 1, instructions, executed, seconds, mips: executed / Math.max(seconds, 1e-9) / 1e6,
      faults: { total, unresolved: this.unresolved, byCause, byHandler },
      threads,
      rseq: { aborts: machine.rseqAborts, cpus: machine.cpus, abortsAt: [...this.abortsAt].map(([pc, count]) => ({ pc, count })) },
    };
  }

  /** The counts, for an image. */
  counts(): StatsCounts {
    return { byCause: [...this.byCause], byHandler: [...this.byHandler], unresolved: this.unresolved };
  }

  /**
   * The report lines: `instructions` retired in all (a restored run
   * counts those before its image), of which `executed` in `seconds` by
   * this process (the rate).
   */
  lines(instructions: number, executed: number, seconds: number): string[] {
    const total = [...this.byCause.values()].reduce((a, b) => a + b, 0);
    const out = [
      `[stats] instructions: ${instructions}`,
      `[stats] time: ${seconds.toFixed(3)} s (${(executed / Math.max(seconds, 1e-9) / 1e6).toFixed(1)} MIPS)`,
      `[stats] faults: ${total} (${this.unresolved} unresolved)`,
    ];
    for (const [cause, n] of this.byCause) out.push(`[stats]   cause ${cause}: ${n}`);
    for (const [handler, n] of this.byHandler) out.push(`[stats]   fixed by ${handler}: ${n}`);
    return out;
  }

  /**
   * One line per thread of `machine`: those that exited (in exit order),
   * then the live ones.
   */
  threadLines(machine: Machine): string[] {
    const out = [...this.threads].map(([tid, text]) => `[stats]   thread ${tid}: ${text}`);
    for (const t of machine.threads) if (!this.threads.has(t.tid)) out.push(`[stats]   thread ${t.tid}: ${t.retired} instructions, ${t.faults} faults${rseqPart(t.rseqAborts)}, ${t.state}`);
    return out;
  }
}

/** `, N rseq aborts` for a thread that had some, else nothing. */
function rseqPart(aborts: number): string {
  return aborts === 0 ? '' : `, ${aborts} rseq aborts`;
}
