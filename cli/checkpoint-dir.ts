/**
 * A directory of checkpoint images as `faultline run --checkpoint-dir`
 * writes it and `faultline restore` reads it:
 *
 *   DIR/00000000.ckpt   full image: base of a chain
 *   DIR/00000001.ckpt   incremental image (its parent is 00000000)
 *   DIR/00000002.ckpt   ...
 *
 * Numbers only grow. Each file is written atomically (temporary file,
 * fsync, rename); once a new full image is on disk, the images before it
 * are deleted. Restore takes the newest image and the chain back to the
 * newest full image before it.
 */
import { readFile, readdir, mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FaultlineError } from '../src/errors.js';
import type { Machine } from '../src/machine/machine.js';
import type { RunResult } from '../src/machine/run-result.js';
import type { CheckpointContributor, Checkpointer, ImageInput } from '../handlers/checkpoint/index.js';
import { writeFileAtomic } from './files.js';

/** File names of images: eight decimal digits and `.ckpt`. */
const IMAGE_NAME = /^(\d{8})\.ckpt$/;
/** Header byte offset of the flags word, and its incremental bit (docs/checkpoint-format.md). */
const FLAGS_OFFSET = 12, FLAG_INCREMENTAL = 1;

/** What the command line saves in every image, as plugin state `faultline-cli`. */
export interface CliState {
  /** Bytes the guest had written to stdout and stderr when the image was taken. */
  stdoutBytes: number;
  stderrBytes: number;
  /** `--checkpoint-every` of the run (0: none). */
  every: number;
  /** Images per chain before a new full image. */
  fullEvery: number;
}

/** The `faultline-cli` contributor saving and restoring `state` (as JSON). */
export function cliContributor(state: CliState): CheckpointContributor {
  return {
    name: 'faultline-cli',
    saveState: () => new TextEncoder().encode(JSON.stringify(state)),
    restoreState: (bytes) => {
      const saved = JSON.parse(new TextDecoder().decode(bytes)) as Partial<CliState>;
      for (const key of ['stdoutBytes', 'stderrBytes', 'every', 'fullEvery'] as const) {
        const v = saved[key];
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) state[key] = v;
      }
    },
  };
}

/** One image file of a directory. */
export interface ImageFile {
  readonly number: number;
  readonly path: string;
}

/** Lists the image files of `dir`, oldest first. Throws FaultlineError when `dir` is unreadable. */
export async function listImages(dir: string): Promise<ImageFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new FaultlineError(`cannot read checkpoint directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return names
    .map((name) => IMAGE_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ number: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.number - b.number);
}

/**
 * Reads the chain ending at the newest image of `dir`: back from the newest
 * to the newest full image (by the header's incremental flag; everything
 * else is validated by the restore). Throws FaultlineError naming the
 * directory when it holds no image.
 */
export async function readNewestChain(dir: string): Promise<ImageInput[]> {
  return readChain(await listImages(dir), dir);
}

/**
 * Reads the chain ending at image file `path` (DESIGN §6: `faultline
 * restore IMAGE`): the images of its directory up to it, back to the
 * newest full one. An image whose name is not NNNNNNNN.ckpt stands alone
 * (it must be a full image; the restore says so otherwise).
 */
export async function readChainEndingAt(path: string): Promise<ImageInput[]> {
  const name = basename(path);
  const match = IMAGE_NAME.exec(name);
  if (match === null || match[0] !== name) return [{ name: path, bytes: await readImageFile(path) }];
  const files = (await listImages(dirname(path))).filter((f) => f.number <= Number(match[1]));
  return readChain(files, dirname(path));
}

/** The chain ending at the last of `files`, back to the newest full image. */
async function readChain(files: ImageFile[], dir: string): Promise<ImageInput[]> {
  if (files.length === 0) throw new FaultlineError(`${dir}: no checkpoint images (NNNNNNNN.ckpt) in this directory`);
  const chain: ImageInput[] = [];
  for (let k = files.length - 1; k >= 0; k--) {
    const bytes = await readImageFile(files[k]!.path);
    chain.unshift({ name: files[k]!.path, bytes });
    const incremental = bytes.length > FLAGS_OFFSET && (bytes[FLAGS_OFFSET]! & FLAG_INCREMENTAL) !== 0;
    if (!incremental) break;
  }
  return chain;
}

/** Reads an image file; FaultlineError naming it when unreadable. */
export async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new FaultlineError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Options of {@link runWithCheckpoints}. */
export interface CheckpointRunOptions {
  readonly dir: string;
  /** Instructions between images. */
  readonly every: number;
  /** Images per chain (a full one, then incremental ones) before a new full image. */
  readonly fullEvery: number;
  /** Stop after this many instructions in total, as `--max-instructions`. */
  readonly maxInstructions?: number;
}

/**
 * Runs `machine` (with `cp` installed) in slices of `every` instructions,
 * writing an image into `dir` after each slice, until the guest exits or
 * faults, or `maxInstructions` ran. Returns the last run result.
 */
export async function runWithCheckpoints(machine: Machine, cp: Checkpointer, options: CheckpointRunOptions): Promise<RunResult> {
  await mkdir(options.dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new FaultlineError(`cannot create checkpoint directory ${options.dir}: ${err.code ?? String(err)}`);
  });
  const existing = await listImages(options.dir);
  let next = existing.length === 0 ? 0 : existing[existing.length - 1]!.number + 1;
  const stopAt = options.maxInstructions === undefined ? Infinity : machine.cpu.instret + options.maxInstructions;
  for (;;) {
    const slice = Math.min(options.every, stopAt - machine.cpu.instret);
    const result = machine.run({ maxInstructions: slice });
    if (result.kind !== 'limit' || machine.cpu.instret >= stopAt) return result;
    const full = cp.nextSequence === 0 || cp.nextSequence >= options.fullEvery;
    const bytes = cp.checkpoint({ full });
    const path = join(options.dir, `${String(next).padStart(8, '0')}.ckpt`);
    await writeFileAtomic(path, bytes);
    if (full) {
      for (const old of await listImages(options.dir)) if (old.number < next) await unlink(old.path).catch(() => {});
    }
    next++;
  }
}
