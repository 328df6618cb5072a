/**
 * Every corpus file assembled by faultline and by GNU as
 * (linked by GNU ld at the same addresses) gives identical `.text`,
 * `.rodata` and `.data` bytes and the same symbol addresses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { Prot } from '../../src/memory/page.js';
import { describeWithTools } from '../helpers/toolchain.js';
import { firstDifference, gnuAssemble, GNU_TOOLS, segmentAt } from './gnu-as.js';

const CORPUS = join(import.meta.dirname, 'corpus');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.s')).sort();

describeWithTools(GNU_TOOLS, 'corpus: faultline vs GNU as', () => {
  it('has corpus files', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(`${file} assembles to the same bytes as GNU as`, () => {
      const source = readFileSync(join(CORPUS, file), 'utf8');
      const program = assemble(source, { fileName: file });
      const text = segmentAt(program, Prot.Read | Prot.Exec);
      const rodata = segmentAt(program, Prot.Read);
      const data = segmentAt(program, Prot.Read | Prot.Write);
      const textAddr = text?.vaddr ?? 0x10000;
      const rodataAddr = rodata?.vaddr ?? 0x400000;
      const dataAddr = data?.vaddr ?? 0x800000;
      const gnu = gnuAssemble(source, { text: textAddr, rodata: rodataAddr, data: dataAddr });
      const empty = new Uint8Array(0);
      for (const [name, ours, theirs, base] of [
        ['.text', text?.data ?? empty, gnu.text, textAddr],
        ['.rodata', rodata?.data ?? empty, gnu.rodata, rodataAddr],
        ['.data', data?.data ?? empty, gnu.data, dataAddr],
      ] as const) {
        const diff = firstDifference(ours, theirs, base);
        expect(diff, `${file} ${name}`).toBeUndefined();
      }
      for (const [name, address] of program.symbols) {
        expect(gnu.symbols.get(name), `${file}: symbol ${name}`).toBe(address);
      }
    });
  }
});
