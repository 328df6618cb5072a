/**
 * Fuzzing checkpoint images end to end: random bytes and mutations of
 * valid chains — word overwrites with boundary values, bit flips,
 * truncations, duplicated, swapped and dropped sections, length and count
 * fields set to huge values — with every checksum recomputed afterwards,
 * so that the structural checks, not the CRCs, decide. Each mutated chain
 * is decoded, planned and eagerly restored into a fresh machine with the
 * image's quota, then restored lazily through the checkpoint plugin and
 * completed (a chain whose structure — quota, layout, handlers,
 * exception table, page records — equals its seed's, only its register or
 * page contents changed, is restored one time in ten: building a fresh
 * Machine dominates the cost and such a restore is the seed's again). The only outcomes allowed are a restored machine or a
 * one-line FormatError naming the mutated file and an offset; never
 * another error, a hang, or a host allocation an image merely claims.
 *
 * 11,000 cases in CI (CI=1), a fifth of that locally. Each property
 * may take minutes on a loaded machine (a fresh Machine alone costs
 * milliseconds), so the suite's timeout is generous: only a hang fails it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_SIZE, SECTION_HEADER_SIZE, SectionTag } from '../../src/checkpoint/image-format.js';
import { FormatError, Machine, PAGE_SIZE, assemble, type DecodedImage } from '../../src/index.js';
import { decodeImage, planRestore, restoreMachine } from '../../src/plugin-kit.js';
import { checkpoint, restoreCheckpoint, type ImageInput } from '../../handlers/index.js';
import { concat, refreshCrcs, refreshFraming, sectionBytes, sectionsOf } from './image-surgery.js';
import { counterSource, newMachine } from './programs.js';

/** Cases per property: CI runs the full count, a local run a fifth. */
const scale = process.env.CI ? 1 : 0.2;
const runs = (ci: number) => Math.max(50, Math.round(ci * scale));
const stats = { cases: 0, restored: 0, planned: 0, refused: 0, slowestMs: 0, started: 0 };

/** A guest that registers a fault handler, uses an exception table and the heap. */
const RICH_SOURCE = `
  .text
  .globl _start
_start:
  la   a0, handler
  li   a1, 0
  li   a7, 0x1000
  ecall
  li   s1, 0
loop:
  li   t0, 0x50000000
1:
  lw   t1, 0(t0)
2:
  .extable 1b, 2b
  addi s1, s1, 1
  j    loop
handler:
  lw   t0, 128(a0)
  addi t0, t0, 4
  sw   t0, 128(a0)
  li   a0, 1
  ret
`;

/** Valid chains to mutate: a counter (base + 2 increments) and a rich layout (base + 1 increment). */
const chains: ImageInput[][] = [];
/** Structure key of each seed image, by name. */
const seedStructure = new Map<string, string>();

/** Everything of `image` that shapes a restore, as one string (register and page contents excluded). */
function structureOf(image: DecodedImage): string {
  return JSON.stringify(
    [image.meta, image.layout, image.guestHandlers, image.exceptionTable, image.pages.ids, image.pages.pages, [...image.plugins.keys()]],
    (_, v: unknown) => (v instanceof Uint32Array ? Array.from(v) : v),
  );
}

beforeAll(() => {
  stats.started = performance.now();
  const cliState = { name: 'faultline-cli', saveState: () => new TextEncoder().encode('{"stdoutBytes":3,"stderrBytes":0,"every":1000,"fullEvery":4}'), restoreState: () => {} };
  {
    const m = newMachine();
    m.load(assemble(counterSource(0, 50), { fileName: 'counter.s' }));
    const cp = checkpoint({ contributors: [cliState] });
    m.use(cp);
    const chain: ImageInput[] = [];
    for (let k = 0; k < 3; k++) {
      m.run({ maxInstructions: 5000 });
      chain.push({ name: `counter-${k}.ckpt`, bytes: cp.checkpoint() });
    }
    chains.push(chain);
  }
  {
    const m = newMachine();
    m.load(assemble(RICH_SOURCE, { fileName: 'rich.s' }));
    const as = m.addressSpace;
    const managed = as.createRegionMap(8 * PAGE_SIZE, { name: 'managed' });
    const inner = as.createRegionMap(4 * PAGE_SIZE, { name: 'inner' });
    const rom = as.createDataspace(2 * PAGE_SIZE, { name: 'rom' });
    rom.write(0, new TextEncoder().encode('read only'));
    rom.seal();
    inner.attach(rom, { at: PAGE_SIZE, writable: false, name: 'rom view' });
    managed.attach(inner, { at: 2 * PAGE_SIZE, size: 4 * PAGE_SIZE });
    as.root.attach(managed, { at: 0x6000_0000, executable: false });
    const at = m.linuxMemory.mmap(0x3000_0000, 8 * PAGE_SIZE, 3, 0x32, -1, 0);
    as.writeBytes(at, new Uint8Array(8 * PAGE_SIZE).fill(7));
    m.linuxMemory.munmap(at + 2 * PAGE_SIZE, 2 * PAGE_SIZE);
    m.linuxMemory.mprotect(at + 5 * PAGE_SIZE, PAGE_SIZE, 1);
    const cp = checkpoint({ contributors: [cliState] });
    m.use(cp);
    const chain: ImageInput[] = [];
    for (let k = 0; k < 2; k++) {
      m.run({ maxInstructions: 3000 });
      chain.push({ name: `rich-${k}.ckpt`, bytes: cp.checkpoint() });
    }
    chains.push(chain);
  }
  // The seeds restore.
  for (const chain of chains) {
    for (const img of chain) seedStructure.set(img.name, structureOf(decodeImage(img.bytes, img.name)));
    outcome(chain, chain[0]!.name);
  }
  expect(stats.restored).toBe(chains.length);
});

