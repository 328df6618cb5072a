/**
 * The browser example (examples/browser/): a page that lazily restores a
 * guest from images over `fetch` and runs it, in headless Chromium, against
 * the project's server. Its output must equal the command line's.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { describeWithBrowser, openPage } from '../helpers/headless-browser.js';
import { counterSource } from '../checkpoint/programs.js';
import { withServer } from './remote-helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every .js file below `dir`. */
function scripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? scripts(path) : path.endsWith('.js') ? [path] : [];
  });
}

describe('the built core loads in a browser as it is', () => {
  it('dist/src and dist/handlers import only relative .js files (and eventemitter3, which the example maps)', () => {
    const bad: string[] = [];
    for (const file of [...scripts(join(ROOT, 'dist/src')), ...scripts(join(ROOT, 'dist/handlers'))]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec === 'eventemitter3') continue;
        if (!/^\.\.?\/.*\.js$/.test(spec)) bad.push(`${file}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describeWithBrowser('the browser example restores a guest over HTTP', () => {
  it('prints in headless Chromium what faultline restore prints', async () => {
    // A site as the example expects it: dist/, node_modules/eventemitter3, examples/browser/ and images/.
    const site = mkdtempSync(join(tmpdir(), 'faultline-site-'));
    for (const part of ['dist/src', 'dist/handlers', 'examples/browser']) cpSync(join(ROOT, part), join(site, part), { recursive: true, dereference: true });
    cpSync(join(ROOT, 'node_modules/eventemitter3'), join(site, 'node_modules/eventemitter3'), { recursive: true, dereference: true });
    mkdirSync(join(site, 'images'));
    writeFileSync(join(site, 'counter.s'), counterSource(150, 30));
    const run = faultline(['run', 'counter.s', '--checkpoint-every', '4000', '--checkpoint-full-every', '4', '--checkpoint-dir', 'images', '--max-instructions', '13000'], site);
    expect(run.status).toBe(124);
    const cli = faultline(['restore', 'images', '--no-checkpoint'], site);
    expect(cli.status).toBe(0);
    await withServer(site, async (server) => {
      const page = await openPage(`${server.url}examples/browser/index.html?images=/images/`);
      try {
        await page.waitFor('window.faultline && window.faultline.done', 60_000).catch((err: unknown) => {
          throw new Error(`${(err as Error).message}; page said: ${JSON.stringify(page.messages)}`);
        });
        const state = await page.evaluate<{ stdout: string; result: unknown; error: string | null; stats: { demandFaults: number } }>('window.faultline');
        expect(state.error).toBeNull();
        expect(state.result).toEqual({ kind: 'exit', exitCode: 0 });
        expect(state.stdout).toBe(cli.stdout);
        expect(page.errors()).toEqual([]);
        expect(await page.evaluate('document.getElementById("out").textContent')).toBe(cli.stdout);
      } finally {
        await page.close();
      }
    });
  });
});
