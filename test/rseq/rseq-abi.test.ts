/**
 * The rseq system call's registration edge
 * cases and the SIGSEGV cases of a bad descriptor, against expectations
 * written from Linux's kernel/rseq.c (`sys_rseq`, `rseq_get_rseq_cs`,
 * `rseq_ip_fixup`, 6.3 and later); each test names the Linux check.
 *
 * qemu-riscv32 (Debian's qemu-user 7.2) does not implement rseq: it
 * answers -ENOSYS (the first test checks that, so a qemu that starts
 * implementing it shows up here and the cases can be compared with it).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine, assemble } from '../../src/index.js';
import { Errno } from '../../src/syscalls/errno.js';
import { RSEQ_SIG } from '../../src/syscalls/rseq-abi.js';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { buildWithRuntime, runUnderQemu } from '../runtime/guest-build.js';
import { symbol } from './programs.js';

const SIG = RSEQ_SIG | 0;

/** One rseq call: its arguments as assembly operands (labels or numbers). */
interface Call {
  readonly area: string;
  readonly length: number;
  readonly flags: number;
  readonly sig: number;
}

/**
 * A program that makes `calls` in order, storing each result in
 * `results[k]`, then exits 0. `area`, `area2` are 32-aligned, 64 bytes each.
 */
function callsProgram(calls: readonly Call[], prelude = ''): Machine {
  const body = calls.map((c, k) => `
    la a0, ${c.area}
    li a1, ${c.length}
    li a2, ${c.flags}
    li a3, ${c.sig}
    li a7, 293
    ecall
    la t0, results
    sw a0, ${4 * k}(t0)`).join('\n');
  const program = assemble(`
    .text
    .globl _start
  _start:
  ${prelude}
  ${body}
    li a0, 0
    li a7, 93
    ecall
    .data
    .align 6
  area: .space 64
  area2: .space 64
  results: .space ${4 * Math.max(1, calls.length)}
  `, { fileName: 'rseq-calls.s' });
  const m = new Machine({ memoryQuota: 32 << 20, cpus: 3 });
  m.load(program);
  expect(m.run({ maxInstructions: 10_000 })).toEqual({ kind: 'exit', exitCode: 0 });
  (m as unknown as { results: number[] }).results = calls.map((_, k) => m.addressSpace.readU32(symbol(program, 'results') + 4 * k) | 0);
  (m as unknown as { area: number }).area = symbol(program, 'area');
  return m;
}

function results(m: Machine): number[] {
  return (m as unknown as { results: number[] }).results;
}

const reg = (area = 'area', length = 32, sig = SIG): Call => ({ area, length, flags: 0, sig });
const unreg = (area = 'area', length = 32, sig = SIG): Call => ({ area, length, flags: 1, sig });

