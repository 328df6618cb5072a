/**
 * The guest-handler examples run with their output asserted: each one's
 * header comment documents its output, and that is what it must print.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeChain } from '../../examples/compose-chain.js';
import { assemble } from '../../src/asm/assemble.js';
import { parseElf } from '../../src/loader/elf-reader.js';
import type { Program } from '../../src/loader/program.js';
import { Machine } from '../../src/machine/machine.js';
import { CollectedOutput } from '../../src/machine/output.js';
import { faultline } from '../helpers/cli.js';
import { GCC, compileRv32, describeWithTools } from '../helpers/toolchain.js';

const EXAMPLES = 'examples';
const GUEST = join(EXAMPLES, 'guest');

/**
 * The lines of the "Output:" block in a file's header comment, without the
 * comment markers (`#` for assembly, ` *` for C and TypeScript).
 */
function documentedOutput(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\s*(#|\*)\s*Output\b.*:$/.test(l));
  if (start < 0) throw new Error(`${file}: no "Output:" block in the header comment`);
  const out: string[] = [];
  for (const line of lines.slice(start + 2)) {
    const m = /^\s*(?:#|\*)(?: {5}(.*))?$/.exec(line);
    if (m === null || m[1] === undefined) break;
    out.push(m[1]);
  }
  return out.join('\n') + '\n';
}

/** Runs `program` on a fresh machine; its stdout and exit status. */
function run(program: Program): { stdout: string; status: number | string } {
  const out = new CollectedOutput();
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: out.sink });
  machine.load(program, { argv: [program.name] });
  const result = machine.run({ maxInstructions: 100_000_000 });
  return { stdout: out.text(), status: result.kind === 'exit' ? result.exitCode : result.kind };
}

describe('examples/guest/copy-from-user.s', () => {
  const file = join(GUEST, 'copy-from-user.s');

  it('copies from a good pointer and returns -EFAULT for a bad one (exception table)', () => {
    const expected = documentedOutput(file);
    expect(expected).toBe('copy_from_user(good) = 0: hello, faultline\ncopy_from_user(bad) = -14\n');
    const program = assemble(readFileSync(file, 'utf8'), { fileName: file });
    expect(run(program)).toEqual({ stdout: expected, status: 0 });
  });

  it('runs the same under `faultline run`', () => {
    const r = faultline(['run', file]);
    expect(r).toEqual({ status: 0, stdout: documentedOutput(file), stderr: '' });
  });
});

describe('examples/compose-chain.ts', () => {
  it('shows the order in which host plugins and the guest handler saw each fault', () => {
    const lines = composeChain();
    expect(lines.join('\n') + '\n').toBe(documentedOutput(join(EXAMPLES, 'compose-chain.ts')));
    expect(lines[0]).toMatch(/^fault: read at 0x30000010 -> guest handler 0x[0-9a-f]{8}, logger, zero-fill => fixed by zero-fill$/);
  });
});

describeWithTools(GCC, 'C examples built with the cross compiler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-guest-examples-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Builds examples/guest/NAME.c with include/ and the shipped guest runtime. */
  function build(name: string): string {
    const output = join(dir, name);
    compileRv32(
      [join(GUEST, `${name}.c`), join('include', 'faultline-rt.c'), '-lgcc'],
      output,
      ['-O2', '-Wall', '-Wextra', '-Werror', '-I', 'include'],
    );
    return output;
  }

  it('copy-from-user.c: _ASM_EXTABLE and _ASM_EXTABLE_UACCESS_ERR_ZERO entries in __ex_table', () => {
    const elf = build('copy-from-user');
    const program = parseElf(readFileSync(elf), elf);
    expect(program.extable.map((e) => e.type).sort()).toEqual([0, 1]);
    expect(run(program)).toEqual({ stdout: documentedOutput(join(GUEST, 'copy-from-user.c')), status: 0 });
  });

  it('two-handlers.c: a head handler that passes faults on and a tail handler that maps pages', () => {
    const elf = build('two-handlers');
    const expected = documentedOutput(join(GUEST, 'two-handlers.c'));
    expect(expected).toContain('watcher: 3 faults seen, 2 passed on, 1 fixed\n');
    expect(run(parseElf(readFileSync(elf), elf))).toEqual({ stdout: expected, status: 0 });
    expect(faultline(['run', elf])).toEqual({ status: 0, stdout: expected, stderr: '' });
  });
});
