/**
 * `npm run bench`: measures the figures of docs/design.md §9, prints a table of
 * median/min/max over several runs and writes bench/results.json.
 * Usage: npm run bench [-- --runs N]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Results } from './harness.js';
import { benchGuestMips } from './guest-mips.js';
import { benchExtableLookup, benchFaultRoundTrip } from './fault-roundtrip.js';
import { benchDirtyLog } from './dirty-log.js';
import { benchDemandPaging } from './demand-paging.js';
import { benchCheckpoint } from './checkpoint.js';
import { benchThreads } from './threads.js';
import { benchReverseStep } from './reverse-step.js';
import { benchAccessTracking } from './access-tracking.js';
import { benchMigration } from './migration.js';
import { benchRemoteRestore } from './remote-restore.js';
import { benchRealPrograms } from './real-programs.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, iterations: { type: 'string', default: '60' } } });
const runs = Number(values.runs);
const results = new Results();
benchGuestMips(results, values.iterations, runs);
benchFaultRoundTrip(results, runs);
benchExtableLookup(results, runs);
benchDemandPaging(results, runs);
benchDirtyLog(results, runs);
benchCheckpoint(results, runs);
await benchThreads(results, runs);
benchReverseStep(results, Math.max(15, runs * 3));
benchAccessTracking(results, runs);
await benchMigration(results, runs);
await benchRemoteRestore(results, runs);
benchRealPrograms(results, runs);
console.log(results.table());
const out = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
await results.write(out);
console.log(`\nwrote ${out}`);
