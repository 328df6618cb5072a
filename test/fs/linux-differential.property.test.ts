/**
 * The in-memory tree against the real Linux kernel: the same random
 * operations run on a FileSystem and, through `node:fs` (one system call
 * each), on a temporary host directory; every result (errno included) and
 * the final tree must agree. Symlink targets stay relative and never climb
 * with `..`, so nothing can reach outside the temporary directory.
 */
import { closeSync, constants, ftruncateSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostDirectory, hostErrno } from '../../node/index.js';
import { Errno, FileSystem, type FsNode } from '../../src/index.js';
import { applyOp, type FsOp, modelOpsOver, openFlagsArb, pathArb, statCode } from './fs-ops.js';

/**
 * Paths with the endings whose rules differ: a trailing `/`, `/.`, and
 * `/..` (only below the first level, so no path climbs out of the
 * temporary directory).
 */
const endedPathArb = fc
  .tuple(pathArb, fc.constantFrom('', '', '', '/', '/.', '/..'))
  .map(([path, end]) => (end === '/..' && path.split('/').length < 3 ? path : path + end));

const opArb: fc.Arbitrary<FsOp> = fc.oneof(
  { arbitrary: modelOpsOver(endedPathArb), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('symlink' as const), path: endedPathArb, target: fc.constantFrom('a', 'b/a', 'a/b/', 'b') }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('readlink' as const), path: endedPathArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('list' as const), path: endedPathArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('openRW' as const), path: pathArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('close' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('writeOpen' as const), pick: fc.nat(), offset: fc.nat({ max: 9000 }), data: fc.uint8Array({ maxLength: 20 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('readOpen' as const), pick: fc.nat(), offset: fc.nat({ max: 9000 }), length: fc.nat({ max: 64 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('openFlags' as const), path: endedPathArb, flags: openFlagsArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('stat' as const), path: endedPathArb, follow: fc.boolean() }), weight: 1 },
);

/** Runs `f` as one host system call: its result, or the negative errno it failed with. */
function call(f: () => number): number {
  try {
    return f();
  } catch (err) {
    return hostErrno(err);
  }
}

/** Applies `op` to the host directory `root` with node:fs; `fds` are the descriptors opened so far. */
function applyHost(root: string, op: FsOp, fds: number[]): number {
  switch (op.op) {
    case 'close': {
      if (fds.length === 0) return -Errno.EBADF;
      const [fd] = fds.splice(op.pick % fds.length, 1);
      closeSync(fd!);
      return 0;
    }
    case 'writeOpen': {
      if (fds.length === 0) return -Errno.EBADF;
      const fd = fds[op.pick % fds.length]!;
      return call(() => (op.data.length === 0 ? 0 : writeSync(fd, op.data, 0, op.data.length, op.offset)));
    }
    case 'readOpen': {
      if (fds.length === 0) return -Errno.EBADF;
      const fd = fds[op.pick % fds.length]!;
      const buf = new Uint8Array(op.length);
      const n = call(() => readSync(fd, buf, 0, op.length, op.offset));
      return n < 0 ? n : n * 1000 + buf.subarray(0, n).reduce((a, b) => (a * 31 + b) % 997, 0);
    }
    default:
      break;
  }
  if (!('path' in op)) throw new Error(`no host form for ${(op as FsOp).op}`);
  // Concatenated, not joined: path.join would normalize away the endings under test.
  const p = root + op.path;
  const withFd = (flags: number, f: (fd: number) => number): number => {
    const fd = call(() => openSync(p, flags, 0o644));
    if (fd < 0) return fd;
    try {
      return call(() => f(fd));
    } finally {
      closeSync(fd);
    }
  };
  switch (op.op) {
    case 'mkdir':
      return call(() => (mkdirSync(p, 0o755), 0));
    case 'create':
      return withFd(constants.O_WRONLY | constants.O_CREAT, () => 0);
    case 'write':
      return withFd(constants.O_WRONLY, (fd) => (op.data.length === 0 ? 0 : writeSync(fd, op.data, 0, op.data.length, op.offset)));
    case 'truncate':
      return withFd(constants.O_WRONLY, (fd) => (ftruncateSync(fd, op.size), 0));
    case 'unlink':
      return call(() => (unlinkSync(p), 0));
    case 'rmdir':
      return call(() => (rmdirSync(p), 0));
    case 'rename':
      return call(() => (renameSync(p, root + op.to), 0));
    case 'symlink':
      return call(() => (symlinkSync(op.target, p), 0));
    case 'openFlags': {
      const f = op.flags;
      let flags = f.write ? constants.O_WRONLY : constants.O_RDONLY;
      if (f.create) flags |= constants.O_CREAT | (f.exclusive ? constants.O_EXCL : 0);
      if (f.truncate) flags |= constants.O_TRUNC;
      if (f.noFollow) flags |= constants.O_NOFOLLOW;
      if (f.directory) flags |= constants.O_DIRECTORY;
      return withFd(flags, () => 0);
    }
    case 'readlink':
      return call(() => readlinkSync(p).length);
    case 'list':
      return call(() => readdirSync(p).length);
    case 'openRW': {
      const fd = call(() => openSync(p, constants.O_RDWR));
      if (fd < 0) return fd;
      fds.push(fd);
      return 0;
    }
    case 'stat':
      return call(() => {
        const st = op.follow ? statSync(p) : lstatSync(p);
        return statCode(st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'file', st.size, st.nlink);
      });
    default:
      throw new Error(`no host form for ${op.op}`);
  }
}

/** The host tree below `root` as sorted lines. */
function hostDump(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel))) {
    const p = `${rel}/${name}`;
    const st = lstatSync(join(root, p));
    if (st.isDirectory()) out.push(`${p}/`, ...hostDump(root, p));
    else if (st.isSymbolicLink()) out.push(`${p} -> ${readlinkSync(join(root, p))}`);
    else out.push(`${p} ${readFileSync(join(root, p)).toString('hex')}`);
  }
  return out.sort();
}

