/**
 * Failure injection: remote restores through a proxy that damages answers
 * (fault-proxy.ts) and a server that dies at a random request. Every trial
 * must end — never hang past the timeouts — with either the right output
 * or a one-line error naming the URL, the bytes (and page) and the cause,
 * and with output that is a prefix of the right one; the chain on disk
 * stays restorable.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreCheckpoint, restoreRemote } from '../../handlers/index.js';
import { startFaultProxy, seeded, type Damage } from './fault-proxy.js';
import { bigImage, counterChain, machineWithOutput, printedSum, withServer, writeChain } from './remote-helpers.js';

/** The fetch policy of the trials: short timeouts, few retries. */
const POLICY = { timeoutMs: 250, retries: 2, retryDelayMs: 5 } as const;
/** Damages and their weights, when a request is damaged at all. */
const DAMAGES: readonly [Damage, number][] = [['drop', 3], ['delay', 3], ['truncate', 3], ['corrupt', 3], ['404', 1], ['500', 3], ['hang', 1], ['kill', 1]];
/** Trials, run ten at a time. */
const TRIALS = process.env['CI'] ? 100 : 60;

/** What a failed trial must say: URL, bytes, what they were, and a cause. */
const CLEAR = new RegExp(
  '^(fault handler \'remote-pages\' rejected: )?http://127\\.0\\.0\\.1:\\d+/\\d{8}\\.ckpt: bytes \\d+-\\d+ \\(' +
    '(header and sections|sections|END section|page \\d+ of dataspace \\d+|\\d+ pages from page \\d+ of dataspace \\d+)\\): ' +
    '(HTTP 404 Not Found|HTTP 500( Internal Server Error)?|no answer within 250 ms|no complete answer within 250 ms|no answer: .+|connection broke: .+|truncated answer: .+|' +
    'page \\d+ of dataspace \\d+ arrived corrupted \\(CRC 0x[0-9a-f]{8}, the index says 0x[0-9a-f]{8}\\))' +
    '( \\(\\d attempts\\))?( \\(while handling .+, thread \\d+\\))?$',
);

function pick(random: () => number, rate: number): Damage {
  if (random() >= rate) return 'pass';
  const total = DAMAGES.reduce((n, [, w]) => n + w, 0);
  let r = random() * total;
  for (const [d, w] of DAMAGES) { if ((r -= w) < 0) return d; }
  return 'pass';
}

function digest(dir: string): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) h.update(name).update(readFileSync(join(dir, name)));
  return h.digest('hex');
}

describe('remote restore under failure injection', () => {
  it(`${TRIALS} trials through a damaging proxy: the right output or a clear error, never a hang or a wrong result`, async () => {
    // Odd trials: a chain of three small images; even ones: one image of 256 pages, 128 of them touched (page requests).
    const chain = counterChain(3, 5000, 300);
    const big = bigImage(1 << 20, 128, 2);
    const bigDir = writeChain([big.bytes]);
    const before = digest(chain.dir) + digest(bigDir);
    const outcomes = { ok: 0, failed: 0, pageErrors: 0 };
    const trial = async (seed: number, upstream: string): Promise<void> => {
      const random = seeded(seed);
      const rate = 0.02 + random() * 0.2;
      const proxy = await startFaultProxy(upstream, () => pick(random, rate), () => Math.floor(random() * 150));
      const odd = seed % 2 === 1;
      const urls = odd ? [0, 1, 2].map((k) => `${proxy.url}0000000${k}.ckpt`) : [`${proxy.url}00000000.ckpt`];
      const { machine, out } = machineWithOutput();
      try {
        const remote = await restoreRemote(machine, urls, { lazy: true, ...POLICY, maxBatchPages: 1 + (seed % 4) });
        const result = await machine.runAsync({ timeoutMs: remote.waitBoundMs });
        expect(result, `seed ${seed}: ${proxy.log.join(' ')}`).toEqual({ kind: 'exit', exitCode: 0 });
        if (odd) expect(out.text(), `seed ${seed}`).toBe(chain.expected);
        else expect(printedSum(out), `seed ${seed}`).toBe(big.expected);
        outcomes.ok++;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        expect(message, `seed ${seed}: ${proxy.log.join(' ')}`).toMatch(CLEAR);
        if (odd) expect(chain.expected.startsWith(out.text()), `seed ${seed}: output so far is not a prefix`).toBe(true);
        else expect(out.bytes().length, `seed ${seed}: output of a failed run`).toBe(0);
        if (/\(page|pages from page/.test(message)) outcomes.pageErrors++;
        outcomes.failed++;
        if (process.env['SHOW']) console.log(message);
      } finally {
        await proxy.close();
      }
    };
    await withServer(chain.dir, (small) => withServer(bigDir, async (large) => {
      for (let base = 0; base < TRIALS; base += 10) {
        await Promise.all(Array.from({ length: Math.min(10, TRIALS - base) }, (_, k) => trial(base + k + 1, (base + k + 1) % 2 === 1 ? small.url : large.url)));
      }
    }));
    expect(outcomes.ok + outcomes.failed).toBe(TRIALS);
    // Both outcomes happen: retries save some trials, others meet a final failure, some of them on a page.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.failed).toBeGreaterThan(0);
    expect(outcomes.pageErrors).toBeGreaterThan(0);
    // The chain on disk is untouched and still restores.
    expect(digest(chain.dir) + digest(bigDir)).toBe(before);
    const { machine, out } = machineWithOutput();
    restoreCheckpoint(machine, chain.images);
    machine.run();
    expect(out.text()).toBe(chain.expected);
  });

  it('a server that dies at a random request ends the faulting thread with an error naming the URL and page', async () => {
    const chain = counterChain(3, 5000, 300);
    let died = 0;
    await withServer(chain.dir, async (server) => {
      for (let seed = 1; seed <= 12; seed++) {
        const random = seeded(1000 + seed);
        const killAt = 1 + Math.floor(random() * 12);
        const proxy = await startFaultProxy(server.url, (n) => (n === killAt ? 'kill' : 'pass'), () => 0);
        const { machine, out } = machineWithOutput();
        try {
          const remote = await restoreRemote(machine, [0, 1, 2].map((k) => `${proxy.url}0000000${k}.ckpt`), { lazy: true, ...POLICY, maxBatchPages: 1 });
          await machine.runAsync({ timeoutMs: remote.waitBoundMs });
          expect(out.text()).toBe(chain.expected);
        } catch (err) {
          died++;
          const message = (err as Error).message;
          expect(message, `seed ${seed}`).toMatch(CLEAR);
          expect(message).toMatch(/no answer: ECONNREFUSED|connection broke|no answer/);
          expect(chain.expected.startsWith(out.text())).toBe(true);
        } finally {
          await proxy.close();
        }
      }
    });
    expect(died).toBeGreaterThan(0);
  });
});
