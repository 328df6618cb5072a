/**
 * A canonical text dump of the in-memory tree, for tests and debugging:
 * two file systems with the same dump hold the same nodes, numbers,
 * contents, times, listing order and mounts.
 */

import { crc32 } from '../checkpoint/crc32.js';
import type { FileSystem } from './file-system.js';
import { type MemoryDirectory, MemoryFile, type MemoryNode, MemorySymlink } from './fs-node.js';

/**
 * Describes the in-memory tree, one line per node in listing order from
 * the root, then the unlinked nodes still retained, then the mount table.
 * Mounted host content is not read.
 *
 * @param fs - the file system
 * @returns the dump (lines joined by `\n`)
 * @example
 * ```ts
 * expect(describeTree(restored)).toBe(describeTree(original));
 * ```
 */
export function describeTree(fs: FileSystem): string {
  const lines = [`generation ${fs.generation}, next inode ${fs.nextIno}, ${fs.bytesUsed} content bytes`];
  const walk = (dir: MemoryDirectory, path: string): void => {
    lines.push(`${path === '' ? '/' : path} ${describeNode(dir)} next cookie ${dir.nextCookie}${dir.coveredBy !== null ? ` mounted` : ''}`);
    for (const [name, slot] of dir.entries) {
      const child = slot.node;
      const childPath = `${path}/${name}`;
      if (child.kind === 'directory') walk(child as MemoryDirectory, childPath);
      else lines.push(`${childPath} ${describeNode(child)} cookie ${slot.cookie}`);
    }
  };
  walk(fs.root as MemoryDirectory, '');
  const orphans = [...fs.inodes.values()].filter((n) => !n.linked).sort((a, b) => a.ino - b.ino);
  for (const node of orphans) lines.push(`(unlinked) ${describeNode(node)}`);
  for (const m of fs.mounts) lines.push(`mount ${m.guestPath} ${m.readOnly ? 'ro' : 'rw'} dev ${m.dev} '${m.label}'`);
  return lines.join('\n');
}

/** One node's attributes and contents summary. */
function describeNode(node: MemoryNode): string {
  let text = `${node.kind} ino ${node.ino} mode ${node.mode.toString(8)} open ${node.openCount} times ${node.atimeNs}/${node.mtimeNs}/${node.ctimeNs}`;
  if (node instanceof MemoryFile) {
    const c = node.contents;
    const indices = [...c.chunks.keys()].sort((a, b) => a - b);
    const sum = indices.reduce((h, index) => crc32(c.chunks.get(index)!, crc32(new Uint8Array(new Uint32Array([index]).buffer), h)), 0);
    text += ` size ${c.size} chunks [${indices.join(',')}] crc ${sum.toString(16)}`;
  } else if (node instanceof MemorySymlink) {
    text += ` -> ${node.target}`;
  }
  return text;
}
