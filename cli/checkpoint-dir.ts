/**
 * A directory of checkpoint images as `faultline run --checkpoint-dir`
 * writes it and `faultline restore` reads it:
 *
 *   DIR/00000000.ckpt   full image: base of a chain
 *   DIR/00000001.ckpt   incremental image (its parent is 00000000)
 *   DIR/00000002.ckpt   ...
 *
 * Names are the image's number in at least eight decimal digits (more once
 * it passes 99999999; up to 15). Numbers only grow. Each file is written
 * atomically (DIR/N.ckpt.tmp-PID, fsync, rename). Once a new full image is
 * on disk, the run deletes the images before it — only images it wrote or
 * the chain it continued, never anything else. Restore takes the newest
 * image and the chain back to the newest full image before it.
 */
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FaultlineError } from '../src/errors.js';
import type { Checkpointer, ImageInput } from '../handlers/checkpoint/index.js';
import { CliFileError, IMAGE_FILE_LIMIT, describeFileError, ensureWritableDirectory, isStaleTemporary, readRegularFile, writeFileAtomic } from './files.js';
import { CommandLineError } from './usage-error.js';

/** File names of images: 8 to 15 decimal digits and `.ckpt`. */
const IMAGE_NAME = /^(\d{8,15})\.ckpt$/;
/** Temporary files of image writes: `N.ckpt.tmp-PID`. */
const IMAGE_TEMPORARY = /^\d{8,15}\.ckpt\.tmp-\d+$/;
/** Largest image number (15 digits: an exact JavaScript number). */
const MAX_IMAGE_NUMBER = 10 ** 15 - 1;
/** Header byte offset of the flags word, and its incremental bit (docs/checkpoint-format.md). */
const FLAGS_OFFSET = 12, FLAG_INCREMENTAL = 1;

/** One image file of a directory. */
export interface ImageFile {
  readonly number: number;
  readonly path: string;
}

/** The file name of image number `n`. */
export function imageName(n: number): string {
  return `${String(n).padStart(8, '0')}.ckpt`;
}

/** Lists the image files of `dir`, oldest first. Throws CliFileError when `dir` is unreadable. */
export async function listImages(dir: string): Promise<ImageFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new CliFileError(`cannot read checkpoint directory ${describeFileError(dir, err)}`);
  }
  return names
    .map((name) => IMAGE_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ number: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.number - b.number);
}

/** A chain read for restore, and where it came from. */
export interface ChainSource {
  /** The images, full base first. */
  readonly chain: ImageInput[];
  /** The directory of the chain's files. */
  readonly dir: string;
  /** The images of `dir` at or before the chain's last one (what a continuing run may replace). */
  readonly upTo: ImageFile[];
  /** The newest image of `dir` when it is newer than the chain's last one, else null. */
  readonly newer: ImageFile | null;
}

/**
 * Reads the chain ending at the newest image of `dir`: back from the newest
 * to the newest full image (by the header's incremental flag; everything
 * else is validated by the restore).
 *
 * @throws CliFileError naming the directory when it holds no image, or an image that cannot be read.
 */
export async function readNewestChain(dir: string): Promise<ChainSource> {
  const files = await listImages(dir);
  return { chain: await readChain(files, dir), dir, upTo: files, newer: null };
}

/**
 * Reads the chain ending at image file `path` (`faultline restore
 * IMAGE`): the images of its directory up to it, back to the newest full
 * one. An image whose name is not NNNNNNNN.ckpt stands alone (it must be a
 * full image; the restore says so otherwise).
 */
export async function readChainEndingAt(path: string): Promise<ChainSource> {
  const dir = dirname(path);
  const match = IMAGE_NAME.exec(basename(path));
  const files = await listImages(dir);
  if (match === null) {
    return { chain: [{ name: path, bytes: await readImageFile(path) }], dir, upTo: [], newer: files[files.length - 1] ?? null };
  }
  const upTo = files.filter((f) => f.number <= Number(match[1]));
  const newest = files[files.length - 1]!;
  return { chain: await readChain(upTo, dir), dir, upTo, newer: newest.number > Number(match[1]) ? newest : null };
}