afterAll(() => {
  const seconds = ((performance.now() - stats.started) / 1000).toFixed(1);
  console.log(`image fuzz: ${stats.cases} cases (${stats.restored} restored, ${stats.planned} planned only, ${stats.refused} refused) in ${seconds} s, slowest ${stats.slowestMs.toFixed(0)} ms${scale < 1 ? ' (CI runs 5x more)' : ''}`);
});

/**
 * Decodes, plans and eagerly restores `images`; passes when that works or
 * throws a one-line FormatError naming `blamed` (the mutated image) and an
 * offset. Throws anything else.
 */
function outcome(images: readonly ImageInput[], blamed: string): void {
  const started = performance.now();
  stats.cases++;
  try {
    const plan = planRestore(images.map((i) => decodeImage(i.bytes, i.name)));
    const seedLike = plan.images.every((img) => seedStructure.get(img.name) === structureOf(img));
    if (seedLike && stats.cases % 10 !== 0 && stats.restored >= chains.length) {
      stats.planned++;
      return;
    }
    const machine = new Machine({ memoryQuota: plan.last.meta.memoryQuota });
    restoreMachine(machine, plan);
    expect(machine.cpu.pc).toBe(plan.last.cpu.pc);
    // The same chain restored lazily through the plugin, then completed, must work too.
    const lazyMachine = new Machine({ memoryQuota: plan.last.meta.memoryQuota });
    restoreCheckpoint(lazyMachine, images, { lazy: true, ignoreUnclaimedState: true }).lazy!.complete();
    expect(lazyMachine.cpu.pc).toBe(plan.last.cpu.pc);
    stats.restored++;
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    expect(error.message).toMatch(/^[\w.-]+\.ckpt: offset 0x[0-9a-f]{8}: \S/);
    expect(error.message).not.toMatch(/[\n\r\x1b]/);
    // A chain refused for a mutated image names that image, or a later one that no longer follows it.
    const named = error.message.slice(0, error.message.indexOf(':'));
    const order = images.map((i) => i.name);
    expect(order.indexOf(named)).toBeGreaterThanOrEqual(order.indexOf(blamed));
    stats.refused++;
  } finally {
    stats.slowestMs = Math.max(stats.slowestMs, performance.now() - started);
  }
}

/** Applies `mutate` to image `which` of chain `c` (a copy) and checks the outcome. */
function mutateAndCheck(c: number, which: number, mutate: (bytes: Uint8Array) => Uint8Array): void {
  const chain = chains[c % chains.length]!;
  const i = which % chain.length;
  const target = chain[i]!;
  const bytes = mutate(target.bytes.slice());
  outcome(chain.map((img, k) => (k === i ? { name: img.name, bytes } : img)), target.name);
}

/** Values that sit on the edges of the format's fields. */
const BOUNDARY = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0x2000, 0xffff, 0x10000, 0x100000,
  0x400000, 0x3fffffff, 0x40000000, 0x60000000, 0x7fffffff, 0x80000000, 0xc0000000, 0xfffff000, 0xfffffffc, 0xffffffff,
  (2 ** 20) << 2, ((2 ** 20) << 2) | 1, ((2 ** 20) << 2) | 2, (1 << 2) | 1, (1 << 2) | 3, 0xffffe000,
];
const u32Value = fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat({ max: 0xffffffff }), fc.nat({ max: 64 }));

