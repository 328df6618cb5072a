/**
 * Crafted checkpoint images with valid checksums: each claim an attacker
 * can make (huge sizes, orphans, deep nesting, endless limits, terminal
 * escapes in names, a bad quota, broken plugin state) is refused with one
 * line naming the file and the offset — before anything is allocated or
 * looped over in proportion to the claim — or, where the claim is
 * legitimate (deep nesting), handled without recursion.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_LAYOUT_PAGES } from '../../src/checkpoint/layout-reader.js';
import { decodePluginCounts, decodePluginJson, pluginStateOffset } from '../../src/checkpoint/plugin-state.js';
import { FormatError, Machine, MAX_QUOTA, PAGE_SIZE, PageState, assemble, hex32, type DataspaceRecord, type DecodedImage, type LayoutState, type RegionMapRecord } from '../../src/index.js';
import { decodeImage, planRestore, restoreMachine } from '../../src/plugin-kit.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/index.js';
import { counterSource, newMachine } from './programs.js';
import { reencode } from './image-surgery.js';

const NAME = 'crafted.ckpt';
const CLI_KEYS = ['stdoutBytes', 'stderrBytes', 'every', 'fullEvery'] as const;
/** Run-list word of `count` pages in `state`. */
const run = (count: number, state: number) => ((count << 2) | state) >>> 0;

let base: DecodedImage;
let increment: DecodedImage;

beforeAll(() => {
  const m = newMachine();
  m.load(assemble(counterSource(0, 50), { fileName: 'counter.s' }));
  const cp = checkpoint({ contributors: [{ name: 'faultline-cli', saveState: () => new TextEncoder().encode('{"stdoutBytes":3,"stderrBytes":0,"every":1000,"fullEvery":4}'), restoreState: () => {} }] });
  m.use(cp);
  m.run({ maxInstructions: 5000 });
  base = decodeImage(cp.checkpoint(), 'base.ckpt');
  m.run({ maxInstructions: 5000 });
  increment = decodeImage(cp.checkpoint(), 'increment.ckpt');
});

