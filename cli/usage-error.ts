import { FaultlineError } from '../src/errors.js';

/** Wrong command-line arguments: printed as one line, exit status 2. */
export class CommandLineError extends FaultlineError {}

/** Parses a non-negative integer option (decimal or 0x hex), naming the option on error. */
export function parseCount(option: string, text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^[0-9]+$/.test(text) ? parseInt(text, 10) : NaN;
  if (!Number.isSafeInteger(value)) throw new CommandLineError(`--${option}: expected a non-negative integer, got '${text}'`);
  return value;
}
