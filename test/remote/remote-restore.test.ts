import { describe, expect, it } from 'vitest';
import { FormatError, Machine } from '../../src/index.js';
import { RemoteImageError, decodeTouchOrder, encodeTouchOrder, openRemoteChain, restoreRemote } from '../../handlers/index.js';
import { BIG_BASE, bigImage, counterChain, machineWithOutput, printedSum, withServer, writeChain } from './remote-helpers.js';

describe('restore from images over HTTP', () => {
  const chain = counterChain();

  it('a lazy restore from a directory URL prints what a local restore prints (small images come whole with their first read)', async () => {
    await withServer(chain.dir, async (server) => {
      const { machine, out } = machineWithOutput();
      const remote = await restoreRemote(machine, [server.url], { lazy: true });
      expect(remote.chain.images.map((i) => i.url)).toEqual([0, 1, 2].map((k) => `${server.url}0000000${k}.ckpt`));
      expect(await machine.runAsync({ timeoutMs: remote.waitBoundMs })).toEqual({ kind: 'exit', exitCode: 0 });
      expect(out.text()).toBe(chain.expected);
      expect(remote.demandFaults).toBe(0);
      expect(remote.chain.stats.pageBytes).toBe(0);
      expect(remote.chain.stats.requests).toBe(3);
    });
  });

  it('one image URL brings the images before it; explicit URLs are the chain; an eager restore needs no server after', async () => {
    await withServer(chain.dir, async (server) => {
      for (const urls of [[`${server.url}00000002.ckpt`], [0, 1, 2].map((k) => `${server.url}0000000${k}.ckpt`)]) {
        const { machine, out } = machineWithOutput();
        const remote = await restoreRemote(machine, urls, { lazy: true });
        expect(remote.chain.images).toHaveLength(3);
        await machine.runAsync({ timeoutMs: remote.waitBoundMs });
        expect(out.text()).toBe(chain.expected);
      }
      const { machine, out } = machineWithOutput();
      const remote = await restoreRemote(machine, [server.url]);
      expect(remote.lazy).toBeNull();
      await server.close();
      expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
      expect(out.text()).toBe(chain.expected);
    });
  });

  it('opening a chain reads the sections of each image but no page (two requests: the first 64 KiB and END)', async () => {
    const { bytes } = bigImage(4 << 20, 1);
    await withServer(writeChain([bytes]), async (server) => {
      const opened = await openRemoteChain([server.url]);
      expect(opened.stats.pageBytes).toBe(0);
      expect(opened.stats.requests).toBeLessThanOrEqual(3);
      expect(server.stats.bytesSent).toBeLessThan(opened.stats.bytes + 1024); // and the directory listing
      expect(opened.stats.bytes).toBeLessThan(bytes.length / 20);
    });
  });

  it('complete() brings the rest and leaves a machine that no longer needs the server', async () => {
    await withServer(chain.dir, async (server) => {
      const { machine, out } = machineWithOutput();
      const remote = await restoreRemote(machine, [server.url], { lazy: true });
      await machine.runAsync({ maxInstructions: 2000, timeoutMs: remote.waitBoundMs });
      await remote.complete();
      expect(remote.lazy!.active).toBe(false);
      await server.close();
      expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
      expect(out.text()).toBe(chain.expected);
    });
  });

  it('refuses a URL that is not an image chain, naming the URL', async () => {
    const dir = writeChain([chain.images[1]!.bytes], 5);
    await withServer(dir, async (server) => {
      await expect(restoreRemote(new Machine(), [`${server.url}missing.ckpt`], { lazy: true })).rejects.toThrow(
        new RegExp(`^${server.url}missing\\.ckpt: bytes 0-65535 \\(header and sections\\): HTTP 404`),
      );
      // An increment whose predecessors are not there.
      await expect(restoreRemote(new Machine(), [`${server.url}00000005.ckpt`], { lazy: true })).rejects.toThrow(/00000004\.ckpt.*HTTP 404/);
      await expect(restoreRemote(new Machine(), [server.url], { lazy: true })).rejects.toBeInstanceOf(RemoteImageError);
    });
    const junk = writeChain([new TextEncoder().encode('not an image at all, just text')]);
    await withServer(junk, async (server) => {
      const err = await restoreRemote(new Machine(), [server.url], { lazy: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FormatError);
      expect((err as Error).message).toBe(`${server.url}00000000.ckpt: offset 0x00000000: not a faultline checkpoint image (bad magic number)`);
    });
  });
});

describe('lazy restore of a large image over HTTP', () => {
  it('of a 64 MiB image where the guest touches 5 %, fetches at most 6 % of the page bytes (counted at the server)', async () => {
    const SIZE = 64 << 20, PAGES = SIZE / 4096, TOUCHED = Math.floor(PAGES * 0.05);
    const { bytes, expected } = bigImage(SIZE, TOUCHED, 1, 4096);
    const dir = writeChain([bytes]);
    await withServer(dir, async (server) => {
      const { machine, out } = machineWithOutput(SIZE + (16 << 20));
      const remote = await restoreRemote(machine, [server.url], { lazy: true });
      expect(await machine.runAsync({ timeoutMs: remote.waitBoundMs })).toEqual({ kind: 'exit', exitCode: 0 });
      expect(printedSum(out)).toBe(expected);
      // Everything the server sent: sections, index and pages.
      expect(server.stats.bytesSent).toBeLessThanOrEqual(0.06 * SIZE);
      expect(remote.chain.stats.pageBytes).toBeGreaterThanOrEqual(TOUCHED * 4096);
      // Readahead: sequential faults share requests.
      expect(remote.demandFaults).toBeLessThan(TOUCHED / 4);
    });
  });
});

describe('working-set prefetch', () => {
  it('a restore records the first-touch order; a later restore prefetching it has at least 90 % fewer demand faults', async () => {
    const SIZE = 4 << 20, TOUCHED = 300, STRIDE = 3;
    const { bytes, expected } = bigImage(SIZE, TOUCHED, STRIDE);
    const dir = writeChain([bytes]);
    await withServer(dir, async (server) => {
      const first = machineWithOutput(SIZE + (16 << 20));
      const recorded = await restoreRemote(first.machine, [server.url], { lazy: true, recordOrder: true });
      await first.machine.runAsync({ timeoutMs: recorded.waitBoundMs });
      expect(printedSum(first.out)).toBe(expected);
      const order = decodeTouchOrder(encodeTouchOrder(recorded.touchOrder()), 'order.json');
      expect(order.pages.length).toBeGreaterThanOrEqual(TOUCHED);
      // All but the few pages the first 64 KiB read brought.
      expect(recorded.demandFaults).toBeGreaterThanOrEqual(TOUCHED - 16);

      const second = machineWithOutput(SIZE + (16 << 20));
      const prefetching = await restoreRemote(second.machine, [server.url], { lazy: true, prefetch: order });
      await prefetching.prefetched;
      await second.machine.runAsync({ timeoutMs: prefetching.waitBoundMs });
      expect(printedSum(second.out)).toBe(expected);
      expect(prefetching.demandFaults).toBeLessThanOrEqual(recorded.demandFaults * 0.1);
      // The prefetch brought what the order named, not the whole image.
      expect(prefetching.chain.stats.pageBytes).toBeLessThan(SIZE / 2);
      expect(BIG_BASE).toBeGreaterThan(0);
    });
  });

  it('a touch-order file that is not one is refused naming it', () => {
    expect(() => decodeTouchOrder('{"format":"x"}', 'o.json')).toThrow(/^o\.json: not a touch-order file/);
    expect(() => decodeTouchOrder('{"format":"faultline-touch-order","version":1,"chain":"00000000feedf00d","pages":[1]}', 'o.json')).toThrow(/pairs/);
  });
});
