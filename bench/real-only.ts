/**
 * Runs only the realistic-program figures (bench/real-programs.ts):
 * `node dist/bench/real-only.js [--runs N] [--only a,b]`. For measuring
 * one change without the whole `npm run bench`. The start-up figures
 * (`startup_ms`, `qemu_startup_ms`) are always taken; `--only startup`
 * takes only them.
 */
import { parseArgs } from 'node:util';
import { Results } from './harness.js';
import { benchRealPrograms, REAL_PROGRAMS } from './real-programs.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, only: { type: 'string' } } });
const results = new Results();
const only = values.only?.split(',').filter((name) => name !== 'startup') ?? REAL_PROGRAMS;
benchRealPrograms(results, Number(values.runs), only);
console.log(results.table());
