import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { Cause } from '../../src/fault/cause.js';
import { HandlerError, LivelockError } from '../../src/fault/handler-error.js';
import { FaultStatus } from '../../src/fault/status.js';
import type { Program } from '../../src/loader/program.js';
import { RED_ZONE, TRAMPOLINE_ADDRESS } from '../../src/machine/guest-handlers.js';
import { Machine, type MachineOptions } from '../../src/machine/machine.js';
import { CollectedOutput } from '../../src/machine/output.js';
import { MapFlags } from '../../src/memory/mman.js';
import { Prot } from '../../src/memory/page.js';
import { Errno } from '../../src/syscalls/errno.js';
import { exitStatusOf } from '../../src/machine/run-result.js';
import { hex32 } from '../../src/errors.js';

const HOLE = 0x5000_0000;
const ANON_FIXED = MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed;

/**
 * A guest: `body` runs from _start and then exits with a0; `handler` is
 * the code at label `handler`. `results` is a 256-byte data area; HOLE is
 * an unmapped address.
 */
function source(body: string, handler = 'li a0, 0\n ret'): string {
  return `
    .equ    HOLE, ${HOLE}
    .equ    SYS_WRITE, 64
    .equ    SYS_EXIT, 93
    .equ    SYS_MMAP, 222
    .equ    SYS_MUNMAP, 215
    .equ    REGISTER, 0x1000
    .equ    UNREGISTER, 0x1001
    .equ    FAULT_RETURN, 0x1002
    .text
    .globl  _start
_start:
${body}
    li      a7, SYS_EXIT
    ecall
    .balign 4
handler:
${handler}
    .balign 4
other_handler:
    li      a0, 0
    ret
    .data
    .balign 16
results:
    .zero   256
tag:
    .ascii  "g"
`;
}

/** `register_fault_handler(label, tail)`; result in a0. */
const register = (label: string, tail: 0 | 1) => `
    la      a0, ${label}
    li      a1, ${tail}
    li      a7, REGISTER
    ecall`;

/** `write(2, "g", 1)`: the handler tells the host it ran (clobbers a0-a2, a7). */
const TAG = `
    li      a0, 2
    la      a1, tag
    li      a2, 1
    li      a7, SYS_WRITE
    ecall`;

/** Maps the page at HOLE read+write with mmap(MAP_FIXED) (clobbers a0-a5, a7). */
const MAP_HOLE = `
    li      a0, HOLE
    li      a1, 4096
    li      a2, ${Prot.Read | Prot.Write}
    li      a3, ${ANON_FIXED}
    li      a4, -1
    li      a5, 0
    li      a7, SYS_MMAP
    ecall`;

interface Guest {
  readonly machine: Machine;
  readonly program: Program;
  readonly out: CollectedOutput;
  /** Names in the order handlers ran; the guest handler shows as 'guest'. */
  readonly trace: string[];
  /** Word k of `results`. */
  result(k: number): number;
  /** Address of a symbol. */
  symbol(name: string): number;
}

function guest(body: string, handler?: string, options: MachineOptions = {}): Guest {
  const out = new CollectedOutput();
  const trace: string[] = [];
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: out.sink, stderr: () => { trace.push('guest'); }, ...options });
  const program = assemble(source(body, handler), { fileName: 'guest.s' });
  machine.load(program);
  const symbol = (name: string) => {
    const at = program.symbols.get(name);
    if (at === undefined) throw new Error(`no symbol ${name}`);
    return at;
  };
  return { machine, program, out, trace, symbol, result: (k) => machine.addressSpace.readU32(symbol('results') + 4 * k) | 0 };
}

/** A host handler that maps HOLE and answers Fixed, noting `name` in `trace`. */
function hostMapper(g: Guest, name: string) {
  const handler = () => {
    g.trace.push(name);
    g.machine.linuxMemory.mmap(HOLE, 4096, Prot.Read | Prot.Write, ANON_FIXED, -1, 0);
    g.machine.addressSpace.writeU32(HOLE, 0x1234);
    return FaultStatus.Fixed;
  };
  Object.defineProperty(handler, 'name', { value: name });
  return handler;
}

function hostContinue(g: Guest, name: string) {
  const handler = () => { g.trace.push(name); return FaultStatus.Continue; };
  Object.defineProperty(handler, 'name', { value: name });
  return handler;
}

const guestName = (address: number) => `guest handler 0x${address.toString(16).padStart(8, '0')}`;

