/**
 * `faultline migrate` and `faultline receive` over loopback: the guest's
 * output (printed by the source until it stops, then by the destination)
 * equals an uninterrupted run's; a destination that is not there leaves
 * the guest running on the source.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dirtierSource } from '../../bench/programs/dirtier.js';
import { faultline } from '../helpers/cli.js';
import { startFaultline, waitUntil } from '../helpers/cli-process.js';

let dir = '';
let reference = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-migrate-'));
  writeFileSync(join(dir, 'dirtier.s'), dirtierSource({ pages: 128, steps: 400_000, spin: 250, printEvery: 4000 }));
  const r = faultline(['run', 'dirtier.s'], dir);
  expect(r.status).toBe(0);
  reference = r.stdout;
  expect(reference.split('\n')).toHaveLength(101);
});

/** Starts `faultline receive --port 0` and returns it with the port it printed. */
async function receiver(extra: string[] = []) {
  const destination = startFaultline(['receive', '--port', '0', ...extra], dir);
  await waitUntil('the receiver listens', () => /listening on 127\.0\.0\.1:\d+/.test(destination.stderr()), destination);
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(destination.stderr())![1]!;
  return { destination, port };
}

describe('faultline migrate / receive over loopback', () => {
  it.each([[[]], [['--post-copy']]])('%j: source output + destination output = an uninterrupted run', async (mode: string[]) => {
    const { destination, port } = await receiver();
    // ~208 M instructions: pre-copy (at most 5 rounds) ends long before the guest does, however loaded the machine is.
    const source = startFaultline(['migrate', '--to', `127.0.0.1:${port}`, 'dirtier.s', '--after', '6000000', '--max-rounds', '5', '--json', ...mode], dir);
    const [s, d] = await Promise.all([source.end, destination.end]);
    expect(s.status, s.stderr).toBe(0);
    expect(d.status, d.stderr).toBe(0);
    expect(s.stdout.length).toBeGreaterThan(0);
    expect(s.stdout + d.stdout).toBe(reference);
    const report = JSON.parse(s.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(report['mode']).toBe(mode.length === 0 ? 'pre-copy' : 'post-copy');
    expect(report['downtimeMs']).toEqual(expect.any(Number));
    expect(report['bytesSent']).toBeGreaterThan(128 * 4096);
    if (mode.length === 0) expect((report['rounds'] as unknown[]).length).toBeGreaterThanOrEqual(1);
    else {
      // The first instruction on the destination faults on its code page before any page was pushed: at least that one is asked for.
      const fetched = Number(/(\d+) pages fetched on demand after resume/.exec(d.stderr)?.[1]);
      expect(fetched).toBeGreaterThanOrEqual(1);
      expect(report['pagesFetchedAfterResume']).toBe(fetched);
    }
  });

  it('a destination nobody listens on: one line naming it, and the guest runs to its end here', async () => {
    const { destination, port } = await receiver();
    destination.child.kill();
    await destination.end;
    const r = faultline(['migrate', '--to', `127.0.0.1:${port}`, 'dirtier.s', '--after', '1000', '--timeout', '5000'], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(reference);
    expect(r.stderr).toMatch(new RegExp(`^faultline: migration: peer 127\\.0\\.0\\.1:${port}: cannot connect: .*; the guest keeps running here\\n$`));
  });

  it('a source killed mid-migration: the destination stops with one line naming it and runs nothing (or, had the move finished, runs on correctly)', async () => {
    writeFileSync(join(dir, 'big.s'), dirtierSource({ pages: 4096, steps: 4000, spin: 100, printEvery: 10 }));
    const { destination, port } = await receiver(['--timeout', '3000']);
    const source = startFaultline(['migrate', '--to', `127.0.0.1:${port}`, 'big.s'], dir);
    await waitUntil('the source prints', () => source.stdout().length > 0, source);
    source.child.kill('SIGKILL');
    const d = await destination.end;
    if (d.status === 0) {
      expect(d.stderr).toMatch(/runs here/);
    } else {
      expect(d.status).toBe(2);
      expect(d.stdout).toBe('');
      expect(d.stderr).toMatch(/^faultline: receive: listening on 127\.0\.0\.1:\d+\nfaultline: migration: peer 127\.0\.0\.1:\d+: (connection closed|connection failed|timed out)[^\n]*\n$/);
    }
  });

  it('refuses a bad --to and a missing --port with one line', () => {
    expect(faultline(['migrate', '--to', 'nowhere', 'dirtier.s'], dir)).toMatchObject({ status: 2, stderr: "faultline: --to: expected HOST:PORT with a port from 1 to 65535, got 'nowhere'\n" });
    expect(faultline(['receive'], dir)).toMatchObject({ status: 2, stderr: 'faultline: receive: missing --port N (see faultline receive --help)\n' });
  });
});
