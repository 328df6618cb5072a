/**
 * An incremental checkpoint looks at the pages marked since the previous
 * image (the dirty log's, the stack's), not at every page: its cost is
 * O(dirty), counted through the plugin's `pagesVisited` test hook (not
 * timed). A dataspace whose pages gained or lost contents without a
 * guest write (a host write, a discard) is walked again, so such pages
 * are still saved.
 */
import { describe, expect, it } from 'vitest';
import { assemble, type Machine } from '../../src/index.js';
import { checkpoint, restoreCheckpoint, type Checkpointer } from '../../handlers/index.js';
import { RegionWalk, decodeImage, frameGeneration, walkRegions } from '../../src/plugin-kit.js';
import { dirtierSource } from '../../bench/programs/dirtier.js';
import { expectSameState, newMachine } from './programs.js';

/** Resident pages of the guest: far more than the stack's 2048. */
const PAGES = 8192;

/** A dirtier with PAGES resident pages, all touched, and a checkpoint plugin with a full image taken. */
function start(): { machine: Machine; cp: Checkpointer; images: Uint8Array[] } {
  const machine = newMachine();
  machine.load(assemble(dirtierSource({ pages: PAGES, steps: 0, spin: 50, printEvery: 1 << 30 }), { fileName: 'dirtier.s' }));
  machine.run({ maxInstructions: PAGES * 5 + 200 });
  const cp = checkpoint();
  machine.use(cp);
  return { machine, cp, images: [cp.checkpoint()] };
}

const visits = (cp: Checkpointer): number => (cp as unknown as { pagesVisited: number }).pagesVisited;

describe('incremental checkpoint cost', () => {
  it('looks only at the marked pages when no page gained or lost contents', () => {
    const { machine, cp, images } = start();
    expect(visits(cp)).toBeGreaterThanOrEqual(PAGES); // the full image walks every page
    machine.run({ maxInstructions: 20 * 130 }); // about 20 steps: at most 20 pages written
    images.push(cp.checkpoint());
    const held = decodeImage(images[1]!, '#1').pages.ids.length;
    expect(held).toBeGreaterThan(0);
    // The stack's 2048 pages are always marked (its pages are saved whole), plus at most 20 written ones.
    expect(visits(cp)).toBeLessThanOrEqual(2048 + 20 + 64);
    expect(visits(cp)).toBeLessThan(PAGES / 2);
    const copy = newMachine();
    restoreCheckpoint(copy, images.map((bytes, k) => ({ name: `#${k}`, bytes })));
    expectSameState(machine, copy);
  });

  it('walks a dataspace again when a page got contents without a guest write, and saves that page', () => {
    const machine = newMachine();
    machine.load(assemble(dirtierSource({ pages: PAGES, steps: 0, spin: 50, printEvery: 1 << 30 }), { fileName: 'dirtier.s' }));
    machine.run({ maxInstructions: PAGES * 5 + 200 });
    const w = new RegionWalk();
    expect(walkRegions(machine.addressSpace.root, machine.cpu.x[8]! >>> 0, w)).toBe(true); // s0: the resident pages
    const ds = w.dataspace!;
    const page = w.dataspaceOffset / 4096 + 5;
    ds.discard(page, 1); // no contents when the full image is taken
    const cp = checkpoint();
    machine.use(cp);
    const images = [cp.checkpoint()];
    const before = frameGeneration(ds);
    // A host write gives the page contents and raises no fault: the dirty log does not see it.
    ds.write(page * 4096, new Uint8Array([1, 2, 3, 4]));
    expect(frameGeneration(ds)).not.toBe(before);
    images.push(cp.checkpoint());
    expect(visits(cp)).toBeGreaterThanOrEqual(PAGES);
    const image = decodeImage(images[1]!, '#1');
    const id = image.layout.dataspaces.find((r) => r.size === ds.size)!.id;
    const held = [...image.pages.ids].map((x, k) => `${x}:${image.pages.pages[k]}`);
    expect(held).toContain(`${id}:${page}`);
    const copy = newMachine();
    restoreCheckpoint(copy, images.map((bytes, k) => ({ name: `#${k}`, bytes })));
    expectSameState(machine, copy);
    // Unchanged since: the next image looks at the marked pages only again.
    images.push(cp.checkpoint());
    expect(visits(cp)).toBeLessThan(PAGES / 2);
  });
});
