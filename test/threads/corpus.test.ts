/**
 * The threaded C corpus, validated against qemu-riscv32 (which runs guest
 * threads on host threads, truly in parallel): every program, built with
 * the shipped runtime, must print the same thing and exit with the same
 * status in three runs, and that must be its `NAME.expected`. This proves
 * the programs print only what does not depend on the interleaving, so
 * the same files can judge faultline's threads.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { formatRun, runUnderQemu } from '../runtime/guest-build.js';
import { buildCorpus, corpusPrograms, expectedFiles, readExpected } from './corpus.js';

/** Runs per program: qemu's parallel threads get three chances to interleave differently. */
const RUNS = 3;

/** What the corpus must cover: one program per behaviour (see each file's header). */
const REQUIRED = [
  'atomic_counter', // workers summing into atomic counters
  'mutex_contention', // futex mutex under contention
  'condvar_prodcons', // condition-variable producer/consumer
  'join_cleartid', // join by CLONE_CHILD_CLEARTID
  'exit_codes', // per-thread exit against exit_group
  'exit_group_thread', // exit_group from a thread that is not the first
  'threads_64', // 64 threads at once
  'thread_fault', // a thread faulting on an unmapped page: 139 for the process
  'tid_values', // gettid / getpid / set_tid_address
  'tls_tp', // TLS through tp
  'yield_pingpong', // sched_yield
  'futex_timeout', // FUTEX_WAIT timeouts and errors
];

describeWithTools([GCC, QEMU], 'threaded C corpus under qemu-riscv32', () => {
  const names = corpusPrograms();
  let dir = '';
  let elves = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-thread-corpus-'));
    elves = await buildCorpus(dir);
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('covers every required behaviour, and every program has an expected-output file', () => {
    expect(names.length).toBeGreaterThanOrEqual(12);
    expect(names).toEqual(expect.arrayContaining(REQUIRED));
    expect(expectedFiles()).toEqual(names);
  });

  for (const name of names) {
    it(`${name}.c prints the same and exits alike in ${RUNS} runs, matching ${name}.expected`, async () => {
      const elf = elves.get(name) as string;
      const expected = formatRun(readExpected(name));
      for (let run = 1; run <= RUNS; run++) {
        const got = formatRun(await runUnderQemu(elf, [], dir));
        expect(got, `${name}, run ${run} of ${RUNS} under ${QEMU}`).toBe(expected);
      }
    });
  }
});
