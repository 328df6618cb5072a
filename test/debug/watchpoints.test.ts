/**
 * Watchpoints on the protection layer and the chain (src/debug/watchpoints.ts):
 * exact ranges, a watch on a demand-paged region, and the faults the other
 * handlers see are the same with and without watchpoints.
 */
import { describe, expect, it } from 'vitest';
import { FaultStatus, Machine, PAGE_SIZE, Prot, assemble, type Fault } from '../../src/index.js';
import { demandPaging, dirtyLog } from '../../handlers/index.js';
import { WatchKind, Watchpoints, type WatchHit } from '../../src/debug/watchpoints.js';

/** The demand-paged region. */
const PAGED = 0x5000_0000;

/**
 * Stores byte i to PAGED+i for i = 0..15, loads the word at PAGED+4, then
 * mprotects the .data page read-only, writes buf+8 (the tail handler
 * opens it again), reads buf+8 and exits with the sum.
 */
const SOURCE = `
  .text
  .globl _start
_start:
  li   s0, ${PAGED}
  li   t0, 0
loop:
  add  t1, s0, t0
  sb   t0, 0(t1)
  addi t0, t0, 1
  li   t2, 16
  blt  t0, t2, loop
  lw   s2, 4(s0)
  la   s1, buf
  sw   s2, 0(s1)
  mv   a0, s1
  li   a1, ${PAGE_SIZE}
  li   a2, ${Prot.Read}
  li   a7, 226
  ecall
  li   t0, 5
  sw   t0, 8(s1)
  lw   t1, 8(s1)
  add  a0, s2, t1
  andi a0, a0, 127
  li   a7, 93
  ecall
  .data
  .balign 4096
buf: .space ${2 * PAGE_SIZE}
`;

interface Seen { cause: number; access: number; address: number; pc: number }
interface Hit extends WatchHit { pc: number }

/** A machine with demand paging, a dirty log and a recording handler; the tail handler opens mprotected pages. */
function setup(): { machine: Machine; seen: Seen[]; log: ReturnType<typeof dirtyLog> } {
  const machine = new Machine({ memoryQuota: 64 << 20 });
  const program = assemble(SOURCE, { fileName: 'watch-test.s' });
  machine.load(program);
  machine.use(demandPaging({ at: PAGED, size: 4 * PAGE_SIZE, backing: { kind: 'zero' } }));
  const log = dirtyLog();
  machine.use(log);
  // What "the guest's own handler" does: open an mprotected page (at the tail).
  machine.registerFaultHandler((f: Fault) => {
    if (!f.protection) return FaultStatus.Continue;
    machine.linuxMemory.mprotect((f.address >>> 0) & ~0xfff, PAGE_SIZE, Prot.Read | Prot.Write);
    return FaultStatus.Fixed;
  }, { tail: true, name: 'opener' });
  const seen: Seen[] = [];
  machine.registerFaultHandler((f: Fault) => {
    seen.push({ cause: f.cause, access: f.access, address: f.address >>> 0, pc: f.pc >>> 0 });
    return FaultStatus.Continue;
  }, { name: 'recorder' });
  return { machine, seen, log };
}

/** Runs to the end as the stub does: after a hit, resume past the access. */
function runWatching(machine: Machine, w: Watchpoints): { hits: Hit[]; exit: number } {
  const hits: Hit[] = [];
  for (;;) {
    const r = machine.run({ maxInstructions: 1 << 20 });
    w.rearm();
    w.resumeInstret = -1;
    if (w.hit !== null) {
      hits.push({ ...w.hit, pc: machine.cpu.pc >>> 0 });
      w.clearHit();
      w.resumeInstret = machine.cpu.instret; // go on past the access it stopped before
      continue;
    }
    if (r.kind === 'limit') continue;
    if (r.kind !== 'exit') throw new Error(`unexpected end ${JSON.stringify(r)}`);
    return { hits, exit: r.exitCode };
  }
}

describe('watchpoints on the protection layer', () => {
  it('hit exactly the accesses that overlap the range, on a demand-paged region, before the access', () => {
    const { machine } = setup();
    const w = new Watchpoints();
    w.install(machine);
    expect(w.add(WatchKind.Write, PAGED + 5, 2)).toBe(true);
    expect(w.add(WatchKind.Read, PAGED + 6, 1)).toBe(true); // the lw at PAGED+4 reads 4..7
    const { hits, exit } = runWatching(machine, w);
    expect(exit).toBe(((4 | 5 << 8 | 6 << 16 | 7 << 24) + 5) & 127);
    expect(hits.map((h) => [h.kind, h.address.toString(16)])).toEqual([
      [WatchKind.Write, (PAGED + 5).toString(16)],
      [WatchKind.Write, (PAGED + 6).toString(16)],
      [WatchKind.Read, (PAGED + 6).toString(16)],
    ]);
    // Stopped before the access: the byte was not yet written at the first hit's pc (an sb).
    expect(machine.addressSpace.readBytes(PAGED, 16)).toEqual(Uint8Array.from({ length: 16 }, (_, i) => i));
  });

  it('an access watch sees reads and writes; removing a watch stops its hits', () => {
    const { machine } = setup();
    const w = new Watchpoints();
    w.install(machine);
    const buf = machine.program!.symbols.get('buf')!;
    w.add(WatchKind.Access, buf + 8, 4);
    w.add(WatchKind.Write, PAGED, 16);
    expect(w.remove(WatchKind.Write, PAGED, 16)).toBe(true);
    expect(w.remove(WatchKind.Write, PAGED, 16)).toBe(false);
    const { hits } = runWatching(machine, w);
    expect(hits.map((h) => h.kind)).toEqual([WatchKind.Access, WatchKind.Access]);
    expect(hits.every((h) => h.address === buf + 8)).toBe(true);
  });

  it('the handlers behind see the same faults, the dirty log the same pages, with and without watchpoints', () => {
    const plain = setup();
    const plainResult = plain.machine.run();
    const watched = setup();
    const w = new Watchpoints();
    w.install(watched.machine);
    const buf = watched.machine.program!.symbols.get('buf')!;
    w.add(WatchKind.Access, PAGED, 64);
    w.add(WatchKind.Write, buf, 16);
    w.add(WatchKind.Read, buf + PAGE_SIZE, 4);
    const { hits, exit } = runWatching(watched.machine, w);
    expect(hits.length).toBeGreaterThan(16);
    expect(plainResult).toEqual({ kind: 'exit', exitCode: exit });
    expect(watched.seen).toEqual(plain.seen);
    expect(plain.seen.length).toBeGreaterThanOrEqual(3); // demand paging, dirty log, mprotect
    expect([...watched.log.collect()]).toEqual([...plain.log.collect()]);
    expect(watched.machine.addressSpace.readBytes(buf, 16)).toEqual(plain.machine.addressSpace.readBytes(buf, 16));
  });
});
