import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demandPaging, type PageSource } from '../../handlers/index.js';
import { runAsyncPageSource } from '../../examples/async-page-source.js';
import { runMonitor } from '../../examples/monitor.js';
import {
  Access,
  CollectedOutput,
  FaultStatus,
  HandlerError,
  Machine,
  PAGE_SIZE,
  Syscall,
  UsageError,
  assemble,
  type RunResult,
} from '../../src/index.js';

/** Where the tests put the managed region. */
const BASE = 0x5000_0000;

/** A machine running `body` (assembly; ends with exit(a0)), its stdout collected. */
function guest(body: string, quota = 64 << 20): { machine: Machine; out: CollectedOutput } {
  const out = new CollectedOutput();
  const machine = new Machine({ memoryQuota: quota, stdout: out.sink });
  const source = `
    .equ BASE, ${BASE}
    .text
    .globl _start
_start:
${body}
    li a7, 93
    ecall
    .data
marker: .ascii "!"
`;
  machine.load(assemble(source, { fileName: 'demand-paging-test.s' }));
  return { machine, out };
}

/** `write(1, marker, 1)`: a point where a 'syscall' listener can act. Clobbers a0-a2, a7. */
const MARK = `
    li a0, 1
    la a1, marker
    li a2, 1
    li a7, 64
    ecall
`;

describe('demand paging: the monitor scenario, two threads: pause the target, detach, resume, fault again', () => {
  it('over 100 iterations the target faults again after every detach, the counter never breaks and the paused context stays bit for bit', () => {
    const report = runMonitor(100);

    expect(report.exitCode).toBe(0);
    expect(report.printed).toEqual(Array.from({ length: 100 }, (_, k) => k));
    expect(report.faultsPerIteration).toEqual(new Array(100).fill(2));
    expect(report.detachedPerIteration).toEqual(new Array(100).fill(2));
    expect(report.contextsKept).toBe(100);
    // The other thread kept running while the target was paused.
    expect(report.workWhilePaused).toEqual(new Array(100).fill(500));
    expect(report.faultsServed).toBe(200);
    expect(report.counter).toBe(100);
    expect(report.mirror).toBe(99);
  });

  it('logs each fault with its thread and each attach like Genode\'s monitor', () => {
    const report = runMonitor(2);

    expect(report.log.slice(0, 6)).toEqual([
      'Handling page fault: READ_FAULT pf_addr=0x50000000 (thread 2)',
      'attached sub_ds0 at address 0x50000000',
      'Handling page fault: WRITE_FAULT pf_addr=0x50001000 (thread 2)',
      'attached sub_ds1 at address 0x50001000',
      '[target] 0',
      'paused thread 2 at pc 0x000100b4, detached 2 sub-dataspaces, thread 1 ran 500 instructions, resumed thread 2',
    ]);
  });
});

/*
 * The guest of the asynchronous-source test: hashes the first half of the region's words
 * (CPU faults), writes the whole region to stdout (the system call faults
 * the rest in), hashes every word, and prints both hashes in hex.
 */
function hashingGuest(pages: number): string {
  const words = (pages * PAGE_SIZE) / 4;
  return `
    li   s0, BASE
    li   a0, ${Math.max(1, words >> 1)}
    call hash
    mv   s1, a0
    li   a0, 1
    li   a1, BASE
    li   a2, ${pages * PAGE_SIZE}
    li   a7, 64
    ecall
    li   a0, ${words}
    call hash
    mv   s2, a0
    mv   a0, s1
    call hex
    mv   a0, s2
    call hex
    li   a0, 0
    j    done

# a0 = hash of a0 words from BASE (h = h * 31 + word)
hash:
    li   t0, BASE
    li   t1, 0
    li   t3, 31
1:  lw   t2, 0(t0)
    mul  t1, t1, t3
    add  t1, t1, t2
    addi t0, t0, 4
    addi a0, a0, -1
    bnez a0, 1b
    mv   a0, t1
    ret

# prints a0 as 8 hex digits and a newline
hex:
    la   t0, digits
    li   t1, 8
2:  srli t2, a0, 28
    slli a0, a0, 4
    li   t3, 10
    blt  t2, t3, 3f
    addi t2, t2, 39             # 'a' - '0' - 10
3:  addi t2, t2, 48
    sb   t2, 0(t0)
    addi t0, t0, 1
    addi t1, t1, -1
    bnez t1, 2b
    li   t2, 10
    sb   t2, 0(t0)
    li   a0, 1
    la   a1, digits
    li   a2, 9
    li   a7, 64
    ecall
    ret
done:
    .data
digits: .zero 12
    .text
`;
}