describe('rseq registration (kernel/rseq.c sys_rseq)', () => {
  it('registers: 0, and cpu_id_start, cpu_id, node_id, mm_cid are written before the thread runs again', () => {
    const m = callsProgram([reg()]);
    expect(results(m)).toEqual([0]);
    const area = (m as unknown as { area: number }).area, as = m.addressSpace;
    expect([as.readU32(area), as.readU32(area + 4), as.readU32(area + 20), as.readU32(area + 24)]).toEqual([0, 0, 0, 0]);
  });

  it('a set rseq_cs is cleared at registration ("If the rseq_cs pointer is non-NULL on registration, clear it")', () => {
    const m = callsProgram([reg()], 'la t0, area\n li t1, 0x1234\n sw t1, 8(t0)\n sw t1, 12(t0)');
    expect(results(m)).toEqual([0]);
    const area = (m as unknown as { area: number }).area;
    expect([m.addressSpace.readU32(area + 8), m.addressSpace.readU32(area + 12)]).toEqual([0, 0]);
  });

  it('double registration with the same arguments is -EBUSY ("Already registered")', () => {
    expect(results(callsProgram([reg(), reg()]))).toEqual([0, -Errno.EBUSY]);
  });

  it('registering again at another address or length is -EINVAL, with another signature -EPERM', () => {
    expect(results(callsProgram([reg(), reg('area2'), reg('area', 64), reg('area', 32, 0x12345)]))).toEqual([0, -Errno.EINVAL, -Errno.EINVAL, -Errno.EPERM]);
  });

  it('a length below ORIG_RSEQ_SIZE (32) is -EINVAL; a longer, 32-aligned struct is accepted (extensible rseq, Linux 6.3)', () => {
    expect(results(callsProgram([reg('area', 0), reg('area', 16), reg('area', 28), reg('area', 31)]))).toEqual(Array(4).fill(-Errno.EINVAL));
    expect(results(callsProgram([reg('area', 64)]))).toEqual([0]);
  });

  it('a struct that is not 32-aligned is -EINVAL (IS_ALIGNED(rseq, ORIG_RSEQ_SIZE) / __alignof__(struct rseq))', () => {
    expect(results(callsProgram([reg('area + 4'), reg('area + 16'), { ...reg('area + 8'), length: 64 }]))).toEqual(Array(3).fill(-Errno.EINVAL));
  });

  it('flags other than RSEQ_FLAG_UNREGISTER are -EINVAL, alone or with it', () => {
    expect(results(callsProgram([{ ...reg(), flags: 2 }, { ...unreg(), flags: 3 }, reg(), { ...unreg(), flags: 3 }]))).toEqual([-Errno.EINVAL, -Errno.EINVAL, 0, -Errno.EINVAL]);
  });

  it('a struct past the address space is -EFAULT (access_ok); one that cannot be read is -EFAULT', () => {
    const m = callsProgram([{ area: '0xffffffe0', length: 64, flags: 0, sig: SIG }, { area: '0x70000000', length: 32, flags: 0, sig: SIG }]);
    expect(results(m)).toEqual([-Errno.EFAULT, -Errno.EFAULT]);
  });

  it('unregistration: -EINVAL when not registered, at another address or length; -EPERM with another signature; then 0 and cpu_id -1', () => {
    const m = callsProgram([unreg(), reg(), unreg('area2'), unreg('area', 64), unreg('area', 32, 7), unreg(), unreg()]);
    expect(results(m)).toEqual([-Errno.EINVAL, 0, -Errno.EINVAL, -Errno.EINVAL, -Errno.EPERM, 0, -Errno.EINVAL]);
    const area = (m as unknown as { area: number }).area;
    expect([m.addressSpace.readU32(area), m.addressSpace.readU32(area + 4) | 0]).toEqual([0, -1]);
  });

  it('a registration is per thread: a new thread starts unregistered (rseq_fork with CLONE_VM) and registers its own', () => {
    const program = assemble(`
      .text
      .globl _start
    _start:
      la a0, area
      li a1, 32
      li a2, 0
      li a3, ${SIG}
      li a7, 293
      ecall
      li a0, 0x50f00
      la a1, stack_top
      li a2, 0
      li a3, 0
      li a4, 0
      li a7, 220
      ecall
      bnez a0, parent
      la a0, area          # the parent's: not this thread's
      li a1, 32
      li a2, 1
      li a3, ${SIG}
      li a7, 293
      ecall
      la t0, results
      sw a0, 0(t0)
      la a0, area2
      li a1, 32
      li a2, 0
      li a3, ${SIG}
      li a7, 293
      ecall
      la t0, results
      sw a0, 4(t0)
      li a7, 93
      ecall
    parent:
      li a7, 93
      li a0, 0
      ecall
      .data
      .align 6
    area: .space 64
    area2: .space 64
    results: .space 8
      .bss
      .align 4
      .space 1024
    stack_top:
    `);
    const m = new Machine({ memoryQuota: 32 << 20, cpus: 2 });
    m.load(program);
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const at = symbol(program, 'results');
    expect([m.addressSpace.readU32(at) | 0, m.addressSpace.readU32(at + 4) | 0]).toEqual([-Errno.EINVAL, 0]);
    // Thread 2 runs on CPU 1: its own struct says so.
    expect(m.addressSpace.readU32(symbol(program, 'area2') + 4)).toBe(1);
  });
});

