/**
 * Random file-system operations for the property tests, and a plain
 * reference model of the in-memory tree (a Map from path to entry, kept in
 * insertion order, which is the order a directory lists its entries).
 */

import fc from 'fast-check';
import { Errno, type FileSystem, type FsNode } from '../../src/index.js';

/** One operation, applied by path. */
export type FsOp =
  | { readonly op: 'mkdir'; readonly path: string }
  | { readonly op: 'create'; readonly path: string }
  | { readonly op: 'write'; readonly path: string; readonly offset: number; readonly data: Uint8Array }
  | { readonly op: 'truncate'; readonly path: string; readonly size: number }
  | { readonly op: 'unlink'; readonly path: string }
  | { readonly op: 'rmdir'; readonly path: string }
  | { readonly op: 'rename'; readonly path: string; readonly to: string }
  | { readonly op: 'rename2'; readonly path: string; readonly to: string; readonly flags: number }
  | { readonly op: 'open'; readonly path: string }
  | { readonly op: 'close'; readonly pick: number }
  | { readonly op: 'symlink'; readonly path: string; readonly target: string }
  | { readonly op: 'openFlags'; readonly path: string; readonly flags: OpenFlagSet }
  | { readonly op: 'stat'; readonly path: string; readonly follow: boolean }
  | { readonly op: 'readlink'; readonly path: string }
  | { readonly op: 'openRW'; readonly path: string }
  | { readonly op: 'readOpen'; readonly pick: number; readonly offset: number; readonly length: number }
  | { readonly op: 'list'; readonly path: string }
  | { readonly op: 'writeOpen'; readonly pick: number; readonly offset: number; readonly data: Uint8Array };

/** The open(2) flags the file system takes part in. */
export interface OpenFlagSet {
  readonly write: boolean;
  readonly create: boolean;
  readonly exclusive: boolean;
  readonly truncate: boolean;
  readonly noFollow: boolean;
  readonly directory: boolean;
}

/** Any combination of {@link OpenFlagSet}. */
export const openFlagsArb: fc.Arbitrary<OpenFlagSet> = fc.record({
  write: fc.boolean(),
  create: fc.boolean(),
  exclusive: fc.boolean(),
  truncate: fc.boolean(),
  noFollow: fc.boolean(),
  directory: fc.boolean(),
});

/**
 * What `stat` says, as one number to compare: a directory 1,000,000 + nlink,
 * a symlink 2,000,000 + size, a file its size.
 */
export function statCode(kind: string, size: number, nlink: number): number {
  return kind === 'directory' ? 1_000_000 + nlink : kind === 'symlink' ? 2_000_000 + size : size;
}

const name = fc.constantFrom('a', 'b');
/** Paths of depth 1 to 3 over three names. */
export const pathArb = fc
  .oneof({ arbitrary: fc.array(name, { minLength: 1, maxLength: 2 }), weight: 3 }, { arbitrary: fc.array(name, { minLength: 3, maxLength: 3 }), weight: 1 })
  .map((parts) => `/${parts.join('/')}`);

const offsetArb = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 20_000 }));
const dataArb = fc.uint8Array({ minLength: 0, maxLength: 40 });

/** Operations the reference model knows (no handles, no symlinks), on paths from `pathArb`. */
export function modelOpsOver(pathArb: fc.Arbitrary<string>): fc.Arbitrary<FsOp> {
  return fc.oneof(
  { arbitrary: pathArb.map((path) => ({ op: 'mkdir' as const, path })), weight: 4 },
  { arbitrary: pathArb.map((path) => ({ op: 'create' as const, path })), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('write' as const), path: pathArb, offset: offsetArb, data: dataArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), path: pathArb, size: offsetArb }), weight: 1 },
  { arbitrary: pathArb.map((path) => ({ op: 'unlink' as const, path })), weight: 1 },
  { arbitrary: pathArb.map((path) => ({ op: 'rmdir' as const, path })), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('rename' as const), path: pathArb, to: pathArb }), weight: 3 },
  );
}

/** Operations the reference model knows, on plain paths. */
export const modelOpArb: fc.Arbitrary<FsOp> = modelOpsOver(pathArb);

/** Every operation, including open handles (unlinked-while-open nodes) and symlinks. */
export const anyOpArb: fc.Arbitrary<FsOp> = fc.oneof(
  { arbitrary: modelOpArb, weight: 7 },
  { arbitrary: pathArb.map((path) => ({ op: 'open' as const, path })), weight: 2 },
  { arbitrary: fc.nat().map((pick) => ({ op: 'close' as const, pick })), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('writeOpen' as const), pick: fc.nat(), offset: offsetArb, data: dataArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('symlink' as const), path: pathArb, target: fc.constantFrom('a', '../b', '/a/b', 'c/a') }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('rename2' as const), path: pathArb, to: pathArb, flags: fc.constantFrom(1, 2) }), weight: 1 },
);

