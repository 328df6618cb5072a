import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostDirectory } from '../../node/index.js';
import { FileSystem, type FsNode } from '../../src/index.js';
import { anyOpArb, applyOp, type FsOp } from './fs-ops.js';

/** `op` with its paths moved under `/m`. */
function under(op: FsOp): FsOp {
  if (!('path' in op)) return op;
  return op.op === 'rename' || op.op === 'rename2' ? { ...op, path: `/m${op.path}`, to: `/m${op.to}` } : { ...op, path: `/m${op.path}` };
}

/** The tree below `path` as sorted lines: path, kind, and contents or link text. */
function dump(fs: FileSystem, path: string): string[] {
  const dir = fs.resolve(path);
  if (typeof dir === 'number') throw new Error(`resolve ${path}: ${dir}`);
  const list = fs.listDirectory(dir);
  if (typeof list === 'number') throw new Error(`list ${path}: ${list}`);
  const out: string[] = [];
  for (const e of list) {
    if (e.name === '.' || e.name === '..') continue;
    const p = `${path}/${e.name}`;
    const n = fs.resolve(p, { follow: false }) as FsNode;
    if (n.kind === 'directory') out.push(`${p}/`, ...dump(fs, p));
    else if (n.kind === 'symlink') out.push(`${p} -> ${String(fs.readlink(n))}`);
    else {
      const st = fs.stat(n);
      if (typeof st === 'number') throw new Error(`stat ${p}`);
      const buf = new Uint8Array(st.size);
      fs.read(n, 0, buf);
      out.push(`${p} ${Buffer.from(buf).toString('hex')}`);
    }
  }
  return out.sort();
}

describe('a mounted host directory behaves as the in-memory tree', () => {
  it('random operation sequences give the same results and the same tree on the host (the real kernel) as in memory', () => {
    fc.assert(
      fc.property(fc.array(anyOpArb, { minLength: 5, maxLength: 40 }), (ops) => {
        const host = mkdtempSync(join(tmpdir(), 'faultline-diff-'));
        try {
          const mounted = new FileSystem();
          mounted.mount('/m', new HostDirectory(host));
          const memory = new FileSystem();
          memory.mkdirAt('/m', 0o755);
          const openM: FsNode[] = [];
          const openH: FsNode[] = [];
          for (const op of ops) {
            const moved = under(op);
            expect(applyOp(mounted, moved, openH), JSON.stringify({ ...op, data: undefined })).toBe(applyOp(memory, moved, openM));
          }
          expect(dump(mounted, '/m')).toEqual(dump(memory, '/m'));
          for (const n of openH) mounted.release(n);
          for (const n of openM) memory.release(n);
        } finally {
          rmSync(host, { recursive: true, force: true });
        }
      }),
      { numRuns: 150 },
    );
  });
});