describe('demand paging from an asynchronous page source gives the output of a run with every page present', () => {
  it('gives the same output under runAsync() as a run with every page present', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }).chain((pages) =>
          fc.record({
            pages: fc.constant(pages),
            contents: fc.uint8Array({ minLength: pages * PAGE_SIZE, maxLength: pages * PAGE_SIZE }),
            zeroPages: fc.array(fc.nat(pages - 1), { maxLength: pages }),
            chunkPages: fc.integer({ min: 1, max: 3 }),
            chunksPerDataspace: fc.integer({ min: 1, max: 4 }),
            trimmed: fc.boolean(),
            delay: fc.constantFrom('microtask', 'timer'),
          }),
        ),
        async ({ pages, contents, zeroPages, chunkPages, chunksPerDataspace, trimmed, delay }) => {
          for (const p of zeroPages) contents.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
          const program = hashingGuest(pages);

          // Reference: every page present from the start.
          const ref = guest(program);
          const ds = ref.machine.addressSpace.createDataspace(pages * PAGE_SIZE, { name: 'present' });
          ds.write(0, contents);
          ref.machine.addressSpace.root.attach(ds, { at: BASE });
          const refResult = ref.machine.run();

          // Demand paged from an asynchronous source.
          const lazy = guest(program);
          const fetch: PageSource = async (offset, length) => {
            if (delay === 'timer') await new Promise((resolve) => setTimeout(resolve, 0));
            else await Promise.resolve();
            let bytes = contents.slice(offset, offset + length);
            if (trimmed) {
              let end = bytes.length;
              while (end > 0 && bytes[end - 1] === 0) end--;
              bytes = bytes.subarray(0, end);
              if (end === 0) return null;
            }
            return bytes;
          };
          const plugin = demandPaging({ at: BASE, size: pages * PAGE_SIZE, chunkPages, chunksPerDataspace, backing: { kind: 'source', fetch } });
          lazy.machine.use(plugin);
          const lazyResult = await lazy.machine.runAsync();

          expect(lazyResult).toEqual(refResult);
          expect(lazyResult).toEqual({ kind: 'exit', exitCode: 0 });
          expect(lazy.out.bytes()).toEqual(ref.out.bytes());
          expect(plugin.pagesResident).toBe(pages);
          expect(plugin.pagesFetched).toBe(Math.ceil(pages / chunkPages));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('the async-page-source example copies the remote text page by page, fetching only touched pages', async () => {
    const report = await runAsyncPageSource();

    expect(report.exitCode).toBe(0);
    expect(report.output).toBe(report.text);
    expect(report.lines).toBe(150);
    expect(report.fetched).toEqual([0, PAGE_SIZE, 2 * PAGE_SIZE]);
  });

  it('a served read leaves its translation cached for the retry; a served first write leaves the page unmaterialized until the store', () => {
    const { machine } = guest(`
      li t0, BASE
      lw a0, 0(t0)
      li t1, BASE + 8192
      sw a0, 0(t1)
    `);
    const lazy = demandPaging({ at: BASE, size: 4 * PAGE_SIZE, backing: { kind: 'zero' } });
    machine.use(lazy);
    const seen: [number, number, number][] = [];
    const as = machine.addressSpace;
    machine.events.on('fixed', (fault) => {
      const vpage = fault.address >>> 12;
      seen.push([fault.access, as.readTlb[vpage]!, as.writeTlb[vpage]!]);
    });
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    // At the 'fixed' event (before the retry): the read's zero-frame translation is in the TLB already.
    expect(seen).toEqual([[Access.Read, machine.memory.zeroFrame, 0], [Access.Write, 0, 0]]);
    expect(lazy.faultsServed).toBe(2);
  });

  it('serves a synchronous page source under run()', () => {
    const { machine } = guest('li t0, BASE + 8\n lw a0, 0(t0)');
    const fetch: PageSource = (offset) => new Uint8Array([offset, 0, 0, 0, 0, 0, 0, 0, 42]);
    machine.use(demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'source', fetch } }));

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 42 });
  });

  it('under run(), a promise from the source stops the run with a HandlerError that names runAsync()', () => {
    const { machine } = guest('li t0, BASE\n lw a0, 0(t0)');
    machine.use(demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'source', fetch: async () => new Uint8Array(4) } }));

    expect(() => machine.run()).toThrow(HandlerError);
    expect(() => machine.run()).toThrow(/runAsync/);
  });

  it('a rejecting source stops runAsync() with a HandlerError naming the plugin', async () => {
    const { machine } = guest('li t0, BASE\n lw a0, 0(t0)');
    machine.use(demandPaging({ name: 'remote', at: BASE, size: PAGE_SIZE, backing: { kind: 'source', fetch: () => Promise.reject(new Error('link down')) } }));

    await expect(machine.runAsync()).rejects.toThrow(/'remote' rejected: link down/);
  });

  it('a source that returns too many bytes stops the run with a clear error', () => {
    const { machine } = guest('li t0, BASE\n lw a0, 0(t0)');
    machine.use(demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'source', fetch: () => new Uint8Array(PAGE_SIZE + 1) } }));

    expect(() => machine.run()).toThrow(/returned 4097 bytes for the 4096-byte unit/);
  });
});

