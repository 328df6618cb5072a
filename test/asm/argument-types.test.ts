/**
 * Wrong JavaScript types at the assembler's and disassembler's public
 * functions are a UsageError naming the function and the parameter —
 * never a raw TypeError or a silently wrong result.
 */
import { describe, expect, it } from 'vitest';
import { UsageError, assemble, disassemble } from '../../src/index.js';

/** Calls `f` as plain JavaScript would (types erased). */
const loose = (f: (...args: never[]) => unknown) => f as unknown as (...args: unknown[]) => unknown;

describe('assembler arguments of the wrong type', () => {
  it.each([
    [[42], 'assemble: source must be a string, got the number 42'],
    [[null], 'assemble: source must be a string, got null'],
    [[new Uint8Array(4)], 'assemble: source must be a string, got a Uint8Array'],
    [['nop', 'a.s'], 'assemble: options must be an object, got a string'],
    [['nop', { fileName: 7 }], 'assemble: options.fileName must be a string, got the number 7'],
  ])('assemble(%j) is a UsageError naming the parameter', (args, message) => {
    expect(() => loose(assemble)(...args)).toThrow(new UsageError(message));
  });

  it.each([
    [['0x13'], 'disassemble: word must be an integer from -2147483648 to 4294967295, got a string'],
    [[1.5], 'disassemble: word must be an integer from -2147483648 to 4294967295, got 1.5'],
    [[2 ** 32], 'disassemble: word must be an integer from -2147483648 to 4294967295, got 4294967296'],
    [[0x13, null], 'disassemble: pc must be an integer from -2147483648 to 4294967295, got null'],
  ])('disassemble(%j) is a UsageError naming the parameter', (args, message) => {
    expect(() => loose(disassemble)(...args)).toThrow(new UsageError(message));
  });

  it('still accepts words as signed or unsigned 32-bit integers', () => {
    expect(disassemble(-1 >>> 0)).toBe(disassemble(-1));
    expect(disassemble(0x13)).toBe('nop');
  });
});
