/**
 * Checks of the Machine API's arguments, made once at the boundary so that
 * a wrong JavaScript type fails at the call that passed it — naming the
 * function, the parameter and the value — never later, deep inside, as a
 * TypeError (docs/fault-model.md, "Host misuse").
 */

import { UsageError } from '../errors.js';
import { describeValue } from '../fault/describe-value.js';
import type { Program } from '../loader/program.js';
import type { MachineLoadOptions, MachineOptions, RunOptions } from './machine.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function optionalFunction(fn: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new UsageError(`${fn}: ${name} must be a function, got ${describeValue(value)}`);
  }
}

function optionalNumber(fn: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'number') {
    throw new UsageError(`${fn}: ${name} must be a number, got ${describeValue(value)}`);
  }
}

function optionalBoolean(fn: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new UsageError(`${fn}: ${name} must be true or false, got ${describeValue(value)}`);
  }
}

function optionalStrings(fn: string, name: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new UsageError(`${fn}: ${name} must be an array of strings, got ${describeValue(value)}`);
  }
}

/**
 * Throws UsageError unless `options` is a {@link MachineOptions}: an object
 * whose sinks are functions and whose numbers are numbers (their ranges
 * are checked where they are used), and a livelock limit that is a
 * positive integer.
 */
export function validateMachineOptions(options: unknown): asserts options is MachineOptions {
  const fn = 'new Machine';
  if (!isObject(options)) throw new UsageError(`${fn}: options must be an object, got ${describeValue(options)}`);
  optionalFunction(fn, 'stdout', options['stdout']);
  optionalFunction(fn, 'stderr', options['stderr']);
  optionalNumber(fn, 'memoryQuota', options['memoryQuota']);
  optionalNumber(fn, 'memoryInitialSize', options['memoryInitialSize']);
  optionalNumber(fn, 'livelockLimit', options['livelockLimit']);
  optionalNumber(fn, 'jitThreshold', options['jitThreshold']);
  optionalBoolean(fn, 'jit', options['jit']);
  optionalNumber(fn, 'timeSlice', options['timeSlice']);
  const slice = options['timeSlice'];
  if (slice !== undefined && (!Number.isSafeInteger(slice) || (slice as number) < 1)) {
    throw new UsageError(`${fn}: timeSlice must be a positive integer number of instructions, got ${describeValue(slice)}`);
  }
  optionalBoolean(fn, 'hostTime', options['hostTime']);
  const stdin = options['stdin'];
  if (stdin !== undefined && typeof stdin !== 'string' && typeof stdin !== 'function' && !(stdin instanceof Uint8Array)) {
    throw new UsageError(`${fn}: stdin must be a Uint8Array, a string or an input source function, got ${describeValue(stdin)}`);
  }
  const seed = options['seed'];
  if (seed !== undefined && !(typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0)) {
    throw new UsageError(`${fn}: seed must be a non-negative safe integer, got ${describeValue(seed)}`);
  }
  const umask = options['umask'];
  if (umask !== undefined && !(typeof umask === 'number' && Number.isInteger(umask) && umask >= 0 && umask <= 0o777)) {
    throw new UsageError(`${fn}: umask must be an integer 0..0o777, got ${describeValue(umask)}`);
  }
  const cwd = options['cwd'];
  if (cwd !== undefined && typeof cwd !== 'string') throw new UsageError(`${fn}: cwd must be a string, got ${describeValue(cwd)}`);
  const mounts = options['mounts'];
  if (mounts !== undefined && (!Array.isArray(mounts) || !mounts.every((m) => isObject(m) && typeof m['guestPath'] === 'string' && isObject(m['directory'])))) {
    throw new UsageError(`${fn}: mounts must be an array of { guestPath, directory, readOnly? }, got ${describeValue(mounts)}`);
  }
  const handleLimit = options['handleLimit'];
  if (handleLimit !== undefined && !(typeof handleLimit === 'number' && Number.isInteger(handleLimit) && handleLimit >= 3 && handleLimit <= 65536)) {
    throw new UsageError(`${fn}: handleLimit must be an integer 3..65536, got ${describeValue(handleLimit)}`);
  }
  const limit = options['livelockLimit'];
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 1)) {
    throw new UsageError(`${fn}: livelockLimit must be a positive integer, got ${describeValue(limit)}`);
  }
  validateCpus(fn, 'cpus', options['cpus']);
}

/** The most virtual CPUs a machine may have (Linux's default `NR_CPUS` on riscv). */
export const MAX_CPUS = 512;

/** Throws UsageError unless `value` is undefined or a whole number of virtual CPUs in 1..{@link MAX_CPUS}. */
export function validateCpus(fn: string, name: string, value: unknown): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_CPUS)) {
    throw new UsageError(`${fn}: ${name} must be a whole number of virtual CPUs from 1 to ${MAX_CPUS}, got ${describeValue(value)}`);
  }
}

/**
 * Throws UsageError unless `program` looks like a {@link Program} (from
 * parseElf or assemble) and `options` like {@link MachineLoadOptions}.
 */
export function validateLoadArguments(program: unknown, options: unknown): asserts program is Program {
  const fn = 'Machine.load';
  if (!isObject(program) || typeof program['name'] !== 'string' || typeof program['entry'] !== 'number'
    || !Array.isArray(program['segments']) || !Array.isArray(program['extable'])) {
    throw new UsageError(`${fn}: program must be a Program (from parseElf or assemble), got ${describeValue(program)}`);
  }
  if (!isObject(options)) throw new UsageError(`${fn}: options must be an object, got ${describeValue(options)}`);
  const o = options as Partial<Record<keyof MachineLoadOptions, unknown>>;
  optionalStrings(fn, 'argv', o.argv);
  optionalStrings(fn, 'envp', o.envp);
  optionalNumber(fn, 'stackSize', o.stackSize);
  optionalBoolean(fn, 'exceptionTable', o.exceptionTable);
}

/**
 * Throws UsageError unless `options` is a {@link RunOptions}:
 * `maxInstructions` a non-negative integer or `Infinity`, `timeoutMs` a
 * non-negative number or `Infinity`.
 */
export function validateRunOptions(options: unknown, fn: string): asserts options is RunOptions {
  fn = `Machine.${fn}`;
  if (!isObject(options)) throw new UsageError(`${fn}: options must be an object, got ${describeValue(options)}`);
  const max = options['maxInstructions'];
  if (max !== undefined && max !== Infinity && !(typeof max === 'number' && Number.isSafeInteger(max) && max >= 0)) {
    throw new UsageError(`${fn}: maxInstructions must be a non-negative integer or Infinity, got ${describeValue(max)}`);
  }
  const timeout = options['timeoutMs'];
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && !Number.isNaN(timeout))) {
    throw new UsageError(`${fn}: timeoutMs must be a non-negative number of milliseconds, got ${describeValue(timeout)}`);
  }
}
