/**
 * The stub in memory, packet by packet: breakpoints (the CPU hook),
 * stepping, registers, memory, threads, Ctrl-C, exits, detach and kill.
 */
import { describe, expect, it } from 'vitest';
import { FaultStatus, Machine, assemble } from '../../src/index.js';
import { GdbStub, type StubEnd } from '../../src/debug/gdb-stub.js';
import { encodePacket, fromLatin1, latin1 } from '../../src/debug/packet-codec.js';
import { le32 } from '../../src/debug/hex.js';

/** Adds 1..10 into a0 in a loop, then exits with it (55). With `forever`, loops forever instead. */
function program(forever = false): string {
  return `
  .text
  .globl _start
_start:
  li   a0, 0
  li   t0, 1
  li   t1, 11
loop:
  add  a0, a0, t0
  addi t0, t0, 1
  blt  t0, t1, loop
${forever ? 'spin: j spin' : ''}
done:
  li   a7, 93
  ecall
  .data
word: .word 0x11223344
`;
}

interface Session {
  readonly machine: Machine;
  readonly stub: GdbStub;
  /** Sends `payload` as a packet; resolves with the reply's payload. */
  ask(payload: string): Promise<string>;
  ended(): StubEnd | null;
}

function session(source = program()): Session {
  const machine = new Machine({ memoryQuota: 16 << 20 });
  machine.load(assemble(source, { fileName: 'stub-test.s' }));
  let out = '';
  const stub = new GdbStub(machine, { send: (b) => { out += fromLatin1(b); }, yieldToHost: () => new Promise((r) => setTimeout(r, 0)) });
  let end: StubEnd | null = null;
  void stub.done.then((e) => { end = e; });
  const ask = async (payload: string): Promise<string> => {
    const from = out.length;
    stub.receive(encodePacket(payload));
    for (let k = 0; k < 10_000; k++) {
      const m = /^\+\$([^#]*)#[0-9a-f]{2}/.exec(out.slice(from));
      if (m !== null) return m[1]!;
      if (end !== null && out.length === from + 1) return '';
      await new Promise((r) => setTimeout(r, 0));
    }
    throw new Error(`no reply to ${payload}: ${out.slice(from)}`);
  };
  return { machine, stub, ask, ended: () => end };
}

const sym = (m: Machine, name: string): number => m.program!.symbols.get(name)!;

describe('GdbStub', () => {
  it('stops at a breakpoint before the instruction, continues past it, steps, and reports the exit', async () => {
    const s = session();
    const loop = sym(s.machine, 'loop');
    expect(await s.ask(`Z0,${loop.toString(16)},4`)).toBe('OK');
    expect(await s.ask('c')).toBe('T05thread:1;');
    expect(s.machine.cpu.pc).toBe(loop);
    expect(await s.ask('pa')).toBe(le32(0)); // a0 before the first add
    expect(await s.ask('c')).toBe('T05thread:1;');
    expect(await s.ask('pa')).toBe(le32(1));
    expect(await s.ask('s')).toBe('T05thread:1;');
    expect(s.machine.cpu.pc).toBe(loop + 4);
    expect(await s.ask('p20')).toBe(le32(loop + 4));
    expect(await s.ask(`z0,${loop.toString(16)},4`)).toBe('OK');
    expect(s.machine.cpu.breakpoints).toBeNull();
    expect(await s.ask('c')).toBe('W37');
    expect(s.ended()).toEqual({ kind: 'ended', result: { kind: 'exit', exitCode: 55 } });
  });

  it('reads and writes registers and memory (g/G, P, m/M/X)', async () => {
    const s = session();
    const g = await s.ask('g');
    expect(g).toHaveLength(33 * 8);
    expect(g.slice(32 * 8)).toBe(le32(s.machine.cpu.pc));
    const changed = g.slice(0, 10 * 8) + le32(0x1234) + g.slice(11 * 8);
    expect(await s.ask(`G${changed}`)).toBe('OK');
    expect(s.machine.cpu.x[10]).toBe(0x1234);
    expect(await s.ask(`Pb=${le32(-2)}`)).toBe('OK');
    expect(s.machine.cpu.x[11]).toBe(-2);
    const word = sym(s.machine, 'word');
    expect(await s.ask(`m${word.toString(16)},4`)).toBe('44332211');
    expect(await s.ask(`M${word.toString(16)},2:aabb`)).toBe('OK');
    expect(await s.ask(`X${(word + 2).toString(16)},2:${fromLatin1(new Uint8Array([0x7d, 0x23]))}`)).toBe('OK'); // '}' and '#' travel escaped
    expect(await s.ask(`m${word.toString(16)},4`)).toBe('aabb7d23');
    expect(await s.ask('m0,4')).toBe('E14');
  });

  it('lists threads, answers qC, qAttached and the target description', async () => {
    const s = session();
    expect(await s.ask('qSupported:multiprocess+;swbreak+')).toMatch(/^PacketSize=4000;qXfer:features:read\+;vContSupported\+;multiprocess\+$/);
    expect(await s.ask('qfThreadInfo')).toBe('mp1.1');
    expect(await s.ask('qsThreadInfo')).toBe('l');
    expect(await s.ask('qC')).toBe('QCp1.1');
    expect(await s.ask('qAttached:1')).toBe('0');
    expect(await s.ask('Hgp1.1')).toBe('OK');
    expect(await s.ask('?')).toBe('T05thread:p1.1;');
    const xml = await s.ask('qXfer:features:read:target.xml:0,ffb');
    expect(xml).toMatch(/^l<\?xml.*<architecture>riscv:rv32<\/architecture>.*riscv-32bit-cpu\.xml/);
    const cpu = await s.ask('qXfer:features:read:riscv-32bit-cpu.xml:0,40');
    expect(cpu.startsWith('m')).toBe(true);
    expect(await s.ask('vCont?')).toBe('vCont;c;C;s;S');
  });

  it('an unresolved fault stops with its Linux signal; continuing with it ends the run, without it retries', async () => {
    const cases: [string, string][] = [
      ['li t0, 16\n sw t0, 0(t0)', 'T0bthread:1;'], // page fault: SIGSEGV
      ['.word 0', 'T04thread:1;'], // illegal instruction: SIGILL
      ['la t0, word\n addi t0, t0, 2\n amoadd.w t1, t1, (t0)', 'T07thread:1;'], // misaligned AMO: SIGBUS
      ['ebreak', 'T05thread:1;'], // SIGTRAP
    ];
    for (const [code, stop] of cases) {
      const s = session(`.text\n.globl _start\n_start:\n ${code}\n li a7, 93\n ecall\n.data\nword: .word 0, 0\n`);
      expect(await s.ask('c')).toBe(stop);
      const pc = s.machine.cpu.pc;
      expect(await s.ask('c')).toBe(stop); // no signal: the instruction is retried
      expect(s.machine.cpu.pc).toBe(pc);
      expect(await s.ask(`C${stop.slice(1, 3)}`)).toBe(`X${stop.slice(1, 3)}`);
      expect(s.ended()).toMatchObject({ kind: 'ended', result: { kind: 'fault', signal: parseInt(stop.slice(1, 3), 16) } });
    }
  });

  it('Ctrl-C stops a guest that spins, with SIGINT', async () => {
    const s = session(program(true));
    const reply = s.ask('vCont;c:p1.-1');
    await new Promise((r) => setTimeout(r, 5));
    s.stub.receive(latin1('\x03'));
    expect(await reply).toBe('T02thread:1;');
    expect(s.machine.cpu.instret).toBeGreaterThan(30);
  });

  it('detach and kill end the session after their reply', async () => {
    const a = session();
    expect(await a.ask('D')).toBe('OK');
    expect(a.ended()).toEqual({ kind: 'detach' });
    expect(a.machine.cpu.breakpoints).toBeNull();
    const b = session();
    expect(await b.ask('vKill;1')).toBe('OK');
    expect(b.ended()).toEqual({ kind: 'kill' });
    const c = session();
    c.stub.receive(encodePacket('k'));
    await new Promise((r) => setTimeout(r, 0));
    expect(c.ended()).toEqual({ kind: 'kill' });
  });

  it('a breakpoint never stops a guest fault handler, and the fault still reaches the chain', async () => {
    const s = session();
    const seen: number[] = [];
    s.machine.registerFaultHandler((f) => { seen.push(f.pc); return FaultStatus.Continue; });
    // An ebreak-free program: the chain sees no fault, breakpoints cause none.
    const loop = sym(s.machine, 'loop');
    await s.ask(`Z0,${loop.toString(16)},4`);
    await s.ask('c');
    await s.ask(`z0,${loop.toString(16)},4`);
    await s.ask('c');
    expect(seen).toEqual([]);
  });
});
