/**
 * The capability space in a checkpoint (docs/design.md §12): every handle
 * with its number, close-on-exec flag and open file description (shared
 * descriptions stay shared), each description's object, offset and flags,
 * pipe contents, the working directory, umask, the random generator and
 * the clock. In-memory files are referenced by inode number (the file
 * system's own tree image carries them); mounted files by path and
 * identity; service sessions by name and open arguments.
 *
 * Layout (ByteWriter words, little-endian): magic `HSPC`, version, umask,
 * handle limit, next description id, next pipe id, four random words,
 * host-time flag, epoch seconds (u64), cwd reference; pipes (id, byte
 * count, bytes); descriptions (id, flags, offset u64, object); slots
 * (fd, description id, cloexec).
 */

import { ByteReader, ByteWriter } from '../checkpoint/byte-codec.js';
import { FormatError, UsageError } from '../errors.js';
import type { FsNode } from '../fs/fs-node.js';
import type { Machine } from '../machine/machine.js';
import { FileHandle } from './file-handle.js';
import { OpenFlag, type HandleObject, type OpenFile } from './open-file.js';
import type { Pipe } from './pipe.js';
import { PIPE_CAPACITY, PipeEnd } from './pipe.js';
import { ServiceHandle, type ServiceOpenArgs } from './services.js';
import { InputStream, OutputStream } from './stream.js';

/**
 * The first word of a handle-space image: `HSPC`.
 *
 * @example
 * ```ts
 * new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === HANDLE_SPACE_MAGIC;
 * ```
 */
export const HANDLE_SPACE_MAGIC = 0x43505348;
/**
 * The layout version {@link captureHandleSpace} writes.
 *
 * @example
 * ```ts
 * new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true) === HANDLE_SPACE_VERSION;
 * ```
 */
export const HANDLE_SPACE_VERSION = 1;

/** Object codes in the image. */
const enum Code { Stdin = 1, Stdout = 2, Stderr = 3, MemoryNode = 4, MountedNode = 5, Pipe = 6, Service = 7 }

/**
 * Options of {@link restoreHandleSpace}.
 *
 * @example
 * ```ts
 * const options: RestoreHandleSpaceOptions = { relink: { '/data/in.txt': '/data/in-v2.txt', echo: 'echo-v2' } };
 * ```
 */