/**
 * A thread that registers, points rseq_cs at `cs` (a descriptor the test
 * writes as words), then spins inside [start, post) until preempted.
 */
function sectionProgram(descriptor: string, signature = SIG, flags = 0): { machine: Machine; start: number } {
  const program = assemble(`
    .text
    .globl _start
  _start:
    la a0, area
    li a1, 32
    li a2, 0
    li a3, ${SIG}
    li a7, 293
    ecall
    la t0, area
    li t1, ${flags}
    sw t1, 16(t0)
    la t1, cs
    sw t1, 8(t0)
  start:
    addi t2, t2, 1
    addi t2, t2, 1
    j start
  post:
    .word ${signature}
  abort:
    li a0, 0
    li a7, 93
    ecall
    .data
    .align 5
  area: .space 32
    .align 5
  cs:
  ${descriptor}
  `, { fileName: 'rseq-section.s' });
  const machine = new Machine({ memoryQuota: 32 << 20 });
  machine.load(program);
  return { machine, start: symbol(program, 'start') };
}

/** Runs into the section, preempts, runs on: the result. */
function preemptInside(descriptor: string, signature = SIG, flags = 0): ReturnType<Machine['run']> {
  const { machine } = sectionProgram(descriptor, signature, flags);
  expect(machine.run({ maxInstructions: 30 }).kind).toBe('limit');
  machine.preempt(1);
  return machine.run({ maxInstructions: 1000 });
}

const GOOD = '.word 0, 0\n .word start, 0\n .word post - start, 0\n .word abort, 0';

describe('a critical section after a preemption (rseq_ip_fixup)', () => {
  it('a good descriptor: the thread goes to abort_ip and exits 0', () => {
    expect(preemptInside(GOOD)).toEqual({ kind: 'exit', exitCode: 0 });
  });

  function killed(result: ReturnType<Machine['run']>, what: RegExp): void {
    expect(result.kind).toBe('fault');
    if (result.kind !== 'fault') return;
    expect(result.signal).toBe(11);
    expect(result.handler).toBe('rseq');
    expect(result.message).toMatch(what);
  }

  it('a signature mismatch before abort_ip kills with SIGSEGV ("Possible attack attempt")', () => {
    killed(preemptInside(GOOD, 0x12345678), /signature 0x12345678 before abort_ip .* is not the registered 0xf1401073/);
  });

  it('abort_ip inside the critical section kills with SIGSEGV ("Ensure that abort_ip is not in the critical section")', () => {
    killed(preemptInside('.word 0, 0\n .word start, 0\n .word post - start + 8, 0\n .word abort, 0'), /abort_ip .* is inside the critical section/);
  });

  it('version > 0 kills with SIGSEGV', () => {
    killed(preemptInside('.word 1, 0\n .word start, 0\n .word post - start, 0\n .word abort, 0'), /version 1/);
  });

  it('start_ip, abort_ip or the end past TASK_SIZE (a high word) kills with SIGSEGV', () => {
    killed(preemptInside('.word 0, 0\n .word start, 1\n .word post - start, 0\n .word abort, 0'), /start_ip .* is not a user address/);
    killed(preemptInside('.word 0, 0\n .word start, 0\n .word post - start, 0\n .word abort, 1'), /abort_ip .* is not a user address/);
    killed(preemptInside('.word 0, 0\n .word start, 0\n .word 0xffffffff, 0\n .word abort, 0'), /runs past the user address space/);
  });

  it('flags in the descriptor or in struct rseq kill with SIGSEGV inside a section (rseq_need_restart, rseq_warn_flags)', () => {
    killed(preemptInside('.word 0, 1\n .word start, 0\n .word post - start, 0\n .word abort, 0'), /rseq_cs .* has flags 0x00000001/);
    killed(preemptInside(GOOD, SIG, 2), /struct rseq at .* has flags 0x00000002/);
  });

  it('a bad descriptor kills even outside its section: Linux validates rseq_cs whenever it is set', () => {
    // The section named by the descriptor is elsewhere; the thread spins at start.
    killed(preemptInside('.word 0, 0\n .word abort + 64, 0\n .word 8, 0\n .word abort + 64, 0'), /abort_ip .* is inside the critical section/);
  });

  it('outside the section a good descriptor is only cleared (the lazy clear) and the thread goes on', () => {
    const { machine } = sectionProgram('.word 0, 0\n .word abort + 64, 0\n .word 8, 0\n .word abort, 0');
    expect(machine.run({ maxInstructions: 30 }).kind).toBe('limit');
    machine.preempt(1);
    expect(machine.run({ maxInstructions: 10 }).kind).toBe('limit');
    expect(machine.rseqAborts).toBe(0);
    const area = machine.program!.symbols.get('area')!;
    expect(machine.addressSpace.readU32(area + 8)).toBe(0);
  });

  it('an unmapped descriptor kills with SIGSEGV (-EFAULT from copy_from_user, then force_sigsegv)', () => {
    const { machine } = sectionProgram(GOOD);
    expect(machine.run({ maxInstructions: 30 }).kind).toBe('limit');
    const area = machine.program!.symbols.get('area')!;
    machine.addressSpace.writeU32(area + 8, 0x7000_0000);
    machine.preempt(1);
    killed(machine.run({ maxInstructions: 10 }), /cannot read rseq_cs.version at 0x70000000/);
  });
});

