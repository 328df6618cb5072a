import { demandPaging } from '../handlers/index.js';
import { Machine, PAGE_SIZE, assemble, type Tier } from '../src/index.js';
import { settle, summarize, timeSeconds, type Results } from './harness.js';

/*
 * Zero-fill demand paging: the guest touches each page of a managed region
 * once, at page stride. The headline figure is the classic anonymous-memory
 * minor fault, a first touch by a store: the fault (the plugin attaches the
 * page's share of a zero-filled backing dataspace, making one per 16 pages,
 * and answers Fixed), the retried store (a fresh zeroed frame). The second
 * variant reads the page first: its fault maps the shared zero frame, and
 * the store after it materializes the frame and flushes that translation.
 */
const STORE_FIRST = `
  .text
  .globl _start
_start:
  li   s0, BASE
  li   s1, PAGES
  li   s2, 4096
loop:
  sw   s1, 4(s0)           # first touch: faults, the plugin attaches
  add  s0, s0, s2
  addi s1, s1, -1
  bnez s1, loop
  li   a0, 0
  li   a7, 93
  ecall
`;
const LOAD_THEN_STORE = STORE_FIRST.replace('  sw   s1, 4(s0)           # first touch: faults, the plugin attaches',
  '  lw   t0, 0(s0)           # first touch: faults, maps the zero frame\n  sw   s1, 4(s0)           # materializes the frame');

const BASE = 0x4000_0000;

/**
 * Has the host commit the frames the run will take (`memory.prefault`), so
 * that the figure is faultline's cost, not the host's: the first touch of
 * fresh ArrayBuffer memory costs a kernel page fault (≈ 3.6 µs per 4 KiB on
 * this VM) plus the copies of repeated doubling.
 */
function provision(machine: Machine, frames: number): void {
  machine.memory.prefault(frames * PAGE_SIZE);
}

/** Nanoseconds per demand-paging fault over `pages` first touches. */
function zeroFillFault(pages: number, guest = STORE_FIRST, tier?: Tier): number {
  const program = assemble(guest.replace('BASE', String(BASE)).replace('PAGES', String(pages)), { fileName: 'demand-paging.s' });
  // Quota: the region plus the program; every page gets a frame.
  const machine = new Machine({ memoryQuota: pages * PAGE_SIZE + (16 << 20), tier });
  machine.load(program);
  const lazy = demandPaging({ at: BASE, size: pages * PAGE_SIZE, backing: { kind: 'zero' } });
  machine.use(lazy);
  provision(machine, pages);
  let result: ReturnType<Machine['run']> | undefined;
  settle();
  const seconds = timeSeconds(() => { result = machine.run(); });
  if (result?.kind !== 'exit' || lazy.faultsServed !== pages || lazy.pagesResident !== pages) {
    throw new Error(`bench: expected ${pages} faults served, saw ${lazy.faultsServed} (${result?.kind})`);
  }
  return (seconds * 1e9) / pages;
}

/**
 * demand_paging_fault_ns (65,536 pages) and demand_paging_fault_ns_262144
 * (docs/design.md §9): zero-fill demand paging per fault, each page touched once.
 * The second figure's note gives its ratio to the first: the per-fault
 * cost should not grow with the number of pages.
 *
 * @example
 * ```ts
 * const results = new Results();
 * benchDemandPaging(results, 5);
 * console.log(results.table());
 * ```
 * `tier` picks the machines' execution tier (default: the machine's default).
 */
export function benchDemandPaging(results: Results, runs: number, tier?: Tier): void {
  zeroFillFault(16_384, STORE_FIRST, tier); // warm-up
  const small = Array.from({ length: runs }, () => zeroFillFault(65_536, STORE_FIRST, tier));
  const smallFigure = summarize(small, 'ns');
  results.add('demand_paging_fault_ns', smallFigure, '65,536 pages, zero-fill, first touch by a store');
  const large = Array.from({ length: runs }, () => zeroFillFault(262_144, STORE_FIRST, tier));
  const largeFigure = summarize(large, 'ns');
  const ratio = largeFigure.median / smallFigure.median;
  results.add('demand_paging_fault_ns_262144', largeFigure, `262,144 pages; ${ratio.toFixed(2)}x the 65,536-page median`);
  const readFirst = Array.from({ length: runs }, () => zeroFillFault(65_536, LOAD_THEN_STORE, tier));
  results.add('demand_paging_fault_ns_read_then_write', summarize(readFirst, 'ns'), '65,536 pages, a load (zero frame) then a store per page');
}