describe('register_fault_handler / unregister_fault_handler / fault_return', () => {
  it('answer 0, -EINVAL, -EEXIST and -ENOENT as docs/design.md §2 says', () => {
    const store = (k: number) => `\n    sw      a0, ${4 * k}(s0)`;
    const g = guest(`
    la      s0, results
    li      a0, 0
    li      a1, 0
    li      a7, REGISTER
    ecall${store(0)}
    la      a0, handler
    addi    a0, a0, 2
    li      a1, 0
    li      a7, REGISTER
    ecall${store(1)}
    la      a0, results
    li      a1, 0
    li      a7, REGISTER
    ecall${store(2)}
    li      a0, HOLE
    li      a1, 0
    li      a7, REGISTER
    ecall${store(3)}
    ${register('handler', 0)}${store(4)}
    ${register('handler', 1)}${store(5)}
    la      a0, other_handler
    li      a7, UNREGISTER
    ecall${store(6)}
    la      a0, handler
    li      a7, UNREGISTER
    ecall${store(7)}
    la      a0, handler
    li      a7, UNREGISTER
    ecall${store(8)}
    li      a0, 1
    li      a7, FAULT_RETURN
    ecall${store(9)}
    li      a0, 0`);
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => g.result(k))).toEqual([
      -Errno.EINVAL, // fn = 0
      -Errno.EINVAL, // not 4-aligned
      -Errno.EINVAL, // not executable (data)
      -Errno.EINVAL, // not mapped
      0,
      -Errno.EEXIST,
      -Errno.ENOENT, // never registered
      0,
      -Errno.ENOENT, // already gone
      -Errno.EINVAL, // fault_return outside a handler
    ]);
    expect(g.machine.chain.size).toBe(0);
  });

  it('puts a named entry in the chain, lists it, and maps the trampoline page lazily as [faultline]', () => {
    const g = guest(`${register('handler', 0)}\n    li a0, 0`);
    expect(g.machine.addressSpace.maps()).not.toContain('[faultline]');
    g.machine.run();
    const fn = g.symbol('handler');
    expect(g.machine.chain.list().map((e) => e.name)).toEqual([guestName(fn)]);
    expect(g.machine.guestHandlers.list().map((e) => e.fn)).toEqual([fn]);
    expect(g.machine.addressSpace.maps()).toMatch(/^ffffe000-fffff000 r-xp .*\[faultline\]$/m);
  });

  it('can be driven from the host, and forgets a handler the host took out of the chain', () => {
    const g = guest('li a0, 0');
    const reg = g.machine.guestHandlers;
    const fn = g.symbol('handler'), other = g.symbol('other_handler');
    expect(reg.register(fn)).toBe(0);
    expect(reg.register(other, { tail: true })).toBe(0);
    expect(reg.register(fn)).toBe(-Errno.EEXIST);
    expect(reg.list().map((e) => e.fn)).toEqual([fn, other]);
    g.machine.unregisterFaultHandler(reg.list()[0]!.handler);
    expect(reg.list().map((e) => e.fn)).toEqual([other]);
    expect(reg.unregister(fn)).toBe(-Errno.ENOENT);
    expect(reg.register(fn, { tail: true })).toBe(0);
    expect(reg.list().map((e) => e.fn)).toEqual([other, fn]);
  });
});

