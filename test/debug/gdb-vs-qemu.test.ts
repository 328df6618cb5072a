/**
 * Scripted gdb-multiarch sessions, each run against `qemu-riscv32 -g` and
 * against `faultline run --gdb 0` on the same ELF: the transcripts (values
 * of registers and memory, source lines, stops, exits) must be equal after
 * the normalisation gdb-session.ts documents (ports, thread names, stack
 * addresses). Each session also checks what it is about, so that two
 * equally broken transcripts cannot pass.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { GCC, QEMU, describeWithTools, itWithTools } from '../helpers/toolchain.js';
import { EXAMPLE_SOURCE, GDB, buildDebugProgram, faultlineSession, normalise, qemuSession } from './gdb-session.js';

const TOOLS = [GCC, QEMU, GDB];

interface Session {
  readonly title: string;
  readonly program: string;
  readonly commands: readonly string[];
  /** What the faultline transcript must contain (the session's point). */
  readonly expect: readonly (string | RegExp)[];
  /** faultline options before the ELF. */
  readonly extra?: readonly string[];
}

const SESSIONS: readonly Session[] = [
  {
    title: 'break by symbol, continue, info registers',
    program: 'basic',
    commands: ['break add', 'continue', 'info registers', 'continue'],
    expect: [/Breakpoint 1, add \(a=5, b=7\)/, /a0\s+0x5\s+5/, /pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <add\+\d+>/, /Breakpoint 1, add \(a=12, b=12\)/],
  },
  {
    title: 'stepi and x/16xw of a global array',
    program: 'basic',
    commands: ['break add', 'continue', 'x/16xw &values', 'stepi', 'stepi', 'info registers pc a4 a5', 'x/2i $pc'],
    expect: [/<values>:\s+0x00000001\s+0x00000004\s+0x00000007\s+0x0000000a/, /<values\+48>:\s+0x00000025/],
  },
  {
    title: 'next and finish',
    program: 'basic',
    commands: ['break scale', 'continue', 'next', 'next', 'finish', 'print counter', 'continue'],
    expect: [/Breakpoint 1, scale \(v=12\)/, /^15\s+return twice \* 3;/m, /Value returned is \$1 = 72/, /\$2 = 12/],
  },
  {
    title: 'set var changes what the guest computes',
    program: 'basic',
    commands: ['break scale', 'continue', 'set var v = 4', 'print v', 'finish', 'set var counter = 72', 'continue'],
    expect: [/\$1 = 4/, /Value returned is \$2 = 24/, /exited with code 03/],
  },
  {
    title: 'watch: write watchpoint, old and new value',
    program: 'watch',
    commands: ['break main', 'continue', 'watch watched', 'continue', 'continue', 'info registers pc', 'delete', 'continue'],
    expect: [/Watchpoint 2: watched/, /Old value = 0\s+New value = 1/, /Old value = 1\s+New value = 3/, /exited normally/],
  },
  {
    title: 'tbreak at a line, x/4dw, advance',
    program: 'basic',
    commands: ['tbreak basic.c:22', 'continue', 'x/4dw values', 'advance scale', 'info registers a0 ra', 'continue'],
    expect: [/Temporary breakpoint 1, main \(\)/, /<values>:\s+1\s+4\s+7\s+10/, /scale \(v=12\)/, /a0\s+0xc\s+12/],
  },
  {
    title: 'stepi N with display/i',
    program: 'basic',
    commands: ['break main', 'continue', 'display/i $pc', 'stepi 5', 'info registers', 'kill'],
    expect: [/1: x\/i \$pc/, /=> 0x[0-9a-f]+ <main\+\d+>:/],
  },
  {
    title: 'SIGSEGV stop on an unresolved fault, then the process dies of it',
    program: 'segv',
    commands: ['continue', 'info registers pc a0', 'print target', 'backtrace 1', 'continue'],
    expect: [/Program received signal SIGSEGV, Segmentation fault\./, /poke \(v=42\)/, /Program terminated with signal SIGSEGV/],
  },
  {
    title: 'threads: break in the worker, info threads, thread N',
    program: 'threads',
    commands: ['break worker', 'continue', 'print v', 'info threads', 'thread 2', 'print arg', 'info registers a0', 'delete', 'continue'],
    expect: [/Breakpoint 1, worker \(arg=0x15\)/, /\* 2\s+Thread <id>/, /\[Switching to thread 2/, /exited normally/],
  },
];

/**
 * Sessions qemu-user cannot be the reference for (it inserts no read or
 * access watchpoints, and GDB has no software ones): checked against what
 * the program does.
 */
const FAULTLINE_ONLY: readonly Session[] = [
  {
    title: 'rwatch and awatch',
    program: 'watch',
    commands: ['break main', 'continue', 'rwatch watched', 'continue', 'info registers pc', 'delete 2', 'awatch total', 'continue', 'continue', 'print total', 'delete', 'continue'],
    expect: [
      /Hardware read watchpoint 2: watched\s+Value = 0\s+0x[0-9a-f]+ in main \(\) at .*watch\.c:12/,
      /Hardware access \(read\/write\) watchpoint 3: total\s+Value = 0\s+0x[0-9a-f]+ in main \(\) at .*watch\.c:13/,
      /Hardware access \(read\/write\) watchpoint 3: total\s+Old value = 0\s+New value = 1/,
      /\$1 = 1/,
      /exited normally/,
    ],
  },
  {
    title: 'watch on a demand-paged region, reverse-continue to the corrupting write, reverse-stepi',
    program: 'debug-corrupt',
    extra: ['--demand-paging', '0x50000000:0x10000'],
    commands: [
      'break checksum', 'continue', 'print table[70]', 'watch table[70]',
      'reverse-continue', 'backtrace 1', 'reverse-continue', 'print i',
      'delete', 'info registers pc', 'reverse-stepi', 'info registers pc', 'stepi', 'stepi', 'info registers pc',
      'continue',
    ],
    expect: [
      /\$1 = 0/,
      /Watchpoint 2: table\[70\]\s+Old value = 0\s+New value = 4900\s+0x[0-9a-f]+ in clear \(k=6\) at .*debug-corrupt\.c:35/,
      /Old value = 4900\s+New value = 0\s+0x[0-9a-f]+ in fill \(\)/,
      /\$2 = 70/,
      /exited with code 01/,
    ],
  },
  {
    title: 'monitor commands',
    program: 'basic',
    commands: ['break add', 'continue', 'monitor help', 'monitor chain', 'monitor maps', 'monitor timeslice 500', 'monitor timeslice', 'monitor faults', 'monitor checkpoint $DIR/images', 'monitor bogus', 'continue', 'continue'],
    expect: [
      /checkpoint DIR\s+write a checkpoint image into DIR/,
      /0: gdb-watchpoints/,
      /00010000-[0-9a-f]{8} r-xp .*\/basic/,
      /\[stack\]/,
      /time slice: 500 instructions\s+time slice: 500 instructions/,
      /no faults/,
      /wrote .*images\/gdb-\d+\.ckpt \(\d+ bytes, instruction \d+\)/,
      /unknown monitor command "bogus"/,
      /exited normally/,
    ],
  },
];

describeWithTools(TOOLS, 'gdb-multiarch sessions: faultline --gdb equals qemu-riscv32 -g', () => {
  let dir = '';
  const elves = new Map<string, string>();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-gdb-'));
    for (const name of new Set([...SESSIONS, ...FAULTLINE_ONLY].map((s) => s.program))) {
      elves.set(name, buildDebugProgram(name, dir, name === 'debug-corrupt' ? EXAMPLE_SOURCE : undefined));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const s of SESSIONS) {
    itWithTools(TOOLS, `${s.title} (${s.program})`, async () => {
      const elf = elves.get(s.program)!;
      const [q, f] = await Promise.all([qemuSession(elf, s.commands), faultlineSession(elf, s.commands)]);
      const fl = normalise(f.gdb);
      for (const e of s.expect) expect(fl).toMatch(e);
      expect(fl).toBe(normalise(q.gdb));
      expect(f.guest).toBe(q.guest);
    });
  }

  for (const s of FAULTLINE_ONLY) {
    itWithTools(TOOLS, `${s.title} (${s.program}, faultline only)`, async () => {
      const f = await faultlineSession(elves.get(s.program)!, s.commands.map((c) => c.replace('$DIR', dir)), s.extra);
      const fl = normalise(f.gdb);
      for (const e of s.expect) expect(fl).toMatch(e);
      const wrote = /wrote (\S+\.ckpt)/.exec(fl);
      if (wrote !== null) expect(statSync(wrote[1]!).size).toBeGreaterThan(4096);
    });
  }
});
