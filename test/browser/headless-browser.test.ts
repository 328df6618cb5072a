/**
 * The headless-browser helper itself: a page's console messages and
 * exceptions reach the test, expressions evaluate (promises awaited),
 * waitFor polls, and a screenshot is a PNG.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeWithBrowser, openPage } from '../helpers/headless-browser.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-browser-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithBrowser('headless Chromium over the DevTools pipe', () => {
  it('reports console errors and exceptions, evaluates, polls and takes a screenshot', async () => {
    const page = join(dir, 'page.html');
    writeFileSync(page, `<!doctype html><title>t</title><p id="p">hello</p><script>
      console.log('plain'); console.error('broken thing');
      setTimeout(() => { document.body.dataset.ready = 'yes'; }, 10);
      setTimeout(() => { throw new Error('late failure'); }, 0);
    </script>`);
    const browser = await openPage(pathToFileURL(page).href, { width: 400, height: 300 });
    try {
      await browser.waitFor(`document.body.dataset.ready === 'yes'`);
      expect(await browser.evaluate<string>(`document.getElementById('p').textContent`)).toBe('hello');
      expect(await browser.evaluate<number>(`new Promise((r) => setTimeout(() => r(6 * 7), 5))`)).toBe(42);
      await browser.waitFor(`true`);
      expect(browser.messages).toContainEqual({ level: 'log', text: 'plain' });
      expect(browser.errors()).toContain('broken thing');
      expect(browser.errors().some((e) => e.includes('late failure'))).toBe(true);
      await expect(browser.evaluate(`nosuchname.x`)).rejects.toThrow(/nosuchname/);
      const shot = join(dir, 'shot.png');
      await browser.screenshot(shot);
      expect([...readFileSync(shot).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    } finally {
      await browser.close();
    }
  });
});
