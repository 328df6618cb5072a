/**
 * Differential conformance: faultline against qemu-riscv32.
 *
 * - Every `programs/*.c` is built with the Debian cross compiler
 *   (`-march=rv32ima -mabi=ilp32 -static -nostdlib`, plus the shipped guest
 *   runtime `include/faultline-rt.c`), run under qemu-riscv32 and under faultline;
 *   stdout and exit status must be identical. The expected behaviour is
 *   whatever qemu does, recorded at test time.
 * - A program with a `programs/NAME.expected` file is checked against that
 *   file instead (Linux semantics where qemu 7.2 deviates, e.g. mprotect
 *   over an unmapped hole): faultline's stdout must equal it and its exit
 *   status must be 0. qemu is not consulted.
 * - Seeded random RV32IMA sequences (see random-sequences.ts), batched into
 *   a few ELFs, must leave the same registers and scratch memory. The seed
 *   is random per run and printed; `FAULTLINE_SEQ_SEED=<n>` replays one.
 *
 * Program builds are cached in `$TMPDIR/faultline-conformance/`, keyed by a
 * hash of the compiler version, the flags and every source involved; the
 * random batches are built in a per-run directory that is removed after.
 */

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, constants, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFaultline } from '../helpers/run-guest.js';
import { GCC, QEMU, RV32_FLAGS, describeWithTools, hasTool } from '../helpers/toolchain.js';
import {
  DUMPED_REGISTERS,
  describeSequence,
  generateBatch,
  mnemonicAssembly,
  type Sequence,
  type SequenceBatch,
} from './random-sequences.js';

const execFileAsync = promisify(execFile);

const HERE = dirname(fileURLToPath(import.meta.url));
/** The shipped guest runtime: `include/faultline-rt.h`, `.c` and its parts. */
const INCLUDE = join(HERE, '..', '..', 'include');
const RUNTIME_PARTS = join(INCLUDE, 'faultline-rt');
const PROGRAMS = join(HERE, 'programs');
const CACHE = join(tmpdir(), 'faultline-conformance');

/** Compiler flags: the criterion's four, plus what a freestanding runtime needs. */
const CFLAGS = [
  ...RV32_FLAGS,
  '-O2',
  '-ffreestanding',
  '-fno-builtin',
  '-Wall',
  '-I',
  INCLUDE,
  '-Wl,--no-warn-rwx-segments',
];
const RUNTIME_SOURCES = [join(INCLUDE, 'faultline-rt.c')];
const SEQ_DRIVER = join(HERE, 'seq_main.c');

/** Exit statuses the fault programs must die with (qemu's, and docs/design.md §6). */
const FAULT_STATUS: Readonly<Record<string, number>> = {
  fault_write_rodata: 139,
  fault_write_mprotect: 139,
  fault_read_unmapped: 139,
  fault_read_protnone: 139,
  fault_exec_nx: 139,
  fault_illegal: 132,
  fault_ebreak: 133,
  fault_misaligned_amo: 135,
  fault_misaligned_lr: 135,
};

/** Random sequences per run: BATCHES ELFs of PER_BATCH sequences each. */
const BATCHES = 4;
const PER_BATCH = 64;

const PROGRAM_NAMES = existsSync(PROGRAMS)
  ? readdirSync(PROGRAMS)
      .filter((f) => f.endsWith('.c'))
      .map((f) => basename(f, '.c'))
      .sort()
  : [];
const LINUX_EXPECTED = new Set(PROGRAM_NAMES.filter((n) => existsSync(join(PROGRAMS, `${n}.expected`))));
const QEMU_PROGRAMS = PROGRAM_NAMES.filter((n) => !LINUX_EXPECTED.has(n));

