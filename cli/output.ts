import { writeSync } from 'node:fs';

/**
 * Writes all of `bytes` to file descriptor `fd` synchronously, so guest
 * output keeps its order with our own messages and survives process.exit.
 * Retries while a non-blocking pipe is full.
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // The reader went away (`faultline run prog | head -1`): end quietly,
      // as a process killed by SIGPIPE does (128 + 13).
      if (code === 'EPIPE') process.exit(141);
      if (code !== 'EAGAIN') throw err;
    }
  }
}

/** Prints one line to stderr. */
export function printError(line: string): void {
  writeAllSync(2, new TextEncoder().encode(line + '\n'));
}