describe('demand paging: zero-fill', () => {
  it('backs first touches with zeroed pages that then keep what the guest writes', () => {
    const { machine } = guest(`
      li t0, BASE
      lw t1, 0(t0)                # zero
      li t2, 5
      sw t2, 4(t0)
      li t3, BASE + 3 * 4096
      sw t2, 0(t3)
      lw t4, 4(t0)
      lw t5, 0(t3)
      add a0, t1, t4
      add a0, a0, t5              # 0 + 5 + 5
    `);
    const plugin = demandPaging({ at: BASE, size: 8 * PAGE_SIZE, backing: { kind: 'zero' } });
    machine.use(plugin);

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 10 });
    expect(plugin.faultsServed).toBe(2);
    expect(plugin.pagesResident).toBe(2);
    expect(plugin.isResident(0)).toBe(true);
    expect(plugin.isResident(PAGE_SIZE)).toBe(false);
    expect(plugin.isResident(3 * PAGE_SIZE + 100)).toBe(true);
    expect(machine.addressSpace.readU32(BASE + 3 * PAGE_SIZE)).toBe(5);
  });

  it('attaches chunkPages pages per fault', () => {
    const { machine } = guest(`
      li t0, BASE + 4096
      lw a0, 0(t0)
      li t0, BASE
      lw a0, 0(t0)               # same chunk: no fault
      li t0, BASE + 4 * 4096
      lw a0, 0(t0)               # the last chunk, one page short
    `);
    const plugin = demandPaging({ at: BASE, size: 5 * PAGE_SIZE, chunkPages: 2, backing: { kind: 'zero' } });
    machine.use(plugin);

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(plugin.faultsServed).toBe(2);
    expect(plugin.pagesResident).toBe(3);
    expect(plugin.isResident(0)).toBe(true);
    expect(plugin.isResident(3 * PAGE_SIZE)).toBe(false);
  });

  it('takes its backing from the quota; exhausting it at run time ends the run like a fault (SIGBUS), not as a host error', () => {
    const { machine } = guest('li t0, BASE\n sw t0, 0(t0)', (8 << 20) + 16 * PAGE_SIZE); // the stack takes 8 MiB
    machine.use(demandPaging({ at: BASE, size: 64 * PAGE_SIZE, chunksPerDataspace: 64, backing: { kind: 'zero' } }));

    const result = machine.run();
    if (result.kind !== 'fault') throw new Error(`expected a fault result, got ${result.kind}`);
    expect(result.signal).toBe(7);
    expect(result.message).toMatch(/^out of memory: fault handler 'demand-paging.*quota exceeded/);
    expect(result.message).not.toContain('\n');
  });
});

