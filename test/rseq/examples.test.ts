/**
 * The per-CPU counter and free-list examples
 * (examples/guest/rseq) give exact totals with 4 virtual CPUs and 16
 * threads at time slices of 1, 7 and 1,000 instructions, print what their
 * header comments document, and print the same under qemu-riscv32 (where
 * rseq answers -ENOSYS and the fallbacks do all the work — see
 * rseq-abi.test.ts).
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseElf } from '../../src/loader/elf-reader.js';
import { Machine } from '../../src/machine/machine.js';
import { CollectedOutput } from '../../src/machine/output.js';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { buildWithRuntime, runUnderQemu } from '../runtime/guest-build.js';

const DIR = join('examples', 'guest', 'rseq');
const EXAMPLES = ['percpu-counter', 'percpu-freelist'] as const;

/** The "Output:" block of a C file's header comment. */
function documentedOutput(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\s*\*\s*Output:$/.test(l));
  if (start < 0) throw new Error(`${file}: no "Output:" block`);
  const out: string[] = [];
  for (const line of lines.slice(start + 2)) {
    const m = /^\s*\*(?: {5}(.*))?$/.exec(line);
    if (m === null || m[1] === undefined) break;
    out.push(m[1]);
  }
  return out.join('\n') + '\n';
}

describeWithTools(GCC, 'rseq examples with 4 virtual CPUs and 16 threads', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'faultline-rseq-'));
  const elf = new Map<string, string>();
  beforeAll(async () => {
    for (const name of EXAMPLES) {
      const out = join(tmp, name);
      await buildWithRuntime([join(DIR, `${name}.c`)], out);
      elf.set(name, out);
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const name of EXAMPLES) {
    for (const timeSlice of [1, 7, 1000]) {
      it(`${name}.c is exact with time slices of ${timeSlice} (and aborts happen)`, () => {
        const out = new CollectedOutput();
        const m = new Machine({ cpus: 4, timeSlice, memoryQuota: 256 << 20, stdout: out.sink });
        m.load(parseElf(readFileSync(elf.get(name)!), name), { argv: [name] });
        const cpusSeen = new Set<number>();
        m.events.on('threadStart', () => { for (const t of m.threads) cpusSeen.add(t.cpu); });
        const result = m.run({ maxInstructions: 200_000_000 });
        expect(result).toEqual({ kind: 'exit', exitCode: 0 });
        expect(out.text()).toBe(documentedOutput(join(DIR, `${name}.c`)));
        expect(m.rseqAborts).toBeGreaterThan(0);
        expect([...cpusSeen].sort()).toEqual([0, 1, 2, 3]);
      });
    }
  }

  describeWithTools(QEMU, 'under qemu-riscv32', () => {
    for (const name of EXAMPLES) {
      it(`${name}.c prints the same under qemu-riscv32 (rseq -ENOSYS there: the fallback path)`, async () => {
        const r = await runUnderQemu(elf.get(name)!, [], tmp);
        expect(r).toEqual({ stdout: documentedOutput(join(DIR, `${name}.c`)), status: 0 });
      });
    }
  });
});
