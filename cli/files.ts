/**
 * The command line's file access: every file it reads, writes or creates
 * goes through here, so that every failure is one line in the user's
 * terms ("x: no such file or directory", "x is a directory") and no read
 * can hang (a FIFO) or grow without bound (/dev/zero).
 */
import { constants } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FaultlineError } from '../src/errors.js';

/** Largest program file `run` and `asm` read: 256 MiB. */
export const PROGRAM_FILE_LIMIT = 256 << 20;
/** Largest checkpoint image read: 2 GiB (a guest holds at most 1.5 GiB; the rest is room for metadata). */
export const IMAGE_FILE_LIMIT = 2 ** 31;

/** A file the command line cannot use; always printed as one line, exit status 2. */
export class CliFileError extends FaultlineError {}

/** Words for the errno codes a user meets. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'device or resource busy',
  ENXIO: 'no such device',
  EINVAL: 'invalid argument',
  EBADF: 'bad file descriptor',
  EFBIG: 'file too large',
};

/**
 * Why `err` failed, in words ("no such file or directory"); an unknown
 * code falls back to Node's description without the code and path.
 */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && REASONS[code] !== undefined) return REASONS[code];
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+ '.*'$/, '');
}

/** `path` and why `err` failed: `x: no such file or directory`, `x is a directory`. */
export function describeFileError(path: string, err: unknown): string {
  const reason = reasonOf(err);
  return reason.startsWith('is ') || reason.startsWith('already ') ? `${path} ${reason}` : `${path}: ${reason}`;
}

/** Words for a file that is not a regular file. */
function kindOf(s: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads the regular file `path` (symbolic links followed) whole, at most
 * `limit` bytes. Opens without blocking (a FIFO's open would wait for a
 * writer), checks the opened file with fstat — not a regular file, or
 * larger than `limit`, is refused before a byte is read — and reads no
 * more than its size (a file growing meanwhile is refused too).
 *
 * @param what - what the file is, for the too-big message ("program", "checkpoint image")
 * @throws CliFileError naming the file and the reason.
 */
export async function readRegularFile(path: string, limit: number, what: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new CliFileError(describeFileError(path, err));
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) {
      const kind = kindOf(s);
      throw new CliFileError(kind === 'a directory' ? `${path} is a directory` : `${path} is ${kind}, not a regular file`);
    }
    if (s.size > limit) throw new CliFileError(`${path} is too big for a ${what} (${s.size} bytes; the limit is ${limit})`);
    const bytes = new Uint8Array(s.size);
    let at = 0;
    for (;;) {
      // One byte past the size tells a file that grew since fstat.
      const room = at < bytes.length ? bytes.length - at : 0;
      if (room === 0) {
        const { bytesRead } = await handle.read(new Uint8Array(1), 0, 1, at);
        if (bytesRead !== 0) throw new CliFileError(`${path} changed while it was read`);
        return bytes;
      }
      const { bytesRead } = await handle.read(bytes, at, room, at);
      if (bytesRead === 0) throw new CliFileError(`${path} changed while it was read`);
      at += bytesRead;
    }
  } catch (err) {
    if (err instanceof CliFileError) throw err;
    throw new CliFileError(describeFileError(path, err));
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Suffix of a temporary file being written: `.tmp-PID`. */
export const TEMPORARY_SUFFIX = /\.tmp-(\d+)$/;

/**
 * Writes `bytes` to `path` atomically: a temporary file `path.tmp-PID`
 * beside it, fsync, rename. A crash mid-write leaves any previous file
 * intact (and the temporary file, which {@link isStaleTemporary} tells
 * apart); an error removes the temporary file.
 *
 * @throws CliFileError naming `path` and the reason.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, mode = 0o644): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const handle = await open(temporary, 'w', mode);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => {});
    throw new CliFileError(`cannot write ${describeFileError(path, err)}`);
  }
}

/**
 * True when the temporary file name `name` (`….tmp-PID`) belongs to a
 * process that no longer runs: this process's own number (a crashed
 * predecessor's leftover with the same pid; this process has not begun
 * writing) or a pid signal 0 says is gone. A process of another user
 * (EPERM) counts as alive.
 */
export function isStaleTemporary(name: string): boolean {
  const m = TEMPORARY_SUFFIX.exec(name);
  if (m === null) return false;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Makes sure `dir` is a directory this process can create files in:
 * creates the missing components one at a time (a recursive mkdir spins
 * on /proc), refuses a path whose existing part is not a directory, and
 * writes, fsyncs and removes a probe file. Run before any work, so an
 * unusable `--checkpoint-dir` is refused at once.
 *
 * @param option - the option that named the directory, for messages
 * @throws CliFileError with one line naming the directory and the reason.
 */
export async function ensureWritableDirectory(dir: string, option: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      const s = await stat(at);
      if (!s.isDirectory()) throw new CliFileError(`${option} ${dir}: ${at} is ${kindOf(s)}, not a directory`);
      break;
    } catch (err) {
      if (err instanceof CliFileError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliFileError(`${option} ${dir}: ${describeFileError(at, err)}`);
      missing.unshift(at);
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
    }
  }
  for (const component of missing) {
    try {
      await mkdir(component);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new CliFileError(`${option} ${dir}: cannot create ${describeFileError(component, err)}`);
    }
  }
  const probe = resolve(dir, `.faultline-probe.tmp-${process.pid}`);
  try {
    const handle = await open(probe, 'wx');
    try {
      await handle.writeFile(new Uint8Array(1));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await unlink(probe).catch(() => {});
    throw new CliFileError(`${option} ${dir}: cannot write files there (${reasonOf(err)})`);
  }
  await unlink(probe).catch(() => {});
}
