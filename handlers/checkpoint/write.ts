/**
 * Write: one image of the machine as it is now — identity, hart, threads, layout,
 * guest handlers, exception table, capability space, plugin state and the selected pages —
 * encoded by the plugin kit's encodeImage.
 */

import type { LayoutState, Machine } from '../../src/index.js';
import { captureHandleSpace, captureTree } from '../../src/index.js';
import { captureThreads, encodeImage, type ImageIdentity, type ImagePageSource } from '../../src/plugin-kit.js';

/**
 * Encodes `machine` (a program loaded) as an image with `identity`, its
 * captured `layout`, contributors' state and the `pages` chosen by
 * capture, with the handle space and the file tree (what changed since
 * file-system generation `treeSince`; 0: all of it). Never changes the machine.
 */
export function writeImage(machine: Machine, identity: ImageIdentity, layout: LayoutState, plugins: ReadonlyMap<string, Uint8Array>, pages: ImagePageSource, treeSince: number): Uint8Array {
  const cpu = machine.cpu;
  return encodeImage({
    identity,
    meta: { memoryQuota: machine.memory.quota, exitCode: machine.exitCode, programName: machine.program!.name, programEntry: machine.program!.entry },
    cpu: {
      regs: cpu.x.subarray(0, 32),
      pc: cpu.pc,
      instret: cpu.instret,
      reservationValid: cpu.reservationValid,
      reservationAddress: cpu.reservationAddress,
      reservationValue: cpu.reservationValue,
    },
    threads: captureThreads(machine),
    layout,
    guestHandlers: { functions: machine.guestHandlers.list().map((g) => g.fn), instructionLimit: machine.guestHandlers.instructionLimit },
    exceptionTable: machine.exceptionTable === null ? null : machine.exceptionTable.entries(),
    capabilities: { handles: captureHandleSpace(machine), tree: captureTree(machine.fileSystem, treeSince) },
    plugins,
    pages,
  });
}

/** A fresh image id: random, nonzero, and not the parent's. */
export function newImageId(parentId: number): number {
  const id = randomWord();
  return id === parentId ? (id + 1) >>> 0 || 1 : id;
}

/** A fresh chain id: 16 random hex digits. */
export function newChainId(): string {
  return randomWord().toString(16).padStart(8, '0') + randomWord().toString(16).padStart(8, '0');
}

/** A random nonzero 32-bit word (Web Crypto where present). */
function randomWord(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  let v = 0;
  while (v === 0) {
    if (c?.getRandomValues !== undefined) v = c.getRandomValues(new Uint32Array(1))[0]!;
    else v = Math.floor(Math.random() * 2 ** 32) >>> 0;
  }
  return v;
}