describe('demand paging: evict', () => {
  /** Guest: stores 42, marks, loads it back into a0. The 'syscall' listener evicts at the mark. */
  const storeMarkLoad = `
    li t0, BASE + 4096
    li t1, 42
    sw t1, 0(t0)
    ${MARK}
    li t0, BASE + 4096
    lw a0, 0(t0)
  `;

  function evictAtMark(machine: Machine, evict: () => number): number[] {
    const evicted: number[] = [];
    machine.events.on('syscall', (nr) => { if (nr === Syscall.Write) evicted.push(evict()); });
    return evicted;
  }

  it('detaches, so the next touch faults again and gets the kept contents back', () => {
    const { machine } = guest(storeMarkLoad);
    const plugin = demandPaging({ at: BASE, size: 4 * PAGE_SIZE, backing: { kind: 'zero' } });
    machine.use(plugin);
    const evicted = evictAtMark(machine, () => plugin.evict());
    let faults = 0;
    machine.events.on('fault', () => { faults++; });

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 42 });
    expect(evicted).toEqual([1]);
    expect(faults).toBe(2);
    expect(plugin.faultsServed).toBe(2);
    expect(plugin.pagesResident).toBe(1);
  });

  it('with discard, drops the contents: the next touch is zero again', () => {
    const { machine } = guest(storeMarkLoad);
    const plugin = demandPaging({ at: BASE, size: 4 * PAGE_SIZE, backing: { kind: 'zero' } });
    machine.use(plugin);
    const reservedBefore = machine.memory.reserved;
    const reservedAtMark: number[] = [];
    evictAtMark(machine, () => {
      const n = plugin.evict({ offset: PAGE_SIZE, length: 1, discard: true });
      reservedAtMark.push(machine.memory.reserved);
      return n;
    });

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(reservedAtMark).toEqual([reservedBefore]); // the only backing dataspace was destroyed
    expect(plugin.faultsServed).toBe(2);
  });

  it('with discard, fetches from the page source again', () => {
    const { machine } = guest(storeMarkLoad);
    let calls = 0;
    const plugin = demandPaging({
      at: BASE, size: 4 * PAGE_SIZE, backing: { kind: 'source', fetch: () => { calls++; return new Uint8Array([7]); } },
    });
    machine.use(plugin);
    evictAtMark(machine, () => plugin.evict({ discard: true }));

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 7 });
    expect(calls).toBe(2);
    expect(plugin.pagesFetched).toBe(2);
  });

  it('only detaches the units that intersect the range, and counts their pages', () => {
    const { machine } = guest(`
      li t0, BASE
      li t1, 6
1:    sw t1, 0(t0)
      li t2, 4096
      add t0, t0, t2
      addi t1, t1, -1
      bnez t1, 1b
    `);
    const plugin = demandPaging({ at: BASE, size: 6 * PAGE_SIZE, chunkPages: 2, backing: { kind: 'zero' } });
    machine.use(plugin);
    machine.run();
    expect(plugin.pagesResident).toBe(6);

    expect(plugin.evict({ offset: 2 * PAGE_SIZE + 8, length: 8 })).toBe(2);
    expect(plugin.pagesResident).toBe(4);
    expect([0, 2, 4].map((p) => plugin.isResident(p * PAGE_SIZE))).toEqual([true, false, true]);
    expect(() => machine.addressSpace.readU32(BASE + 2 * PAGE_SIZE)).toThrow(/not mapped/);
    expect(plugin.evict({ offset: 2 * PAGE_SIZE, length: PAGE_SIZE })).toBe(0);
    expect(() => plugin.evict({ offset: 0, length: 7 * PAGE_SIZE })).toThrow(UsageError);
  });

  it('works on designated dataspaces, which keep their contents and are never destroyed', () => {
    const { machine } = guest(storeMarkLoad);
    const as = machine.addressSpace;
    const managed = as.createRegionMap(4 * PAGE_SIZE, { name: 'managed' });
    as.root.attach(managed, { at: BASE });
    const ds = as.createDataspace(PAGE_SIZE, { name: 'one' });
    const plugin = demandPaging({ region: managed, backing: { kind: 'designated', dataspaces: [{ offset: PAGE_SIZE, dataspace: ds }] } });
    machine.use(plugin);
    evictAtMark(machine, () => plugin.evict({ discard: true }));

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 42 });
    expect(ds.isDestroyed).toBe(false);
    expect(plugin.faultsServed).toBe(2);
  });
});

