import { describe, expect, it } from 'vitest';
import { CollectedOutput, Machine, PAGE_SIZE, UsageError, assemble } from '../../src/index.js';
import { AccessBits, accessTracking, type EpochRecord } from '../../handlers/index.js';

const THREAD_FLAGS = 0x50f00;

function machineFor(source: string): Machine {
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: new CollectedOutput().sink });
  machine.load(assemble(source, { fileName: 'access-tracking.s' }));
  return machine;
}

describe('accessTracking', () => {
  it('faults carry the thread: each thread\'s first touch is recorded with its tid and pc', () => {
    const machine = machineFor(`
  .text
  .globl _start
_start:
  li a0, ${THREAD_FLAGS}
  la a1, stack2_top
  li a2, 0
  li a3, 0
  li a4, 0
  li a7, 220
  ecall
  beqz a0, child
  la t0, buf
parent_store:
  sw t0, 0(t0)
  li a0, 0
  li a7, 93
  ecall
child:
  la t0, buf
  li t1, 4096
  add t0, t0, t1
child_load:
  lw t2, 0(t0)
  li a0, 0
  li a7, 94
  ecall
  .data
  .balign 4096
buf: .space 8192
stack2: .space 256
stack2_top:
`);
    const tracker = accessTracking();
    machine.use(tracker);
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const record = tracker.endEpoch();
    const buf = [...record.written][0]!;
    const write = record.touches.find((t) => t.kind === 'write' && t.page === buf)!;
    const read = record.touches.find((t) => t.kind === 'read' && t.page === buf + PAGE_SIZE)!;
    expect(write.tid).toBe(1);
    expect(read.tid).toBe(2);
    expect(read.pc).not.toBe(write.pc);
  });

  it('execute tracking stays exact through compiled blocks: a hot loop faults on its code page in every epoch', () => {
    const machine = machineFor(`
  .text
  .globl _start
_start:
  la s1, buf
  li s2, 200000
loop:
  lw t0, 0(s1)
  addi t0, t0, 1
  sw t0, 0(s1)
  addi s2, s2, -1
  bnez s2, loop
  li a0, 0
  li a7, 93
  ecall
  .data
  .balign 4096
buf: .space 4096
`);
    const tracker = accessTracking({ epochInstructions: 50_000 });
    machine.use(tracker);
    const records: EpochRecord[] = [];
    expect(tracker.runEpochs({ onEpoch: (r) => records.push(r) })).toEqual({ kind: 'exit', exitCode: 0 });
    expect(records.length).toBeGreaterThan(15);
    const code = records[0]!.executed[0]!;
    const data = records[0]!.written[0]!;
    // The last epoch may hold only the exit sequence.
    for (const r of records.filter((x) => x.endInstret - x.startInstret > 10)) {
      expect(r.executed).toEqual([code]);
      expect(r.read).toEqual([data]);
      expect(r.written).toEqual([data]);
      expect(r.faults).toBe(3);
    }
    for (const r of records.slice(0, -1)) expect(r.endInstret - r.startInstret).toBe(50_000);
    expect(tracker.faults).toBe(records.reduce((n, r) => n + r.faults, 0));
  });

  it('leaves a fault the guest\'s mprotect causes to the chain and records nothing for it', () => {
    const machine = machineFor(`
  .text
  .globl _start
_start:
  la a0, buf
  li a1, 4096
  li a2, 0
  li a7, 226
  ecall
  la t0, buf
  lw t1, 0(t0)
  li a7, 93
  ecall
  .data
  .balign 4096
buf: .space 4096
`);
    const tracker = accessTracking();
    machine.use(tracker);
    const result = machine.run();
    expect(result.kind).toBe('fault');
    const r = tracker.endEpoch();
    expect(r.read).toEqual([]);
    expect(r.executed.length).toBe(1);
  });

  it('kindsOf, current(), uninstall and options', () => {
    const machine = machineFor('la t0, buf\n sw t0, 0(t0)\n li a7, 93\n ecall\n .data\n .balign 4096\nbuf: .space 4096\n');
    const tracker = accessTracking({ epochInstructions: 1000 });
    const off = machine.use(tracker);
    expect(() => machine.use(tracker)).toThrow(UsageError);
    expect(tracker.installed).toBe(true);
    machine.run();
    const now = tracker.current();
    expect(now.written.length).toBe(1);
    expect(tracker.kindsOf(now.written[0]!)).toBe(AccessBits.Write);
    expect(tracker.epoch).toBe(0);
    off();
    expect(tracker.installed).toBe(false);
    expect(machine.addressSpace.protectionLayers.length).toBe(1);
    expect(tracker.endEpoch().epoch).toBe(0);
    expect(tracker.epoch).toBe(1);
    expect(() => accessTracking({ epochInstructions: 0 })).toThrow(/epochInstructions must be a positive integer/);
    expect(() => accessTracking({ idleEpochs: -1 })).toThrow(/idleEpochs/);
    expect(() => tracker.runEpochs()).toThrow(/install the plugin first/);
  });

  it('a guest fault handler\'s own accesses (its frame on the stack, a global) fault through the tracker and are recorded', () => {
    const machine = machineFor(`
  .text
  .globl _start
_start:
  la a0, handler
  li a1, 1              # at the tail: a handler that fixes every fault goes behind the tracker
  li a7, 0x1000
  ecall
  li t0, 0x50000000
  lw a0, 0(t0)          # not mapped: the guest handler maps it
  la t1, counter
  lw a0, 0(t1)          # 1: the handler counted one fault
  li a7, 93
  ecall
  .balign 4096
handler:                # on a page not run yet this epoch: registering sees the guest's rights, not the tracker's layer
  addi sp, sp, -16
  sw   ra, 12(sp)
  la   t2, counter
  lw   t3, 0(t2)
  addi t3, t3, 1
  sw   t3, 0(t2)
  li a0, 0x50000000
  li a1, 4096
  li a2, 3
  li a3, 0x32
  li a4, -1
  li a5, 0
  li a7, 222
  ecall
  lw   ra, 12(sp)
  addi sp, sp, 16
  li   a0, 1
  ret
  .data
  .balign 4096
counter: .word 0
`);
    const tracker = accessTracking();
    machine.use(tracker);
    expect(machine.run({ maxInstructions: 1_000_000 })).toEqual({ kind: 'exit', exitCode: 1 });
    const r = tracker.endEpoch();
    const stack = machine.addressSpace.mappings().find((m) => m.name === '[stack]')!;
    expect(r.written.some((p) => p >= stack.start && p < stack.end)).toBe(true);
    expect(r.read).toContain(0x5000_0000);
    expect(r.executed.length).toBe(3); // the program's two pages and the handlers' return trampoline
    expect(r.written.length).toBeGreaterThanOrEqual(2); // the stack and counter
  });
});