describe('guest handlers in the chain', () => {
  const faultingBody = (tail: 0 | 1) => `
    ${register('handler', tail)}
    li      t0, HOLE
    lw      a0, 0(t0)
    li      a1, 0x1234
    sub     a0, a0, a1              # exit 0 when the load read 0x1234`;
  const continueHandler = `${TAG}\n    li a0, 0\n    ret`;

  it('a guest handler registered without insert_tail goes in front of host handlers', () => {
    const g = guest(faultingBody(0), continueHandler);
    g.machine.registerFaultHandler(hostContinue(g, 'host head'));
    g.machine.registerFaultHandler(hostMapper(g, 'host tail'), { tail: true });
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(g.trace).toEqual(['guest', 'host head', 'host tail']);
    expect(g.machine.chain.list().map((e) => e.name)).toEqual([guestName(g.symbol('handler')), 'host head', 'host tail']);
  });

  it('with insert_tail it goes behind them, and is not asked once a host handler fixed the fault', () => {
    const g = guest(faultingBody(1), continueHandler);
    g.machine.registerFaultHandler(hostContinue(g, 'host'));
    g.machine.registerFaultHandler(hostMapper(g, 'host fixer'), { tail: true });
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(g.trace).toEqual(['host', 'host fixer']);
    expect(g.machine.chain.list().map((e) => e.name)).toEqual(['host', 'host fixer', guestName(g.symbol('handler'))]);
  });

  it('a host handler registered later at the head goes in front of the guest handler', () => {
    const g = guest(faultingBody(0), continueHandler);
    g.machine.events.on('syscall', (nr) => {
      if (nr === 0x1000) g.machine.registerFaultHandler(hostMapper(g, 'late host'));
    });
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(g.trace).toEqual(['late host']);
  });

  it('a guest handler that maps the page with mmap(MAP_FIXED) and answers Fixed makes the load retry', () => {
    const g = guest(faultingBody(0), `
    ${MAP_HOLE}
    li      t0, HOLE
    li      t1, 0x1234
    sw      t1, 0(t0)
    li      a0, 1
    ret`);
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
  });

  it('the exception table stays the last resort behind a guest handler at the tail', () => {
    const g = guest(`
    ${register('handler', 1)}
    li      t0, HOLE
1:  lw      a0, 0(t0)
    j       3f
2:  li      a0, 99                  # the fixup: must not run
3:  nop
    .extable 1b, 2b`, `
    ${MAP_HOLE}
    li      t0, HOLE
    li      t1, 5
    sw      t1, 0(t0)
    li      a0, 1
    ret`);
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 5 });
  });

  it('a guest handler answering Fail ends the run with an unresolved fault naming it', () => {
    const g = guest(faultingBody(0), 'li a0, 2\n ret');
    const later = hostMapper(g, 'later');
    g.machine.registerFaultHandler(later, { tail: true });
    const r = g.machine.run();
    expect(r.kind).toBe('fault');
    if (r.kind !== 'fault') return;
    expect(r.handler).toBe(guestName(g.symbol('handler')));
    expect(r.fault.address).toBe(HOLE);
    expect(g.trace).toEqual([]);
  });

  it('works under runAsync with asynchronous host handlers behind it', async () => {
    const g = guest(faultingBody(0), continueHandler);
    g.machine.registerFaultHandler(async () => {
      await Promise.resolve();
      return hostMapper(g, 'async host')();
    }, { tail: true });
    expect(await g.machine.runAsync()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(g.trace).toEqual(['guest', 'async host']);
  });
});

