import { describe, expect, it } from 'vitest';
import { Cause } from '../../src/fault/cause.js';
import { HandlerError, LivelockError } from '../../src/fault/handler-error.js';
import { FaultStatus } from '../../src/fault/status.js';
import { CollectedOutput } from '../../src/machine/output.js';
import { Prot } from '../../src/memory/page.js';
import { ECALL, TEXT_BASE, exitWords, iType, li, machineFromWords } from '../helpers/guest-program.js';

const lw = (rd: number, rs1: number, imm: number) => iType(0x03, 2, rd, rs1, imm);
const HOLE = 0x5000_0000;

/** Guest: a0 = *(HOLE + 4); exit(a0). */
const loadFromHole = () => [...li(5, HOLE), lw(10, 5, 4), ...li(17, 93), ECALL];

describe('dispatch', () => {
  it('retries the faulting instruction when a handler fixes the cause and leaves pc alone', () => {
    const m = machineFromWords(loadFromHole());
    const seen: number[] = [];
    m.registerFaultHandler((fault) => {
      seen.push(fault.address);
      m.linuxMemory.mmap(HOLE, 4096, Prot.Read | Prot.Write, 0x32, -1, 0);
      m.addressSpace.writeU32(HOLE + 4, 42);
      return FaultStatus.Fixed;
    });
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 42 });
    expect(seen).toEqual([HOLE + 4]);
  });

  it('resumes at the new pc when a handler changes it, with its register changes', () => {
    const m = machineFromWords(loadFromHole());
    m.registerFaultHandler((_f, ctx) => {
      ctx.regs[10] = 7;
      ctx.pc += 4;
      return FaultStatus.Fixed;
    });
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 7 });
  });

  it('reports an unresolved fault with the handler that failed it, and skips later handlers and the fixup', () => {
    const m = machineFromWords(loadFromHole());
    const later: string[] = [];
    m.registerFaultHandler(function refuse() { return FaultStatus.Fail; });
    m.registerFaultHandler(() => { later.push('tail'); return FaultStatus.Fixed; }, { tail: true });
    const r = m.run();
    expect(r.kind).toBe('fault');
    if (r.kind !== 'fault') return;
    expect(r.handler).toBe('refuse');
    expect(r.signal).toBe(11);
    expect(r.fault.cause).toBe(Cause.LoadPageFault);
    expect(r.fault.address).toBe(HOLE + 4);
    expect(r.fault.pc).toBe(TEXT_BASE + 8);
    expect(r.message).toMatch(/load page fault: read at 0x50000004 \(not mapped\), pc 0x00010008.*refuse/);
    expect(later).toEqual([]);
  });

  it('stops with a LivelockError naming the handler that answers Fixed without fixing', () => {
    const m = machineFromWords(loadFromHole(), { livelockLimit: 50 });
    let calls = 0;
    m.registerFaultHandler(function liar() { calls++; return FaultStatus.Fixed; });
    expect(() => m.run()).toThrow(LivelockError);
    expect(calls).toBe(50);
    try { m.run(); } catch (e) { expect((e as LivelockError).handlerName).toBe('liar'); }
  });

  it('a handler that throws stops the run with the fault attached, and the machine stays usable', () => {
    const m = machineFromWords(loadFromHole());
    const boom = () => { throw new Error('disk on fire'); };
    m.registerFaultHandler(boom);
    let error: unknown;
    try { m.run(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(HandlerError);
    const he = error as HandlerError;
    expect(he.message).toMatch(/'boom' threw: disk on fire/);
    expect(he.fault.address).toBe(HOLE + 4);
    expect((he.cause as Error).message).toBe('disk on fire');
    // Consistent: the faulting instruction did not retire, and the run can go on.
    expect(m.cpu.pc).toBe(TEXT_BASE + 8);
    m.unregisterFaultHandler(boom);
    m.registerFaultHandler((_f, ctx) => { ctx.pc += 4; ctx.regs[10] = 3; return FaultStatus.Fixed; });
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 3 });
  });

  it('refuses an asynchronous handler under run() with a clear message, and awaits it under runAsync()', async () => {
    const m = machineFromWords(loadFromHole());
    m.registerFaultHandler(async function pager(fault) {
      await new Promise((r) => setTimeout(r, 1));
      m.linuxMemory.mmap(fault.address & ~0xfff, 4096, Prot.Read, 0x32, -1, 0);
      return FaultStatus.Fixed;
    });
    expect(() => m.run()).toThrow(/'pager' returned a promise under run\(\); use runAsync\(\)/);
    expect(await m.runAsync()).toEqual({ kind: 'exit', exitCode: 0 });
  });

  it('rejects a status that is not 0, 1 or 2', () => {
    const m = machineFromWords(loadFromHole());
    m.registerFaultHandler(() => 7 as FaultStatus, { name: 'seven' });
    expect(() => m.run()).toThrow(/'seven' returned 7, not a status/);
  });

  it('goes through illegal instructions, breakpoints and misaligned fetches too', () => {
    const m = machineFromWords([0xffffffff, 0x00100073, ...li(5, TEXT_BASE + 2), iType(0x67, 0, 0, 5, 0), ...exitWords(9)]);
    const causes: number[] = [];
    m.registerFaultHandler((f, ctx) => { causes.push(f.cause); ctx.pc = f.pc + 4; return FaultStatus.Fixed; });
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 9 });
    expect(causes).toEqual([Cause.IllegalInstruction, Cause.Breakpoint, Cause.InstructionAddressMisaligned]);
  });

  it('emits events, and a registration disposed with `using` semantics is gone', () => {
    const m = machineFromWords(loadFromHole());
    const log: string[] = [];
    m.events.on('fault', (f) => log.push(`fault ${f.address.toString(16)}`));
    m.events.on('fixed', (_f, by) => log.push(`fixed by ${by}`));
    m.events.on('syscall', (nr) => log.push(`syscall ${nr}`));
    m.events.on('exit', (code) => log.push(`exit ${code}`));
    const off = m.registerFaultHandler(function skip(_f, ctx) { ctx.pc += 4; return FaultStatus.Fixed; });
    m.run();
    expect(log).toEqual(['fault 50000004', 'fixed by skip', 'syscall 93', 'exit 0']);
    off[Symbol.dispose]();
    expect(m.chain.size).toBe(0);
    expect(off()).toBe(false);
  });
});

