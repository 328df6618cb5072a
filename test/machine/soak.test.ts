import vm from 'node:vm';
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { checkpoint } from '../../handlers/checkpoint/index.js';
import { demandPaging } from '../../handlers/index.js';
import { dirtyLog } from '../../handlers/dirty-log.js';
import { assemble } from '../../src/asm/assemble.js';
import { Machine } from '../../src/machine/machine.js';
import { PAGE_SIZE } from '../../src/memory/page.js';

/*
 * Long-run soak (CI only): ten million faults through demand paging (every
 * page evicted after each sweep, so the next sweep faults it in again), a
 * dirty log collected between run slices, and periodic checkpoints taken
 * through the public handlers API. Host memory must stay flat: the heap
 * after a full collection is measured after a warm-up and after every
 * phase.
 */
const FAULTS = Number(process.env['SOAK_FAULTS'] ?? 10_000_000);
const PAGES = 64;
const BASE = 0x5000_0000;

/** Sweeps the demand-paged region storing one word per page, then calls getpid (the host evicts there); forever. */
const GUEST = `
    .globl _start
_start:
    li   s0, ${BASE}
    li   s1, 0
sweep:
    mv   t0, s0
    li   t1, ${PAGES}
1:  sw   s1, 0(t0)
    li   t2, ${PAGE_SIZE}
    add  t0, t0, t2
    addi t1, t1, -1
    bnez t1, 1b
    addi s1, s1, 1
    li   a7, 172          # getpid: the sweep is done
    ecall
    j    sweep
`;

function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describe('soak: ten million faults keep host memory flat', () => {
  if (!process.env['CI']) console.log('soak.test.ts: skipped locally (set CI=1 to run; takes minutes)');

  it.runIf(process.env['CI'])(`${FAULTS} faults through demand paging, the dirty log and checkpoints`, () => {
    const gc = gcFunction();
    const machine = new Machine({ memoryQuota: 64 << 20 });
    machine.load(assemble(GUEST, { fileName: 'soak.s' }));
    const lazy = demandPaging({ at: BASE, size: PAGES * PAGE_SIZE, backing: { kind: 'zero' } });
    const log = dirtyLog();
    const cp = checkpoint({ chainId: '00000000000000aa' });
    machine.use(lazy);
    machine.use(log);
    machine.use(cp);
    let faults = 0;
    machine.events.on('fault', () => { faults++; });
    machine.events.on('syscall', (nr) => { if (nr === 172) lazy.evict(); });

    const heapAfterGc = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };
    const phase = (until: number): void => {
      let slices = 0;
      while (faults < until) {
        const r = machine.run({ maxInstructions: 200_000 });
        expect(r.kind).toBe('limit');
        log.collect();
        if (++slices % 50 === 0) expect(cp.checkpoint({ full: slices % 500 === 0 }).length).toBeGreaterThan(0);
      }
    };

    const warmUp = Math.min(1_000_000, FAULTS / 10);
    phase(warmUp);
    const baseline = heapAfterGc();
    const samples: number[] = [];
    const phases = 8;
    for (let k = 1; k <= phases; k++) {
      phase(warmUp + ((FAULTS - warmUp) * k) / phases);
      samples.push(heapAfterGc());
    }
    const growth = samples[samples.length - 1]! - baseline;
    console.log(`soak: ${faults} faults, ${lazy.faultsServed} served by demand paging; heap baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, after phases ${samples.map((s) => (s / 2 ** 20).toFixed(1)).join(' ')} MiB`);
    expect(faults).toBeGreaterThanOrEqual(FAULTS);
    expect(lazy.faultsServed).toBeGreaterThan(FAULTS / 3);
    // Flat: the last phase ends within 8 MiB of the baseline, and the heap does not rise phase after phase.
    expect(growth).toBeLessThan(8 * 2 ** 20);
    const rising = samples.every((s, k) => k === 0 || s > samples[k - 1]! + 256 * 1024);
    expect(rising).toBe(false);
  }, 600_000);
});
