/**
 * The command line's view of the guest's outside world: `--mount`,
 * `--env`, `--stdin`, `--host-time` and `--seed` (docs/command-line.md),
 * turned into machine options. Every bad value is a CommandLineError
 * naming the option and the value.
 */
import type { MachineMount } from '../src/machine/machine.js';
import type { InputSource } from '../src/handles/stream.js';
import { HostDirectory } from '../node/host-directory.js';
import { statSync } from 'node:fs';
import { FaultlineError } from '../src/errors.js';
import { CliFileError, describeFileError } from './files.js';
import { descriptorInput, fileInput } from './host-input.js';
import { CommandLineError, parseCount } from './usage-error.js';

/** The options of `run` this module reads (`restore` gives only `--stdin` and `--host-time`). */
export interface GuestIoValues {
  readonly mount?: readonly string[] | undefined;
  readonly env?: readonly string[] | undefined;
  readonly stdin?: string | undefined;
  readonly 'host-time'?: boolean | undefined;
  readonly seed?: string | undefined;
}

/** The option specs of those flags, for parseCommandLine. */
export const GUEST_IO_OPTIONS = {
  mount: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  stdin: { type: 'string' },
  'host-time': { type: 'boolean' },
  seed: { type: 'string' },
} as const;

/**
 * Help lines of those flags. `restore` has only --stdin and --host-time:
 * the image holds the mounts (relinked with --relink), the environment
 * and the random generator's state.
 */
export function guestIoHelp(forRestore: boolean): string {
  const run = `  --env NAME=VALUE       put NAME=VALUE into the guest's environment (may be
                         given several times; the environment is empty otherwise)
  --seed N               seed of the guest's getrandom (default 0)
`;
  const mount = `  --mount HOST:GUEST[:ro]
                         mount host directory HOST at guest path GUEST (an
                         absolute path), read-only with :ro; the guest cannot
                         reach outside HOST; may be given several times
`;
  return `${forRestore ? '' : mount}  --stdin FILE           the guest's stdin reads FILE (default: this process's
                         stdin)${forRestore ? ', from where the checkpointed guest had read to' : ''}
  --host-time            the guest's clocks read the host's time (default:
                         virtual time, from retired instructions)
${forRestore ? '' : run}`;
}

/** A parsed `--mount`. */
export interface MountSpec {
  readonly hostPath: string;
  readonly guestPath: string;
  readonly readOnly: boolean;
}

/**
 * Parses `HOST:GUEST[:ro]` (`:rw` is accepted too). The guest path is the
 * part after the last colon that starts an absolute path, so host paths
 * may contain colons.
 *
 * @throws CommandLineError naming --mount and the value
 */
export function parseMount(text: string): MountSpec {
  let rest = text, readOnly = false;
  if (rest.endsWith(':ro')) { readOnly = true; rest = rest.slice(0, -3); }
  else if (rest.endsWith(':rw')) rest = rest.slice(0, -3);
  const at = rest.lastIndexOf(':/');
  if (at <= 0) throw new CommandLineError(`--mount ${text}: expected HOST:GUEST[:ro] with GUEST an absolute guest path`);
  const hostPath = rest.slice(0, at), guestPath = rest.slice(at + 1);
  if (guestPath.includes('\0') || hostPath.includes('\0')) throw new CommandLineError(`--mount ${JSON.stringify(text)}: paths cannot contain NUL`);
  return { hostPath, guestPath, readOnly };
}

/**
 * Parses `NAME=VALUE`.
 *
 * @throws CommandLineError naming --env and the value when there is no `=`, the name is empty, or it holds NUL
 */
export function parseEnv(text: string): string {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new CommandLineError(`--env ${text}: expected NAME=VALUE`);
  if (text.includes('\0')) throw new CommandLineError(`--env ${JSON.stringify(text)}: cannot contain NUL`);
  return text;
}

/** Machine options and environment from the flags, and what to close when the run ends. */
export interface GuestIo {
  /** The mounts, each with the `--mount` value it came from (for messages). */
  readonly mounts: readonly (MachineMount & { readonly text: string })[];
  readonly envp: readonly string[];
  readonly stdin: InputSource;
  readonly hostTime: boolean;
  readonly seed: number | undefined;
  /** Skips `bytes` of a `--stdin` file (a restore continues where the guest had read to); nothing for process stdin. */
  skipInput(bytes: number): void;
  close(): void;
}

/**
 * Reads the flags: opens the host directories (each must exist) and the
 * stdin file. Without `--stdin` the guest reads this process's stdin,
 * pulled only when the guest reads.
 *
 * @throws CommandLineError naming the option and value for every bad value
 */
export function guestIo(values: GuestIoValues): GuestIo {
  const mounts: (MachineMount & { readonly text: string })[] = [];
  for (const text of values.mount ?? []) {
    const spec = parseMount(text);
    let directory: HostDirectory;
    try {
      if (!statSync(spec.hostPath).isDirectory()) throw new CommandLineError(`--mount ${text}: ${spec.hostPath} is not a directory`);
      directory = new HostDirectory(spec.hostPath);
    } catch (err) {
      if (err instanceof CommandLineError) throw err;
      if (err instanceof FaultlineError) throw new CommandLineError(`--mount ${text}: ${err.message.replace(/^HostDirectory: /, '')}`);
      throw new CliFileError(describeFileError(`--mount ${text}: ${spec.hostPath}`, err));
    }
    mounts.push({ text, guestPath: spec.guestPath, directory, readOnly: spec.readOnly });
  }
  const envp = (values.env ?? []).map(parseEnv);
  const seed = values.seed === undefined ? undefined : parseCount('seed', values.seed);
  let stdin: InputSource, close = (): void => {}, skipInput = (_bytes: number): void => {};
  if (values.stdin === undefined) stdin = descriptorInput(0, 'stdin');
  else {
    const file = fileInput(values.stdin);
    stdin = file.source;
    close = file.close;
    skipInput = file.skip;
  }
  return { mounts, envp, stdin, hostTime: values['host-time'] === true, seed, skipInput, close };
}

/**
 * Parses `--relink OLD=NEW` values into the map a restore takes.
 *
 * @throws CommandLineError naming --relink and the value when it has no `=` or an empty side, or OLD repeats
 */
export function parseRelinks(texts: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const text of texts) {
    const eq = text.indexOf('=');
    if (eq <= 0 || eq === text.length - 1) throw new CommandLineError(`--relink ${text}: expected OLD=NEW`);
    const from = text.slice(0, eq);
    if (map.has(from)) throw new CommandLineError(`--relink ${text}: ${from} is relinked twice`);
    map.set(from, text.slice(eq + 1));
  }
  return map;
}

/**
 * The host directory for a mount an image recorded with `label` (the host
 * path it had), or the one `relink` gives for it.
 *
 * @throws CliFileError naming the path (and the relink) when it is not a usable directory
 */
export function hostDirectoryFor(label: string, relink: ReadonlyMap<string, string>): HostDirectory {
  const path = relink.get(label) ?? label;
  const what = path === label ? `mounted directory ${label}` : `mounted directory ${label} (relinked to ${path})`;
  try {
    if (!statSync(path).isDirectory()) throw new CliFileError(`restore: ${what} is not a directory (give --relink ${label}=NEWDIR)`);
    return new HostDirectory(path);
  } catch (err) {
    if (err instanceof CliFileError) throw err;
    throw new CliFileError(`${describeFileError(`restore: ${what}`, err)} (give --relink ${label}=NEWDIR)`);
  }
}