/** The chain ending at the last of `files`, back to the newest full image. */
async function readChain(files: ImageFile[], dir: string): Promise<ImageInput[]> {
  if (files.length === 0) throw new CliFileError(`${dir}: no checkpoint images (NNNNNNNN.ckpt) in this directory`);
  const chain: ImageInput[] = [];
  for (let k = files.length - 1; k >= 0; k--) {
    const bytes = await readImageFile(files[k]!.path);
    chain.unshift({ name: files[k]!.path, bytes });
    const incremental = bytes.length > FLAGS_OFFSET && (bytes[FLAGS_OFFSET]! & FLAG_INCREMENTAL) !== 0;
    if (!incremental) break;
  }
  return chain;
}

/** Reads an image file (a regular file of at most 2 GiB); CliFileError naming it otherwise. */
export function readImageFile(path: string): Promise<Uint8Array> {
  return readRegularFile(path, IMAGE_FILE_LIMIT, 'checkpoint image');
}

/**
 * Writes the images of a run into a directory: numbered after the newest
 * one there, a new full image every `fullEvery`, and once a full image is
 * on disk deletes the older images it owns — those it wrote and those it
 * was given to replace (the chain it continued), nothing else.
 */
export class ImageWriter {
  private next: number;
  private readonly owned: ImageFile[];
  /** The newest image written, or null. */
  newest: string | null = null;

  private constructor(readonly dir: string, private readonly cp: Checkpointer, private readonly fullEvery: number, existing: ImageFile[], replace: ImageFile[]) {
    this.next = existing.length === 0 ? 0 : existing[existing.length - 1]!.number + 1;
    this.owned = [...replace];
  }

  /**
   * Prepares `dir` for the images of a run: creates it if needed and
   * checks it is writable (see ensureWritableDirectory), removes temporary
   * files of image writes whose process is gone, and checks that the
   * directory holds no images but `replace` (a new run must not mix its
   * images with another history, nor delete them).
   *
   * @param option - the option that named the directory, for messages
   * @param replace - images the run continues and may delete once it has a full image of its own
   * @throws CliFileError or CommandLineError with one line saying how to proceed.
   */
  static async open(dir: string, option: string, cp: Checkpointer, fullEvery: number, replace: ImageFile[] = []): Promise<ImageWriter> {
    await ensureWritableDirectory(dir, option);
    await removeStaleTemporaries(dir);
    const existing = await listImages(dir);
    const allowed = new Set(replace.map((f) => resolve(f.path)));
    const foreign = existing.filter((f) => !allowed.has(resolve(f.path)));
    if (foreign.length > 0) {
      throw new CommandLineError(
        `${option} ${dir}: the directory already holds checkpoint images (${basename(existing[0]!.path)}` +
          `${existing.length > 1 ? ` … ${basename(existing[existing.length - 1]!.path)}` : ''}); ` +
          `continue them with 'faultline restore ${dir}', or choose an empty directory`,
      );
    }
    if (existing.length > 0 && existing[existing.length - 1]!.number >= MAX_IMAGE_NUMBER) {
      throw new CommandLineError(`${option} ${dir}: image numbers are used up (${basename(existing[existing.length - 1]!.path)}); choose an empty directory`);
    }
    return new ImageWriter(dir, cp, fullEvery, existing, replace);
  }

  /** Takes an image now and writes it (atomically); deletes owned older images after a full one. */
  async write(): Promise<void> {
    if (this.next > MAX_IMAGE_NUMBER) throw new FaultlineError(`${this.dir}: image numbers are used up`);
    const full = this.cp.nextSequence === 0 || this.cp.nextSequence >= this.fullEvery;
    const bytes = this.cp.checkpoint({ full });
    const path = join(this.dir, imageName(this.next));
    await writeFileAtomic(path, bytes);
    this.newest = path;
    if (full) {
      for (const old of this.owned.splice(0)) await unlink(old.path).catch(() => {});
    }
    this.owned.push({ number: this.next, path });
    this.next++;
  }
}

/** Removes `N.ckpt.tmp-PID` files of `dir` whose process no longer runs (never an image). */
async function removeStaleTemporaries(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (IMAGE_TEMPORARY.test(name) && isStaleTemporary(name)) await unlink(join(dir, name)).catch(() => {});
  }
}