/** Word offsets inside the payload of a section other than PDAT (where the structure is). */
function structuredWords(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const s of sectionsOf(bytes)) {
    if (s.tag === SectionTag.PageData) continue;
    for (let at = s.at + SECTION_HEADER_SIZE; at + 4 <= Math.min(bytes.length, s.at + SECTION_HEADER_SIZE + s.length); at += 4) out.push(at);
  }
  return out;
}

const setU32 = (bytes: Uint8Array, at: number, v: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, v >>> 0, true);

/** Per-property timeout: far above any honest run, so that only a hang trips it. */
const TIMEOUT_MS = 30 * 60_000;

describe('checkpoint images under fuzzing (CRCs recomputed, decode + plan + eager restore)', { timeout: TIMEOUT_MS }, () => {
  it('refuses random bytes, with and without a valid header in front', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), fc.nat(), (junk, header, c) => {
        const seed = chains[c % chains.length]![0]!;
        const bytes = header ? refreshFraming(concat([seed.bytes.subarray(0, HEADER_SIZE), junk])) : junk;
        outcome([{ name: 'junk.ckpt', bytes }], 'junk.ckpt');
      }),
      { numRuns: runs(2000) },
    );
  });

  it('survives words of the structured sections overwritten with boundary values', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.array(fc.tuple(fc.nat(), u32Value), { minLength: 1, maxLength: 4 }), (c, which, writes) => {
        mutateAndCheck(c, which, (bytes) => {
          const words = structuredWords(bytes);
          for (const [w, v] of writes) setU32(bytes, words[w % words.length]!, v);
          return refreshCrcs(bytes);
        });
      }),
      { numRuns: runs(3000) },
    );
  });

  it('survives bit flips in the structured sections and the headers, checksums recomputed', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 31 }), fc.boolean()), { minLength: 1, maxLength: 6 }), (c, which, flips) => {
        mutateAndCheck(c, which, (bytes) => {
          const words = structuredWords(bytes);
          const headers = sectionsOf(bytes).flatMap((s) => [s.at, s.at + 4]);
          for (const [w, bit, inHeader] of flips) {
            const at = inHeader ? (w % 2 === 0 ? (w >>> 1) % (HEADER_SIZE / 4) * 4 : headers[(w >>> 1) % headers.length]!) : words[w % words.length]!;
            bytes[at + (bit >>> 3)]! ^= 1 << (bit & 7);
          }
          return refreshCrcs(bytes);
        });
      }),
      { numRuns: runs(2000) },
    );
  });

  it('survives truncation at any offset, with the header claiming the new size', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (c, which, cut) => {
        mutateAndCheck(c, which, (bytes) => refreshFraming(bytes.slice(0, Math.max(HEADER_SIZE, cut % bytes.length))));
      }),
      { numRuns: runs(1500) },
    );
  });

  it('survives sections duplicated, swapped or dropped, with counts and sizes made consistent', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.constantFrom('duplicate', 'swap', 'drop'), fc.nat(), fc.nat(), (c, which, op, a, b) => {
        mutateAndCheck(c, which, (bytes) => {
          const parts = sectionsOf(bytes).map((s) => sectionBytes(bytes, s));
          const i = a % parts.length, j = b % parts.length;
          if (op === 'duplicate') parts.splice(i, 0, parts[i]!);
          else if (op === 'drop') parts.splice(i, 1);
          else [parts[i], parts[j]] = [parts[j]!, parts[i]!];
          return refreshFraming(concat([bytes.subarray(0, HEADER_SIZE), ...parts]));
        });
      }),
      { numRuns: runs(1000) },
    );
  });

  it('survives section lengths and counts set to huge values', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.boolean(), fc.constantFrom(0xffffffff, 0xfffffffc, 0x7ffffffc, 0x10000000, 0x100000), (c, which, pick, header, huge) => {
        mutateAndCheck(c, which, (bytes) => {
          const sections = sectionsOf(bytes);
          const s = sections[pick % sections.length]!;
          // Either the section's length field, or the first word of its payload (the count of most sections).
          setU32(bytes, header ? s.at + 4 : s.at + SECTION_HEADER_SIZE, huge);
          return refreshCrcs(bytes);
        });
      }),
      { numRuns: runs(1000) },
    );
  });

  it('survives the chain itself reordered, cut or mixed with the other chain', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }), (picks) => {
        const all = picks.map(([c, i]) => {
          const chain = chains[c % chains.length]!;
          return chain[i % chain.length]!;
        });
        // One file cannot appear twice in a directory: keep the first of each name.
        const images = all.filter((img, k) => all.findIndex((other) => other.name === img.name) === k);
        outcome(images, images[0]!.name);
      }),
      { numRuns: runs(500) },
    );
  });
});
