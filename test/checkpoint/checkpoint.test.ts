import { describe, expect, it } from 'vitest';
import { CollectedOutput, MapFlags, PAGE_SIZE, Prot, UsageError, assemble, crc32 } from '../../src/index.js';
import { decodeImage } from '../../src/plugin-kit.js';
import { checkpoint, restoreCheckpoint, type CheckpointContributor, type ImageInput } from '../../handlers/index.js';
import { counterSource, expectSameState, newMachine } from './programs.js';

const ANON = MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed;

describe('crc32', () => {
  it('matches the IEEE check value and continues across pieces', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes)).toBe(0xcbf43926);
    expect(crc32(bytes.subarray(4), crc32(bytes.subarray(0, 4)))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('checkpoint plugin', () => {
  it('restores a counter so that its output continues without gap or repeat', () => {
    const program = assemble(counterSource(400, 10), { fileName: 'counter.s' });
    const outA = new CollectedOutput();
    const a = newMachine({ stdout: outA.sink });
    a.load(program);
    const cp = checkpoint();
    a.use(cp);
    const images: ImageInput[] = [];
    for (let k = 0; k < 4; k++) {
      a.run({ maxInstructions: 7000 });
      images.push({ name: `#${k}`, bytes: cp.checkpoint() });
    }
    const cut = outA.text().length;
    expect(a.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const outB = new CollectedOutput();
    const b = newMachine({ stdout: outB.sink });
    restoreCheckpoint(b, images);
    expect(b.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(outA.text().slice(0, cut) + outB.text()).toBe(Array.from({ length: 400 }, (_, k) => `${k}\n`).join(''));
    expectSameState(a, b);
  });

  it('makes the first image full and the next ones incremental, holding only written pages', () => {
    const program = assemble(counterSource(0, 10), { fileName: 'counter.s' });
    const m = newMachine();
    m.load(program);
    const cp = checkpoint({ chainId: '0123456789abcdef' });
    m.use(cp);
    m.run({ maxInstructions: 1000 });
    const full = decodeImage(cp.checkpoint(), 'full');
    m.run({ maxInstructions: 1000 });
    const inc = decodeImage(cp.checkpoint(), 'inc');
    expect(full.header).toMatchObject({ incremental: false, sequence: 0, parentId: 0, chainId: '0123456789abcdef' });
    expect(inc.header).toMatchObject({ incremental: true, sequence: 1, parentId: full.header.imageId, chainId: '0123456789abcdef' });
    // text, heap and stack have contents; only heap (the number buffer) and stack are saved again
    expect(full.pages.ids.length).toBe(3);
    expect(inc.pages.ids.length).toBe(2);
    expect(cp.checkpoint({ full: true }).length).toBeGreaterThan(0);
    expect(cp.nextSequence).toBe(1);
  });

  it('an incremental image grows with the written pages, not the mapped memory (256 MiB mapped, 1 % written)', () => {
    const SIZE = 256 << 20, BASE = 0x4000_0000, STRIDE = 100 * PAGE_SIZE;
    const pages = Math.ceil(SIZE / STRIDE);
    const m = newMachine({ memoryQuota: 320 << 20 });
    m.load(assemble(`
      .text
      .globl _start
    _start:
      li   t0, ${BASE}
      li   t1, ${pages}
      li   t2, ${STRIDE}
    1:
      sw   t1, 0(t0)
      add  t0, t0, t2
      addi t1, t1, -1
      bnez t1, 1b
      li   a0, 0
      li   a7, 93
      ecall
    `, { fileName: 'one-percent.s' }));
    expect(m.linuxMemory.mmap(BASE, SIZE, Prot.Read | Prot.Write, ANON, -1, 0)).toBe(BASE);
    const ds = m.addressSpace.root.lookup(BASE)!.target;
    if (ds.isRegionMap) throw new Error('expected a dataspace');
    ds.fill(0, SIZE, 0xab);
    const cp = checkpoint();
    m.use(cp);
    const full = cp.checkpoint();
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const started = performance.now();
    const inc = cp.checkpoint();
    const ms = performance.now() - started;
    expect(inc.length / full.length).toBeLessThan(0.03);
    expect(decodeImage(inc, 'inc').pages.ids.length).toBeLessThanOrEqual(pages + 4);
    expect(ms).toBeLessThan(1000);
  });

  it('saves and restores contributed plugin state, and refuses state nobody claims', () => {
    let value = 41;
    const contributor: CheckpointContributor = {
      name: 'answer',
      saveState: () => Uint8Array.of(value),
      restoreState: (bytes) => { value = bytes[0]!; },
    };
    const m = newMachine();
    m.load(assemble(counterSource(0, 0), { fileName: 'c.s' }));
    const cp = checkpoint({ contributors: [contributor] });
    m.use(cp);
    m.run({ maxInstructions: 100 });
    value = 42;
    const images = [{ name: 'a', bytes: cp.checkpoint() }];
    value = 0;
    expect(() => restoreCheckpoint(newMachine(), images)).toThrow(UsageError);
    restoreCheckpoint(newMachine(), images, { contributors: [contributor] });
    expect(value).toBe(42);
  });

  it('refuses to restore into a machine that is not fresh', () => {
    const m = newMachine();
    m.load(assemble(counterSource(0, 0), { fileName: 'c.s' }));
    const cp = checkpoint();
    m.use(cp);
    const images = [{ name: 'a', bytes: cp.checkpoint() }];
    expect(() => restoreCheckpoint(m, images)).toThrow(/not fresh|already runs/);
  });

  it('restores guest fault handler registrations, nested region maps and sealed dataspaces', () => {
    const HOLE = 0x5000_0000;
    const source = `
      .text
      .globl _start
    _start:
      la   a0, handler
      li   a1, 0
      li   a7, 0x1000
      ecall
      li   s0, 0
    loop:
      li   t0, ${HOLE}
      lw   t1, 0(t0)          # faults; the handler skips it with a1 = 7
      add  s0, s0, a1
      li   t2, 200
      addi s1, s1, 1
      blt  s1, t2, loop
      mv   a0, s0
      andi a0, a0, 255
      li   a7, 93
      ecall
    handler:
      lw   t0, 128(a0)        # ctx->pc
      addi t0, t0, 4
      sw   t0, 128(a0)
      li   t0, 7
      sw   t0, 44(a0)         # ctx->regs[11] = a1 = 7
      li   a0, 1
      ret
    `;
    const build = (m: ReturnType<typeof newMachine>) => {
      const managed = m.addressSpace.createRegionMap(4 * PAGE_SIZE, { name: 'managed' });
      const sealed = m.addressSpace.createDataspace(PAGE_SIZE, { name: 'rom' });
      sealed.write(0, new TextEncoder().encode('read only'));
      sealed.seal();
      managed.attach(sealed, { at: PAGE_SIZE, writable: false });
      m.addressSpace.root.attach(managed, { at: 0x6000_0000 });
    };
    const a = newMachine();
    a.load(assemble(source, { fileName: 'guest-handler.s' }));
    build(a);
    const cp = checkpoint();
    a.use(cp);
    const images: ImageInput[] = [];
    for (let k = 0; k < 3; k++) {
      a.run({ maxInstructions: 1500 });
      images.push({ name: `#${k}`, bytes: cp.checkpoint() });
    }
    const resultA = a.run();
    for (const lazy of [false, true]) {
      const b = newMachine();
      const { lazy: pending } = restoreCheckpoint(b, images, { lazy });
      expect(b.guestHandlers.list().map((g) => g.fn)).toEqual(a.guestHandlers.list().map((g) => g.fn));
      expect(b.run()).toEqual(resultA);
      pending?.complete();
      expectSameState(a, b);
      expect(new TextDecoder().decode(b.addressSpace.readBytes(0x6000_1000, 9))).toBe('read only');
    }
  });
});

describe('lazy restore', () => {
  it('touches only the pages the program uses, and completes to the exact state', () => {
    const BIG = 0x4000_0000, SIZE = 4 << 20;
    const source = `
      .text
      .globl _start
    _start:
      li   t0, ${BIG + 3 * PAGE_SIZE}
      lw   a0, 0(t0)
      andi a0, a0, 255
      li   a7, 93
      ecall
    `;
    const a = newMachine();
    a.load(assemble(source, { fileName: 'sparse.s' }));
    a.linuxMemory.mmap(BIG, SIZE, Prot.Read | Prot.Write, ANON, -1, 0);
    const ds = a.addressSpace.root.lookup(BIG)!.target;
    if (ds.isRegionMap) throw new Error('expected a dataspace');
    for (let p = 0; p < SIZE / PAGE_SIZE; p++) ds.fill(p * PAGE_SIZE, 4, p + 1);
    const cp = checkpoint();
    a.use(cp);
    const images = [{ name: 'only', bytes: cp.checkpoint() }];
    const b = newMachine();
    const { lazy } = restoreCheckpoint(b, images, { lazy: true });
    expect(b.run()).toEqual({ kind: 'exit', exitCode: 4 });
    expect(lazy!.pagesTotal).toBeGreaterThan(1000);
    expect(lazy!.pagesServed).toBeLessThanOrEqual(4);
    lazy!.complete();
    expect(lazy!.pagesServed).toBe(lazy!.pagesTotal);
    a.run();
    expectSameState(a, b);
    // After completion the memory is owned anonymous memory again: munmap gives the quota back.
    const before = b.memory.reserved;
    expect(b.linuxMemory.munmap(BIG, SIZE)).toBe(0);
    expect(b.memory.reserved).toBe(before - SIZE);
  });

  it('a corrupted page is reported when first touched, naming the image and offset', () => {
    const a = newMachine();
    a.load(assemble(counterSource(3, 0), { fileName: 'c.s' }));
    const cp = checkpoint();
    a.use(cp);
    a.run({ maxInstructions: 10 });
    const bytes = cp.checkpoint();
    const image = decodeImage(bytes, 'x');
    bytes[image.pages.dataOffset + 16]! ^= 1; // the first page: the program text
    const b = newMachine();
    restoreCheckpoint(b, [{ name: 'bad.ckpt', bytes }], { lazy: true });
    expect(() => b.run()).toThrow(/bad\.ckpt: offset 0x[0-9a-f]{8}: page 0 of dataspace \d+ is corrupted/);
  });
});
