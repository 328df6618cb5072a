import { open, rename, unlink } from 'node:fs/promises';
import { FaultlineError } from '../src/errors.js';

/**
 * Writes `bytes` to `path` atomically: a temporary file beside it, fsync,
 * rename. A crash mid-write leaves any previous file intact.
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
    throw new FaultlineError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
