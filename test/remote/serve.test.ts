import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRange } from '../../cli/http-server.js';
import { faultline } from '../helpers/cli.js';
import { startFaultline, waitUntil } from '../helpers/cli-process.js';
import { counterChain, withServer } from './remote-helpers.js';

/** A raw request (fetch normalises paths; this sends them as written). */
function get(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('faultline serve: the HTTP server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-serve-'));
  const data = Buffer.from(Array.from({ length: 1000 }, (_, k) => k & 0xff));
  writeFileSync(join(dir, 'a.bin'), data);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', '00000000.ckpt'), 'x');
  const outside = mkdtempSync(join(tmpdir(), 'faultline-outside-'));
  writeFileSync(join(outside, 'secret'), 'secret');
  symlinkSync(join(outside, 'secret'), join(dir, 'link'));

  it('answers ranges with 206 and Content-Range, the whole file with 200, beyond the end with 416', async () => {
    await withServer(dir, async (server) => {
      const part = await get(server.url, '/a.bin', { Range: 'bytes=10-19' });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe('bytes 10-19/1000');
      expect(part.headers['content-length']).toBe('10');
      expect([...part.body]).toEqual([...data.subarray(10, 20)]);
      const tail = await get(server.url, '/a.bin', { Range: 'bytes=-5' });
      expect(tail.headers['content-range']).toBe('bytes 995-999/1000');
      const open = await get(server.url, '/a.bin', { Range: 'bytes=990-' });
      expect(open.body.length).toBe(10);
      const whole = await get(server.url, '/a.bin');
      expect(whole.status).toBe(200);
      expect(whole.body.equals(data)).toBe(true);
      expect(whole.headers['accept-ranges']).toBe('bytes');
      const beyond = await get(server.url, '/a.bin', { Range: 'bytes=1000-1010' });
      expect(beyond.status).toBe(416);
      expect(beyond.headers['content-range']).toBe('bytes */1000');
      const head = await get(server.url, '/a.bin', {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('1000');
      expect(head.body.length).toBe(0);
    });
  });

  it('gives an ETag, answers If-None-Match with 304, and a stale If-Range with the whole file', async () => {
    await withServer(dir, async (server) => {
      const first = await get(server.url, '/a.bin', { Range: 'bytes=0-0' });
      const etag = first.headers['etag'] as string;
      expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect((await get(server.url, '/a.bin', { 'If-None-Match': etag })).status).toBe(304);
      expect((await get(server.url, '/a.bin', { Range: 'bytes=0-0', 'If-Range': etag })).status).toBe(206);
      expect((await get(server.url, '/a.bin', { Range: 'bytes=0-0', 'If-Range': '"other"' })).status).toBe(200);
    });
  });

  it('lists a directory as JSON, redirects one without its slash, and serves nothing outside the directory', async () => {
    await withServer(dir, async (server) => {
      const list = await get(server.url, '/sub/');
      expect(JSON.parse(list.body.toString())).toEqual([expect.objectContaining({ name: '00000000.ckpt', type: 'file', size: 1 })]);
      const redirect = await get(server.url, '/sub');
      expect(redirect.status).toBe(301);
      expect(redirect.headers['location']).toBe('/sub/');
      for (const path of ['/../' + outside.split('/').pop() + '/secret', '/sub/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/link', '/a.bin%00', '/nope']) {
        const r = await get(server.url, path);
        expect(r.status, path).toBe(404);
        expect(r.body.toString()).not.toContain('secret');
      }
      expect((await get(server.url, '/a.bin', {}, 'POST')).status).toBe(405);
    });
  });

  it('parses Range headers as RFC 9110 says', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-200', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-1', 100)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
  });
});

describe('faultline serve and faultline restore URL', () => {
  it('a lazy restore from the served directory prints what a local restore prints', async () => {
    const chain = counterChain();
    const local = faultline(['restore', chain.dir, '--no-checkpoint']);
    expect(local.status).toBe(0);
    const server = startFaultline(['serve', chain.dir, '--port', '0'], chain.dir);
    try {
      await waitUntil('the server prints its URL', () => / at http:\/\/\S+\n/.test(server.stdout()), server);
      const url = / at (http:\/\/\S+)\n/.exec(server.stdout())![1]!;
      const order = join(chain.dir, 'order.json');
      const lazy = await runCli(['restore', url, '--lazy', '--record-order', order]);
      expect(lazy).toEqual({ status: 0, stdout: local.stdout, stderr: '' });
      const prefetched = await runCli(['restore', url, '--lazy', '--prefetch', order]);
      expect(prefetched.stdout).toBe(local.stdout);
      const eager = await runCli(['restore', `${url}00000002.ckpt`, '--timeout', '5000', '--retries', '1']);
      expect(eager.stdout).toBe(local.stdout);
      const missing = await runCli(['restore', `${url}00000009.ckpt`]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toBe(`faultline: ${url}00000009.ckpt: bytes 0-65535 (header and sections): HTTP 404 Not Found\n`);
    } finally {
      server.child.kill('SIGTERM');
      await server.end;
    }
  });

  it('refuses remote-only options with a local directory, and a directory that is not there', () => {
    const chain = counterChain(1);
    expect(faultline(['restore', chain.dir, '--prefetch', 'x']).stderr).toMatch(/--prefetch, --timeout and --retries go with image URLs/);
    // --record-order works for a local lazy restore too.
    const order = join(chain.dir, 'order.json');
    expect(faultline(['restore', chain.dir, '--lazy', '--no-checkpoint', '--record-order', order]).status).toBe(0);
    const recorded = JSON.parse(readFileSync(order, 'utf8')) as { format: string; pages: number[] };
    expect(recorded.format).toBe('faultline-touch-order');
    expect(recorded.pages.length).toBeGreaterThan(0);
    expect(faultline(['restore', chain.dir, '--record-order', order]).stderr).toMatch(/--record-order needs --lazy/);
    const r = faultline(['serve', join(chain.dir, 'nope')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^faultline: serve: cannot serve .*nope/);
  });
});

/** `faultline ...args` without blocking the event loop (the server runs in this test's process tree). */
async function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = startFaultline(args, tmpdir());
  const end = await child.end;
  return { status: end.status, stdout: end.stdout, stderr: end.stderr };
}
