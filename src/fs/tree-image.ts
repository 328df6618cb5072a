/**
 * Checkpoint images of the in-memory file system: a full image holds every
 * live in-memory node (linked, or unlinked but still retained), an
 * increment only the nodes changed since an earlier generation, the
 * chunks of file contents changed since then, and the nodes freed since.
 * Every image carries the whole mount table (guest path, read-only flag,
 * the host directory's label); mounted nodes themselves are not in the
 * image (the handle layer records references to them).
 *
 * Layout (little-endian u32 words, 64-bit values as two words, strings as
 * in checkpoint images, see byte-codec.ts):
 *
 * ```text
 * magic 'FLFT'  version  since(u64)  generation(u64)  nextIno
 * nodeCount  { ino kind mode flags openCount createdAt(u64) changedAt(u64)
 *              atime(u64) mtime(u64) ctime(u64)  <kind body> }*
 *   file:      size(u64) chunkCount { index hasData [4096 bytes] }*
 *   directory: parentIno nextCookie entryCount { name ino cookie }*
 *   symlink:   target
 * deletionCount { ino }*
 * mountCount { guestPath readOnly label }*
 * crc32 of every byte before it
 * ```
 */

import { ByteReader, ByteWriter } from '../checkpoint/byte-codec.js';
import { crc32 } from '../checkpoint/crc32.js';
import { FormatError, UsageError } from '../errors.js';
import { quote } from '../quote.js';
import { CHUNK_SIZE, FileContents } from './file-contents.js';
import { FileSystem } from './file-system.js';
import { describeValue } from '../quote.js';
import { MemoryDirectory, MemoryFile, type MemoryNode, MemorySymlink } from './fs-node.js';
import type { NodeKind } from './fs-stat.js';
import type { MountInfo } from './mount.js';
import type { MountedDirectory } from './mounted-directory.js';
import { MAX_NAME_BYTES, utf8Length } from './path-walk.js';

/**
 * First word of a tree image: 'FLFT' in ASCII, little-endian.
 *
 * @example
 * ```ts
 * new DataView(image.buffer, image.byteOffset).getUint32(0, true) === TREE_IMAGE_MAGIC; // true
 * ```
 */
export const TREE_IMAGE_MAGIC = 0x54464c46;
/**
 * Version of the tree image layout.
 *
 * @example
 * ```ts
 * new DataView(image.buffer, image.byteOffset).getUint32(4, true) === TREE_IMAGE_VERSION; // true
 * ```
 */
export const TREE_IMAGE_VERSION = 1;

const KIND_CODES: Record<NodeKind, number> = { file: 1, directory: 2, symlink: 3 };
const KINDS: readonly (NodeKind | undefined)[] = [undefined, 'file', 'directory', 'symlink'];
/** `flags` bit: the node is linked into a directory. */
const FLAG_LINKED = 1;

/**
 * Options of {@link applyTreeImage}.
 *
 * @example
 * ```ts
 * applyTreeImage(fs, [full, inc], { mountedDirectory: (m) => new HostDirectory(m.label) });
 * ```
 */
export interface ApplyTreeOptions {
  /**
   * The host directory to mount for a mount recorded in the image (the
   * same one, or a replacement: a relink). Returning undefined refuses the
   * restore. Without this option an image holding mounts is refused.
   *
   * @param mount - the recorded guest path, read-only flag and label
   * @returns the directory to mount there, or undefined
   */
  mountedDirectory?(mount: Omit<MountInfo, 'dev'>): MountedDirectory | undefined;
}

/**
 * Encodes the in-memory tree as a checkpoint image: everything when
 * `sinceGeneration` is 0, else what changed after that generation (the
 * `generation` of the file system when the previous image was taken).
 *
 * @param fs - the file system
 * @param sinceGeneration - 0 for a full image, or the generation of the previous image
 * @returns the image bytes
 * @throws UsageError when `sinceGeneration` is negative or later than the file system's generation.
 * @example
 * ```ts
 * const full = captureTree(fs, 0);
 * const since = fs.generation;
 * // ... the guest changes files ...
 * const inc = captureTree(fs, since);
 * ```
 */
