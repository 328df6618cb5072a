/**
 * Hostile GDB clients: malformed packets, wrong checksums, oversized
 * packets, reads of unmapped memory and a client that disconnects
 * mid-packet get an error reply or a clean detach — never a crash or a
 * hang. First against the stub in memory (every reply checked, random
 * byte streams), then against `faultline run --gdb 0` over a raw socket.
 */
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Machine, assemble } from '../../src/index.js';
import { GdbStub, type StubEnd } from '../../src/debug/gdb-stub.js';
import { MAX_PACKET_SIZE, PacketDecoder, encodePacket, fromLatin1, latin1 } from '../../src/debug/packet-codec.js';
import { startFaultline, waitUntil } from '../helpers/cli-process.js';

/** Counts to 200000 in a loop, prints "done", exits 0. */
const LOOP = `
  .text
  .globl _start
_start:
  li   s0, 0
  li   s1, 200000
1:
  addi s0, s0, 1
  blt  s0, s1, 1b
  li   a0, 1
  la   a1, msg
  li   a2, 5
  li   a7, 64
  ecall
  li   a0, 0
  li   a7, 93
  ecall
  .data
msg: .ascii "done\\n"
`;

/** A stub on a fresh machine; `out()` is everything it sent, as text. */
function session(): { stub: GdbStub; out: () => string; send: (text: string) => void; ended: () => StubEnd | null } {
  const machine = new Machine({ memoryQuota: 16 << 20 });
  machine.load(assemble(LOOP, { fileName: 'loop.s' }));
  let text = '';
  const stub = new GdbStub(machine, { send: (b) => { text += fromLatin1(b); }, yieldToHost: () => Promise.resolve() });
  let end: StubEnd | null = null;
  void stub.done.then((e) => { end = e; });
  return { stub, out: () => text, send: (t) => stub.receive(latin1(t)), ended: () => end };
}

/** `$payload#cs` as text. */
const packet = (payload: string): string => fromLatin1(encodePacket(payload));

/** Lets queued commands run. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('the stub against hostile input', () => {
  it('answers malformed commands with errors and stays usable', async () => {
    const s = session();
    const cases: [string, string][] = [
      ['m0,4', 'E14'], // unmapped, as qemu answers
      ['mzz,4', 'E01'],
      ['m10000', 'E01'],
      [`m10000,${(MAX_PACKET_SIZE).toString(16)}`, 'E01'],
      ['mffffffff,10', 'E01'],
      ['M10000,4:zz', 'E01'],
      ['M10000,4:00', 'E01'],
      ['M0,4:00000000', 'E14'],
      ['G00', 'E01'],
      ['p99', 'E01'],
      ['Pzz=0', 'E01'],
      ['Hg99', 'E01'],
      ['Tp1.99', 'E01'],
      ['Z0,zz,4', 'E01'],
      ['Z2,20000,0', 'E01'],
      ['qXfer:features:read:nosuch.xml:0,100', 'E00'],
      ['qXfer:features:read:target.xml:zz', 'E01'],
      ['vCont;x', 'E01'],
      ['qRcmd,zz', 'E01'],
      ['Cxx', 'E01'],
      ['unknown', ''],
    ];
    for (const [command, reply] of cases) {
      const before = s.out().length;
      s.send(packet(command));
      await settle();
      expect(s.out().slice(before), command).toBe(`+${packet(reply)}`);
    }
    // Wrong checksum: a nak, nothing done; the client's retransmission works.
    let before = s.out().length;
    s.send('$g#00');
    await settle();
    expect(s.out().slice(before)).toBe('-');
    // Oversized: a nak and E01.
    before = s.out().length;
    s.send(packet('X10000,1:' + 'a'.repeat(MAX_PACKET_SIZE + 10)));
    await settle();
    expect(s.out().slice(before)).toBe(`-${packet('E01')}`);
    // A nak from the client: the last reply again.
    before = s.out().length;
    s.send('-');
    expect(s.out().slice(before)).toBe(packet('E01'));
    // Still usable.
    before = s.out().length;
    s.send(packet('?'));
    await settle();
    expect(s.out().slice(before)).toBe(`+${packet('T05thread:1;')}`);
    expect(s.ended()).toBeNull();
  });

  it('random byte streams never throw, and a well-formed packet after them is answered', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.array(fc.constantFrom('$', '#', '}', '*', '\x03', '+', '-', 'm', 'g', '0', 'Z', ',', ':'), { maxLength: 60 }), async (junk, tokens) => {
        const s = session();
        s.stub.receive(junk);
        s.send(tokens.join(''));
        await settle();
        // Close whatever packet the junk left open, interrupt a run it may have started, then ask.
        s.send('#00#00#00\x03');
        await settle();
        const before = s.out().length;
        s.send(packet('?'));
        for (let k = 0; k < 50 && s.ended() === null && !s.out().slice(before).includes('$T'); k++) await settle();
        if (s.ended() === null) expect(s.out().slice(before)).toMatch(/\$T0[25]thread:1;/);
        s.stub.disconnect();
      }),
      { numRuns: process.env['CI'] ? 300 : 50 },
    );
  });

  it('decodes escapes and any chunking', () => {
    const whole = latin1(`+${packet('X10000,3:}]#*')}\x03`);
    for (let cut = 0; cut <= whole.length; cut++) {
      const d = new PacketDecoder();
      const events = [...d.push(whole.subarray(0, cut)), ...d.push(whole.subarray(cut))];
      expect(events.map((e) => e.kind)).toEqual(['ack', 'packet', 'interrupt']);
      const p = events[1]!;
      expect(p.kind === 'packet' ? fromLatin1(p.payload) : '').toBe('X10000,3:}]#*');
    }
  });
});

describe('faultline run --gdb against a raw socket', () => {
  it('survives garbage, bad checksums, oversized packets and a disconnect mid-packet, then runs on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-hostile-'));
    try {
      writeFileSync(join(dir, 'loop.s'), LOOP);
      const cli = startFaultline(['run', '--gdb', '0', 'loop.s'], dir);
      await waitUntil('the gdb port', () => /listening on 127\.0\.0\.1:\d+/.test(cli.stderr()), cli);
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(cli.stderr())![1]);
      const socket = connect(port, '127.0.0.1');
      let got = '';
      socket.setEncoding('latin1').on('data', (c: string) => { got += c; });
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
      socket.write('garbage\x00\xff$g#00');
      await waitUntil('a nak', () => got.includes('-'), cli);
      socket.write(packet('m0,4'));
      await waitUntil('E14 for unmapped memory', () => got.includes(packet('E14')), cli);
      socket.write(`$X10000,1:${'b'.repeat(MAX_PACKET_SIZE * 2)}#00`);
      await waitUntil('E01 for an oversized packet', () => got.includes(packet('E01')), cli);
      socket.write(packet('qSupported:multiprocess+'));
      await waitUntil('qSupported', () => got.includes('qXfer:features:read+'), cli);
      socket.write('$m100');
      socket.destroy();
      const end = await cli.end;
      expect(end.stdout).toBe('done\n');
      expect(end.status).toBe(0);
      expect(end.stderr).toMatch(/gdb listening/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