describe('the frame and the user context', () => {
  it('calls fn with a0 = ctx, a1 = info, sp = ctx, ra = trampoline, below a red zone, 16-aligned', () => {
    // The thread sets s1 and s2 and records its sp; the handler records what it got.
    const g = guest(`
    ${register('handler', 0)}
    la      s0, results
    sw      sp, 64(s0)
    li      s1, 0x5151
    li      s2, -7
    li      t0, HOLE + 8
faulting:
    sw      s2, 0(t0)`, `
    la      t0, results
    sw      a0, 0(t0)
    sw      a1, 4(t0)
    sw      sp, 8(t0)
    sw      ra, 12(t0)
    sw      s1, 16(t0)              # kept from the faulting thread
    lw      t1, 0(a1)               # info->cause
    sw      t1, 20(t0)
    lw      t1, 4(a1)               # info->address
    sw      t1, 24(t0)
    lw      t1, 8(a1)               # info->access
    sw      t1, 28(t0)
    lw      t1, 12(a1)              # info->flags
    sw      t1, 32(t0)
    lw      t1, 36(a0)              # ctx->regs[9] (s1)
    sw      t1, 36(t0)
    lw      t1, 72(a0)              # ctx->regs[18] (s2)
    sw      t1, 40(t0)
    lw      t1, 128(a0)             # ctx->pc
    sw      t1, 44(t0)
    lw      t1, 0(a0)               # ctx->regs[0]
    sw      t1, 48(t0)
    lw      t1, 8(a0)               # ctx->regs[2] (sp)
    sw      t1, 52(t0)
    li      a0, 2                   # Fail: we only look
    ret`);
    const r = g.machine.run();
    expect(r.kind).toBe('fault');
    const [ctx, info, sp, ra, s1, cause, address, access, flags, ctxS1, ctxS2, ctxPc, ctxX0, ctxSp] =
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((k) => g.result(k) >>> 0);
    const threadSp = g.result(16) >>> 0;
    expect(ctx % 16).toBe(0);
    expect(info).toBe(ctx! + 144);
    expect(info! % 16).toBe(0);
    expect(info! + 16).toBeLessThanOrEqual(threadSp - RED_ZONE);
    expect(threadSp - RED_ZONE - (info! + 16)).toBeLessThan(16);
    expect(sp).toBe(ctx);
    expect(ra).toBe(TRAMPOLINE_ADDRESS);
    expect(s1).toBe(0x5151);
    expect([cause, address, access, flags]).toEqual([Cause.StorePageFault, HOLE + 8, 1, 0]);
    expect([ctxS1, ctxS2 | 0, ctxPc, ctxX0, ctxSp]).toEqual([0x5151, -7, g.symbol('faulting'), 0, threadSp]);
  });

  it('sets flags bit 0 for a protection fault', () => {
    const g = guest(`
    ${register('handler', 0)}
    la      t0, _start
    sw      zero, 0(t0)             # text is read-only`, `
    la      t0, results
    lw      t1, 12(a1)
    sw      t1, 0(t0)
    lw      t1, 8(a1)
    sw      t1, 4(t0)
    li      a0, 2
    ret`);
    g.machine.run();
    expect([g.result(0), g.result(1)]).toEqual([1, 1]);
  });

  it('applies ctx->regs and ctx->pc on Fixed', () => {
    const g = guest(`
    ${register('handler', 0)}
    li      t0, HOLE
    lw      a0, 0(t0)               # skipped by the handler, which sets a0 = 77
    addi    a0, a0, 1`, `
    li      t0, 77
    sw      t0, 40(a0)              # ctx->regs[10]
    lw      t0, 128(a0)
    addi    t0, t0, 4
    sw      t0, 128(a0)             # ctx->pc += 4
    li      a0, 1
    ret`);
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 78 });
  });

  it('ignores context changes on Continue: the next handler sees the thread as it faulted', () => {
    const g = guest(`
    ${register('handler', 0)}
    li      a0, 11
    li      s1, 22
    li      t0, HOLE
faulting:
    lw      a0, 0(t0)`, `
    li      t0, 77
    sw      t0, 40(a0)              # ctx->regs[10] = 77
    sw      t0, 36(a0)              # ctx->regs[9] = 77
    sw      t0, 128(a0)             # ctx->pc = 77
    li      t1, -1                  # clobber caller-saved registers
    li      t2, -1
    li      a2, -1
    li      a0, 0
    ret`);
    const seen: number[][] = [];
    g.machine.registerFaultHandler((_f, ctx) => {
      seen.push([ctx.regs[10]!, ctx.regs[9]!, ctx.regs[5]!, ctx.regs[7]!, ctx.pc]);
      ctx.regs[10] = 3;
      ctx.pc += 4;
      return FaultStatus.Fixed;
    }, { tail: true });
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 3 });
    expect(seen).toEqual([[11, 22, HOLE, 0, g.symbol('faulting')]]);
  });

  it('does not count the handler\'s instructions in the thread\'s instret', () => {
    const body = `
    ${register('handler', 0)}
    li      t0, HOLE
    lw      a0, 0(t0)
    li      a0, 0`;
    const busy = `
    li      t0, 1000
1:  addi    t0, t0, -1
    bnez    t0, 1b
    ${MAP_HOLE}
    li      a0, 1
    ret`;
    const withGuest = guest(body, busy);
    expect(withGuest.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const withHost = guest(body, busy);
    withHost.machine.events.on('syscall', (nr) => {
      if (nr === 0x1000) withHost.machine.registerFaultHandler(hostMapper(withHost, 'host'));
    });
    expect(withHost.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(withGuest.machine.cpu.instret).toBe(withHost.machine.cpu.instret);
  });

  it('so a guest handler that answers Fixed without fixing is caught as a livelock', () => {
    const g = guest(`
    ${register('handler', 0)}
    li      t0, HOLE
    lw      a0, 0(t0)`, 'li a0, 1\n ret', { livelockLimit: 20 });
    let error: unknown;
    try { g.machine.run(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(LivelockError);
    expect((error as LivelockError).handlerName).toBe(guestName(g.symbol('handler')));
  });

  it('serves a fault in a system call\'s buffer: ctx->pc is the ecall, and the call completes', () => {
    const g = guest(`
    ${register('handler', 0)}
    li      a0, 1
    li      a1, HOLE
    li      a2, 6
    li      a7, SYS_WRITE
syscall_pc:
    ecall
    addi    a0, a0, -6`, `
    lw      t0, 128(a0)
    la      t1, results
    sw      t0, 0(t1)
    ${MAP_HOLE}
    li      t0, HOLE
    li      t1, 0x6c6c6568          # "hell"
    sw      t1, 0(t0)
    li      t1, 0x0a6f              # "o\\n"
    sw      t1, 4(t0)
    li      a0, 1
    ret`);
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(g.out.text()).toBe('hello\n');
    expect(g.result(0)).toBe(g.symbol('syscall_pc'));
  });

  it('a handler that exits ends the program with its status', () => {
    const g = guest(`
    ${register('handler', 0)}
    li      t0, HOLE
    lw      a0, 0(t0)`, `
    li      a0, 42
    li      a7, SYS_EXIT
    ecall`);
    expect(g.machine.run()).toEqual({ kind: 'exit', exitCode: 42 });
  });

  it('a system call of the handler with an inaccessible buffer gets -EFAULT, not a nested dispatch', () => {
    const g = guest(`
    ${register('handler', 0)}
    li      t0, HOLE
    lw      a0, 0(t0)`, `
    li      a0, 1
    li      a1, HOLE
    li      a2, 4
    li      a7, SYS_WRITE
    ecall
    la      t0, results
    sw      a0, 0(t0)
    li      a0, 2
    ret`);
    expect(g.machine.run().kind).toBe('fault');
    expect(g.result(0)).toBe(-Errno.EFAULT);
  });
});

describe('a misbehaving guest handler ends the run: a fault like an unresolved fault, misuse with a HandlerError', () => {
  const faulting = `
    ${register('handler', 0)}
    li      s1, 0x5151
    li      t0, HOLE
faulting:
    lw      a0, 0(t0)`;

  function runToError(g: Guest): HandlerError {
    let error: unknown;
    try { g.machine.run(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(HandlerError);
    return error as HandlerError;
  }

  it('a fault inside the handler that no host handler fixes ends the run like an unresolved fault (SIGSEGV), naming the handler; the thread is restored', () => {
    const g = guest(faulting, `
    li      s1, 0
    li      t0, 0x40
    lw      t0, 0(t0)
    li      a0, 1
    ret`);
    const r = g.machine.run();
    const name = guestName(g.symbol('handler'));
    if (r.kind !== 'fault') throw new Error(`expected a fault result, got ${r.kind}`);
    expect(r.handler).toBe(name);
    expect(r.signal).toBe(11);
    expect(exitStatusOf(r)).toBe(139);
    expect(r.message).toContain(`${name} faulted while handling a fault: load page fault: read at 0x00000040 (not mapped)`);
    expect(r.message).toContain(`handling load page fault: read at ${hex32(HOLE)}`);
    expect(r.fault.address).toBe(0x40);
    expect(g.machine.cpu.pc).toBe(g.symbol('faulting'));
    expect(g.machine.cpu.x[9]).toBe(0x5151);
    expect(g.machine.guestHandlers.active).toBe(false);
  });

  it('a handler that runs past the instruction limit', () => {
    const g = guest(faulting, '1: j 1b');
    g.machine.guestHandlers.instructionLimit = 10_000;
    expect(runToError(g).message).toMatch(/did not return within 10000 instructions/);
    expect(() => { g.machine.guestHandlers.instructionLimit = 0; }).toThrow(/positive integer/);
  });

  it('a handler that returns something other than 0, 1, 2', () => {
    const g = guest(faulting, 'li a0, 5\n ret');
    expect(runToError(g).message).toMatch(/returned 5, not a status/);
  });

  it('a faulting thread whose stack cannot hold the frame ends the run with SIGSEGV, as Linux does when a signal frame cannot be written', () => {
    const g = guest(`
    ${register('handler', 0)}
    li      sp, HOLE + 0x1000
    li      t0, HOLE
    lw      a0, 0(t0)`);
    const r = g.machine.run();
    if (r.kind !== 'fault') throw new Error(`expected a fault result, got ${r.kind}`);
    expect(exitStatusOf(r)).toBe(139);
    expect(r.message).toMatch(/cannot build its frame at 0x50000ee0 .*sp 0x50001000.*not mapped/);
  });

  it('a trampoline page the guest replaced with its own mapping; an unmapped one comes back', () => {
    const remap = (fixed: boolean) => guest(`
    ${register('handler', 0)}
    li      a0, ${TRAMPOLINE_ADDRESS | 0}
    li      a1, 4096
    ${fixed ? `li a2, ${Prot.Read}\n    li a3, ${ANON_FIXED}\n    li a4, -1\n    li a5, 0\n    li a7, SYS_MMAP` : 'li a7, SYS_MUNMAP'}
    ecall
    li      t0, HOLE
    lw      a0, 0(t0)`, `
    ${MAP_HOLE}
    li      a0, 1
    ret`);
    expect(runToError(remap(true)).message).toMatch(/trampoline page at 0xffffe000 was replaced/);
    expect(remap(false).machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
  });
});