export function captureTree(fs: FileSystem, sinceGeneration: number): Uint8Array {
  expectFileSystem('captureTree', fs);
  if (!Number.isSafeInteger(sinceGeneration) || sinceGeneration < 0 || sinceGeneration > fs.generation) {
    throw new UsageError(`captureTree: sinceGeneration ${String(sinceGeneration)} is not between 0 and the file system's generation ${fs.generation}`);
  }
  const full = sinceGeneration === 0;
  const w = new ByteWriter();
  w.u32(TREE_IMAGE_MAGIC);
  w.u32(TREE_IMAGE_VERSION);
  w.u64(sinceGeneration);
  w.u64(fs.generation);
  w.u32(fs.nextIno);
  const nodes = [...fs.inodes.values()].filter((n) => full || n.changedAt > sinceGeneration).sort((a, b) => a.ino - b.ino);
  w.u32(nodes.length);
  for (const node of nodes) writeNode(w, node, full ? -1 : sinceGeneration);
  const deleted = full ? [] : fs.deletions.filter((d) => d.deletedAt > sinceGeneration && d.createdAt <= sinceGeneration);
  w.u32(deleted.length);
  for (const d of deleted) w.u32(d.ino);
  w.u32(fs.mountTable.length);
  for (const m of fs.mountTable) {
    w.string(m.guestPath);
    w.u32(m.readOnly ? 1 : 0);
    w.string(m.label);
  }
  const body = w.finish();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}

/** Writes one node record; chunks changed after `since` carry data (all when `since` is -1). */
function writeNode(w: ByteWriter, node: MemoryNode, since: number): void {
  w.u32(node.ino);
  w.u32(KIND_CODES[node.kind]);
  w.u32(node.mode);
  w.u32(node.linked ? FLAG_LINKED : 0);
  w.u32(node.openCount);
  w.u64(node.createdAt);
  w.u64(node.changedAt);
  w.u64(node.atimeNs);
  w.u64(node.mtimeNs);
  w.u64(node.ctimeNs);
  if (node instanceof MemoryFile) {
    const c = node.contents;
    w.u64(c.size);
    const indices = [...c.chunks.keys()].sort((a, b) => a - b);
    w.u32(indices.length);
    for (const index of indices) {
      w.u32(index);
      const changed = (c.chunkChangedAt.get(index) ?? 0) > since;
      w.u32(changed ? 1 : 0);
      if (changed) w.raw(c.chunks.get(index)!);
    }
  } else if (node instanceof MemoryDirectory) {
    w.u32(node.parent!.ino);
    w.u32(node.nextCookie);
    w.u32(node.entries.size);
    for (const [name, slot] of node.entries) {
      w.string(name);
      w.u32(slot.node.ino);
      w.u32(slot.cookie);
    }
  } else if (node instanceof MemorySymlink) {
    w.string(node.target);
  }
}

/** A node as decoded from an image (chunks merged across images). */
interface NodeRecord {
  ino: number;
  kind: NodeKind;
  mode: number;
  linked: boolean;
  openCount: number;
  createdAt: number;
  changedAt: number;
  atimeNs: number;
  mtimeNs: number;
  ctimeNs: number;
  size: number;
  chunks: Map<number, Uint8Array>;
  parentIno: number;
  nextCookie: number;
  entries: { name: string; ino: number; cookie: number; at: number }[];
  target: string;
  /** Image and offset of the record, for messages. */
  where: string;
}

/** A decoded image. */
interface DecodedTree {
  since: number;
  generation: number;
  nextIno: number;
  nodes: NodeRecord[];
  deletions: { ino: number; at: number }[];
  mounts: { guestPath: string; readOnly: boolean; label: string }[];
}

