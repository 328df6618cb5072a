/**
 * Helpers of the remote-image tests: chains of images written into a
 * temporary directory as `faultline run` names them, served by the
 * project's server (cli/http-server.ts), and guests restored from them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectedOutput, MapFlags, Machine, Prot, assemble } from '../../src/index.js';
import { checkpoint, restoreCheckpoint, type ImageInput } from '../../handlers/index.js';
import { startImageServer, type ImageServer } from '../../cli/http-server.js';
import { counterSource } from '../checkpoint/programs.js';

/** A chain of images on disk and what a restore from it must print. */
export interface ChainOnDisk {
  readonly dir: string;
  readonly images: ImageInput[];
  /** Output of an eager local restore of the whole chain run to its end. */
  readonly expected: string;
}

/** A fresh machine collecting stdout. */
export function machineWithOutput(quota = 64 << 20): { machine: Machine; out: CollectedOutput } {
  const out = new CollectedOutput();
  return { machine: new Machine({ memoryQuota: quota, stdout: out.sink }), out };
}

/** Writes `images` into a new temporary directory as 00000000.ckpt, 00000001.ckpt, … (numbering from `first`). */
export function writeChain(images: readonly Uint8Array[], first = 0, dir = mkdtempSync(join(tmpdir(), 'faultline-remote-'))): string {
  images.forEach((bytes, k) => writeFileSync(join(dir, `${String(first + k).padStart(8, '0')}.ckpt`), bytes));
  return dir;
}

/**
 * A counter (prints 0..limit-1) checkpointed `count` times, `every`
 * instructions apart: one full image and its increments on disk, and the
 * output a local restore of the chain prints from there on.
 */
export function counterChain(count = 3, every = 5000, limit = 200): ChainOnDisk {
  const { machine } = machineWithOutput();
  machine.load(assemble(counterSource(limit, 20), { fileName: 'counter.s' }));
  const cp = checkpoint({ chainId: '00000000feedf00d' });
  machine.use(cp);
  const bytes: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    machine.run({ maxInstructions: every });
    bytes.push(cp.checkpoint());
  }
  const images = bytes.map((b, k) => ({ name: `${k}`, bytes: b }));
  const local = machineWithOutput();
  restoreCheckpoint(local.machine, images);
  local.machine.run();
  return { dir: writeChain(bytes), images, expected: local.out.text() };
}

/** Base address and size of the big region of {@link bigImage}. */
export const BIG_BASE = 0x4000_0000;

/**
 * One full image of a guest with `size` bytes of anonymous memory, every
 * page written (page k holds k + 1 in its first word), which, run on,
 * reads the first word of `touched` pages from `firstPage` on, `stride`
 * pages apart, and writes their sum (4 bytes, little-endian) to stdout.
 */
export function bigImage(size: number, touched: number, stride = 1, firstPage = 0): { bytes: Uint8Array; expected: number } {
  const { machine } = machineWithOutput(size + (16 << 20));
  machine.load(assemble(`
    .text
    .globl _start
  _start:
    li   t0, ${BIG_BASE + firstPage * 4096}
    li   t1, ${touched}
    li   t2, ${stride * 4096}
    li   s0, 0
  1:
    lw   t3, 0(t0)
    add  s0, s0, t3
    add  t0, t0, t2
    addi t1, t1, -1
    bnez t1, 1b
    addi sp, sp, -16
    sw   s0, 0(sp)
    li   a0, 1
    mv   a1, sp
    li   a2, 4
    li   a7, 64
    ecall
    li   a0, 0
    li   a7, 93
    ecall
  `, { fileName: 'touch.s' }));
  machine.linuxMemory.mmap(BIG_BASE, size, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, -1, 0);
  const word = new Uint8Array(4);
  for (let p = 0; p < size / 4096; p++) {
    new DataView(word.buffer).setUint32(0, p + 1, true);
    machine.addressSpace.writeBytes(BIG_BASE + p * 4096, word);
  }
  const cp = checkpoint();
  machine.use(cp);
  const bytes = cp.checkpoint();
  let expected = 0;
  for (let k = 0; k < touched; k++) expected = (expected + firstPage + k * stride + 1) >>> 0;
  return { bytes, expected };
}

/** The 4-byte little-endian sum a {@link bigImage} guest printed. */
export function printedSum(out: CollectedOutput): number {
  const b = out.bytes();
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
}

/** Runs `body` with `dir` served on a free loopback port; closes the server after. */
export async function withServer<T>(dir: string, body: (server: ImageServer) => Promise<T>): Promise<T> {
  const server = await startImageServer({ dir, port: 0 });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}