describe('system calls fault through the chain', () => {
  /** Guest: write(1, HOLE, 5); exit(a0). */
  const writeFromHole = () => [...li(10, 1), ...li(11, HOLE), ...li(12, 5), ...li(17, 64), ECALL, ...li(17, 93), ECALL];

  it('a handler can serve the buffer of write()', () => {
    const out = new CollectedOutput();
    const m = machineFromWords(writeFromHole(), { stdout: out.sink });
    const seen: string[] = [];
    m.registerFaultHandler((f) => {
      seen.push(`${f.cause}@${f.address.toString(16)}`);
      m.linuxMemory.mmap(HOLE, 4096, Prot.Read | Prot.Write, 0x32, -1, 0);
      m.addressSpace.writeBytes(HOLE, new TextEncoder().encode('hello'));
      return FaultStatus.Fixed;
    });
    expect(m.run()).toEqual({ kind: 'exit', exitCode: 5 });
    expect(out.text()).toBe('hello');
    expect(seen).toEqual([`${Cause.LoadPageFault}@50000000`]);
  });

  it('an unresolved fault makes the call return -EFAULT instead of killing the guest', () => {
    const m = machineFromWords(writeFromHole());
    const unresolved: number[] = [];
    m.events.on('unresolved', (f) => unresolved.push(f.address));
    expect(m.run()).toEqual({ kind: 'exit', exitCode: -14 & 0xff });
    expect(unresolved).toEqual([HOLE]);
  });
});
