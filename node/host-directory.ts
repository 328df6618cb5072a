/**
 * A host directory of the Node file system, mountable into a faultline
 * machine (`FileSystem.mount`). Every call is synchronous (`node:fs`
 * `*Sync`), as the machine's system calls are.
 *
 * Confinement: the guest walker hands this class relative paths that hold
 * no `.`, `..` or symlink before the last component; this class refuses
 * any other path, never follows a final symlink (`O_NOFOLLOW`, `lstat`),
 * and checks every opened file **after** opening it (its real path,
 * through `/proc/self/fd`, must lie inside the directory) and every parent
 * directory before changing its entries. A host process racing renames
 * between the walk and the call therefore gets `-EACCES`, not a file
 * outside the directory.
 */

import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  type BigIntStats,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, sep } from 'node:path';
// Direct modules, not the src/index.js barrel: the CLI loads this on every run (start-up time).
import { UsageError } from '../src/errors.js';
import type { HostFile, HostOpenOptions, HostStat, MountedDirectory } from '../src/fs/mounted-directory.js';
import { Errno } from '../src/syscalls/errno.js';
import { quote } from '../src/quote.js';

/** Whether `/proc/self/fd` names open files by their real path (Linux). */
const PROC_FD = existsSync('/proc/self/fd');

/**
 * Options of the {@link HostDirectory} constructor.
 *
 * @example
 * ```ts
 * new HostDirectory('/srv/data', { label: 'data-v2' });
 * ```
 */
export interface HostDirectoryOptions {
  /** Label recorded in checkpoint images (default: the directory's real path). */
  readonly label?: string;
}

/**
 * The negative errno of a failed `node:fs` call: its `code` when Linux
 * defines it in {@link Errno}, else `-EIO`.
 *
 * @param err - what the call threw
 * @returns a negative errno
 * @example
 * ```ts
 * try { lstatSync('/nope'); } catch (e) { hostErrno(e); } // -Errno.ENOENT
 * ```
 */
export function hostErrno(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && Object.hasOwn(Errno, code)) return -Errno[code as keyof typeof Errno];
  return -Errno.EIO;
}

/** Runs `f`, turning a thrown host error into its negative errno. */
function guard<T>(f: () => T): T | number {
  try {
    return f();
  } catch (err) {
    return hostErrno(err);
  }
}

/** The kind of a bigint `node:fs` stat. */
function kindOf(st: BigIntStats): HostStat['kind'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
}

/** The {@link HostStat} of a bigint `node:fs` stat. */
function toHostStat(st: BigIntStats): HostStat {
  return {
    kind: kindOf(st),
    mode: Number(st.mode) & 0o7777,
    size: Number(st.size),
    blocks: Number(st.blocks),
    nlink: Number(st.nlink),
    hostIno: st.ino,
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
  };
}

/**
 * An open host file (see {@link HostDirectory.open}).
 */
class OpenHostFile implements HostFile {
  private closed = false;

  constructor(
    private readonly fd: number,
    readonly writable: boolean,
  ) {}

  read(offset: number, dest: Uint8Array): number {
    return guard(() => readSync(this.fd, dest, 0, dest.length, offset));
  }

  write(offset: number, src: Uint8Array): number {
    if (!this.writable) return -Errno.EBADF;
    return guard(() => {
      let done = 0;
      while (done < src.length) done += writeSync(this.fd, src, done, src.length - done, offset + done);
      return done;
    });
  }

  truncate(size: number): number {
    if (!this.writable) return -Errno.EBADF;
    return guard(() => {
      ftruncateSync(this.fd, size);
      return 0;
    });
  }

  stat(): HostStat | number {
    return guard(() => toHostStat(fstatSync(this.fd, { bigint: true })));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // Closing a descriptor that failed to close leaves nothing to do.
    }
  }
}

/**
 * A host directory mountable into a machine's file system.
 *
 * @example
 * ```ts
 * import { FileSystem } from 'faultline';
 * import { HostDirectory } from 'faultline/node';
 * const fs = new FileSystem();
 * fs.mount('/data', new HostDirectory('/tmp/data'), { readOnly: false });
 * ```
 */
export class HostDirectory implements MountedDirectory {
  /** Label recorded in checkpoint images. */
  readonly label: string;
  /** The directory's real path (symlinks resolved once, at construction). */
  readonly hostPath: string;

  /**
   * Opens a host directory for mounting.
   *
   * @param hostPath - a host directory
   * @param options - the label for checkpoint images
   * @throws UsageError when `hostPath` is not a readable directory.
   */
  constructor(hostPath: string, options: HostDirectoryOptions = {}) {
    let real: string;
    try {
      real = realpathSync(hostPath);
      if (!statSync(real).isDirectory()) throw new UsageError(`HostDirectory: ${quote(hostPath)} is not a directory`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`HostDirectory: ${quote(hostPath)} cannot be used: ${(err as Error).message}`);
    }
    this.hostPath = real;
    this.label = options.label ?? real;
  }