/** Applies `op` to `fs`; `open` holds the nodes opened so far. Returns the call's result. */
export function applyOp(fs: FileSystem, op: FsOp, open: FsNode[]): number {
  switch (op.op) {
    case 'mkdir':
      return fs.mkdirAt(op.path, 0o755);
    case 'create': {
      const n = fs.openAt(op.path, { write: true, create: { mode: 0o644 } });
      if (typeof n === 'number') return n;
      fs.release(n);
      return 0;
    }
    case 'write': {
      const n = fs.openAt(op.path, { write: true });
      if (typeof n === 'number') return n;
      const r = fs.write(n, op.offset, op.data);
      fs.release(n);
      return r;
    }
    case 'truncate': {
      const n = fs.openAt(op.path, { write: true });
      if (typeof n === 'number') return n;
      const r = fs.truncate(n, op.size);
      fs.release(n);
      return r;
    }
    case 'unlink':
      return fs.unlinkAt(op.path);
    case 'rmdir':
      return fs.unlinkAt(op.path, { directory: true });
    case 'rename':
      return fs.renameAt(op.path, op.to);
    case 'openFlags': {
      const f = op.flags;
      const n = fs.openAt(op.path, {
        write: f.write,
        create: f.create ? { mode: 0o644, exclusive: f.exclusive } : undefined,
        truncate: f.truncate,
        follow: !f.noFollow,
        directory: f.directory,
      });
      if (typeof n === 'number') return n;
      fs.release(n);
      return 0;
    }
    case 'stat': {
      const st = fs.statAt(op.path, { follow: op.follow });
      return typeof st === 'number' ? st : statCode(st.kind, st.size, st.nlink);
    }
    case 'openRW': {
      const n = fs.openAt(op.path, { write: true });
      if (typeof n === 'number') return n;
      open.push(n);
      return 0;
    }
    case 'readOpen': {
      if (open.length === 0) return -Errno.EBADF;
      const buf = new Uint8Array(op.length);
      const n = fs.read(open[op.pick % open.length]!, op.offset, buf);
      return n < 0 ? n : n * 1000 + (buf.subarray(0, n).reduce((a, b) => (a * 31 + b) % 997, 0));
    }
    case 'list': {
      const dir = fs.resolve(op.path);
      if (typeof dir === 'number') return dir;
      const list = fs.listDirectory(dir);
      return typeof list === 'number' ? list : list.length - 2;
    }
    case 'readlink': {
      const text = fs.readlinkAt(op.path);
      return typeof text === 'number' ? text : text.length;
    }
    case 'rename2':
      return fs.renameAt(op.path, op.to, { flags: op.flags });
    case 'symlink':
      return fs.symlinkAt(op.target, op.path);
    case 'open': {
      const n = fs.openAt(op.path, {});
      if (typeof n === 'number') return n;
      open.push(n);
      return 0;
    }
    case 'close': {
      if (open.length === 0) return -Errno.EBADF;
      const [n] = open.splice(op.pick % open.length, 1);
      fs.release(n!);
      return 0;
    }
    case 'writeOpen': {
      if (open.length === 0) return -Errno.EBADF;
      return fs.write(open[op.pick % open.length]!, op.offset, op.data);
    }
  }
}

/** An entry of the reference model. */
type ModelEntry = { kind: 'directory' } | { kind: 'file'; data: number[] };

/**
 * The reference model: paths to entries, in insertion order. `/` is
 * implicit. Obviously right by construction: every rule is one line.
 */
export class FsModel {
  readonly entries = new Map<string, ModelEntry>();

  private parentOf(path: string): string {
    const cut = path.lastIndexOf('/');
    return cut === 0 ? '/' : path.slice(0, cut);
  }

  private kindAt(path: string): ModelEntry['kind'] | undefined {
    return path === '/' ? 'directory' : this.entries.get(path)?.kind;
  }

  /** The errno resolving the directories above `path` gives, or 0. */
  private parentError(path: string): number {
    const parts = path.split('/').filter((p) => p !== '');
    let at = '';
    for (const part of parts.slice(0, -1)) {
      at += `/${part}`;
      const kind = this.kindAt(at);
      if (kind === undefined) return -Errno.ENOENT;
      if (kind !== 'directory') return -Errno.ENOTDIR;
    }
    return 0;
  }

  private children(path: string): string[] {
    return [...this.entries.keys()].filter((p) => this.parentOf(p) === path);
  }

