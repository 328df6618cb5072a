/**
 * Guest threads on one hart: faults per thread, asynchronous handlers that
 * block only their thread, a monitor that pauses a thread while it changes
 * the thread's memory, and the run's ends that only threads have (paused,
 * deadlock).
 */

import { describe, expect, it } from 'vitest';
import { Access, FaultStatus, HandlerError, Machine, PAGE_SIZE, ThreadState, UsageError, assemble, type Fault } from '../../src/index.js';
import { demandPaging } from '../../handlers/index.js';

/** clone flags of a thread: VM | FS | FILES | SIGHAND | THREAD | SYSVSEM. */
const THREAD_FLAGS = 0x50f00;

/**
 * A program whose first thread starts a second one on `stack2` at label
 * `child`, then runs `parentBody`; the child runs `childBody`. Both bodies
 * end the thread themselves.
 */
function twoThreads(parentBody: string, childBody: string, data = ''): string {
  return `
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
  ${parentBody}
  child:
  ${childBody}
    .data
  ${data}
    .bss
    .align 4
  stack2:
    .space 4096
  stack2_top:
  `;
}

describe('threads', () => {
  it('a fault names its thread, and each thread is handled on its own context', () => {
    const m = new Machine();
    m.load(assemble(twoThreads(
      'li t0, 0x50000000\n lw a0, 0(t0)\n li a7, 93\n ecall',
      'li t0, 0x50001000\n lw a0, 0(t0)\n li a7, 93\n ecall',
    )));
    const seen: Array<[number, number]> = [];
    m.registerFaultHandler((fault, ctx) => {
      seen.push([fault.tid, fault.address >>> 0]);
      ctx.regs[10] = fault.tid * 10;
      ctx.pc += 4;
      return FaultStatus.Fixed;
    });
    const exits: Array<[number, number]> = [];
    m.events.on('threadExit', (tid, status) => exits.push([tid, status]));
    const result = m.run();
    expect(seen).toContainEqual([1, 0x5000_0000]);
    expect(seen).toContainEqual([2, 0x5000_1000]);
    expect(exits.sort()).toEqual([[1, 10], [2, 20]]);
    // The last thread to exit ends the process with the first thread's status, as Linux reports it.
    expect(result).toEqual({ kind: 'exit', exitCode: 10 });
  });

  it('an asynchronous handler blocks only the faulting thread: the other runs to completion meanwhile', async () => {
    const m = new Machine();
    m.load(assemble(twoThreads(
      // The first thread waits on a page only the host can provide.
      'li t0, 0x50000000\n lw a0, 0(t0)\n li a7, 94\n ecall',
      // The second counts to 100,000 and says so with write(1, msg, 5).
      'li s0, 100000\n1: addi s0, s0, -1\n bnez s0, 1b\n li a0, 1\n la a1, msg\n li a2, 5\n li a7, 64\n ecall\n li a0, 0\n li a7, 93\n ecall',
      'msg: .ascii "done\\n"',
    )));
    const page = m.addressSpace.createDataspace(PAGE_SIZE, { name: 'served' });
    page.write(0, Uint8Array.of(42, 0, 0, 0));
    let release: () => void = () => {};
    const served = new Promise<void>((resolve) => { release = resolve; });
    m.events.on('syscall', (nr) => { if (nr === 64) release(); });
    m.registerFaultHandler(async (fault: Fault) => {
      if (fault.tid !== 1) return FaultStatus.Continue;
      await served; // answers only after the other thread has finished its work
      m.addressSpace.root.attach(page, { at: 0x5000_0000 });
      return FaultStatus.Fixed;
    });
    const result = await m.runAsync({ timeoutMs: 60_000 });
    expect(result).toEqual({ kind: 'exit', exitCode: 42 });
  });

  it('a paused thread does not run and keeps its state bit for bit while the monitor changes its memory', () => {
    // The child increments a counter in a dataspace the monitor detaches and re-attaches on demand.
    const m = new Machine({ timeSlice: 50 });
    m.load(assemble(twoThreads(
      'li s0, 0\n1: addi s0, s0, 1\n j 1b',
      'li t0, 0x50000000\n li s1, 0\n1: lw t1, 0(t0)\n addi t1, t1, 1\n sw t1, 0(t0)\n addi s1, s1, 1\n j 1b',
    )));
    const counter = m.addressSpace.createDataspace(PAGE_SIZE, { name: 'counter' });
    let attaches = 0;
    m.registerFaultHandler((fault) => {
      if ((fault.address >>> 0) !== 0x5000_0000 || fault.tid !== 2) return FaultStatus.Continue;
      m.addressSpace.root.attach(counter, { at: 0x5000_0000 });
      attaches++;
      return FaultStatus.Fixed;
    });
    m.run({ maxInstructions: 1000 });
    for (let k = 0; k < 100; k++) {
      m.pause(2);
      const target = m.threads.find((t) => t.tid === 2)!;
      expect(target.state).toBe(ThreadState.Paused);
      const before = target.snapshot();
      if (m.addressSpace.root.lookup(0x5000_0000) !== undefined) m.addressSpace.root.detach(0x5000_0000);
      // The other thread keeps running while the target is paused.
      expect(m.run({ maxInstructions: 500 })).toEqual({ kind: 'limit' });
      expect(target.snapshot().equals(before)).toBe(true);
      m.resume(2);
      m.run({ maxInstructions: 500 });
    }
    const target = m.threads.find((t) => t.tid === 2)!;
    // s1 counts the child's completed increments; the counter must equal it (or be one ahead mid-iteration).
    const done = target.snapshot().regs[9]!;
    const value = new DataView(counter.read(0, 4).buffer).getUint32(0, true);
    expect(value === done || value === done + 1).toBe(true);
    expect(attaches).toBeGreaterThanOrEqual(100);
  });

  it('pausing every runnable thread ends the run with kind paused; resuming goes on', () => {
    const m = new Machine();
    m.load(assemble('li s0, 3\n1: addi s0, s0, -1\n bnez s0, 1b\n li a0, 7\n li a7, 93\n ecall'));
    m.pause(1);
    expect(m.run()).toEqual({ kind: 'paused', paused: [1] });
    m.resume(1);
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 7 });
    expect(() => m.pause(9)).toThrow(UsageError);
  });

  it('every thread waiting in futex with nobody to wake it is a deadlock, not a hang', () => {
    const m = new Machine();
    // futex_time64(&word, FUTEX_WAIT_PRIVATE, 0, NULL)
    m.load(assemble('la a0, word\n li a1, 128\n li a2, 0\n li a3, 0\n li a7, 422\n ecall\n li a7, 93\n ecall\n .data\n word: .word 0'));
    const result = m.run();
    expect(result.kind).toBe('deadlock');
    expect(result.kind === 'deadlock' && result.message).toMatch(/thread 1 in futex wait on 0x/);
  });

  it('clone makes threads only: without CLONE_THREAD it is -ENOSYS, inconsistent flags -EINVAL', () => {
    const call = (flags: number): string => `li a0, ${flags}\n li a1, 0\n li a7, 220\n ecall\n sw a0, 0(s0)\n addi s0, s0, 4\n`;
    const m = new Machine();
    const started: number[] = [];
    m.events.on('threadStart', (tid) => started.push(tid));
    // fork (SIGCHLD only), CLONE_VM alone, CLONE_THREAD without SIGHAND, THREAD|SIGHAND without VM, a thread with CLONE_VFORK.
    const program = assemble(`la s0, out\n${call(0x11)}${call(0x100)}${call(0x10000)}${call(0x10800)}${call(THREAD_FLAGS | 0x4000)}li a7, 93\n li a0, 0\n ecall\n .data\n out: .space 20`);
    m.load(program);
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const out = program.symbols.get('out')!;
    const results = [0, 1, 2, 3, 4].map((k) => m.addressSpace.readU32(out + 4 * k) | 0);
    expect(results).toEqual([-38, -38, -22, -22, -22]);
    expect(started).toEqual([1]);
  });

  it('a thread blocked in a system call fault-in by an asynchronous handler keeps its own fault record', async () => {
    const m = new Machine();
    // Thread 1 writes from an unmapped buffer (served later); thread 2 faults on its own page meanwhile.
    m.load(assemble(twoThreads(
      'li a0, 1\n li a1, 0x50000000\n li a2, 3\n li a7, 64\n ecall\n li a7, 94\n ecall',
      'li t0, 0x50002000\n lw t1, 0(t0)\n li a0, 0\n li a7, 93\n ecall',
    )));
    const buffer = m.addressSpace.createDataspace(PAGE_SIZE, { name: 'buffer' });
    buffer.write(0, new TextEncoder().encode('hi\n'));
    const other = m.addressSpace.createDataspace(PAGE_SIZE, { name: 'other' });
    let releaseFirst: () => void = () => {};
    const firstMayGo = new Promise<void>((resolve) => { releaseFirst = resolve; });
    const faults: Array<[number, number, number]> = [];
    let addressAfterWait = 0;
    m.registerFaultHandler(async (fault) => {
      faults.push([fault.tid, fault.address >>> 0, fault.access]);
      if (fault.tid === 1) {
        await firstMayGo;
        addressAfterWait = fault.address >>> 0; // still this thread's fault, after thread 2's
        m.addressSpace.root.attach(buffer, { at: 0x5000_0000 });
      } else {
        m.addressSpace.root.attach(other, { at: 0x5000_2000 });
        releaseFirst();
      }
      return FaultStatus.Fixed;
    });
    const result = await m.runAsync({ timeoutMs: 60_000 });
    expect(result).toEqual({ kind: 'exit', exitCode: 3 });
    expect(faults).toEqual([[1, 0x5000_0000, Access.Read], [2, 0x5000_2000, Access.Read]]);
    expect(addressAfterWait).toBe(0x5000_0000);
  });
  describe('a page source that fails ends the run naming the thread and the page, while the other thread runs on', () => {
    // Thread 1 spins forever; thread 2 reads a page of the remote region.
    const program = () => assemble(twoThreads('1: addi s0, s0, 1\n j 1b', 'li t0, 0x50001000\n lw a0, 0(t0)\n li a7, 94\n ecall'));
    const remote = (fetch: () => Promise<Uint8Array>) =>
      demandPaging({ name: 'remote', at: 0x5000_0000, size: 4 * PAGE_SIZE, backing: { kind: 'source', fetch } });

    it('a rejected source', async () => {
      const m = new Machine();
      m.load(program());
      m.use(remote(() => Promise.reject(new Error('link down'))));
      const error = await m.runAsync({ timeoutMs: 60_000 }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(HandlerError);
      expect((error as HandlerError).message).toMatch(/^fault handler 'remote' rejected: link down \(while handling load page fault: read at 0x50001000 .*thread 2\)$/);
      expect((error as HandlerError).fault.tid).toBe(2);
    });

    it('a source that never answers, once timeoutMs passes', async () => {
      const m = new Machine();
      m.load(program());
      m.use(remote(() => new Promise<Uint8Array>(() => {})));
      const spinner = () => m.threads.find((t) => t.tid === 1)!.retired;
      const error = await m.runAsync({ timeoutMs: 200 }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(HandlerError);
      expect((error as HandlerError).message).toMatch(/did not settle its promise within 200 ms \(timeoutMs\) for load page fault: read at 0x50001000 .*\(thread 2\)$/);
      // Thread 1 was never blocked by thread 2's wait.
      expect(spinner()).toBeGreaterThan(1000);
    });
  });
});
