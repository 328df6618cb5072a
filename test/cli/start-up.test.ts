/**
 * Start-up of the command line (docs/performance.md, start-up): a plain
 * run loads only the modules running needs, and the one-file build
 * (dist/cli/faultline.js, the package's bin, written by tools/bundle-cli.ts
 * in test/global-setup.ts) behaves exactly as the modules do, with its
 * code cache or without.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

const BUNDLE = fileURLToPath(new URL('../../dist/cli/faultline.js', import.meta.url));
const EXIT0 = fileURLToPath(new URL('../../bench/programs/real/exit0.elf', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faultline-start-up-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node [nodeArgs] cli args` in the temporary directory. */
function run(cli: string, args: readonly string[], nodeArgs: readonly string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...nodeArgs, cli, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The file: URLs of the modules a `faultline` invocation loads, from a module-loader hook. */
function modulesLoaded(args: readonly string[], status = 0): string[] {
  const log = join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const r = run(CLI, args, ['--import', `data:text/javascript,${encodeURIComponent(register)}`]);
  expect(r.status, r.stderr).toBe(status);
  return readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
}

writeFileSync(join(dir, 'hello.s'), 'li a0, 1\n la a1, msg\n li a2, 6\n li a7, 64\n ecall\n li a0, 3\n li a7, 93\n ecall\n .data\nmsg: .ascii "hello\\n"\n');
writeFileSync(join(dir, 'segv.s'), 'li t0, 8\n lw a0, 0(t0)\n');

describe('start-up', () => {
  it('a plain run of an ELF loads no stock handler, assembler, debugger, checkpoint code or public barrel', () => {
    const modules = modulesLoaded(['run', EXIT0]);
    expect(modules.some((u) => u.endsWith('/dist/src/machine/machine.js'))).toBe(true); // the hook saw the graph
    const needless = modules.filter((u) => /\/dist\/(handlers\/|src\/asm\/(?!assembly-error|registers)|src\/debug\/|src\/checkpoint\/(?!crc32)|src\/index\.js|src\/plugin-kit\.js|cli\/(gdb-server|checkpoint-dir|http-|report\/))/.test(u));
    expect(needless).toEqual([]);
  });

  it('an option that needs a stock handler or the assembler loads it', () => {
    const modules = modulesLoaded(['run', '--dirty-log', 'hello.s'], 3).filter((u) => u.includes('/dist/')).map((u) => u.replace(/^.*\/dist\//, ''));
    expect(modules).toContain('handlers/dirty-log.js');
    expect(modules).toContain('src/asm/assemble.js');
  });

  it('the one-file build gives the same status, output and errors as the modules', () => {
    const cases: string[][] = [
      ['run', EXIT0],
      ['run', 'hello.s'],
      ['run', '--stats', '--trace-faults', 'segv.s'],
      ['run', '--dirty-log', '--demand-paging', '0x50000000:64K', 'hello.s'],
      ['run', '--checkpoint-every', '2', '--checkpoint-dir', 'images-NAME', 'hello.s'],
      // Images differ (random chain ids): both read the modules' ones.
      ['inspect', 'images-modules/00000000.ckpt'],
      ['restore', '--no-checkpoint', 'images-modules'],
      ['asm', 'hello.s', '-o', 'hello-NAME.elf'],
      ['run', 'hello-NAME.elf'],
      ['--version'],
      ['run', '--help'],
      ['nosuchcommand'],
      ['run', 'missing.elf'],
    ];
    for (const args of cases) {
      // Only the names of the files written and the run's duration (--stats) differ.
      const same = (text: string): string => text.replaceAll('modules', 'bundle').replace(/time: \S+ s \(\S+ MIPS\)/g, 'time: T');
      const modular = run(CLI, args.map((a) => a.replace('NAME', 'modules')));
      const bundled = run(BUNDLE, args.map((a) => a.replace('NAME', 'bundle')));
      expect({ ...bundled, stdout: same(bundled.stdout), stderr: same(bundled.stderr) }, args.join(' ')).toEqual({ ...modular, stdout: same(modular.stdout), stderr: same(modular.stderr) });
    }
    expect(run(BUNDLE, ['--version']).stdout).toMatch(/^faultline \d+\.\d+\.\d+\n$/);
  });

  it('the one-file build carries a code cache, and runs the same when V8 refuses it', () => {
    const text = readFileSync(BUNDLE, 'latin1');
    const cache = /\n<faultline-code-cache>\n([A-Za-z0-9+/=]*)\n<\/faultline-bundle>\*\/\n$/.exec(text);
    expect(cache?.[1]?.length ?? 0).toBeGreaterThan(1000);
    // Another Node version's cache, or a damaged one: V8 rejects it and compiles the script.
    const damaged = join(dirname(BUNDLE), `faultline-damaged-${process.pid}.js`);
    writeFileSync(damaged, text.replace(cache![1]!, Buffer.from('not a code cache').toString('base64')), 'latin1');
    try {
      expect(run(damaged, ['run', 'hello.s'])).toEqual(run(BUNDLE, ['run', 'hello.s']));
      expect(run(damaged, ['run', EXIT0])).toEqual({ status: 0, stdout: '', stderr: '' });
    } finally {
      rmSync(damaged, { force: true });
    }
  });
});
