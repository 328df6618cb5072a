/**
 * Runs only the realistic-program figures (bench/real-programs.ts):
 * `node dist/bench/real-only.js [--runs N] [--only a,b]`. For measuring
 * one change without the whole `npm run bench`.
 */
import { parseArgs } from 'node:util';
import { Results } from './harness.js';
import { benchRealPrograms, REAL_PROGRAMS } from './real-programs.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, only: { type: 'string' } } });
const results = new Results();
benchRealPrograms(results, Number(values.runs), values.only?.split(',') ?? REAL_PROGRAMS);
console.log(results.table());
