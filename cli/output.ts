import { writeSync } from 'node:fs';
import { reasonOf } from './files.js';

/** Exit status when standard output or error cannot be written (EX_IOERR of sysexits.h). */
export const OUTPUT_ERROR_STATUS = 74;
/** Exit status when the reader of standard output went away: 128 + SIGPIPE, as a killed process. */
const BROKEN_PIPE_STATUS = 141;

/**
 * Writes all of `bytes` to file descriptor `fd` synchronously, so guest
 * output keeps its order with our own messages and survives process.exit.
 * Retries while a non-blocking pipe is full. When the reader went away
 * (`faultline run prog | head -1`) the process ends quietly with 141, as
 * one killed by SIGPIPE; any other write error (a full disk, /dev/full)
 * ends it with one line on stderr and status 74.
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') process.exit(BROKEN_PIPE_STATUS);
      if (fd !== 2) {
        try {
          writeSync(2, `faultline: cannot write to ${fd === 1 ? 'stdout' : `file descriptor ${fd}`}: ${reasonOf(err)}\n`);
        } catch {
          // stderr is gone too: the status says it.
        }
      }
      process.exit(OUTPUT_ERROR_STATUS);
    }
  }
}

/** Prints one line to stderr. */
export function printError(line: string): void {
  writeAllSync(2, new TextEncoder().encode(line + '\n'));
}
