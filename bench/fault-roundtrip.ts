import { assemble } from '../src/asm/assemble.js';
import { ExceptionTable } from '../src/fault/exception-table.js';
import { FaultStatus } from '../src/fault/status.js';
import { Machine } from '../src/machine/machine.js';
import type { Tier } from '../src/cpu/cpu.js';
import { summarize, timeSeconds, type Results } from './harness.js';

/*
 * Fault round trip: the guest loads through a pointer into an unmapped
 * page; the one fixing handler points the register at a mapped word and
 * answers Fixed; the load is retried and succeeds. Per fault this costs
 * the trap, the dispatch, the retry and four ordinary instructions.
 */
const GUEST = `
  .text
  .globl _start
_start:
  la   s0, good
  li   s1, 0x50000000      # unmapped
  li   s2, FAULTS
loop:
  mv   a1, s1
  lw   t0, 0(a1)           # faults; the handler sets a1 = s0
  addi s2, s2, -1
  bnez s2, loop
  li   a0, 0
  li   a7, 93
  ecall
  .data
good: .word 1
`;

function roundTrip(faults: number, continues: number, tier?: Tier): number {
  const program = assemble(GUEST.replace('FAULTS', String(faults)), { fileName: 'roundtrip.s' });
  const machine = new Machine({ memoryQuota: 16 << 20, tier });
  machine.load(program);
  const A1 = 11, S0 = 8;
  machine.registerFaultHandler((_fault, ctx) => {
    ctx.regs[A1] = ctx.regs[S0]!;
    return FaultStatus.Fixed;
  });
  for (let k = 0; k < continues; k++) machine.registerFaultHandler(() => FaultStatus.Continue);
  let fixed = 0;
  machine.events.on('fixed', () => { fixed++; });
  const seconds = timeSeconds(() => machine.run());
  if (fixed !== faults) throw new Error(`bench: expected ${faults} faults, saw ${fixed}`);
  return (seconds * 1e9) / faults;
}

/** fault_roundtrip_ns, _4 and _16 (docs/design.md §9); `tier` picks the machines' execution tier. */
export function benchFaultRoundTrip(results: Results, runs: number, tier?: Tier): void {
  const faults = 1_000_000;
  for (const [name, continues] of [['fault_roundtrip_ns', 0], ['fault_roundtrip_ns_4', 3], ['fault_roundtrip_ns_16', 15]] as const) {
    roundTrip(faults / 10, continues, tier); // warm-up
    const samples = Array.from({ length: runs }, () => roundTrip(faults, continues, tier));
    results.add(name, summarize(samples, 'ns'), `${continues} Continue handlers in front`);
  }
}

/** extable_lookup_ns: bisection in a 100,000-entry table, half hits, half misses. */
export function benchExtableLookup(results: Results, runs: number): void {
  const n = 100_000;
  const entries = Array.from({ length: n }, (_, k) => ({ insn: 0x10000 + k * 8, fixup: 0x90000 + k * 4, type: 0, data: 0 }));
  const table = new ExceptionTable(entries);
  const probes = new Uint32Array(1 << 16);
  let seed = 12345;
  for (let k = 0; k < probes.length; k++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    probes[k] = 0x10000 + (seed % (n * 2)) * 4; // every other probe is between entries
  }
  const lookups = 4_000_000;
  const samples: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    let found = 0;
    const seconds = timeSeconds(() => {
      for (let k = 0; k < lookups; k++) if (table.lookup(probes[k & 0xffff]!) >= 0) found++;
    });
    if (found === 0) throw new Error('bench: extable lookups found nothing');
    if (r > 0) samples.push((seconds * 1e9) / lookups);
  }
  results.add('extable_lookup_ns', summarize(samples, 'ns'), `${n} entries`);
}