describe('host entry points', () => {
  it('preempt, migrate and pause name a bad tid or CPU', () => {
    const { machine } = sectionProgram(GOOD);
    expect(() => machine.preempt(9)).toThrow(/Machine.preempt: no live thread 9/);
    expect(() => machine.migrate(1, 1)).toThrow(/Machine.migrate: cpu must be a whole number from 0 to 0 \(cpus\), got 1/);
    expect(() => new Machine({ cpus: 0 })).toThrow(/cpus must be a whole number of virtual CPUs from 1 to 512, got 0/);
  });

  it('a move to the CPU a thread is on changes nothing; a pause preempts', () => {
    const program = assemble(`
      .text
      .globl _start
    _start:
      la a0, area
      li a1, 32
      li a2, 0
      li a3, ${SIG}
      li a7, 293
      ecall
      la t0, area
      la t1, cs
      sw t1, 8(t0)
    start:
      j start
    post:
      .word ${SIG}
    abort:
      li a0, 3
      li a7, 93
      ecall
      .data
      .align 5
    area: .space 32
      .align 5
    cs: ${GOOD}
    `);
    const m = new Machine({ cpus: 2 });
    m.load(program);
    expect(m.run({ maxInstructions: 20 }).kind).toBe('limit');
    m.migrate(1, 0);
    expect(m.run({ maxInstructions: 20 }).kind).toBe('limit');
    m.pause(1);
    m.resume(1);
    expect(m.run({ maxInstructions: 20 })).toEqual({ kind: 'exit', exitCode: 3 });
  });
});

describeWithTools([GCC, QEMU], 'rseq under qemu-riscv32', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'faultline-rseq-qemu-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('Debian qemu-user does not implement rseq: every call answers -ENOSYS, so only the examples (fallback path) are compared with it', async () => {
    const source = join(tmp, 'probe.c');
    writeFileSync(source, `
#include "faultline-rt.h"
#include "faultline-rseq.h"
int main(void)
{
    printf("register=%d\\n", rseq_register_current_thread());
    printf("unregister=%d\\n", rseq_unregister_current_thread());
    return 0;
}
`);
    await buildWithRuntime([source], join(tmp, 'probe'));
    const r = await runUnderQemu(join(tmp, 'probe'), [], tmp);
    expect(r).toEqual({ stdout: `register=${-Errno.ENOSYS}\nunregister=${-Errno.ENOSYS}\n`, status: 0 });
  });
});