/**
 * Rebuilds the in-memory tree of a fresh file system from a full image
 * and the increments taken after it, in order: the same nodes with the
 * same inode numbers, contents, times, listing order and retain counts
 * (an unlinked node held open comes back with its holds; the handle layer
 * finds it with `nodeByIno` and must not retain it again), and the same
 * mounts. Everything is decoded and checked before the file system
 * changes.
 *
 * @param fs - a file system fresh from its constructor (no change, no mount)
 * @param images - the full image, then its increments in order
 * @param options - how to find the host directory of each recorded mount
 * @throws FormatError naming the image, the offset and the value for a malformed or inconsistent image, a chain
 *   whose increments do not follow one another, or a file larger than the file system allows;
 *   UsageError when `fs` is not fresh or a recorded mount has no host directory (naming its guest path and label).
 * @example
 * ```ts
 * const restored = new FileSystem();
 * applyTreeImage(restored, [full, inc]);
 * ```
 */
export function applyTreeImage(fs: FileSystem, images: readonly Uint8Array[], options: ApplyTreeOptions = {}): void {
  expectFileSystem('applyTreeImage', fs);
  if (!Array.isArray(images)) throw new UsageError(`applyTreeImage: images must be an array of Uint8Array, got ${describeValue(images)}`);
  if (fs.generation !== 0 || fs.inodes.size !== 1 || fs.mountTable.length !== 0) {
    throw new UsageError('applyTreeImage: the file system is not fresh (it has changed or has mounts)');
  }
  if (images.length === 0) throw new UsageError('applyTreeImage: no image given');
  const decoded = images.map((bytes, k) => decodeTree(bytes, `tree image ${k}`));
  let state = new Map<number, NodeRecord>();
  decoded.forEach((image, k) => {
    const expected = k === 0 ? 0 : decoded[k - 1]!.generation;
    if (image.since !== expected) {
      throw new FormatError(`tree image ${k}: offset 0x00000008: taken since generation ${image.since}, expected ${expected}${k === 0 ? ' (the first image must be full)' : ' (the previous image\'s generation)'}`);
    }
    state = applyDecoded(state, image, `tree image ${k}`);
  });
  const last = decoded[decoded.length - 1]!;
  if (state.size > fs.maxNodes) throw new FormatError(`tree image ${images.length - 1}: offset 0x00000000: the tree holds ${state.size} nodes, more than the limit ${fs.maxNodes}`);
  checkTree(state, last, fs.maxFileSize, `tree image ${images.length - 1}`);
  const directories = last.mounts.map((m) => {
    const dir = options.mountedDirectory?.(m);
    if (dir === undefined) throw new UsageError(`applyTreeImage: no host directory for the mount at ${quote(m.guestPath)} (label ${quote(m.label)})`);
    const st = dir.lstat('');
    if (typeof st === 'number' || st.kind !== 'directory') {
      throw new UsageError(`applyTreeImage: the host directory ${quote(dir.label)} for the mount at ${quote(m.guestPath)} is not a readable directory`);
    }
    return dir;
  });
  build(fs, state, last);
  last.mounts.forEach((m, k) => fs.mount(m.guestPath, directories[k]!, { readOnly: m.readOnly }));
  fs.gen = last.generation;
  fs.mountsChangedAt = last.generation;
}

