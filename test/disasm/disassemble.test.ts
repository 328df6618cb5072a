import { describe, expect, it } from 'vitest';
import { disassemble } from '../../src/disasm/disassemble.js';

describe('disassemble', () => {
  it.each([
    [0x00f52023, 0, 'sw a5,0(a0)'],
    [0xff010113, 0, 'addi sp,sp,-16'],
    [0x00b50463, 0x10078, 'beq a0,a1,0x10080'],
    [0xfeb50ce3, 0x1000c, 'beq a0,a1,0x10004'],
    [0x00000013, 0, 'nop'],
    [0xfff00513, 0, 'li a0,-1'],
    [0x00058513, 0, 'mv a0,a1'],
    [0x00008067, 0, 'ret'],
    [0x00050067, 0, 'jr a0'],
    [0x000500e7, 0, 'jalr a0'],
    [0x004500e7, 0, 'jalr ra,4(a0)'],
    [0x0000006f, 0x10000, 'j 0x10000'],
    [0x008000ef, 0x10000, 'jal 0x10008'],
    [0x800002b7, 0, 'lui t0,0x80000'],
    [0x00000517, 0, 'auipc a0,0x0'],
    [0x40b50533, 0, 'sub a0,a0,a1'],
    [0x02b54533, 0, 'div a0,a0,a1'],
    [0x41f55513, 0, 'srai a0,a0,31'],
    [0x00000073, 0, 'ecall'],
    [0x00100073, 0, 'ebreak'],
    [0x0ff0000f, 0, 'fence'],
    [0x0310000f, 0, 'fence rw,w'],
    [0x0000100f, 0, 'fence.i'],
    [0xc0002573, 0, 'rdcycle a0'],
    [0x30002573, 0, 'csrr a0,0x300'],
    [0x1c05a52f, 0, 'sc.w.aq a0,zero,(a1)'],
    [0x1005a52f, 0, 'lr.w a0,(a1)'],
    [0x06b6252f, 0, 'amoadd.w.aqrl a0,a1,(a2)'],
    [0xffffffff, 0, '.word 0xffffffff'],
    [0x00000000, 0, '.word 0x0'],
  ])('0x%s at pc %s is %s', (word, pc, text) => {
    expect(disassemble(word, pc)).toBe(text);
  });
});