const SEED = (() => {
  const env = process.env['FAULTLINE_SEQ_SEED'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`FAULTLINE_SEQ_SEED must be an integer, got ${JSON.stringify(env)}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
})();

// ---------------------------------------------------------------------------
// Building (cached) and running.

interface RunResult {
  readonly stdout: string;
  readonly status: number;
}

let compilerId: string | undefined;

/** gcc's version line, part of every cache key. */
async function compilerIdentity(): Promise<string> {
  compilerId ??= (await execFileAsync(GCC, ['--version'])).stdout.split('\n')[0] ?? GCC;
  return compilerId;
}

/** A built guest program: its cached file and its bytes. */
interface BuiltElf {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/**
 * Builds `sources` (+ the runtime) into an ELF in `dir`, reusing a build
 * with the same key (compiler, flags, every source and header). Throws with
 * gcc's messages.
 */
async function buildElf(name: string, sources: readonly string[], dir = CACHE): Promise<BuiltElf> {
  const hash = createHash('sha256');
  hash.update(await compilerIdentity());
  hash.update(CFLAGS.join(' '));
  const headers = [
    ...readdirSync(INCLUDE).filter((f) => f.endsWith('.h')).map((f) => join(INCLUDE, f)),
    ...readdirSync(RUNTIME_PARTS).map((f) => join(RUNTIME_PARTS, f)),
    ...readdirSync(PROGRAMS).filter((f) => f.endsWith('.h')).map((f) => join(PROGRAMS, f)),
  ].sort();
  for (const file of [...RUNTIME_SOURCES, ...sources, ...headers]) hash.update(`\0${basename(file)}\0`).update(readFileSync(file));
  const elf = join(dir, `${name}-${hash.digest('hex').slice(0, 16)}.elf`);
  if (existsSync(elf)) return { path: elf, bytes: new Uint8Array(await readFile(elf)) };
  await mkdir(dir, { recursive: true });
  const partial = `${elf}.${process.pid}.tmp`;
  try {
    await execFileAsync(GCC, [...CFLAGS, '-o', partial, ...RUNTIME_SOURCES, ...sources], { maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error(`building ${name} failed:\n${e.stderr ?? String(err)}`);
  }
  await rename(partial, elf);
  return { path: elf, bytes: new Uint8Array(await readFile(elf)) };
}

/** Runs `fn` over `items` with at most `limit` in flight; results in order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Runs the ELF at `path` under qemu-riscv32; status is 128 + signal when
 * the guest died of one (qemu re-raises the guest's signal on itself).
 */
async function runQemu(path: string): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    // ulimit -c 0: a faulting guest would otherwise leave a core file behind.
    const child = spawn('/bin/sh', ['-c', `ulimit -c 0; exec ${QEMU} "$0"`, path], {
      cwd: CACHE,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      resolve({ stdout: Buffer.concat(chunks).toString('utf8'), status });
    });
  });
}

// ---------------------------------------------------------------------------
// Comparison with readable failures.

/** The first line where `a` and `b` differ, with a little context, or undefined. */
function firstDifference(a: string, b: string, labelA: string, labelB: string): string | undefined {
  if (a === b) return undefined;
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  const context = la.slice(Math.max(0, i - 3), i).map((l) => `    ${l}`);
  return [
    `stdout differs at line ${i + 1}:`,
    ...context,
    `  ${labelA}: ${la[i] ?? '<end of output>'}`,
    `  ${labelB}: ${lb[i] ?? '<end of output>'}`,
  ].join('\n');
}

/** Throws an error naming the first difference between two runs, if any. */
function assertSameRun(name: string, expected: RunResult, actual: RunResult, expectedLabel: string): void {
  const problems: string[] = [];
  if (actual.status !== expected.status) problems.push(`exit status: ${expectedLabel} ${expected.status}, faultline ${actual.status}`);
  const diff = firstDifference(expected.stdout, actual.stdout, expectedLabel, 'faultline');
  if (diff !== undefined) problems.push(diff);
  if (problems.length > 0) expect.fail(`${name}:\n${problems.join('\n')}`);
}

/** Parses a driver line `seq N x1=.. ... mem=..` into its fields. */
function parseSeqLine(line: string): { index: number; fields: Map<string, string> } | undefined {
  const m = /^seq (\d+) (.*)$/.exec(line);
  if (!m) return undefined;
  const fields = new Map<string, string>();
  for (const kv of (m[2] ?? '').split(' ')) {
    const eq = kv.indexOf('=');
    if (eq > 0) fields.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return { index: Number(m[1]), fields };
}

/** Explains the first differing sequence: its listing and what differs. */
function explainSequenceMismatch(batch: SequenceBatch, expected: string, actual: string): string {
  const le = expected.split('\n');
  const la = actual.split('\n');
  let i = 0;
  while (i < le.length && i < la.length && le[i] === la[i]) i++;
  const pe = parseSeqLine(le[i] ?? '');
  const pa = parseSeqLine(la[i] ?? '');
  if (!pe || !pa || pe.index !== pa.index) {
    return `output diverges at line ${i + 1}:\n  qemu:      ${le[i] ?? '<end>'}\n  faultline: ${la[i] ?? '<end>'}`;
  }
  const seq = batch.sequences.find((s: Sequence) => s.index === pe.index);
  const diffs: string[] = [];
  for (const r of DUMPED_REGISTERS) {
    const k = `x${r}`;
    if (pe.fields.get(k) !== pa.fields.get(k)) diffs.push(`  ${k}: qemu ${pe.fields.get(k)}, faultline ${pa.fields.get(k)}`);
  }
  const me = pe.fields.get('mem') ?? '';
  const ma = pa.fields.get('mem') ?? '';
  for (let b = 0; b < Math.max(me.length, ma.length) / 2; b++) {
    const x = me.slice(2 * b, 2 * b + 2);
    const y = ma.slice(2 * b, 2 * b + 2);
    if (x !== y) diffs.push(`  scratch[${b}]: qemu ${x}, faultline ${y}`);
  }
  return [
    `sequence ${pe.index} (seed ${batch.seed}, replay the run with FAULTLINE_SEQ_SEED=${SEED}) differs:`,
    ...diffs,
    seq ? describeSequence(seq) : '(sequence not found)',
  ].join('\n');
}

// ---------------------------------------------------------------------------

/** Differential cases started and passed, per kind, for the closing log line. */
const counts = { qemuPrograms: 0, linuxPrograms: 0, sequences: 0, passed: 0 };

describeWithTools([GCC, QEMU], 'differential conformance against qemu-riscv32', () => {
  const elves = new Map<string, BuiltElf>();
  /** Per-run directory for the random batches (random seeds: not worth caching). */
  let runDir = '';

  beforeAll(async () => {
    await mkdir(CACHE, { recursive: true });
    runDir = await mkdtemp(join(CACHE, 'run-'));
    const built = await pool(PROGRAM_NAMES, availableParallelism(), (n) => buildElf(n, [join(PROGRAMS, `${n}.c`)]));
    PROGRAM_NAMES.forEach((n, i) => elves.set(n, built[i] as BuiltElf));
  });

  afterAll(async () => {
    if (runDir !== '') await rm(runDir, { recursive: true, force: true });
    const total = counts.qemuPrograms + counts.linuxPrograms + counts.sequences;
    console.info(
      `conformance: ${total} differential cases run, ${counts.passed} passed — ` +
        `${counts.qemuPrograms} programs vs qemu-riscv32, ${counts.linuxPrograms} vs Linux expectation files, ` +
        `${counts.sequences} random sequences (seed ${SEED}; replay with FAULTLINE_SEQ_SEED=${SEED})`,
    );
  });

  it('has at least 15 programs, and every fault program is checked for its status', () => {
    expect(PROGRAM_NAMES.length).toBeGreaterThanOrEqual(15);
    const faultPrograms = PROGRAM_NAMES.filter((n) => n.startsWith('fault_'));
    expect(faultPrograms.sort()).toEqual(Object.keys(FAULT_STATUS).sort());
  });

  for (const name of QEMU_PROGRAMS) {
    const wantStatus = FAULT_STATUS[name];
    const title =
      wantStatus === undefined
        ? `${name}.c: same stdout and exit status as qemu-riscv32`
        : `${name}.c: same stdout as qemu-riscv32, then dies with status ${wantStatus}`;
    it(title, async () => {
      const elf = elves.get(name) as BuiltElf;
      counts.qemuPrograms++;
      const [q, f] = await Promise.all([runQemu(elf.path), runFaultline(elf.bytes, name)]);
      // The reference itself must behave as the program intends: a fault
      // program that did not fault would make the comparison meaningless.
      if (wantStatus !== undefined) expect(q.status, `${name} under qemu-riscv32`).toBe(wantStatus);
      expect(q.stdout.length, `${name} printed nothing under qemu-riscv32`).toBeGreaterThan(0);
      assertSameRun(name, q, f, 'qemu-riscv32');
      counts.passed++;
    });
  }

  for (const name of LINUX_EXPECTED) {
    it(`${name}.c: stdout equals ${name}.expected and status 0 (Linux semantics, not qemu's)`, async () => {
      const expected = readFileSync(join(PROGRAMS, `${name}.expected`), 'utf8');
      counts.linuxPrograms++;
      const f = await runFaultline((elves.get(name) as BuiltElf).bytes, name);
      assertSameRun(name, { stdout: expected, status: 0 }, f, `${name}.expected`);
      counts.passed++;
    });
  }

  const batches = Array.from({ length: BATCHES }, (_, b) =>
    generateBatch({ seed: (SEED + Math.imul(b, 0x9e3779b9)) >>> 0, count: PER_BATCH, firstIndex: b * PER_BATCH }),
  );

  it('random-sequence encoder agrees with GNU as on every generated instruction', async () => {
    const sequences = batches.flatMap((b) => [...b.sequences]);
    const src = join(runDir, 'mnemonics.s');
    const obj = join(runDir, 'mnemonics.o');
    const bin = join(runDir, 'mnemonics.bin');
    await writeFile(src, mnemonicAssembly(sequences));
    await execFileAsync(GCC, ['-march=rv32ima', '-mabi=ilp32', '-c', '-o', obj, src]);
    const objcopy = GCC.replace(/gcc$/, 'objcopy');
    if (!hasTool(objcopy)) throw new Error(`${objcopy} not found next to ${GCC}`);
    await execFileAsync(objcopy, ['-O', 'binary', '-j', '.text', obj, bin]);
    const bytes = await readFile(bin);
    const words = sequences.flatMap((s) => [...s.body]);
    expect(bytes.length).toBe(words.length * 4);
    const bad = words.flatMap((ins, i) => {
      const got = bytes.readUInt32LE(i * 4);
      return got === ins.word ? [] : [`${ins.text}: generator 0x${ins.word.toString(16)}, as 0x${got.toString(16)}`];
    });
    expect(bad.slice(0, 10)).toEqual([]);
  });

  batches.forEach((batch, b) => {
    it(`random sequences, batch ${b + 1}/${BATCHES}: ${PER_BATCH} sequences leave the same registers and memory as under qemu-riscv32`, async () => {
      const name = `sequences-${b}`;
      const asm = join(runDir, `${name}.s`);
      await writeFile(asm, batch.assembly);
      const elf = await buildElf(name, [SEQ_DRIVER, asm], runDir);
      counts.sequences += PER_BATCH;
      const [q, f] = await Promise.all([runQemu(elf.path), runFaultline(elf.bytes, name)]);
      expect(q.status, `${name} under qemu-riscv32`).toBe(0);
      expect(q.stdout.split('\n').filter((l) => l.startsWith('seq ')).length).toBe(PER_BATCH);
      if (q.stdout !== f.stdout || q.status !== f.status) {
        const why = q.stdout !== f.stdout ? explainSequenceMismatch(batch, q.stdout, f.stdout) : '';
        expect.fail(`${name}: exit status qemu ${q.status}, faultline ${f.status}\n${why}`);
      }
      counts.passed += PER_BATCH;
    });
  });
});
