/**
 * The guest's stdin on the command line: this process's standard input or
 * a file (`--stdin FILE`), pulled a chunk at a time when the guest reads
 * (docs/design.md §12: streams are host sources). A read that would block
 * waits; a pipe or terminal that reports "try again" is polled.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CliFileError, describeFileError } from './files.js';

/** Bytes one guest read may pull from the host at most. */
const CHUNK = 64 << 10;

/** How long to wait before asking a non-blocking descriptor again, in ms. */
const RETRY_MS = 5;

/**
 * A source of chunks from file descriptor `fd`: the next bytes, or null at
 * end of input. Errors other than "try again" end the input with a
 * CliFileError naming `label`.
 */
export function descriptorInput(fd: number, label: string): () => Uint8Array | null {
  const buffer = new Uint8Array(CHUNK);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let ended = false;
  return () => {
    if (ended) return null;
    for (;;) {
      try {
        const n = readSync(fd, buffer, 0, CHUNK, null);
        if (n === 0) {
          ended = true;
          return null;
        }
        return buffer.slice(0, n);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          Atomics.wait(pause, 0, 0, RETRY_MS);
          continue;
        }
        if (code === 'EOF') {
          ended = true;
          return null;
        }
        throw new CliFileError(describeFileError(label, err));
      }
    }
  };
}

/**
 * Opens `path` for `--stdin`. Returns the source and a function that
 * closes the file.
 *
 * @throws CliFileError naming `--stdin` and the path when it cannot be opened
 */
export function fileInput(path: string): { readonly source: () => Uint8Array | null; skip(bytes: number): void; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CliFileError(describeFileError(`--stdin ${path}`, err));
  }
  const skip = (bytes: number): void => {
    const scratch = new Uint8Array(Math.min(bytes, CHUNK));
    for (let left = bytes; left > 0;) {
      const n = readSync(fd, scratch, 0, Math.min(left, scratch.length), null);
      if (n === 0) return;
      left -= n;
    }
  };
  return { source: descriptorInput(fd, `--stdin ${path}`), skip, close: () => closeSync(fd) };
}