  /** Applies `op` and returns what Linux returns. */
  apply(op: Extract<FsOp, { readonly path: string }>): number {
    const bad = this.parentError(op.path);
    const kind = this.entries.get(op.path)?.kind;
    switch (op.op) {
      case 'mkdir':
        if (bad) return bad;
        if (kind) return -Errno.EEXIST;
        this.entries.set(op.path, { kind: 'directory' });
        return 0;
      case 'create':
        if (bad) return bad;
        if (kind === 'directory') return -Errno.EISDIR;
        if (!kind) this.entries.set(op.path, { kind: 'file', data: [] });
        return 0;
      case 'write':
      case 'truncate': {
        if (bad) return bad;
        if (!kind) return -Errno.ENOENT;
        if (kind === 'directory') return -Errno.EISDIR;
        const file = this.entries.get(op.path) as { data: number[] };
        if (op.op === 'truncate') {
          file.data.length = Math.min(file.data.length, op.size);
          while (file.data.length < op.size) file.data.push(0);
          return 0;
        }
        if (op.data.length === 0) return 0;
        while (file.data.length < op.offset) file.data.push(0);
        op.data.forEach((b, k) => (file.data[op.offset + k] = b));
        return op.data.length;
      }
      case 'unlink':
        if (bad) return bad;
        if (!kind) return -Errno.ENOENT;
        if (kind === 'directory') return -Errno.EISDIR;
        this.entries.delete(op.path);
        return 0;
      case 'rmdir':
        if (bad) return bad;
        if (!kind) return -Errno.ENOENT;
        if (kind !== 'directory') return -Errno.ENOTDIR;
        if (this.children(op.path).length > 0) return -Errno.ENOTEMPTY;
        this.entries.delete(op.path);
        return 0;
      case 'rename': {
        const to = op.to;
        if (bad) return bad;
        const badTo = this.parentError(to);
        if (badTo) return badTo;
        if (!kind) return -Errno.ENOENT;
        if (to === op.path) return 0;
        if (kind === 'directory' && to.startsWith(`${op.path}/`)) return -Errno.EINVAL;
        const toKind = this.entries.get(to)?.kind;
        if (toKind) {
          if (toKind === 'directory' && op.path.startsWith(`${to}/`)) return -Errno.ENOTEMPTY;
          if (kind === 'directory' && toKind !== 'directory') return -Errno.ENOTDIR;
          if (kind !== 'directory' && toKind === 'directory') return -Errno.EISDIR;
          if (toKind === 'directory' && this.children(to).length > 0) return -Errno.ENOTEMPTY;
          this.entries.delete(to);
        }
        const moved = [...this.entries].filter(([p]) => p === op.path || p.startsWith(`${op.path}/`));
        for (const [p] of moved) this.entries.delete(p);
        for (const [p, e] of moved) this.entries.set(to + p.slice(op.path.length), e);
        return 0;
      }
      default:
        throw new Error(`the model has no ${op.op}`);
    }
  }
}

/** The tree of `fs` as the model's shape: path → entry, in listing order (depth first). */
export function treeOf(fs: FileSystem): Map<string, ModelEntry> {
  const out = new Map<string, ModelEntry>();
  const walk = (dir: FsNode, path: string): void => {
    const list = fs.listDirectory(dir);
    if (typeof list === 'number') throw new Error(`listing ${path}: ${list}`);
    for (const e of list) {
      if (e.name === '.' || e.name === '..') continue;
      const p = `${path}/${e.name}`;
      const child = fs.lookup(dir, e.name);
      if (typeof child === 'number') throw new Error(`lookup ${p}: ${child}`);
      if (child.kind === 'directory') {
        out.set(p, { kind: 'directory' });
        walk(child, p);
      } else {
        const st = fs.stat(child);
        if (typeof st === 'number') throw new Error(`stat ${p}`);
        const buf = new Uint8Array(st.size);
        fs.read(child, 0, buf);
        out.set(p, { kind: 'file', data: [...buf] });
      }
    }
  };
  walk(fs.root, '');
  return out;
}

/** The model's entries in the same depth-first listing order as {@link treeOf}. */
export function modelTree(model: FsModel): Map<string, ModelEntry> {
  const out = new Map<string, ModelEntry>();
  const walk = (path: string): void => {
    for (const [p, e] of model.entries) {
      const cut = p.lastIndexOf('/');
      const parent = cut === 0 ? '/' : p.slice(0, cut);
      if (parent !== path) continue;
      out.set(p, e.kind === 'file' ? { kind: 'file', data: [...e.data] } : e);
      if (e.kind === 'directory') walk(p);
    }
  };
  walk('/');
  return out;
}
