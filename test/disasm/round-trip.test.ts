/**
 * Round trip: disassemble → assemble gives back the same word, for
 * 10,000 random valid instruction words at random pcs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { disassemble } from '../../src/disasm/disassemble.js';
import { alignedPc, instructionWord } from '../asm/instruction-words.js';

function reassemble(text: string, pc: number): number[] {
  const program = assemble(text, { fileName: 'round-trip.s', textAddress: pc });
  const seg = program.segments[0]!;
  const view = new DataView(seg.data.buffer, seg.data.byteOffset, seg.data.byteLength);
  const words: number[] = [];
  for (let o = 0; o < seg.data.length; o += 4) words.push(view.getUint32(o, true));
  return words;
}

describe('disassemble → assemble round trip', () => {
  it('gives the same word for 10,000 random valid instructions', () => {
    fc.assert(
      fc.property(instructionWord, alignedPc, (word, pc) => {
        const text = disassemble(word, pc);
        expect(text.startsWith('.word'), `${word.toString(16)} disassembled as ${text}`).toBe(false);
        expect(reassemble(text, pc), text).toEqual([word]);
      }),
      { numRuns: 10_000 },
    );
  });

  it('keeps words that are not instructions as .word', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), alignedPc, (word, pc) => {
        expect(reassemble(disassemble(word, pc), pc)).toEqual([word]);
      }),
      { numRuns: 2_000 },
    );
  });
});