describe('demand paging: units attached by someone else', () => {
  it('evict also detaches a designated unit that was attached directly, and a unit detached behind its back is served again', () => {
    const { machine } = guest(`li t0, BASE\n lw a0, 0(t0)\n ${MARK}\n li t0, BASE\n lw a0, 0(t0)`);
    const as = machine.addressSpace;
    const managed = as.createRegionMap(2 * PAGE_SIZE, { name: 'managed' });
    as.root.attach(managed, { at: BASE });
    const ds = as.createDataspace(PAGE_SIZE, { name: 'd' });
    ds.write(0, new Uint8Array([11]));
    const plugin = demandPaging({ region: managed, backing: { kind: 'designated', dataspaces: [{ offset: 0, dataspace: ds }] } });
    machine.use(plugin);
    managed.attach(ds, { at: 0 }); // populated directly: no fault for it
    expect(plugin.evict()).toBe(1);
    expect(managed.regionCount).toBe(0);
    machine.events.on('syscall', (nr) => { if (nr === Syscall.Write) managed.detach(0); }); // behind the plugin's back

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 11 });
    expect(plugin.faultsServed).toBe(2);
    expect(plugin.pagesResident).toBe(1);
  });
});

describe('demand paging: faults that are not its own', () => {
  it('answers Continue outside its region, so later handlers see the fault', () => {
    const { machine } = guest('li t0, 0x60000000\n lw a0, 0(t0)');
    machine.use(demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'zero' } }));
    const seen: number[] = [];
    machine.registerFaultHandler((fault, ctx) => {
      seen.push(fault.address);
      ctx.regs[10] = 3;
      ctx.pc += 4;
      return FaultStatus.Fixed;
    }, { tail: true });

    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 3 });
    expect(seen).toEqual([0x6000_0000]);
  });

  it('answers Continue for holes between designated dataspaces and for protection faults', () => {
    const { machine } = guest('li t0, BASE\n lw a0, 0(t0)\n sw a0, 0(t0)');
    const as = machine.addressSpace;
    const managed = as.createRegionMap(2 * PAGE_SIZE, { name: 'managed' });
    as.root.attach(managed, { at: BASE });
    const ds = as.createDataspace(PAGE_SIZE, { name: 'ro' });
    const plugin = demandPaging({ region: managed, backing: { kind: 'designated', dataspaces: [{ offset: 0, dataspace: ds, writable: false }] } });
    machine.use(plugin);

    const result = machine.run() as Extract<RunResult, { kind: 'fault' }>;
    expect(result.kind).toBe('fault');
    expect(result.fault.protection).toBe(true);
    expect(result.handler).toBeNull(); // nobody failed it: everyone said Continue
    expect(plugin.faultsServed).toBe(1);

    const hole = guest('li t0, BASE + 4096\n lw a0, 0(t0)');
    const managed2 = hole.machine.addressSpace.createRegionMap(2 * PAGE_SIZE);
    hole.machine.addressSpace.root.attach(managed2, { at: BASE });
    const ds2 = hole.machine.addressSpace.createDataspace(PAGE_SIZE);
    hole.machine.use(demandPaging({ region: managed2, backing: { kind: 'designated', dataspaces: [{ offset: 0, dataspace: ds2 }] } }));
    expect(hole.machine.run()).toMatchObject({ kind: 'fault', fault: { address: BASE + PAGE_SIZE, protection: false } });
  });

  it('does not serve instruction fetches unless executable', () => {
    const { machine } = guest('li t0, BASE\n jalr t0');
    machine.use(demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'zero' } }));

    expect(machine.run()).toMatchObject({ kind: 'fault', fault: { address: BASE, pc: BASE } });
  });
});