/** Decodes and checks the framing of one image. */
function decodeTree(bytes: Uint8Array, name: string): DecodedTree {
  if (!(bytes instanceof Uint8Array)) throw new UsageError(`applyTreeImage: ${name} is not a Uint8Array`);
  if (bytes.length < 44 || bytes.length % 4 !== 0) throw new FormatError(`${name}: offset 0x00000000: length ${bytes.length} is not a tree image (at least 44 bytes, a multiple of 4)`);
  const end = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(end, true);
  const actual = crc32(bytes, 0, 0, end);
  const r = new ByteReader(bytes, name, 0, end);
  if (stored !== actual) r.fail(`CRC-32 is 0x${stored.toString(16)}, the bytes give 0x${actual.toString(16)}`, end);
  const magic = r.u32('magic');
  if (magic !== TREE_IMAGE_MAGIC) r.fail(`magic 0x${magic.toString(16)} is not 'FLFT'`, 0);
  const version = r.u32('version');
  if (version !== TREE_IMAGE_VERSION) r.fail(`version ${version} is not ${TREE_IMAGE_VERSION}`, 4);
  const since = r.u64('since generation');
  const generation = r.u64('generation');
  if (since > generation) r.fail(`since generation ${since} is after the generation ${generation}`, 8);
  const nextIno = r.u32('next inode number');
  const nodeCount = r.count('nodes', 64);
  const nodes: NodeRecord[] = [];
  for (let k = 0; k < nodeCount; k++) nodes.push(readNode(r, name, generation));
  const deletionCount = r.count('deletions', 4);
  const deletions: { ino: number; at: number }[] = [];
  for (let k = 0; k < deletionCount; k++) deletions.push({ at: r.offset, ino: r.u32('deleted inode') });
  const mountCount = r.count('mounts', 12);
  const mounts: DecodedTree['mounts'] = [];
  for (let k = 0; k < mountCount; k++) {
    const at = r.offset;
    const guestPath = r.string('mount guest path');
    if (!guestPath.startsWith('/') || guestPath === '/') r.fail(`mount guest path ${quote(guestPath)} is not an absolute path below the root`, at);
    mounts.push({ guestPath, readOnly: r.flag('mount read-only flag'), label: r.string('mount label') });
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} bytes follow the mount table`);
  return { since, generation, nextIno, nodes, deletions, mounts };
}

/** Reads one node record. */
function readNode(r: ByteReader, name: string, generation: number): NodeRecord {
  const at = r.offset;
  const ino = r.u32('inode number');
  const code = r.u32('node kind');
  const kind = KINDS[code];
  if (kind === undefined) r.fail(`node kind ${code} of inode ${ino} is not 1 (file), 2 (directory) or 3 (symlink)`, at + 4);
  const mode = r.u32('mode');
  if (mode > 0o7777) r.fail(`mode 0o${mode.toString(8)} of inode ${ino} has bits beyond 0o7777`, at + 8);
  const flags = r.u32('flags');
  if ((flags & ~FLAG_LINKED) !== 0) r.fail(`flags 0x${flags.toString(16)} of inode ${ino} hold unknown bits`, at + 12);
  const openCount = r.u32('open count');
  const createdAt = r.u64('created generation', generation);
  const changedAt = r.u64('changed generation', generation);
  const rec: NodeRecord = {
    ino,
    kind,
    mode,
    linked: (flags & FLAG_LINKED) !== 0,
    openCount,
    createdAt,
    changedAt,
    atimeNs: r.u64('atime'),
    mtimeNs: r.u64('mtime'),
    ctimeNs: r.u64('ctime'),
    size: 0,
    chunks: new Map(),
    parentIno: 0,
    nextCookie: 0,
    entries: [],
    target: '',
    where: `${name}: offset 0x${at.toString(16).padStart(8, '0')}`,
  };
  if (kind === 'file') {
    rec.size = r.u64('file size');
    const n = r.count('chunks', 8);
    let previous = -1;
    for (let k = 0; k < n; k++) {
      const cat = r.offset;
      const index = r.u32('chunk index');
      if (index <= previous) r.fail(`chunk index ${index} of inode ${ino} is not above the previous ${previous}`, cat);
      if (index * CHUNK_SIZE >= rec.size) r.fail(`chunk index ${index} of inode ${ino} lies past its size ${rec.size}`, cat);
      previous = index;
      const hasData = r.flag('chunk data flag');
      rec.chunks.set(index, hasData ? r.raw(CHUNK_SIZE, 'chunk data') : EMPTY);
    }
  } else if (kind === 'directory') {
    rec.parentIno = r.u32('parent inode');
    rec.nextCookie = r.u32('next cookie');
    const n = r.count('entries', 12);
    for (let k = 0; k < n; k++) {
      const eat = r.offset;
      const entry = r.string('entry name');
      if (entry === '' || entry === '.' || entry === '..' || entry.includes('/') || entry.includes('\0') || utf8Length(entry) > MAX_NAME_BYTES) {
        r.fail(`entry name ${quote(entry)} of directory ${ino} is not a valid name`, eat);
      }
      rec.entries.push({ name: entry, ino: r.u32('entry inode'), cookie: r.u32('entry cookie'), at: eat });
    }
  } else {
    const tat = r.offset;
    rec.target = r.string('symlink target');
    if (rec.target === '') r.fail(`symlink ${ino} has an empty target`, tat);
  }
  return rec;
}

/** Marks a chunk whose data is in an earlier image. */
const EMPTY = new Uint8Array(0);

/** The node table after applying one more image to `state`. */
function applyDecoded(state: Map<number, NodeRecord>, image: DecodedTree, name: string): Map<number, NodeRecord> {
  const next = new Map(state);
  const seen = new Set<number>();
  for (const rec of image.nodes) {
    if (seen.has(rec.ino)) throw new FormatError(`${rec.where}: inode ${rec.ino} is recorded twice`);
    seen.add(rec.ino);
    const before = state.get(rec.ino);
    for (const [index, data] of rec.chunks) {
      if (data !== EMPTY) continue;
      const old = before?.kind === 'file' ? before.chunks.get(index) : undefined;
      if (old === undefined) throw new FormatError(`${rec.where}: chunk ${index} of inode ${rec.ino} has no data here nor in an earlier image`);
      rec.chunks.set(index, old);
    }
    next.set(rec.ino, rec);
  }
  for (const d of image.deletions) {
    if (!state.has(d.ino)) throw new FormatError(`${name}: offset 0x${d.at.toString(16).padStart(8, '0')}: deleted inode ${d.ino} is not in the earlier images`);
    if (seen.has(d.ino)) throw new FormatError(`${name}: offset 0x${d.at.toString(16).padStart(8, '0')}: inode ${d.ino} is both deleted and recorded`);
    next.delete(d.ino);
  }
  return next;
}

/** Checks that the final node table is one consistent tree. */
function checkTree(state: Map<number, NodeRecord>, last: DecodedTree, maxFileSize: number, name: string): void {
  const root = state.get(1);
  if (root === undefined || root.kind !== 'directory' || root.parentIno !== 1) throw new FormatError(`${name}: offset 0x00000000: inode 1 is not a root directory`);
  const linkedFrom = new Map<number, number>();
  for (const rec of state.values()) {
    if (rec.ino === 0 || rec.ino >= last.nextIno) throw new FormatError(`${rec.where}: inode ${rec.ino} is not below the next inode number ${last.nextIno}`);
    if (rec.kind === 'file' && rec.size > maxFileSize) throw new FormatError(`${rec.where}: file size ${rec.size} of inode ${rec.ino} exceeds the limit ${maxFileSize}`);
    if (!rec.linked && rec.openCount === 0) throw new FormatError(`${rec.where}: inode ${rec.ino} is neither linked nor open`);
    if (rec.kind !== 'directory') continue;
    const names = new Set<string>();
    const cookies = new Set<number>();
    for (const e of rec.entries) {
      const where = `${name}: entry ${quote(e.name)} of directory ${rec.ino}`;
      if (names.has(e.name)) throw new FormatError(`${where}: the name appears twice`);
      names.add(e.name);
      if (cookies.has(e.cookie) || e.cookie < 3 || e.cookie >= rec.nextCookie) throw new FormatError(`${where}: cookie ${e.cookie} is repeated or outside 3..${rec.nextCookie - 1}`);
      cookies.add(e.cookie);
      const child = state.get(e.ino);
      if (child === undefined) throw new FormatError(`${where}: inode ${e.ino} is not in the image`);
      if (e.ino === 1 || linkedFrom.has(e.ino)) throw new FormatError(`${where}: inode ${e.ino} is already linked elsewhere`);
      if (!child.linked) throw new FormatError(`${where}: inode ${e.ino} is marked unlinked`);
      if (child.kind === 'directory' && child.parentIno !== rec.ino) throw new FormatError(`${where}: directory ${e.ino} names ${child.parentIno} as its parent`);
      linkedFrom.set(e.ino, rec.ino);
    }
  }
  for (const rec of state.values()) {
    if (rec.ino !== 1 && rec.linked && !linkedFrom.has(rec.ino)) throw new FormatError(`${rec.where}: inode ${rec.ino} is marked linked but no directory names it`);
  }
  // Every linked directory must reach the root (no cycle hanging off nothing).
  for (const rec of state.values()) {
    if (rec.kind !== 'directory' || !rec.linked) continue;
    let at = rec;
    for (let steps = 0; at.ino !== 1; steps++) {
      if (steps > state.size) throw new FormatError(`${rec.where}: directory ${rec.ino} does not lead up to the root`);
      at = state.get(linkedFrom.get(at.ino)!)!;
    }
  }
  for (const m of last.mounts) {
    let dir = root;
    for (const part of m.guestPath.split('/').filter((p) => p !== '')) {
      const e = dir.entries.find((x) => x.name === part);
      const child = e === undefined ? undefined : state.get(e.ino);
      if (child === undefined || child.kind !== 'directory') throw new FormatError(`${name}: mount at ${quote(m.guestPath)}: ${quote(part)} is not a directory of the image`);
      dir = child;
    }
  }
}

/** Replaces the fresh file system's tree by the checked node table. */
function build(fs: FileSystem, state: Map<number, NodeRecord>, last: DecodedTree): void {
  const root = fs.root as MemoryDirectory;
  const nodes = new Map<number, MemoryNode>();
  for (const rec of state.values()) {
    let node: MemoryNode;
    if (rec.ino === 1) node = root;
    else if (rec.kind === 'file') {
      const contents = new FileContents(fs.quota);
      for (const [index, data] of rec.chunks) contents.putChunk(index, data, rec.changedAt);
      contents.size = rec.size;
      node = new MemoryFile(rec.ino, rec.mode, 0, rec.createdAt, contents);
    } else if (rec.kind === 'directory') node = new MemoryDirectory(rec.ino, rec.mode, 0, rec.createdAt, null);
    else {
      node = new MemorySymlink(rec.ino, 0, rec.createdAt, rec.target);
      fs.quota.used += utf8Length(rec.target);
    }
    node.mode = rec.mode;
    node.linked = rec.linked;
    node.openCount = rec.openCount;
    node.createdAt = rec.createdAt;
    node.changedAt = rec.changedAt;
    node.atimeNs = rec.atimeNs;
    node.mtimeNs = rec.mtimeNs;
    node.ctimeNs = rec.ctimeNs;
    nodes.set(rec.ino, node);
  }
  for (const rec of state.values()) {
    if (rec.kind !== 'directory') continue;
    const dir = nodes.get(rec.ino) as MemoryDirectory;
    dir.parent = nodes.get(rec.parentIno) as MemoryDirectory | undefined ?? dir;
    dir.nextCookie = rec.nextCookie;
    for (const e of rec.entries) {
      const child = nodes.get(e.ino)!;
      dir.entries.set(e.name, { node: child, cookie: e.cookie });
      if (child instanceof MemoryDirectory) dir.subdirectories++;
    }
  }
  fs.inodes.clear();
  for (const [ino, node] of nodes) fs.inodes.set(ino, node);
  fs.nextIno = last.nextIno;
}

/** Throws a UsageError unless `fs` is a FileSystem. */
function expectFileSystem(fn: string, fs: unknown): asserts fs is FileSystem {
  if (!(fs instanceof FileSystem)) throw new UsageError(`${fn}: fs must be a FileSystem, got ${describeValue(fs)}`);
}
