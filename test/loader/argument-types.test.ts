/**
 * Wrong JavaScript types at the loader's public functions are a UsageError
 * naming the function and the parameter — never a raw TypeError.
 */
import { describe, expect, it } from 'vitest';
import { UsageError, parseElf, writeElf } from '../../src/index.js';
import type { Program } from '../../src/loader/program.js';
import { sampleProgram } from './elf-test-utils.js';

/** Calls `f` as plain JavaScript would (types erased). */
const loose = (f: (...args: never[]) => unknown) => f as unknown as (...args: unknown[]) => unknown;

describe('loader arguments of the wrong type', () => {
  it.each([
    ['a string', ['\x7fELF…', 'a.elf'], 'parseElf: bytes must be a Uint8Array, got a string'],
    ['null', [null, 'a.elf'], 'parseElf: bytes must be a Uint8Array, got null'],
    ['an array of numbers', [[0x7f, 0x45], 'a.elf'], 'parseElf: bytes must be a Uint8Array, got an array'],
    ['a number as the name', [new Uint8Array(64), 42], 'parseElf: name must be a string, got the number 42'],
  ])('parseElf with %s is a UsageError naming the parameter', (_, args, message) => {
    expect(() => loose(parseElf)(...args)).toThrow(new UsageError(message));
  });

  it('writeElf without a program object is a UsageError naming the parameter', () => {
    expect(() => loose(writeElf)(null)).toThrow(new UsageError('writeElf: program must be an object, got null'));
    expect(() => loose(writeElf)({})).toThrow(new UsageError('writeElf: program must have segments (an array), symbols (a Map) and extable (an array)'));
    expect(() => loose(writeElf)(sampleProgram() as Program, 5)).toThrow(new UsageError('writeElf: options must be an object, got the number 5'));
  });
});
