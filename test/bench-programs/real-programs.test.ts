import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../src/loader/elf-reader.js';
import { Machine } from '../../src/machine/machine.js';
import { CollectedOutput } from '../../src/machine/output.js';
import type { Tier } from '../../src/cpu/cpu.js';

/*
 * The realistic benchmark programs (bench/programs/real, committed ELFs)
 * check their own results: each must exit 0 with its verdict line in the
 * block and wasm tiers at the smallest work multiplier (ROUNDS = 1, 30–110 M
 * instructions). The interpreter and the region and wasm tiers run the first
 * INTERP_PREFIX instructions and must stand exactly where the block tier
 * stands after as many (registers, pc, count); under CI every tier runs
 * each program to the end as well.
 */

const PROGRAMS: Record<string, string> = {
  lz77: 'lz77 rounds=1 checksum=',
  sha256: 'sha256 rounds=1 checksum=',
  bytecode: 'bytecode rounds=1 checksum=',
  sort: 'sort rounds=1 checksum=',
  matrix: 'matrix rounds=1 checksum=',
  fsm: 'fsm rounds=1 checksum=',
};

/** Tiers that run every program to the end (all of them under CI). */
const TIERS: readonly Tier[] = process.env['CI'] ? ['interp', 'block', 'region', 'wasm'] : ['block', 'wasm'];

/** Instructions the interpreter runs of each program outside CI. */
const INTERP_PREFIX = 3_000_000;

function run(name: string, tier: Tier, argv: string[], limit = 400_000_000): { status: unknown; out: string; instret: number; regs: number[]; pc: number } {
  const bytes = readFileSync(new URL(`../../bench/programs/real/${name}.elf`, import.meta.url));
  const out = new CollectedOutput();
  const m = new Machine({ tier, stdout: out.sink });
  m.load(parseElf(bytes, `${name}.elf`), { argv: [`${name}.elf`, ...argv] });
  const result = m.run({ maxInstructions: limit });
  return { status: result, out: out.text(), instret: m.cpu.instret, regs: Array.from(m.cpu.regs), pc: m.cpu.pc };
}

describe('realistic benchmark programs pass their self-checks in every tier', () => {
  for (const [name, prefix] of Object.entries(PROGRAMS)) {
    it(`${name}`, () => {
      const runs = TIERS.map((tier) => run(name, tier, ['1']));
      for (const r of runs) {
        expect(r.status).toEqual({ kind: 'exit', exitCode: 0 });
        expect(r.out.startsWith(prefix)).toBe(true);
        expect(r.out).not.toContain('FAILED');
      }
      // Same output and the same instruction count in every tier.
      expect(new Set(runs.map((r) => r.out)).size).toBe(1);
      expect(new Set(runs.map((r) => r.instret)).size).toBe(1);
      const block = run(name, 'block', ['1'], INTERP_PREFIX);
      for (const tier of ['interp', 'region', 'wasm'] as const) {
        const other = run(name, tier, ['1'], INTERP_PREFIX);
        expect(other.status).toEqual({ kind: 'limit' });
        expect({ tier, regs: other.regs, pc: other.pc, instret: other.instret }).toEqual({ tier, regs: block.regs, pc: block.pc, instret: block.instret });
      }
    });
  }

  it('the exit-at-once program exits 0 after a few instructions', () => {
    const r = run('exit0', 'block', []);
    expect(r.status).toEqual({ kind: 'exit', exitCode: 0 });
    expect(r.instret).toBeLessThan(1000);
  });
});
