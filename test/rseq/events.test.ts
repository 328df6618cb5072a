/**
 * The abort sources one at a time, each with a section that never commits
 * on its own (it spins until something moves the thread), so the only way
 * out is an abort for the named reason: a time-slice switch, a futex
 * block, an asynchronous host handler, a synchronous host handler (which
 * must NOT abort), a guest handler, a pause, a migration.
 */

import { describe, expect, it } from 'vitest';
import { FaultStatus, Machine, PAGE_SIZE, RseqEvent, assemble } from '../../src/index.js';
import { RSEQ_SIG } from '../../src/syscalls/rseq-abi.js';

const SIG = RSEQ_SIG | 0;

/**
 * Thread 1 registers and enters a section whose body is `body` followed by
 * a jump back to the section's start; abort exits with status 42.
 * `extra` is code for a second thread (started first, when given).
 */
function program(body: string, extra = ''): string {
  return `
    .text
    .globl _start
  _start:
  ${extra === '' ? '' : `
    li a0, 0x50f00
    la a1, stack_top
    li a2, 0
    li a3, 0
    li a4, 0
    li a7, 220
    ecall
    beqz a0, other`}
    la a0, area
    li a1, 32
    li a2, 0
    li a3, ${SIG}
    li a7, 293
    ecall
    la s1, area
    la t1, cs
    sw t1, 8(s1)
  start:
  ${body}
    j start
  post:
    .word ${SIG}
  abort:
    li a0, 42
    li a7, 94
    ecall
  other:
  ${extra}
    .data
    .align 5
  area: .space 32
    .align 5
  cs: .word 0, 0, start, 0, post - start, 0, abort, 0
  word: .word 0
    .bss
    .align 4
    .space 1024
  stack_top:
  `;
}

function aborts(m: Machine): number[] {
  const why: number[] = [];
  m.events.on('rseqAbort', (_tid, _from, _to, bits) => why.push(bits));
  return why;
}

describe('what aborts a section, one source at a time', () => {
  it('a slice end with another thread to run (Preempt); with no other thread the section keeps spinning', () => {
    const alone = new Machine({ timeSlice: 10 });
    alone.load(assemble(program('addi t2, t2, 1')));
    expect(alone.run({ maxInstructions: 10_000 })).toEqual({ kind: 'limit' });
    expect(alone.rseqAborts).toBe(0);
    const m = new Machine({ timeSlice: 10 });
    m.load(assemble(program('addi t2, t2, 1', '1: j 1b')));
    const why = aborts(m);
    expect(m.run({ maxInstructions: 10_000 })).toEqual({ kind: 'exit', exitCode: 42 });
    expect(why).toEqual([RseqEvent.Preempt]);
  });

  it('a futex wait that blocks, alone, until its timeout (Preempt)', () => {
    const m = new Machine();
    // futex_time64(&word, FUTEX_WAIT_PRIVATE, 0, &timeout): blocks for 1000 ns of virtual time.
    m.load(assemble(program(`
      la a0, word
      li a1, 128
      li a2, 0
      la a3, timeout
      li a7, 422
      ecall
    `).replace('  word: .word 0', '  word: .word 0\n    .align 3\n  timeout: .word 0, 0, 1000, 0')));
    const why = aborts(m);
    expect(m.run({ maxInstructions: 10_000 })).toEqual({ kind: 'exit', exitCode: 42 });
    expect(why).toEqual([RseqEvent.Preempt]);
  });

  it('an asynchronous host handler makes the thread wait (Fault); a synchronous one does not abort', async () => {
    const source = program('li t0, 0x50000000\n lw t2, 0(t0)');
    const sync = new Machine();
    sync.load(assemble(source));
    const page = sync.addressSpace.createDataspace(PAGE_SIZE, { name: 'p' });
    sync.registerFaultHandler(() => { sync.addressSpace.root.attach(page, { at: 0x5000_0000 }); return FaultStatus.Fixed; });
    expect(sync.run({ maxInstructions: 10_000 })).toEqual({ kind: 'limit' });
    expect(sync.rseqAborts).toBe(0);

    const m = new Machine();
    m.load(assemble(source));
    const page2 = m.addressSpace.createDataspace(PAGE_SIZE, { name: 'p' });
    m.registerFaultHandler(async () => {
      await Promise.resolve();
      m.addressSpace.root.attach(page2, { at: 0x5000_0000 });
      return FaultStatus.Fixed;
    });
    const why = aborts(m);
    expect(await m.runAsync({ maxInstructions: 10_000 })).toEqual({ kind: 'exit', exitCode: 42 });
    // Waiting for the handler is also blocking: the thread left the hart.
    expect(why).toEqual([RseqEvent.Fault | RseqEvent.Preempt]);
  });

  it('a guest fault handler ran for the fault (Fault)', () => {
    const m = new Machine();
    m.load(assemble(program('ebreak').replace('  other:', `
  handler:
    lw t0, 128(a0)             # ctx->pc
    addi t0, t0, 4             # skip the ebreak
    sw t0, 128(a0)
    li a0, 1                   # FAULT_FIXED
    ret
  other:`).replace('    la s1, area\n', '    la a0, handler\n    li a1, 0\n    li a7, 0x1000\n    ecall\n    la s1, area\n')));
    const why = aborts(m);
    expect(m.run({ maxInstructions: 10_000 })).toEqual({ kind: 'exit', exitCode: 42 });
    expect(why).toEqual([RseqEvent.Fault]);
  });

  it('a pause, even resumed before the next run (Preempt), and a migration (Migrate)', () => {
    for (const [act, bits] of [[(m: Machine) => { m.pause(1); m.resume(1); }, RseqEvent.Preempt], [(m: Machine) => m.migrate(1, 1), RseqEvent.Migrate]] as const) {
      const m = new Machine({ cpus: 2 });
      m.load(assemble(program('addi t2, t2, 1')));
      const why = aborts(m);
      expect(m.run({ maxInstructions: 100 })).toEqual({ kind: 'limit' });
      act(m);
      expect(m.run({ maxInstructions: 100 })).toEqual({ kind: 'exit', exitCode: 42 });
      expect(why).toEqual([bits]);
    }
  });
});
