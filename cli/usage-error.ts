import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FaultlineError } from '../src/errors.js';

/** Wrong command-line arguments: printed as one line, exit status 2. */
export class CommandLineError extends FaultlineError {}

/** Parses a non-negative integer option (decimal or 0x hex), naming the option on error. */
export function parseCount(option: string, text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^[0-9]+$/.test(text) ? parseInt(text, 10) : NaN;
  if (!Number.isSafeInteger(value)) throw new CommandLineError(`--${option}: expected a non-negative integer, got '${text}'`);
  return value;
}

/**
 * Parses `--gdb PORT`: a whole number 0..65535. (Here, not in gdb-server.ts,
 * so that a run without --gdb does not load the debugger.)
 *
 * @param text - the option's value
 */
export function parseGdbPort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new CommandLineError(`--gdb: expected a TCP port from 0 to 65535, got ${JSON.stringify(text)}`);
  return n;
}

/** Multipliers of the size suffixes (binary: 1K = 1024). */
const SIZE_SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 };

/**
 * Parses a size in bytes: a count (decimal or 0x hex) with an optional
 * suffix K, M or G (binary, case-insensitive, `KiB`/`KB` too): `64K`,
 * `1G`, `0x1000`. Names the option on error.
 */
export function parseSize(option: string, text: string): number {
  const m = /^(0x[0-9a-f]+|[0-9]+)(?:([kmg])(?:i?b)?)?$/i.exec(text);
  const number = m === null ? NaN : m[1]!.toLowerCase().startsWith('0x') ? parseInt(m[1]!, 16) : parseInt(m[1]!, 10);
  const value = number * SIZE_SUFFIX[(m?.[2] ?? '').toLowerCase()]!;
  if (!Number.isSafeInteger(value)) throw new CommandLineError(`--${option}: expected a size in bytes (e.g. 65536, 0x10000, 64K, 1G), got '${text}'`);
  return value;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandLine} returns: each option's value by its type, and the positionals. */
export interface ParsedCommandLine<T extends Options> {
  readonly values: { [K in keyof T]?: T[K] extends { multiple: true } ? string[] : T[K] extends { type: 'string' } ? string : boolean };
  readonly positionals: string[];
}

/**
 * `parseArgs` for command `command`, with its errors in our words
 * ("run: unknown option --bogus"). A value that starts with a dash is
 * taken as the value of a string option (`--max-instructions -5` is then
 * refused by the option's own check, in one line).
 *
 * @throws CommandLineError for an unknown option, a missing value, or a value given to a flag.
 */
export function parseCommandLine<T extends Options>(command: string, args: readonly string[], options: T): ParsedCommandLine<T> {
  const joined: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (a === '--') { joined.push(...args.slice(k)); break; }
    const name = /^--([^=]+)$/.exec(a)?.[1];
    const next = args[k + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && next.startsWith('-') && next !== '--') {
      joined.push(`${a}=${next}`);
      k++;
    } else {
      joined.push(a);
    }
  }
  try {
    return parseArgs({ args: joined, allowPositionals: true, strict: true, options }) as unknown as ParsedCommandLine<T>;
  } catch (err) {
    throw new CommandLineError(rephrase(command, err));
  }
}

/** One line for an error of `parseArgs`. */
function rephrase(command: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const option = /'(-{1,2}[^' <=]+)/.exec(message)?.[1] ?? '';
  const help = `(see faultline ${command} --help)`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${command}: unknown option ${option} ${help}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message)
        ? `${command}: ${option} takes no value ${help}`
        : `${command}: ${option} needs a value ${help}`;
    default:
      return `${command}: ${message.split('\n')[0]} ${help}`;
  }
}