describe('demand paging: install and uninstall', () => {
  it('uninstalling a plugin that created its region unregisters, detaches and gives the quota back', () => {
    const { machine } = guest('li t0, BASE\n sw t0, 0(t0)');
    const reserved = machine.memory.reserved;
    const plugin = demandPaging({ at: BASE, size: 64 * PAGE_SIZE, backing: { kind: 'zero' } });
    const off = machine.use(plugin);
    expect(plugin.address).toBe(BASE);
    machine.run();
    expect(machine.memory.reserved).toBeGreaterThan(reserved);

    expect(off()).toBe(true);
    expect(machine.chain.size).toBe(0);
    expect(machine.addressSpace.root.lookup(BASE)).toBeUndefined();
    expect(machine.memory.reserved).toBe(reserved);
    expect(plugin.regionMap).toBeNull();
    expect(plugin.pagesResident).toBe(0);
    expect(() => plugin.evict()).toThrow(/not installed/);
    expect(off()).toBe(false);
  });

  it('uninstalling a plugin that was given its region leaves what it attached in place', () => {
    const { machine } = guest(`li t0, BASE\n li t1, 9\n sw t1, 0(t0)\n ${MARK}\n li t0, BASE\n lw a0, 0(t0)\n li t0, BASE + 4096\n lw a0, 0(t0)`);
    const as = machine.addressSpace;
    const managed = as.createRegionMap(2 * PAGE_SIZE, { name: 'given' });
    as.root.attach(managed, { at: BASE });
    const plugin = demandPaging({ region: managed, backing: { kind: 'zero' } });
    const off = machine.use(plugin);
    machine.events.on('syscall', (nr) => { if (nr === Syscall.Write) off(); });

    const result = machine.run();
    expect(result).toMatchObject({ kind: 'fault', fault: { address: BASE + PAGE_SIZE } }); // nobody serves the second page
    expect(as.readU32(BASE)).toBe(9);
    expect(managed.regionCount).toBe(1);
    expect(plugin.regionMap).toBe(managed);
  });

  it('can be installed again after uninstalling, into a fresh region', () => {
    const first = guest('li t0, BASE\n sw t0, 0(t0)');
    const plugin = demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'zero' } });
    const off = first.machine.use(plugin);
    expect(() => first.machine.use(plugin)).toThrow(/already installed/);
    first.machine.run();
    off();

    const second = guest('li t0, BASE\n lw a0, 0(t0)');
    second.machine.use(plugin);
    expect(second.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(plugin.faultsServed).toBe(2);
    expect(plugin.pagesResident).toBe(1);
  });

  it('leaves the machine unchanged when the region cannot be attached', () => {
    const { machine } = guest('li a0, 0');
    machine.addressSpace.root.attach(machine.addressSpace.createDataspace(PAGE_SIZE), { at: BASE });
    const plugin = demandPaging({ at: BASE, size: 2 * PAGE_SIZE, backing: { kind: 'zero' } });

    expect(() => machine.use(plugin)).toThrow(/overlaps/);
    expect(machine.chain.size).toBe(0);
  });

  it('rejects inconsistent options with a UsageError naming the problem', () => {
    const as = new Machine({ memoryQuota: 1 << 20 }).addressSpace; // nothing loaded: no stack
    const region = as.createRegionMap(4 * PAGE_SIZE);
    const a = as.createDataspace(2 * PAGE_SIZE, { name: 'a' });
    const b = as.createDataspace(PAGE_SIZE, { name: 'b' });
    const zero = { kind: 'zero' } as const;

    expect(() => demandPaging({ region, at: BASE, size: PAGE_SIZE, backing: zero })).toThrow(/either region, or at and size/);
    expect(() => demandPaging({ at: BASE + 1, size: PAGE_SIZE, backing: zero })).toThrow(/page-aligned/);
    expect(() => demandPaging({ at: BASE, size: 0, backing: zero })).toThrow(/size must be/);
    expect(() => demandPaging({ at: BASE, size: PAGE_SIZE, chunkPages: 0, backing: zero })).toThrow(/chunkPages/);
    expect(() => demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'nope' } as never })).toThrow(/backing must be/);
    expect(() => demandPaging({ region, backing: { kind: 'designated', dataspaces: [{ offset: 0, dataspace: a }, { offset: PAGE_SIZE, dataspace: b }] } }))
      .toThrow(/"a" and "b" overlap at offset 0x00001000/);
    expect(() => demandPaging({ region, backing: { kind: 'designated', dataspaces: [{ offset: 3 * PAGE_SIZE, dataspace: a }] } }))
      .toThrow(/runs past/);
    expect(() => demandPaging({ at: BASE, size: PAGE_SIZE, backing: { kind: 'designated', dataspaces: [{ offset: 0, dataspace: b }] } }))
      .not.toThrow();
    const other = new Machine({ memoryQuota: 1 << 20 });
    expect(() => other.use(demandPaging({ region, backing: { kind: 'designated', dataspaces: [{ offset: 0, dataspace: b }] } })))
      .toThrow(/another machine's memory/);
  });
});
