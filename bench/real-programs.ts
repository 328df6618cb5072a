import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../tools/bundle-cli.js';
import { summarize, timeSeconds, type Results } from './harness.js';

/*
 * The realistic program suite (bench/programs/real): each program runs
 * under faultline and under qemu-riscv32, alternately, both as
 * subprocesses — `node dist/cli/faultline.js run PROGRAM` (the package's
 * bin, the one-file build) against `qemu-riscv32 PROGRAM` — so that both wall times include the same kind
 * of work a user sees: process start, loading, running, exit. (An
 * in-process run would hide faultline's start-up and give it a warm JIT
 * that a user's first run never has.)
 */

/** The programs, in bench/programs/real (each checks itself and exits 0 when right). */
export const REAL_PROGRAMS = ['lz77', 'sha256', 'bytecode', 'sort', 'matrix', 'fsm'] as const;

const REAL_DIR = fileURLToPath(new URL('../../bench/programs/real/', import.meta.url));
/** The faultline CLI run (FAULTLINE_BENCH_CLI: another build's dist/cli/faultline.js or main.js, for A/B comparisons). */
const CLI = process.env['FAULTLINE_BENCH_CLI'] ?? fileURLToPath(new URL('../cli/faultline.js', import.meta.url));

/** Path of a program's committed ELF. */
export function realProgramPath(name: string): string {
  return `${REAL_DIR}${name}.elf`;
}

/** Extra arguments for the faultline run (e.g. `--tier interp`), from FAULTLINE_BENCH_ARGS. */
const EXTRA = (process.env['FAULTLINE_BENCH_ARGS'] ?? '').split(' ').filter((a) => a !== '');

/** Runs one command, checks exit 0 and returns [seconds, stdout]. */
function timed(command: string, args: readonly string[], what: string): [number, string] {
  let run: ReturnType<typeof spawnSync> | undefined;
  const seconds = timeSeconds(() => { run = spawnSync(command, args, { encoding: 'utf8' }); });
  if (run?.error !== undefined) throw run.error;
  if (run?.status !== 0) throw new Error(`bench: ${what} exited ${String(run?.status)}: ${String(run?.stdout)}${String(run?.stderr)}`);
  return [seconds, String(run.stdout)];
}

function faultline(name: string): [number, string] {
  return timed(process.execPath, [CLI, 'run', ...EXTRA, realProgramPath(name)], `faultline run ${name}.elf`);
}

function qemu(name: string): [number, string] {
  return timed('qemu-riscv32', [realProgramPath(name)], `qemu-riscv32 ${name}.elf`);
}

/**
 * real_programs_qemu_ratio: per program, qemu's wall time over faultline's
 * (1.0 = as fast as qemu), medians of `runs` alternating runs, and their
 * geometric mean; startup_ms / qemu_startup_ms: an ELF that exits at once.
 * Skipped (with a message) when qemu-riscv32 is not installed.
 */
export function benchRealPrograms(results: Results, runs: number, only: readonly string[] = REAL_PROGRAMS): void {
  const probe = spawnSync('qemu-riscv32', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    console.log('real_programs_qemu_ratio: skipped, qemu-riscv32 is not installed (apt-get install qemu-user)');
    return;
  }
  // The one-file build from the current dist/, never a stale one.
  if (process.env['FAULTLINE_BENCH_CLI'] === undefined) bundleCli(fileURLToPath(new URL('..', import.meta.url)));
  const start: number[] = [];
  const qemuStart: number[] = [];
  for (let r = 0; r < runs; r++) {
    start.push(faultline('exit0')[0] * 1000);
    qemuStart.push(qemu('exit0')[0] * 1000);
  }
  results.add('startup_ms', summarize(start, 'ms'), 'faultline run of an ELF that exits at once (node start-up included)');
  results.add('qemu_startup_ms', summarize(qemuStart, 'ms'), 'the same under qemu-riscv32');
  if (only.length === 0) return;
  const ratios: number[] = [];
  for (const name of only) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const [s, out] = faultline(name);
      const [q, qout] = qemu(name);
      if (out !== qout) throw new Error(`bench: ${name}: faultline printed ${JSON.stringify(out)}, qemu ${JSON.stringify(qout)}`);
      ours.push(s);
      theirs.push(q);
    }
    const f = summarize(ours, 's'), q = summarize(theirs, 's');
    const ratio = q.median / f.median;
    ratios.push(ratio);
    results.add(`real_${name}_qemu_ratio`, { median: ratio, min: q.min / f.max, max: q.max / f.min, unit: '×' },
      `faultline ${f.median.toFixed(2)} s, qemu ${q.median.toFixed(2)} s`);
  }
  const geo = Math.exp(ratios.reduce((s, v) => s + Math.log(v), 0) / ratios.length);
  results.add('real_programs_qemu_ratio', { median: geo, min: Math.min(...ratios), max: Math.max(...ratios), unit: '×' },
    `geometric mean of ${ratios.length} programs (min/max: the programs' ratios); goal ≥ 1`);
}
