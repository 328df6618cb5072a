/**
 * An ELF written from an assembled program runs under
 * qemu-riscv32 and under faultline with the same stdout and exit status
 * (the ones its header promises), and binutils objdump disassembles it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { writeElf } from '../../src/loader/elf-writer.js';
import { readFileSync } from 'node:fs';
import { runFaultline } from '../helpers/run-guest.js';
import { describeWithTools, OBJDUMP, QEMU, runQemu, runTool } from '../helpers/toolchain.js';
import { expectedPrograms } from './programs.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-asm-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function elfFor(file: string, source: string): string {
  const path = join(dir, file.replace(/\.s$/, '.elf'));
  writeFileSync(path, writeElf(assemble(source, { fileName: file })), { mode: 0o755 });
  return path;
}

describeWithTools([QEMU], 'assembled ELF under qemu-riscv32', () => {
  for (const p of expectedPrograms()) {
    it(`${p.file} prints ${JSON.stringify(p.stdout)} and exits with ${p.exit}, under qemu and under faultline`, async () => {
      const path = elfFor(p.file, p.source);
      const result = runQemu(path);
      expect(result.stdout).toBe(p.stdout);
      expect(result.status).toBe(p.exit);
      const ours = await runFaultline(readFileSync(path), p.file);
      expect(ours).toEqual({ stdout: result.stdout, status: result.status });
    });
  }
});

describeWithTools([OBJDUMP], 'assembled ELF under objdump', () => {
  it('disassembles with the symbol table and no unknown instructions', () => {
    const p = expectedPrograms().find((x) => x.file === 'sum.s')!;
    const listing = runTool(OBJDUMP, ['-d', elfFor(p.file, p.source)]);
    expect(listing).toContain('<_start>:');
    expect(listing).toContain('<print_decimal>:');
    expect(listing).toMatch(/remu\s+t5,a0,t4/);
    expect(listing).not.toMatch(/\.insn|unknown/);
  });
});
