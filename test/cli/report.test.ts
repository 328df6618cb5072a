/**
 * `faultline report`: one self-contained HTML file from an access log,
 * checked in headless Chromium (renders without console errors, the
 * heatmap's cells are exactly the log's accesses) with a screenshot saved
 * under test-artifacts/.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACCESS_GUEST } from '../../examples/access-tracking.js';
import { faultline } from '../helpers/cli.js';
import { describeWithBrowser, openPage } from '../helpers/headless-browser.js';
import { parseAccessLog } from '../../cli/report/access-log.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faultline-report-'));
const path = (name: string): string => join(dir, name);
writeFileSync(path('guest.s'), ACCESS_GUEST);

/** The log of the example guest in epochs of 10,000 instructions, and its report. */
function makeReport(): { log: string; html: string } {
  const run = faultline(['run', path('guest.s'), '--access-log', path('run.jsonl'), '--access-epoch', '10000']);
  expect(run.status).toBe(0);
  const r = faultline(['report', path('run.jsonl'), '-o', path('report.html')]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { log: readFileSync(path('run.jsonl'), 'utf8'), html: readFileSync(path('report.html'), 'utf8') };
}

/** `page:epoch:kinds` of every access in the log. */
function expectedCells(text: string): string[] {
  const log = parseAccessLog(text, 'run.jsonl');
  const cells = new Map<string, string>();
  const add = (page: number, epoch: number, kind: string): void => {
    const key = `${page}:${epoch}`;
    cells.set(key, (cells.get(key) ?? '') + kind);
  };
  for (const e of log.epochs) {
    for (const p of e.read) add(p, e.epoch, 'r');
    for (const p of e.written) add(p, e.epoch, 'w');
    for (const p of e.executed) add(p, e.epoch, 'x');
  }
  return [...cells].map(([k, v]) => `${k}:${v}`).sort();
}

describe('faultline report', () => {
  it('writes one self-contained HTML file: no external scripts, styles, images or fonts', () => {
    const { html, log } = makeReport();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link\b|<img\b|@import|url\(|https?:\/\//i);
    expect(html).toContain('[stack]');
    expect(html).toContain('guest.s');
    // Every access of the log is one cell.
    const cells = [...html.matchAll(/data-page="(\d+)" data-epoch="(\d+)" data-kind="([rwx]+)"/g)].map((m) => `${m[1]}:${m[2]}:${m[3]}`).sort();
    expect(cells).toEqual(expectedCells(log));
  });

  it('refuses what is not an access log in one line naming the file and line', () => {
    writeFileSync(path('bad.jsonl'), '{"type":"header","format":"faultline-access-log","version":1,"program":"x","epochInstructions":5,"idleEpochs":1,"maps":[]}\n{"type":"epoch","epoch":0}\n');
    const r = faultline(['report', path('bad.jsonl'), '-o', path('bad.html')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^faultline: .*bad\.jsonl:2: epoch record: field startInstret missing or not a count\n$/);
    writeFileSync(path('other.jsonl'), '{"type":"header","format":"faultline-dirty-log","version":1}\n');
    expect(faultline(['report', path('other.jsonl'), '-o', path('bad.html')]).stderr).toMatch(/other\.jsonl:1: not an access log/);
    expect(faultline(['report', path('missing.jsonl'), '-o', path('bad.html')]).stderr).toMatch(/missing\.jsonl/);
    expect(faultline(['report', path('bad.jsonl')]).stderr).toMatch(/report: missing -o REPORT\.html/);
  });
});

describeWithBrowser('faultline report in headless Chromium', () => {
  it('renders without console errors, and the heatmap cells match the log', async () => {
    const { log } = makeReport();
    const page = await openPage(pathToFileURL(path('report.html')).href, { width: 1280, height: 900 });
    try {
      await page.waitFor(`document.body.getAttribute('data-ready') === 'true'`);
      const cells = await page.evaluate<string[]>(`[...document.querySelectorAll('#heatmap [data-page]')].map((c) => c.dataset.page + ':' + c.dataset.epoch + ':' + c.dataset.kind).sort()`);
      expect(cells).toEqual(expectedCells(log));
      // Rendered, not only present: the cells have a size on screen.
      const drawn = await page.evaluate<number>(`[...document.querySelectorAll('#heatmap rect')].filter((c) => c.getBoundingClientRect().width > 0).length`);
      expect(drawn).toBe(cells.length);
      expect(await page.evaluate<number>(`document.querySelectorAll('#working-set circle').length`)).toBe(parseAccessLog(log, 'run.jsonl').epochs.length);
      expect(await page.evaluate<string>(`document.querySelector('#faults-by-handler').textContent`)).toContain('access-tracking');
      // The hover read-out names the cell.
      const readout = await page.evaluate<string>(`(() => { const c = document.querySelector('#heatmap [data-kind="rw"]'); c.dispatchEvent(new MouseEvent('mousemove', { bubbles: true })); return document.getElementById('readout').textContent; })()`);
      expect(readout).toMatch(/^page 0x[0-9a-f]{8}, epoch \d+: read, written$/);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot(join(ARTIFACTS, 'report.png'));
      expect([...readFileSync(join(ARTIFACTS, 'report.png')).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect(page.errors()).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