  /** The host path of a relative path, or `-EACCES` when it could leave the directory. */
  private full(path: string): string | number {
    if (path === '') return this.hostPath;
    if (path.includes('\0')) return -Errno.EINVAL;
    for (const part of path.split('/')) {
      if (part === '' || part === '.' || part === '..') return -Errno.EACCES;
    }
    return join(this.hostPath, path);
  }

  /** Whether real path `real` is the directory or inside it. */
  private inside(real: string): boolean {
    return real === this.hostPath || real.startsWith(this.hostPath.endsWith(sep) ? this.hostPath : this.hostPath + sep);
  }

  /**
   * The host path of a relative path whose parent directory is checked to
   * be inside the directory now (for calls that change entries).
   */
  private checkedParent(path: string): string | number {
    const full = this.full(path);
    if (typeof full === 'number') return full;
    if (path === '') return -Errno.EBUSY;
    const parent = guard(() => realpathSync(dirname(full)));
    if (typeof parent === 'number') return parent;
    if (!this.inside(parent)) return -Errno.EACCES;
    return full;
  }

  lstat(path: string): HostStat | number {
    const full = this.full(path);
    if (typeof full === 'number') return full;
    return guard(() => toHostStat(lstatSync(full, { bigint: true })));
  }

  readdir(path: string): string[] | number {
    const full = this.full(path);
    if (typeof full === 'number') return full;
    const real = guard(() => realpathSync(full));
    if (typeof real === 'number') return real;
    if (!this.inside(real)) return -Errno.EACCES;
    return guard(() => readdirSync(real));
  }

  readlink(path: string): string | number {
    const full = this.full(path);
    if (typeof full === 'number') return full;
    const st = guard(() => lstatSync(full));
    if (typeof st === 'number') return st;
    if (!st.isSymbolicLink()) return -Errno.EINVAL;
    return guard(() => readlinkSync(full));
  }

  open(path: string, options: HostOpenOptions): HostFile | number {
    const full = options.create !== undefined ? this.checkedParent(path) : this.full(path);
    if (typeof full === 'number') return full;
    let flags = (options.write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    if (options.create !== undefined) flags |= constants.O_CREAT | constants.O_EXCL;
    const fd = guard(() => openSync(full, flags, options.create?.mode ?? 0));
    if (fd < 0) return fd;
    const file = new OpenHostFile(fd, options.write);
    const where = this.realPathOf(fd, full);
    if (typeof where === 'number' || !this.inside(where)) {
      file.close();
      // A file created outside by a racing rename is removed again.
      if (options.create !== undefined && typeof where === 'string') guard(() => unlinkSync(where));
      return -Errno.EACCES;
    }
    const st = file.stat();
    if (typeof st === 'number' || st.kind !== 'file') {
      file.close();
      return typeof st === 'number' ? st : st.kind === 'directory' ? -Errno.EISDIR : -Errno.EACCES;
    }
    return file;
  }

  /** The real path of open descriptor `fd` (`full` is the path it was opened by). */
  private realPathOf(fd: number, full: string): string | number {
    if (PROC_FD) return guard(() => readlinkSync(`/proc/self/fd/${fd}`));
    // Without /proc: the path must still name the same file, and resolve inside.
    const real = guard(() => realpathSync(full));
    if (typeof real === 'number') return real;
    const a = guard(() => fstatSync(fd, { bigint: true }));
    const b = guard(() => lstatSync(real, { bigint: true }));
    if (typeof a === 'number' || typeof b === 'number' || a.ino !== b.ino || a.dev !== b.dev) return -Errno.EACCES;
    return real;
  }

  mkdir(path: string, mode: number): number {
    const full = this.checkedParent(path);
    if (typeof full === 'number') return full;
    return guard(() => (mkdirSync(full, { mode }), 0));
  }

  symlink(target: string, path: string): number {
    const full = this.checkedParent(path);
    if (typeof full === 'number') return full;
    return guard(() => (symlinkSync(target, full), 0));
  }

  unlink(path: string): number {
    const full = this.checkedParent(path);
    if (typeof full === 'number') return full;
    return guard(() => (unlinkSync(full), 0));
  }

  rmdir(path: string): number {
    const full = this.checkedParent(path);
    if (typeof full === 'number') return full;
    return guard(() => (rmdirSync(full), 0));
  }

  rename(from: string, to: string): number {
    const a = this.checkedParent(from);
    if (typeof a === 'number') return a;
    const b = this.checkedParent(to);
    if (typeof b === 'number') return b;
    return guard(() => (renameSync(a, b), 0));
  }

  truncate(path: string, size: number): number {
    const file = this.open(path, { write: true });
    if (typeof file === 'number') return file;
    const r = file.truncate(size);
    file.close();
    return r;
  }
}
