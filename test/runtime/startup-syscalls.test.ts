/**
 * What the runtime asks of the kernel, seen from faultline's `syscall`
 * event: a program without `__thread` data makes no system call before
 * main (an `int main` returning 5 is exactly one `exit_group(5)`), and
 * output leaves in one `write` per line, whatever mix of print calls
 * built the line; an unfinished last line is written at exit.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Machine, parseElf } from '../../src/index.js';
import { GCC, describeWithTools } from '../helpers/toolchain.js';
import { buildWithRuntime } from './guest-build.js';

const SYS_WRITE = 64;
const SYS_EXIT_GROUP = 94;

/** Runs the ELF at `path` in a fresh machine; the calls it made, each write's bytes, and the exit. */
function trace(path: string): { calls: number[]; writes: string[]; exit: unknown } {
  const writes: string[] = [];
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: (bytes) => writes.push(Buffer.from(bytes).toString('utf8')) });
  const calls: number[] = [];
  machine.events.on('syscall', (number) => calls.push(number));
  machine.load(parseElf(readFileSync(path), path), { argv: ['prog'] });
  const result = machine.run({ maxInstructions: 10_000_000 });
  return { calls, writes, exit: result.kind === 'exit' ? result.exitCode : result.kind };
}

describeWithTools(GCC, 'system calls the runtime makes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-rt-calls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function build(name: string, source: string): Promise<string> {
    writeFileSync(join(dir, `${name}.c`), source);
    await buildWithRuntime([join(dir, `${name}.c`)], join(dir, name));
    return join(dir, name);
  }

  it('a program without __thread data calls nothing before main: return 5 is one exit_group(5)', async () => {
    const elf = await build('ret5', 'int main(void)\n{\n    return 5;\n}\n');
    expect(trace(elf)).toEqual({ calls: [SYS_EXIT_GROUP], writes: [], exit: 5 });
  });

  it('writes each line in one write, and the unfinished last line at exit', async () => {
    const elf = await build(
      'lines',
      [
        '#include "faultline-rt.h"',
        'int main(void)',
        '{',
        '    print_str("a=");',
        '    print_dec(-12);',
        '    print_char(\' \');',
        '    print_hex(0xbeef);',
        '    print_nl();',
        '    printf("%s-%d|", "x", 3);',
        '    puts("end");',
        '    print_str("unfinished");',
        '    return 0;',
        '}',
        '',
      ].join('\n'),
    );
    expect(trace(elf)).toEqual({
      calls: [SYS_WRITE, SYS_WRITE, SYS_WRITE, SYS_EXIT_GROUP],
      writes: ['a=-12 0x0000beef\n', 'x-3|end\n', 'unfinished'],
      exit: 0,
    });
  });
});
