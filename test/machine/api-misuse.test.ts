import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { UsageError } from '../../src/errors.js';
import { HandlerError } from '../../src/fault/handler-error.js';
import { FaultStatus } from '../../src/fault/status.js';
import { Machine, type RunOptions } from '../../src/machine/machine.js';
import type { Plugin } from '../../src/machine/plugin.js';

/** A guest that loads from unmapped 0x50000000 `faults` times (a handler that fixes must skip the load), then exits 0. */
function faultingMachine(faults = 1): Machine {
  const machine = new Machine({ memoryQuota: 16 << 20 });
  machine.load(assemble(`
    .globl _start
_start:
    li s2, ${faults}
    li t0, 0x50000000
1:  lw a0, 0(t0)
    addi s2, s2, -1
    bnez s2, 1b
    li a0, 0
    li a7, 93
    ecall
`, { fileName: 'faulting.s' }));
  return machine;
}

const skip = (_f: unknown, ctx: { pc: number }) => { ctx.pc += 4; return FaultStatus.Fixed; };

function nullProto(): object { return Object.create(null) as object; }
function badToString(): object { return { toString() { throw new Error('no string for you'); } }; }
function badThen(): object { return Object.defineProperty({}, 'then', { get() { throw new Error('then getter'); } }); }

describe('a handler that answers, throws or resolves with a hostile value stops the run with a HandlerError naming it', () => {
  const hostile: [string, () => unknown][] = [
    ['an object without a prototype', nullProto],
    ['an object whose toString throws', badToString],
    ['an object whose then getter throws', badThen],
    ['3', () => 3], ['-1', () => -1], ['undefined', () => undefined], ['NaN', () => NaN], ['a string', () => '1'],
  ];

  for (const [what, make] of hostile) {
    it(`returning ${what}`, () => {
      const machine = faultingMachine();
      machine.registerFaultHandler(() => make() as FaultStatus, { name: 'hostile' });
      let error: unknown;
      try { machine.run(); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(HandlerError);
      expect((error as HandlerError).handlerName).toBe('hostile');
      expect((error as Error).message).toMatch(/^fault handler 'hostile' /);
      expect(machine.running).toBe(false);
    });
  }

  for (const [what, make] of hostile.slice(0, 2)) {
    it(`throwing ${what}`, () => {
      const machine = faultingMachine();
      machine.registerFaultHandler(() => { throw make(); }, { name: 'thrower' });
      expect(() => machine.run()).toThrow(HandlerError);
      expect(() => machine.run()).toThrow(/fault handler 'thrower' threw: an object/);
    });

    it(`resolving with ${what} under runAsync`, async () => {
      const machine = faultingMachine();
      machine.registerFaultHandler(() => Promise.resolve(make()) as Promise<FaultStatus>, { name: 'resolver' });
      await expect(machine.runAsync()).rejects.toThrow(/fault handler 'resolver' returned an object, not a status/);
      await expect(machine.runAsync()).rejects.toBeInstanceOf(HandlerError);
    });
  }

  it('rejecting with an object whose toString throws', async () => {
    const machine = faultingMachine();
    machine.registerFaultHandler(() => Promise.reject(badToString()), { name: 'rejecter' });
    await expect(machine.runAsync()).rejects.toThrow(/fault handler 'rejecter' rejected: an object/);
  });
});

describe('Machine API arguments are checked once, at the boundary, with a UsageError naming the parameter', () => {
  const badRuns: [string, unknown][] = [['NaN', NaN], ['the string "Infinity"', 'Infinity'], ['a negative count', -5], ['a fraction', 1.5], ['-Infinity', -Infinity]];
  for (const [what, value] of badRuns) {
    it(`run({ maxInstructions: ${what} }) and runAsync(...) refuse it`, async () => {
      const machine = faultingMachine();
      const options = { maxInstructions: value } as unknown as RunOptions;
      expect(() => machine.run(options)).toThrow(UsageError);
      expect(() => machine.run(options)).toThrow(/Machine\.run: maxInstructions must be a non-negative integer or Infinity/);
      await expect(machine.runAsync(options)).rejects.toThrow(/Machine\.runAsync: maxInstructions/);
      expect(machine.running).toBe(false);
    });
  }

  it('run({ maxInstructions: Infinity }) and 0 are allowed', () => {
    const machine = faultingMachine();
    machine.registerFaultHandler(skip);
    expect(machine.run({ maxInstructions: 0 })).toEqual({ kind: 'limit' });
    expect(machine.run({ maxInstructions: Infinity })).toEqual({ kind: 'exit', exitCode: 0 });
  });

  it('load(null), load of a non-program and bad load options', () => {
    const machine = new Machine();
    expect(() => machine.load(null as never)).toThrow(/Machine\.load: program must be a Program .*got null/);
    expect(() => machine.load('prog.elf' as never)).toThrow(UsageError);
    const program = assemble('.globl _start\n_start: ecall\n', { fileName: 'p.s' });
    expect(() => machine.load(program, { argv: 'a b' as never })).toThrow(/argv must be an array of strings/);
    expect(() => machine.load(program, null as never)).toThrow(/options must be an object/);
    machine.load(program); // nothing was half-done by the refused calls
    expect(machine.program).toBe(program);
  });

  it('new Machine({ stdout: 5 }) fails at construction, not at the first write', () => {
    expect(() => new Machine({ stdout: 5 as never })).toThrow(/new Machine: stdout must be a function, got 5/);
    expect(() => new Machine({ stderr: 'x' as never })).toThrow(/stderr must be a function/);
    expect(() => new Machine({ memoryQuota: '1G' as never })).toThrow(/memoryQuota must be a number/);
    expect(() => new Machine({ livelockLimit: 0 })).toThrow(/livelockLimit must be a positive integer/);
    expect(() => new Machine(null as never)).toThrow(/options must be an object/);
    expect(() => new Machine({ jit: 'yes' as never })).toThrow(/jit must be true or false/);
  });

  it('timeoutMs must be a non-negative number', async () => {
    const machine = faultingMachine();
    await expect(machine.runAsync({ timeoutMs: -1 })).rejects.toThrow(/timeoutMs must be a non-negative number/);
    await expect(machine.runAsync({ timeoutMs: NaN })).rejects.toThrow(UsageError);
  });
});

describe('host misuse has a defined outcome and leaves the machine inspectable', () => {
  it('run() re-entered from a handler: the inner call throws UsageError, which stops the outer run as a HandlerError naming the handler', () => {
    const machine = faultingMachine();
    let inner: unknown;
    machine.registerFaultHandler(() => {
      try { machine.run(); } catch (e) { inner = e; throw e; }
      return FaultStatus.Fixed;
    }, { name: 'reentrant' });
    expect(() => machine.run()).toThrow(/fault handler 'reentrant' threw: Machine\.run: the machine is already running/);
    expect(inner).toBeInstanceOf(UsageError);
    expect(machine.running).toBe(false);
    // Still usable: replace the handler and finish the run.
    machine.chain.list().forEach((e) => machine.unregisterFaultHandler(e.handler));
    machine.registerFaultHandler(skip);
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
  });

  it('a plugin object installed twice is refused; after uninstalling it may be installed again', () => {
    const machine = faultingMachine();
    let installs = 0;
    const plugin: Plugin = { name: 'counter', install: () => { installs++; return () => {}; } };
    const off = machine.use(plugin);
    expect(() => machine.use(plugin)).toThrow(/Machine\.use: plugin 'counter' is already installed/);
    expect(installs).toBe(1);
    expect(off()).toBe(true);
    machine.use(plugin);
    expect(installs).toBe(2);
  });

  it('run() after the guest exited answers the same exit again and runs nothing', () => {
    const machine = faultingMachine();
    machine.registerFaultHandler(skip);
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    const instret = machine.cpu.instret;
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(machine.cpu.instret).toBe(instret);
  });

  it('a handler unregistered during a dispatch is still asked in that dispatch and not in the next', () => {
    const machine = faultingMachine(2);
    const calls: string[] = [];
    const second = () => { calls.push('second'); return FaultStatus.Continue; };
    machine.registerFaultHandler(skip, { name: 'skip' });
    machine.registerFaultHandler(second, { name: 'second' });
    machine.registerFaultHandler(() => { calls.push('first'); machine.unregisterFaultHandler(second); return FaultStatus.Continue; }, { name: 'first' });
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(calls).toEqual(['first', 'second', 'first']);
  });

  it('a promise that never settles: runAsync({ timeoutMs }) ends with a HandlerError naming the handler and the fault; the thread stays at the fault', async () => {
    const machine = faultingMachine();
    const pc = machine.cpu.pc;
    machine.registerFaultHandler(() => new Promise<FaultStatus>(() => {}), { name: 'stuck' });
    let error: unknown;
    try { await machine.runAsync({ timeoutMs: 20 }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as HandlerError).handlerName).toBe('stuck');
    expect((error as Error).message).toMatch(/fault handler 'stuck' did not settle its promise within 20 ms \(timeoutMs\) for load page fault: read at 0x50000000/);
    expect(machine.running).toBe(false);
    expect(machine.cpu.pc).toBe(pc + 8); // li s2 (1 insn), li t0 (1 insn): at the faulting load
    expect(machine.cpu.fault.address >>> 0).toBe(0x5000_0000);
  });

  it('a promise returned under run() is a HandlerError; the machine can then continue under runAsync', async () => {
    const machine = faultingMachine();
    const handler = () => Promise.resolve(FaultStatus.Continue);
    machine.registerFaultHandler(handler, { name: 'async' });
    expect(() => machine.run()).toThrow(/'async' returned a promise under run\(\); use runAsync\(\)/);
    machine.unregisterFaultHandler(handler);
    machine.registerFaultHandler(skip);
    expect(await machine.runAsync()).toEqual({ kind: 'exit', exitCode: 0 });
  });
});
