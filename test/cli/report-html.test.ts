import { describe, expect, it } from 'vitest';
import { parseAccessLog } from '../../cli/report/access-log.js';
import { MAX_ROWS, reportHtml } from '../../cli/report/html.js';

const BASE = 0x1000_0000;

/** An access log of `pages` pages read in every epoch, every third one written in odd epochs. */
function syntheticLog(pages: number, epochs: number): string {
  const all = Array.from({ length: pages }, (_, k) => BASE + k * 4096);
  const records: unknown[] = [{ type: 'header', format: 'faultline-access-log', version: 1, program: 'big', pageSize: 4096, epochInstructions: 1000, idleEpochs: 4, startInstret: 0, maps: [{ start: BASE, end: BASE + pages * 4096, perms: 'rw-p', offset: 0, name: 'table' }] }];
  for (let e = 0; e < epochs; e++) {
    const written = e % 2 === 1 ? all.filter((_, k) => k % 3 === 0) : [];
    records.push({ type: 'epoch', epoch: e, startInstret: e * 1000, endInstret: (e + 1) * 1000, instructions: 1000, read: all, written, executed: [], workingSet: pages, idle: [], idleEpochs: 4, faults: pages + written.length, touches: [] });
  }
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

const cellsOf = (html: string) => [...html.matchAll(/<rect [^>]*data-page="(\d+)" data-epoch="(\d+)" data-kind="([rwx]+)"(?: data-last-page="(\d+)" data-pages="(\d+)")?/g)]
  .map((m) => ({ first: Number(m[1]), epoch: Number(m[2]), kind: m[3]!, last: m[4] === undefined ? Number(m[1]) : Number(m[4]), count: m[5] === undefined ? 1 : Number(m[5]) }));

describe('report heatmap rows', () => {
  it('one row per touched page up to MAX_ROWS', () => {
    const cells = cellsOf(reportHtml(parseAccessLog(syntheticLog(100, 2), 'small.jsonl'), 'small.jsonl'));
    expect(cells.length).toBe(200);
    expect(cells.every((c) => c.count === 1)).toBe(true);
    expect(cells.filter((c) => c.epoch === 1 && c.kind === 'rw').length).toBe(34);
  });

  it('past MAX_ROWS a row merges consecutive touched pages; its kinds are the OR of theirs', () => {
    const pages = 10_000;
    const html = reportHtml(parseAccessLog(syntheticLog(pages, 2), 'big.jsonl'), 'big.jsonl');
    const cells = cellsOf(html);
    const rows = cells.filter((c) => c.epoch === 0);
    expect(rows.length).toBeLessThanOrEqual(MAX_ROWS);
    expect(rows.reduce((n, c) => n + c.count, 0)).toBe(pages);
    for (const c of cells) {
      const members = Array.from({ length: (c.last - c.first) / 4096 + 1 }, (_, k) => (c.first - BASE) / 4096 + k);
      const written = c.epoch === 1 && members.some((k) => k % 3 === 0);
      expect(c.kind).toBe(written ? 'rw' : 'r');
    }
    expect(html).toContain('each row merges 5 consecutive touched pages');
  });
});
