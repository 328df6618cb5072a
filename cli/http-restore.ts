/**
 * The command line's part of restoring from images over HTTP: the
 * options (`--timeout`, `--retries`, `--prefetch FILE`, `--record-order
 * FILE`), reading and writing touch-order files. The restore itself is
 * `restoreRemote` of the core (handlers/checkpoint/remote).
 */
import type { LazyRestore } from '../handlers/checkpoint/index.js';
import { decodeTouchOrder, encodeTouchOrder, type RemoteChainOptions, type RemoteRestore, type TouchOrder } from '../handlers/checkpoint/remote/index.js';
import type { LazyRestorer } from '../handlers/checkpoint/lazy-restore.js';
import { readRegularFile, writeFileAtomic } from './files.js';
import { CommandLineError, parseCount } from './usage-error.js';

/** Largest touch-order file read (64 MiB: a few million pages). */
const ORDER_FILE_LIMIT = 64 << 20;

/** The restore help's lines for images over HTTP. */
export const REMOTE_RESTORE_HELP = `  URL...                 restore from images on an HTTP server (faultline serve,
                         nginx, any server that honours Range): image URLs
                         base first, one image URL (the images before it
                         are found by name), or a directory URL ending in /
                         (its newest chain, from a JSON listing). With
                         --lazy each page is fetched on first touch.
                         Images are written only with --checkpoint-dir
  --timeout MS           per-request timeout for URLs (default 10000)
  --retries N            further attempts of a failed request (default 3)
  --prefetch FILE        with --lazy and URLs: bring the pages in the order
                         FILE recorded (--record-order) from the start
  --record-order FILE    with --lazy: write the order in which the guest
                         first touched its pages to FILE when the run ends
`;

/** The fetch policy the options give. */
export function remoteFetchOptions(values: { timeout?: string | undefined; retries?: string | undefined }): RemoteChainOptions {
  const timeoutMs = values.timeout === undefined ? undefined : parseCount('timeout', values.timeout);
  if (timeoutMs === 0) throw new CommandLineError('--timeout: must be at least 1 millisecond');
  return {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(values.retries === undefined ? {} : { retries: parseCount('retries', values.retries) }),
  };
}

/** Reads a touch-order file (--prefetch). Throws CliFileError or FormatError naming it. */
export async function readTouchOrder(path: string): Promise<TouchOrder> {
  const bytes = await readRegularFile(path, ORDER_FILE_LIMIT, 'touch-order file');
  return decodeTouchOrder(new TextDecoder().decode(bytes), path);
}

/** A first-touch order being recorded; `write` saves it. */
export interface OrderRecording {
  write(path: string): Promise<void>;
}

/**
 * Records the first-touch order of a lazy restore: the remote restore's
 * own recording, or for local images the lazy restore's first fills.
 */
export function recordTouchOrder(remote: RemoteRestore | null, lazy: LazyRestore | null, chainId: string): OrderRecording {
  const pages: [number, number][] = [];
  if (remote === null && lazy !== null) (lazy as LazyRestorer).onFirstTouch = (id, page) => { pages.push([id, page]); };
  return {
    write: async (path) => {
      const order: TouchOrder = remote !== null ? remote.touchOrder() : { chainId, pages };
      await writeFileAtomic(path, new TextEncoder().encode(encodeTouchOrder(order)), 0o644);
    },
  };
}
