/**
 * Reading an access log (`--access-log FILE`, docs/access-tracking.md)
 * back for `faultline report`: the header, the epoch records and the
 * summary, checked field by field so that a damaged or foreign file gives
 * one line naming the file and the line.
 */
import { FaultlineError } from '../../src/errors.js';

/** A mapping as the log records it. */
export interface LogMapping {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly offset: number;
  readonly name: string;
}

/** The fields of an epoch record the report uses. */
export interface LogEpoch {
  readonly epoch: number;
  readonly startInstret: number;
  readonly endInstret: number;
  readonly read: readonly number[];
  readonly written: readonly number[];
  readonly executed: readonly number[];
  readonly workingSet: number;
  readonly idle: readonly number[];
  readonly faults: number;
}

/** Fault counts of the summary. */
export interface LogFaults {
  readonly total: number;
  readonly unresolved: number;
  readonly byCause: Readonly<Record<string, number>>;
  readonly byHandler: Readonly<Record<string, number>>;
}

/** A parsed access log. */
export interface AccessLog {
  readonly program: string;
  readonly epochInstructions: number;
  readonly idleEpochs: number;
  readonly maps: readonly LogMapping[];
  readonly epochs: readonly LogEpoch[];
  /** From the summary record; null when the run did not finish writing it. */
  readonly summary: { readonly instructions: number; readonly faults: LogFaults; readonly maps: readonly LogMapping[]; readonly outcome: unknown } | null;
}

/** An access log the report cannot use. */
export class AccessLogError extends FaultlineError {}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPages = (v: unknown): v is number[] => Array.isArray(v) && v.every((p) => isCount(p) && p < 2 ** 32 && p % 4096 === 0);
const isMaps = (v: unknown): v is LogMapping[] => Array.isArray(v) && v.every((m: unknown) => {
  const x = m as Partial<LogMapping> | null;
  return x !== null && typeof x === 'object' && isCount(x.start) && isCount(x.end) && typeof x.perms === 'string' && isCount(x.offset) && typeof x.name === 'string';
});
const isCounts = (v: unknown): v is Record<string, number> => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isCount);

/**
 * Parses the text of an access log named `name`.
 *
 * @throws AccessLogError naming the file and line for anything that is not an access log.
 */
export function parseAccessLog(text: string, name: string): AccessLog {
  const rows = text.split('\n');
  if (rows.at(-1) === '') rows.pop();
  const fail = (line: number, what: string): never => { throw new AccessLogError(`${name}:${line}: ${what}`); };
  const records = rows.map((row, k) => {
    try {
      const value = JSON.parse(row) as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(k + 1, 'not a JSON object');
      return value as Record<string, unknown>;
    } catch (err) {
      if (err instanceof AccessLogError) throw err;
      return fail(k + 1, 'not valid JSON');
    }
  });
  if (records.length === 0) fail(1, 'empty file, not an access log');
  const h = records[0]!;
  if (h['type'] !== 'header' || h['format'] !== 'faultline-access-log') fail(1, 'not an access log (the first record is not a faultline-access-log header)');
  if (h['version'] !== 1) fail(1, `access log version ${String(h['version'])} is not supported (expected 1)`);
  if (!isCount(h['epochInstructions']) || !isCount(h['idleEpochs']) || !isMaps(h['maps']) || typeof h['program'] !== 'string') fail(1, 'header fields missing or of the wrong type');
  const epochs: LogEpoch[] = [];
  let summary: AccessLog['summary'] = null;
  records.slice(1).forEach((r, k) => {
    const line = k + 2;
    if (summary !== null) fail(line, 'record after the summary');
    if (r['type'] === 'epoch') {
      for (const f of ['epoch', 'startInstret', 'endInstret', 'workingSet', 'faults']) if (!isCount(r[f])) fail(line, `epoch record: field ${f} missing or not a count`);
      for (const f of ['read', 'written', 'executed', 'idle']) if (!isPages(r[f])) fail(line, `epoch record: field ${f} is not a list of page addresses`);
      if (r['epoch'] !== epochs.length) fail(line, `epoch ${String(r['epoch'])} out of order (expected ${epochs.length})`);
      epochs.push(r as unknown as LogEpoch);
    } else if (r['type'] === 'summary') {
      const f = r['faults'] as Partial<LogFaults> | null;
      if (!isCount(r['instructions']) || !isMaps(r['maps']) || f === null || typeof f !== 'object' || !isCount(f.total) || !isCount(f.unresolved) || !isCounts(f.byCause) || !isCounts(f.byHandler)) {
        fail(line, 'summary fields missing or of the wrong type');
      }
      summary = { instructions: r['instructions'] as number, faults: f as LogFaults, maps: r['maps'] as LogMapping[], outcome: r['outcome'] };
    } else {
      fail(line, `unknown record type ${JSON.stringify(r['type'])}`);
    }
  });
  return { program: h['program'] as string, epochInstructions: h['epochInstructions'] as number, idleEpochs: h['idleEpochs'] as number, maps: h['maps'] as LogMapping[], epochs, summary };
}