/** The FormatError decoding `bytes` as `NAME` throws; fails the test unless it is one line naming the file and an offset. */
function refusal(bytes: Uint8Array): FormatError {
  let error: unknown;
  try {
    decodeImage(bytes, NAME);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(FormatError);
  const message = (error as Error).message;
  expect(message).toMatch(/^crafted\.ckpt: offset 0x[0-9a-f]{8}: \S/);
  expect(message).not.toMatch(/[\n\r\x1b\x9b]/);
  return error as FormatError;
}

/** `base` with its layout changed. */
function withLayout(change: (l: LayoutState) => Partial<LayoutState>, from: DecodedImage = base): Uint8Array {
  return reencode(from, { layout: { ...from.layout, ...change(from.layout) } });
}

const root = (l: LayoutState) => l.maps[l.maps.length - 1]!;

describe('images whose claims exceed the image, the quota or the host bookkeeping bound', () => {
  it('refuses 10,000 unattached 4 GiB region maps by the layout page bound, before building any', () => {
    const maps: RegionMapRecord[] = Array.from({ length: 10_000 }, (_, k) => ({ id: 100 + k, size: 2 ** 32, name: 'm', regions: [] }));
    const e = refusal(withLayout((l) => ({ maps: [...maps, ...l.maps] })));
    expect(e.message).toContain(`the layout spans more than ${MAX_LAYOUT_PAGES} pages`);
  });

  it('refuses unattached region maps and dataspaces, however small', () => {
    const orphanMap = refusal(withLayout((l) => ({ maps: [{ id: 100, size: PAGE_SIZE, name: 'orphan', regions: [] }, ...l.maps] })));
    expect(orphanMap.message).toContain('region map 100 "orphan" is not attached anywhere reachable from the root');
    const orphanDs: DataspaceRecord = { id: 100, size: PAGE_SIZE, name: 'lost', runs: Uint32Array.of(run(1, PageState.Zero)), writable: true, shared: false, owned: false };
    expect(refusal(withLayout((l) => ({ dataspaces: [...l.dataspaces, orphanDs] }))).message).toContain('dataspace 100 "lost" is not attached anywhere');
  });

  it('refuses 600 dataspaces of 4 GiB at the first one, bigger than the quota', () => {
    const huge = Array.from({ length: 600 }, (_, k): DataspaceRecord => ({
      id: 100 + k, size: 2 ** 32, name: `big${k}`, runs: Uint32Array.of(run(2 ** 20, PageState.Zero)), writable: true, shared: false, owned: false,
    }));
    const e = refusal(withLayout((l) => ({ dataspaces: [...l.dataspaces, ...huge] })));
    expect(e.message).toContain(`dataspace 100 has size ${2 ** 32}, more than the memory quota ${base.meta.memoryQuota}`);
  });

  it('refuses dataspaces that together reserve more than the quota, each within it', () => {
    const quota = base.meta.memoryQuota;
    const big = Array.from({ length: 600 }, (_, k): DataspaceRecord => ({
      id: 100 + k, size: quota, name: `big${k}`, runs: Uint32Array.of(run(quota / PAGE_SIZE, PageState.Zero)), writable: true, shared: false, owned: false,
    }));
    expect(refusal(withLayout((l) => ({ dataspaces: [...l.dataspaces, ...big] }))).message).toMatch(/the dataspaces reserve \d+ bytes, more than the memory quota/);
  });

  it('refuses an incremental image claiming 2·10^11 pages of contents, at its first oversized dataspace', () => {
    const count = Math.ceil(2e11 / 2 ** 20);
    const claims = Array.from({ length: count }, (_, k): DataspaceRecord => ({
      id: 100 + k, size: 2 ** 32, name: '', runs: Uint32Array.of(run(2 ** 20, PageState.Data)), writable: true, shared: false, owned: false,
    }));
    const e = refusal(withLayout((l) => ({ dataspaces: [...l.dataspaces, ...claims] }), increment));
    expect(e.message).toContain('more than the memory quota');
  });

  it('decodes an incremental image whose layout has quota-many pages of contents but few records, checking records not claims', () => {
    // One dataspace filling the quota, all of it "with contents" held by earlier images.
    const quota = MAX_QUOTA;
    const layout = (l: LayoutState): Partial<LayoutState> => {
      const ds: DataspaceRecord = { id: 100, size: quota - 2 * 2 ** 23, name: 'big', runs: Uint32Array.of(run((quota - 2 * 2 ** 23) / PAGE_SIZE, PageState.Data)), writable: true, shared: false, owned: false };
      const r = root(l);
      return { dataspaces: [...l.dataspaces, ds], maps: [...l.maps.slice(0, -1), { ...r, regions: [...r.regions, { at: 0x4000_0000, offset: 0, size: ds.size, target: 100, writable: true, executable: false, name: undefined }].sort((a, b) => a.at - b.at) }] };
    };
    const bytes = reencode(increment, { meta: { ...increment.meta, memoryQuota: quota }, layout: { ...increment.layout, ...layout(increment.layout) } });
    const image = decodeImage(bytes, NAME);
    expect(image.layout.dataspaces.at(-1)!.size).toBe(quota - 2 * 2 ** 23);
  });

  it('refuses a guest-handler instruction limit of 2^53 - 1 (a run that would never end) or 0', () => {
    for (const limit of [2 ** 53 - 1, 2 ** 32, 0]) {
      const e = refusal(reencode(base, { guestHandlers: { functions: [], instructionLimit: limit } }));
      expect(e.message).toContain(`handler instruction limit ${limit} is not from 1 to ${2 ** 32 - 1}`);
    }
  });

  it('refuses guest handlers that could not be registered again: unmapped, not executable, twice, with no page for the trampoline', () => {
    const text = root(base.layout).regions[0]!.at;
    expect(refusal(reencode(base, { guestHandlers: { functions: [0x5000_0000], instructionLimit: 1000 } })).message).toContain('guest handler 0x50000000 is not in an executable mapping');
    expect(refusal(reencode(base, { guestHandlers: { functions: [text + 2], instructionLimit: 1000 } })).message).toContain('not a nonzero 4-aligned address');
    expect(refusal(reencode(base, { guestHandlers: { functions: [text, text], instructionLimit: 1000 } })).message).toContain('is listed twice');
    const full = reencode(base, { meta: { ...base.meta, memoryQuota: 10 * PAGE_SIZE }, layout: { ...base.layout, dataspaces: base.layout.dataspaces.filter((d) => d.size === PAGE_SIZE).map((d) => ({ ...d, runs: Uint32Array.of(run(1, PageState.Zero)) })), maps: [{ ...root(base.layout), regions: root(base.layout).regions.filter((r) => r.size === PAGE_SIZE) }] }, pages: { count: 0, ids: new Uint32Array(), pages: new Uint32Array(), frames: new Int32Array(), memory: new Uint8Array() } });
    expect(decodeImage(full, NAME).layout.dataspaces).toHaveLength(2); // fits without handlers
    const tight = reencode(decodeImage(full, NAME), { meta: { ...base.meta, memoryQuota: 2 * PAGE_SIZE }, guestHandlers: { functions: [text], instructionLimit: 1000 } });
    expect(refusal(tight).message).toContain('leaves no page for their trampoline');
  });

  it('refuses a bad memory quota, naming the file and the offset rather than PhysicalMemory', () => {
    for (const quota of [0, 123, MAX_QUOTA + PAGE_SIZE, 2 ** 32]) {
      const e = refusal(reencode(base, { meta: { ...base.meta, memoryQuota: quota } }));
      expect(e.message).toBe(`${NAME}: offset ${hex32(base.sections[0]!.offset + 16)}: memory quota ${quota} is not a positive multiple of ${PAGE_SIZE} of at most ${MAX_QUOTA} bytes`);
    }
  });

  it('refuses inconsistent break and mmap bookkeeping', () => {
    expect(refusal(withLayout(() => ({ brkBase: 0x11001 }))).message).toContain('brk base 0x00011001 is not page aligned');
    expect(refusal(withLayout(() => ({ currentBrk: 0x1000 }))).message).toContain('is below the brk base');
    expect(refusal(withLayout(() => ({ mmapTop: 0x1234 }))).message).toContain('mmap top 4660 is not page aligned');
  });

  it('shows a dataspace name with a newline and a terminal escape as one escaped line', () => {
    const orphan: DataspaceRecord = { id: 100, size: PAGE_SIZE, name: 'evil\n\x1b[31mred\u202e', runs: Uint32Array.of(run(1, PageState.Zero)), writable: true, shared: false, owned: false };
    const e = refusal(withLayout((l) => ({ dataspaces: [...l.dataspaces, orphan] })));
    expect(e.message).toContain('dataspace 100 "evil\\n\\x1b[31mred\\u202e" is not attached');
  });
});

describe('deeply nested region maps', () => {
  it('decodes, plans and restores 30,000 nested region maps without recursion', () => {
    const depth = 30_000;
    const l = base.layout;
    const heap = l.dataspaces.find((d) => d.name === '[heap]')!;
    const maps: RegionMapRecord[] = [];
    for (let k = 0; k < depth; k++) {
      maps.push({ id: 1000 + k, size: PAGE_SIZE, name: `level ${k}`, regions: [{ at: 0, offset: 0, size: PAGE_SIZE, target: k === 0 ? heap.id : 1000 + k - 1, writable: true, executable: false, name: undefined }] });
    }
    const r = root(l);
    const top = { at: 0x7000_0000, offset: 0, size: PAGE_SIZE, target: 1000 + depth - 1, writable: true, executable: false, name: 'deep' };
    const bytes = reencode(base, { layout: { ...l, maps: [...maps, { ...r, regions: [...r.regions, top].sort((a, b) => a.at - b.at) }] } });
    const plan = planRestore([decodeImage(bytes, NAME)]);
    const machine = new Machine({ memoryQuota: base.meta.memoryQuota });
    restoreMachine(machine, plan);
    const heapAt = r.regions.find((x) => x.target === heap.id)!.at;
    expect(machine.addressSpace.readBytes(0x7000_0000, 64)).toEqual(machine.addressSpace.readBytes(heapAt, 64));
  });

  it('checkpoints and restores 20,000 region maps nested through the public API', () => {
    const depth = 20_000;
    const m = newMachine();
    m.load(assemble(counterSource(0, 50), { fileName: 'counter.s' }));
    const as = m.addressSpace;
    const ds = as.createDataspace(PAGE_SIZE, { name: 'bottom' });
    ds.write(0, new TextEncoder().encode('deep down'));
    let inner: Parameters<typeof as.root.attach>[0] = ds;
    for (let k = 0; k < depth; k++) {
      const map = as.createRegionMap(PAGE_SIZE, { name: `level ${k}` });
      map.attach(inner, { at: 0 });
      inner = map;
    }
    as.root.attach(inner, { at: 0x7000_0000 });
    const cp = checkpoint();
    m.use(cp);
    m.run({ maxInstructions: 2000 });
    const image = cp.checkpoint();
    const copy = newMachine();
    restoreCheckpoint(copy, [{ name: 'deep.ckpt', bytes: image }]);
    expect(new TextDecoder().decode(copy.addressSpace.readBytes(0x7000_0000, 9))).toBe('deep down');
  });
});

describe('plugin state decoded as untrusted input', () => {
  /** `base` with the CLI's plugin state replaced by `state`. */
  const withState = (state: Uint8Array) => decodeImage(reencode(base, { plugins: new Map([['faultline-cli', state]]) }), NAME);
  const text = (s: string) => new TextEncoder().encode(s);

  it('reads valid counts back', () => {
    expect(decodePluginCounts(base, 'faultline-cli', CLI_KEYS)).toEqual({ stdoutBytes: 3, stderrBytes: 0, every: 1000, fullEvery: 4 });
    expect(decodePluginCounts(base, 'absent', CLI_KEYS)).toBeUndefined();
  });

  it.each([
    ['bad JSON', text('{"stdoutBytes": 1,'), 'is not valid JSON (at character 18)'],
    ['null', text('null'), 'is null, not a JSON object'],
    ['binary', Uint8Array.of(0xff, 0xfe, 0x00, 0x80), 'is not UTF-8 text'],
    ['an array', text('[1,2]'), 'is an array, not a JSON object'],
    ['a negative count', text('{"stdoutBytes":-1,"stderrBytes":0,"every":0,"fullEvery":1}'), 'field "stdoutBytes" is the number -1, not a non-negative integer'],
    ['a missing count', text('{"stdoutBytes":1}'), 'field "stderrBytes" is missing, not a non-negative integer'],
    ['a string count', text('{"stdoutBytes":"\\u001b[31m","stderrBytes":0,"every":0,"fullEvery":1}'), 'field "stdoutBytes" is a string, not a non-negative integer'],
  ])('refuses %s with one line naming the file and the offset of the state', (_, state, reason) => {
    const image = withState(state);
    let error: unknown;
    try {
      decodePluginCounts(image, 'faultline-cli', CLI_KEYS);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FormatError);
    const offset = pluginStateOffset(image, 'faultline-cli');
    expect(image.bytes.subarray(offset, offset + state.length)).toEqual(state);
    expect((error as Error).message).toBe(`${NAME}: offset ${hex32(offset)}: state of plugin "faultline-cli" ${reason}`);
  });

  it('gives any JSON value back as it is, for the plugin to check', () => {
    expect(decodePluginJson(withState(text('null')), 'faultline-cli')).toBeNull();
    expect(decodePluginJson(withState(text('[[[[[[[[[[1]]]]]]]]]]')), 'faultline-cli')).toEqual([[[[[[[[[[1]]]]]]]]]]);
  });
});