export interface RestoreHandleSpaceOptions {
  /**
   * Maps an old reference to a new one: a mounted file's guest path to
   * another guest path, or a service name to another service name (as
   * CRIU's `--inherit-fd`). A relinked mounted file is not compared with
   * the recorded identity.
   */
  readonly relink?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/** `relink` as a function. */
function relinker(relink: RestoreHandleSpaceOptions['relink']): (old: string) => string | undefined {
  if (relink === undefined) return () => undefined;
  if (relink instanceof Map) return (old) => relink.get(old);
  const record = relink as Readonly<Record<string, string>>;
  return (old) => (Object.prototype.hasOwnProperty.call(record, old) ? record[old] : undefined);
}

/** Writes a u64 from a bigint (two words, low first). */
function bigU64(w: ByteWriter, v: bigint): void {
  w.u32(Number(v & 0xffff_ffffn));
  w.u32(Number((v >> 32n) & 0xffff_ffffn));
}

/** Writes a reference to an fs node: in memory by inode, mounted by path and identity. */
function writeNode(w: ByteWriter, machine: Machine, node: FsNode, openedAs: string): void {
  const fs = machine.fileSystem;
  const mount = node.mount;
  if (mount === null) {
    w.u32(Code.MemoryNode);
    w.u32(node.ino);
    w.string(openedAs);
    return;
  }
  const path = fs.pathOf(node);
  w.u32(Code.MountedNode);
  w.string(typeof path === 'number' ? openedAs : path);
  w.u32(node.kind === 'directory' ? 1 : 0);
  if (node.kind === 'directory') return;
  const id = fs.identity(node);
  if (typeof id === 'number') throw new UsageError(`captureHandleSpace: mounted file ${openedAs} cannot be read (errno ${-id})`);
  w.u64(id.size);
  bigU64(w, id.mtimeNs);
  w.u32(id.contentHash >>> 0);
}

/**
 * Encodes `machine`'s capability space. Throws UsageError while a handle
 * refers to a mounted file the host no longer lets it read.
 *
 * @param machine - a machine between runs
 * @returns the bytes {@link restoreHandleSpace} takes
 * @example
 * ```ts
 * const bytes = captureHandleSpace(machine);
 * const tree = captureTree(machine.fileSystem, 0);
 * ```
 */
export function captureHandleSpace(machine: Machine): Uint8Array {
  const space = machine.handles;
  const w = new ByteWriter();
  w.u32(HANDLE_SPACE_MAGIC);
  w.u32(HANDLE_SPACE_VERSION);
  w.u32(space.umask);
  w.u32(space.table.limit);
  w.u32(space.upcomingFileId);
  w.u32(space.upcomingPipeId);
  for (const word of machine.random.state()) w.u32(word);
  w.u32(machine.clock.hostTime ? 1 : 0);
  w.u64(machine.clock.epochSeconds);
  const cwdPath = machine.fileSystem.pathOf(space.cwd);
  writeNode(w, machine, space.cwd, typeof cwdPath === 'number' ? '/' : cwdPath);
  const files = new Map<number, OpenFile>();
  const pipes = new Map<number, Pipe>();
  for (const [, file] of space.table.entries()) {
    files.set(file.id, file);
    if (file.object instanceof PipeEnd) pipes.set(file.object.pipe.id, file.object.pipe);
  }
  w.u32(pipes.size);
  for (const pipe of pipes.values()) {
    const bytes = pipe.contents();
    w.u32(pipe.id);
    w.u32(bytes.length);
    w.raw(bytes);
  }
  w.u32(files.size);
  for (const file of files.values()) {
    w.u32(file.id);
    w.u32(file.flags);
    w.u64(file.offset);
    writeObject(w, machine, file.object);
  }
  const slots = [...space.table.entries()];
  w.u32(slots.length);
  for (const [fd, file, cloexec] of slots) {
    w.u32(fd);
    w.u32(file.id);
    w.u32(cloexec ? 1 : 0);
  }
  return w.finish().slice();
}

function writeObject(w: ByteWriter, machine: Machine, o: HandleObject): void {
  if (o instanceof InputStream) {
    w.u32(Code.Stdin);
    w.u64(o.consumed);
    w.u32(o.ended ? 1 : 0);
    w.u32(o.pending.length);
    w.raw(o.pending);
  } else if (o instanceof OutputStream) {
    w.u32(o.name === 'stdout' ? Code.Stdout : Code.Stderr);
  } else if (o instanceof FileHandle) {
    writeNode(w, machine, o.node, o.path);
  } else if (o instanceof PipeEnd) {
    w.u32(Code.Pipe);
    w.u32(o.pipe.id);
    w.u32(o.writeEnd ? 1 : 0);
  } else if (o instanceof ServiceHandle) {
    w.u32(Code.Service);
    w.string(o.args.name);
    w.string(o.args.path);
    w.u32(o.args.flags);
  } else {
    throw new UsageError(`captureHandleSpace: a handle refers to an object faultline cannot record (${o.describe()})`);
  }
}

/** A decoded node reference. */
type NodeRecord =
  | { kind: 'memory'; ino: number; path: string }
  | { kind: 'mounted'; path: string; directory: boolean; size: number; mtimeNs: bigint; hash: number };

/** A decoded object. */
type ObjectRecord =
  | { kind: 'stdin'; consumed: number; ended: boolean; pending: Uint8Array }
  | { kind: 'stdout' } | { kind: 'stderr' }
  | { kind: 'node'; node: NodeRecord }
  | { kind: 'pipe'; id: number; writeEnd: boolean }
  | { kind: 'service'; args: ServiceOpenArgs };

function readNode(r: ByteReader, code: number): NodeRecord {
  if (code === Code.MemoryNode) return { kind: 'memory', ino: r.u32('inode number'), path: r.string('path') };
  const path = r.string('mounted path');
  const directory = r.flag('directory flag');
  if (directory) return { kind: 'mounted', path, directory, size: 0, mtimeNs: 0n, hash: 0 };
  const size = r.u64('size');
  const lo = r.u32('mtime'), hi = r.u32('mtime');
  return { kind: 'mounted', path, directory, size, mtimeNs: (BigInt(hi) << 32n) | BigInt(lo), hash: r.u32('content hash') };
}

function readObject(r: ByteReader): ObjectRecord {
  const at = r.offset;
  const code = r.u32('object kind');
  switch (code) {
    case Code.Stdin: {
      const consumed = r.u64('consumed input');
      const ended = r.flag('end-of-input flag');
      const n = r.count('pending input', 1);
      return { kind: 'stdin', consumed, ended, pending: r.raw(n, 'pending input').slice() };
    }
    case Code.Stdout: return { kind: 'stdout' };
    case Code.Stderr: return { kind: 'stderr' };
    case Code.MemoryNode: case Code.MountedNode: return { kind: 'node', node: readNode(r, code) };
    case Code.Pipe: return { kind: 'pipe', id: r.u32('pipe id'), writeEnd: r.flag('write-end flag') };
    case Code.Service: return { kind: 'service', args: { name: r.string('service name'), path: r.string('service path'), flags: r.u32('service flags') } };
    default: return r.fail(`unknown object kind ${code}`, at);
  }
}

/** Describes a node reference for messages. */
function nodeName(n: NodeRecord): string {
  return n.kind === 'memory' ? `file ${n.path} (inode ${n.ino})` : `mounted ${n.directory ? 'directory' : 'file'} ${n.path}`;
}

/**
 * Rebuilds the capability space `bytes` holds in `machine`, a fresh
 * machine whose file system was restored from the same checkpoint (its
 * tree image applied: in-memory nodes keep their inode numbers and retain
 * counts). Everything is checked first — the layout, that each in-memory
 * node exists, that each mounted file exists with the recorded identity
 * (size and content hash; the modification time is reported, not
 * required: a copy elsewhere keeps the bytes, not the time) unless relinked, that a
 * provider exists for each service — and the first problem is thrown as
 * a FormatError naming the handle number and the object (`handle 5:
 * mounted file /data/in.txt changed (size 120 → 80)`), with nothing
 * changed. Then every slot gets its number, flag and description; service
 * sessions are re-opened through the machine's providers with their
 * recorded arguments; stdin keeps its pending bytes and count.
 *
 * @param machine - the machine to restore into, before it runs
 * @param bytes - from {@link captureHandleSpace}
 * @param options - `relink`: old mounted path or service name → new one
 * @example
 * ```ts
 * applyTreeImage(target.fileSystem, [tree], { mountedDirectory: (m) => new HostDirectory(m.label) });
 * restoreHandleSpace(target, bytes, { relink: { '/data/in.txt': '/data/in-v2.txt' } });
 * ```
 */
export function restoreHandleSpace(machine: Machine, bytes: Uint8Array, options: RestoreHandleSpaceOptions = {}): void {
  const relink = relinker(options.relink);
  const fs = machine.fileSystem;
  const r = new ByteReader(bytes, 'handle space', 0, bytes.length);
  if (r.u32('magic') !== HANDLE_SPACE_MAGIC) r.fail('not a handle-space image (magic)', 0);
  const version = r.u32('version');
  if (version !== HANDLE_SPACE_VERSION) r.fail(`version ${version} (this faultline reads ${HANDLE_SPACE_VERSION})`, 4);
  const umask = r.u32('umask');
  if (umask > 0o777) r.fail(`umask ${umask.toString(8)} is not 0..777`, r.offset - 4);
  const limit = r.u32('handle limit');
  const nextFileId = r.u32('next description id');
  const nextPipeId = r.u32('next pipe id');
  const randomState = [r.u32('random'), r.u32('random'), r.u32('random'), r.u32('random')];
  r.flag('host-time flag');
  r.u64('epoch seconds');
  const cwdCode = r.u32('cwd kind');
  if (cwdCode !== Code.MemoryNode && cwdCode !== Code.MountedNode) r.fail(`cwd kind ${cwdCode} is not a node`, r.offset - 4);
  const cwdRecord = readNode(r, cwdCode);
  const pipeContents = new Map<number, Uint8Array>();
  const pipeCount = r.count('pipe', 8);
  for (let k = 0; k < pipeCount; k++) {
    const at = r.offset;
    const id = r.u32('pipe id');
    const n = r.u32('pipe byte count');
    if (n > PIPE_CAPACITY) r.fail(`pipe ${id} holds ${n} bytes, more than ${PIPE_CAPACITY}`, at + 4);
    if (pipeContents.has(id)) r.fail(`pipe ${id} appears twice`, at);
    pipeContents.set(id, r.raw(n, 'pipe contents').slice());
  }
  const descriptions = new Map<number, { flags: number; offset: number; object: ObjectRecord; at: number }>();
  const descCount = r.count('description', 16);
  for (let k = 0; k < descCount; k++) {
    const at = r.offset;
    const id = r.u32('description id');
    if (descriptions.has(id)) r.fail(`description ${id} appears twice`, at);
    const flags = r.u32('flags');
    const offset = r.u64('offset');
    const object = readObject(r);
    if (object.kind === 'pipe' && !pipeContents.has(object.id)) r.fail(`description ${id} refers to pipe ${object.id}, which the image does not hold`, at);
    descriptions.set(id, { flags, offset, object, at });
  }
  const slots: Array<{ fd: number; id: number; cloexec: boolean }> = [];
  const slotCount = r.count('slot', 12);
  const taken = new Set<number>();
  for (let k = 0; k < slotCount; k++) {
    const at = r.offset;
    const fd = r.u32('handle number');
    const id = r.u32('description id');
    const cloexec = r.flag('close-on-exec flag');
    if (fd >= limit) r.fail(`handle ${fd} is not below the limit ${limit}`, at);
    if (taken.has(fd)) r.fail(`handle ${fd} appears twice`, at);
    if (!descriptions.has(id)) r.fail(`handle ${fd} refers to description ${id}, which the image does not hold`, at);
    taken.add(fd);
    slots.push({ fd, id, cloexec });
  }
  r.expectEnd('the handle space');
  if (limit !== machine.handles.table.limit) {
    throw new FormatError(`handle space: the image has ${limit} handle slots, this machine ${machine.handles.table.limit} (give the machine handleLimit: ${limit})`);
  }

  // Check every external object before changing anything.
  const handleOf = new Map<number, number>();
  for (const s of slots) if (!handleOf.has(s.id)) handleOf.set(s.id, s.fd);
  const nodes = new Map<number, FsNode>();
  const check = (n: NodeRecord, who: string): FsNode => {
    if (n.kind === 'memory') {
      const node = fs.nodeByIno(n.ino);
      if (node === undefined || node.mount !== null) throw new FormatError(`${who}: ${nodeName(n)} is not in the restored file system`);
      return node;
    }
    const target = relink(n.path);
    const node = fs.resolve(target ?? n.path, { follow: false });
    if (typeof node === 'number') throw new FormatError(`${who}: ${nodeName(n)}${target === undefined ? '' : ` (relinked to ${target})`} is missing (errno ${-node})`);
    if (node.mount === null || node.kind !== (n.directory ? 'directory' : 'file')) {
      throw new FormatError(`${who}: ${nodeName(n)}${target === undefined ? '' : ` (relinked to ${target})`} is not a mounted ${n.directory ? 'directory' : 'file'}`);
    }
    if (!n.directory && target === undefined) {
      const id = fs.identity(node);
      if (typeof id === 'number') throw new FormatError(`${who}: ${nodeName(n)} cannot be read (errno ${-id})`);
      // Same size and contents is the same file, whatever its time says (a copy on another machine, a touch).
      const changes: string[] = [];
      if (id.size !== n.size) changes.push(`size ${n.size} → ${id.size}`);
      if ((id.contentHash >>> 0) !== n.hash) changes.push('contents');
      if (changes.length > 0 && id.mtimeNs !== n.mtimeNs) changes.push(`modification time ${n.mtimeNs} → ${id.mtimeNs} ns`);
      if (changes.length > 0) throw new FormatError(`${who}: ${nodeName(n)} changed (${changes.join(', ')})`);
    }
    return node;
  };
  const cwd = check(cwdRecord, 'working directory');
  if (cwd.kind !== 'directory') throw new FormatError(`working directory: ${nodeName(cwdRecord)} is not a directory`);
  for (const [id, d] of descriptions) {
    const who = handleOf.has(id) ? `handle ${handleOf.get(id)!}` : `description ${id}`;
    if (d.object.kind === 'node') nodes.set(id, check(d.object.node, who));
    if (d.object.kind === 'service') {
      const name = relink(d.object.args.name) ?? d.object.args.name;
      if (machine.services.get(name) === undefined) {
        throw new FormatError(`${who}: service ${d.object.args.name}${name === d.object.args.name ? '' : ` (relinked to ${name})`} has no provider on this machine`);
      }
    }
  }

  // Open the sessions first: a provider may still refuse.
  const sessions = new Map<number, ServiceHandle>();
  for (const [id, d] of descriptions) {
    if (d.object.kind !== 'service') continue;
    const name = relink(d.object.args.name) ?? d.object.args.name;
    const args = { ...d.object.args, name };
    const session = machine.services.get(name)!.open(args);
    if (typeof session === 'number') {
      for (const s of sessions.values()) s.release();
      throw new FormatError(`handle ${handleOf.get(id) ?? id}: service ${name} refused to re-open the session (errno ${-session})`);
    }
    sessions.set(id, new ServiceHandle(args, session));
  }
  // Retain mounted nodes (in-memory nodes keep the counts the tree image restored).
  const retained: FsNode[] = [];
  const retainHost = (node: FsNode, write: boolean): void => {
    const got = fs.retain(node, { write });
    if (got < 0) {
      for (const n of retained) fs.release(n);
      for (const s of sessions.values()) s.release();
      throw new FormatError(`mounted ${node.kind} ${fs.pathOf(node)} cannot be opened again (errno ${-got})`);
    }
    retained.push(node);
  };
  if (cwd.mount !== null && cwd !== machine.handles.cwd) retainHost(cwd, false);
  for (const [id, node] of nodes) {
    const d = descriptions.get(id)!;
    const mode = d.flags & OpenFlag.AccessMode;
    if (node.mount !== null) retainHost(node, mode === OpenFlag.WriteOnly || mode === OpenFlag.ReadWrite);
  }

  // Nothing can fail from here on: replace the space.
  const space = machine.handles;
  const old = [...space.table.entries()];
  for (const [fd, file] of old) {
    space.table.remove(fd);
    if (file.refs === 0 && !(file.object instanceof FileHandle)) file.object.release();
  }
  space.umask = umask;
  const previousCwd = space.cwd;
  space.cwd = cwd;
  if (previousCwd !== cwd && previousCwd !== fs.root) fs.release(previousCwd);
  machine.random.setState(randomState);
  const stdin = space.stdin;
  const pipes = new Map<number, Pipe>();
  for (const [id, bytesHeld] of pipeContents) {
    const pipe = space.newPipe(id);
    pipe.push(bytesHeld);
    pipes.set(id, pipe);
  }
  const files = new Map<number, OpenFile>();
  for (const [id, d] of descriptions) {
    const o = d.object;
    let object: HandleObject;
    switch (o.kind) {
      case 'stdin':
        object = stdin;
        stdin.pending = o.pending;
        stdin.consumed = o.consumed;
        stdin.ended = o.ended;
        break;
      case 'stdout': object = new OutputStream('stdout', machine.stdout); break;
      case 'stderr': object = new OutputStream('stderr', machine.stderr); break;
      case 'node': object = new FileHandle(fs, nodes.get(id)!, o.node.path); break;
      case 'pipe': object = new PipeEnd(pipes.get(o.id)!, o.writeEnd); break;
      case 'service': object = sessions.get(id)!; break;
    }
    files.set(id, space.describe(object, d.flags, id, d.offset));
  }
  for (const [id, d] of descriptions) files.get(id)!.flags = d.flags;
  for (const s of slots) space.table.installAt(s.fd, files.get(s.id)!, s.cloexec);
  space.setCounters(nextFileId, nextPipeId);
}