/** The in-memory tree as the same sorted lines. */
function memoryDump(fs: FileSystem, dirPath = ''): string[] {
  const dir = fs.resolve(dirPath === '' ? '/' : dirPath) as FsNode;
  const list = fs.listDirectory(dir);
  if (typeof list === 'number') throw new Error(`list ${dirPath}`);
  const out: string[] = [];
  for (const e of list) {
    if (e.name === '.' || e.name === '..') continue;
    const p = `${dirPath}/${e.name}`;
    const n = fs.resolve(p, { follow: false }) as FsNode;
    if (n.kind === 'directory') out.push(`${p}/`, ...memoryDump(fs, p));
    else if (n.kind === 'symlink') out.push(`${p} -> ${String(fs.readlink(n))}`);
    else {
      const st = fs.stat(n);
      const buf = new Uint8Array(typeof st === 'number' ? 0 : st.size);
      fs.read(n, 0, buf);
      out.push(`${p} ${Buffer.from(buf).toString('hex')}`);
    }
  }
  return out.sort();
}

/** `op` with its paths moved under `/m`. */
function under(op: FsOp): FsOp {
  if (!('path' in op)) return op;
  return op.op === 'rename' ? { ...op, path: `/m${op.path}`, to: `/m${op.to}` } : { ...op, path: `/m${op.path}` };
}

/**
 * Runs random sequences on Linux directly and on the guest side: the
 * in-memory tree (`mounted` false) or a HostDirectory mounted at `/m`.
 */
function differential(mounted: boolean, numRuns: number): void {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 5, maxLength: 40 }), (ops) => {
      const root = mkdtempSync(join(tmpdir(), 'faultline-linux-'));
      const guestHost = mounted ? mkdtempSync(join(tmpdir(), 'faultline-mnt-')) : null;
      try {
        const fs = new FileSystem();
        if (guestHost !== null) fs.mount('/m', new HostDirectory(guestHost));
        const fds: number[] = [];
        const nodes: FsNode[] = [];
        try {
          for (const op of ops) {
            const linux = applyHost(root, op, fds);
            expect(applyOp(fs, mounted ? under(op) : op, nodes), JSON.stringify({ ...op, data: undefined })).toBe(linux);
          }
          const guest = mounted ? memoryDump(fs, '/m').map((line) => line.slice(2)) : memoryDump(fs);
          expect(guest).toEqual(hostDump(root));
        } finally {
          for (const fd of fds) closeSync(fd);
          for (const n of nodes) fs.release(n);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
        if (guestHost !== null) rmSync(guestHost, { recursive: true, force: true });
      }
    }),
    { numRuns },
  );
}

const WHAT =
  'random mkdir, open (every flag mix), read and write through open files, truncate, stat, list, unlink (also while open), rmdir, rename and symlink sequences give the results and tree Linux gives';

describe('the file system against the Linux kernel', () => {
  it(`in memory: ${WHAT}`, () => differential(false, 500));
  it(`under a mount: ${WHAT}`, () => differential(true, 200));
});
