import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { AssemblyError } from '../../src/asm/assembly-error.js';
import { UsageError } from '../../src/errors.js';
import type { Program } from '../../src/loader/program.js';
import { Prot } from '../../src/memory/page.js';

/** The words of the text segment. */
function words(program: Program): number[] {
  const seg = program.segments.find((s) => s.flags === (Prot.Read | Prot.Exec))!;
  const view = new DataView(seg.data.buffer, seg.data.byteOffset, seg.data.byteLength);
  return Array.from({ length: seg.data.length / 4 }, (_, i) => view.getUint32(i * 4, true));
}

function errorsOf(source: string): AssemblyError {
  try {
    assemble(source, { fileName: 'prog.s' });
  } catch (e) {
    if (e instanceof AssemblyError) return e;
    throw e;
  }
  throw new Error('expected an AssemblyError');
}

describe('assemble: diagnostics', () => {
  it('names file, line and column and the expected range', () => {
    const err = errorsOf('nop\naddi a0, a0, 4096\n');
    expect(err.message).toBe('prog.s:2:14: immediate 4096 out of range for addi (-2048..2047)');
    expect(err.diagnostics).toEqual([{ file: 'prog.s', line: 2, column: 14, message: 'immediate 4096 out of range for addi (-2048..2047)' }]);
  });

  it('reports every error of the file, in line order', () => {
    const err = errorsOf([
      'frob a0',             // unknown instruction
      'add a0, a1',          // missing operand
      'beq a0, a1, nowhere', // undefined symbol (found at layout)
      'slli a0, a0, 32',     // out of range (found at encoding)
      '.word "x"',           // syntax
      'j 1f',                // undefined local label
    ].join('\n'));
    expect(err.diagnostics.map((d) => d.line)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(err.message.split('\n')).toEqual([
      'prog.s:1:1: unknown instruction frob',
      'prog.s:2:11: add expects rd, rs1, rs2',
      'prog.s:3:13: undefined symbol nowhere',
      'prog.s:4:14: shift amount 32 out of range for slli (0..31)',
      'prog.s:5:7: expected an expression but found string "x"',
      'prog.s:6:3: undefined local label 1f',
    ]);
  });

  it('reports jumps out of reach', () => {
    const err = errorsOf('j far\n.space 0x100000\nfar: nop');
    expect(err.message).toMatch(/^prog\.s:1:3: target 0x110004 out of range for j \(offset 1048580, expected -1048576\.\.1048574\)$/);
  });

  it('refuses data in .bss, compressed code and %pcrel_lo without its auipc', () => {
    const err = errorsOf('.bss\n.word 1\n.option rvc\n.text\naddi a0, a0, %pcrel_lo(1f)\n1: nop');
    expect(err.diagnostics.map((d) => d.message)).toEqual([
      'data cannot go in .bss, which holds only zeroes (use .zero or .space)',
      'compressed instructions are not supported (.option rvc)',
      'no auipc with %pcrel_hi at address 0x10004 for %pcrel_lo',
    ]);
  });

  it('stops on .equ cycles and runaway layouts instead of hanging', () => {
    expect(errorsOf('.equ a, b\n.equ b, a\nli a0, a').message).toMatch(/nest deeper than/);
    expect(errorsOf('.space y - 0x10000 + 4\ny:').message).toMatch(/layout does not settle/);
  });

  it('bounds work on hostile input: symbol fan-out, long expressions, huge sizes', () => {
    const fanOut = ['.equ s0, 1', ...Array.from({ length: 60 }, (_, i) => `.equ s${i + 1}, s${i} + s${i}`), 'li a0, s60 & 0xff'];
    expect(() => assemble(fanOut.join('\n'))).not.toThrow();
    expect(errorsOf('li a0, 0' + ' + 1'.repeat(5000)).message).toMatch(/more than 1000 operators/);
    expect(errorsOf('.space 0x7fffffff').message).toMatch(/larger than/);
    expect(errorsOf(Array.from({ length: 20 }, (_, i) => `.section .data.${i}\n.space 0xf00000`).join('\n')).message).toMatch(/hold more than/);
  });

  it('rejects a misaligned text address as a usage error', () => {
    expect(() => assemble('nop', { textAddress: 2 })).toThrow(UsageError);
  });
});

describe('assemble: layout', () => {
  it('places .text, then .rodata and .data on new pages, .bss after .data', () => {
    const p = assemble('.globl _start\nnop\n_start: nop\n.section .rodata\nr: .byte 1\n.data\nd: .word 2\n.bss\nb: .zero 8');
    expect(p.entry).toBe(0x10004);
    expect(p.symbols).toEqual(new Map([['_start', 0x10004], ['r', 0x11000], ['d', 0x12000], ['b', 0x12004]]));
    expect(p.segments.map((s) => [s.vaddr, s.data.length, s.memSize, s.flags])).toEqual([
      [0x10000, 8, 8, Prot.Read | Prot.Exec],
      [0x11000, 1, 1, Prot.Read],
      [0x12000, 4, 12, Prot.Read | Prot.Write],
    ]);
  });

  it('starts at textAddress, entry at the start of .text without _start', () => {
    const p = assemble('nop', { textAddress: 0x400000 });
    expect(p.entry).toBe(0x400000);
    expect(p.segments[0]!.vaddr).toBe(0x400000);
  });

  it('keeps numeric local and .L labels out of the symbol table', () => {
    const p = assemble('1: nop\n.Lhidden: nop\nshown: j 1b');
    expect([...p.symbols.keys()]).toEqual(['shown']);
  });
});

describe('assemble: pseudo-instructions', () => {
  it.each([
    [0, [0x00000513]],
    [-1, [0xfff00513]],
    [0x7fffffff, [0x80000537, 0xfff50513]],
    [0x80000000, [0x80000537]],
    [0xfffff800, [0x80000513]],
    [0x800, [0x00001537, 0x80050513]],
  ])('li a0, %i expands as GNU as does', (value, expected) => {
    expect(words(assemble(`li a0, ${value}`))).toEqual(expected);
  });

  it('relaxes a conditional branch out of reach into an inverted branch over jal', () => {
    const w = words(assemble('beq a0, a1, far\n.space 8192\nfar: nop'));
    expect(w.slice(0, 2)).toEqual([0x00b51463, 0x0040206f]); // bne a0,a1,.+8; j far
  });

  it('la, call and tail use auipc with the %pcrel rounding', () => {
    expect(words(assemble('la a0, x\ncall x\ntail x\n.space 0x7f0\nx: nop')).slice(0, 6)).toEqual([
      0x00001517, 0x80850513, 0x00001097, 0x800080e7, 0x00000317, 0x7f830067,
    ]);
  });
});

describe('assemble: symbols and expressions', () => {
  it('uses GNU precedence: & binds tighter than +', () => {
    expect(words(assemble('li a0, 4 + 3 & 1'))).toEqual([0x00500513]);
  });

  it('gives uses before a .set redefinition the old value', () => {
    expect(words(assemble('.set v, 1\nli a0, v\n.set v, 2\nli a0, v'))).toEqual([0x00100513, 0x00200513]);
  });

  it('resolves numeric local labels backward and forward', () => {
    expect(words(assemble('1: j 1f\n1: j 1b'))).toEqual([0x0040006f, 0x0000006f]);
  });

  it('accepts ; separators and block comments', () => {
    expect(words(assemble('nop; /* a\n comment */ nop # end'))).toEqual([0x13, 0x13]);
  });
});

describe('assemble: exception tables', () => {
  it('.extable gives entries with absolute addresses', () => {
    const p = assemble('1: lw a0, 0(a1)\n2: ret\n.extable 1b, 2b\n.extable 1b, 2b, 1, (10 | (11 << 5))');
    expect(p.extable).toEqual([
      { insn: 0x10000, fixup: 0x10004, type: 0, data: 0 },
      { insn: 0x10000, fixup: 0x10004, type: 1, data: 10 | (11 << 5) },
    ]);
  });

  it('reads Linux-layout __ex_table entries written with .pushsection', () => {
    const p = assemble([
      '1: sw a0, 0(a1)',
      '2: ret',
      '.pushsection __ex_table, "a"',
      '.balign 4',
      '.long (1b - .), (2b - .)',
      '.short 1, 10',
      '.popsection',
    ].join('\n'));
    expect(p.extable).toEqual([{ insn: 0x10000, fixup: 0x10004, type: 1, data: 10 }]);
  });

  it('refuses an __ex_table that is not whole entries', () => {
    expect(errorsOf('.pushsection __ex_table, "a"\n.long 0\n.popsection').message).toMatch(/not a multiple of 12/);
  });

  it('shows control, DEL and bidirectional characters in diagnostics escaped, on one line', () => {
    for (const [source, shown] of [['\x1b[31m', '"\\x1b"'], ['nop\x7f', '"\\x7f"'], ['j \u202efoo', '"\\u202e"']] as const) {
      const message = errorsOf(source).message;
      expect(message).toContain(`unexpected character ${shown}`);
      expect(message).not.toMatch(/[\x1b\x7f\u202e\n]/);
    }
  });
});
