/**
 * The same remote restores against a second, independent server: Debian's
 * nginx, started by the test on a free loopback port with a temporary
 * configuration (autoindex in JSON, so directory URLs work too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { restoreRemote } from '../../handlers/index.js';
import { describeWithTools, hasTool } from '../helpers/toolchain.js';
import { bigImage, counterChain, machineWithOutput, printedSum, writeChain } from './remote-helpers.js';

/** nginx's binary: on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
/** Debian installs nginx in /usr/sbin, which a non-root PATH may lack. */
const NGINX = ['nginx', '/usr/sbin/nginx'].find(hasTool);

/** A free loopback port (the kernel picks one; nginx binds it right after). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Starts nginx serving `root`; returns its URL and a stop function. Polls until it answers (bounded). */
async function startNginx(root: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const prefix = mkdtempSync(join(tmpdir(), 'faultline-nginx-'));
  mkdirSync(join(prefix, 'tmp'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  writeFileSync(join(prefix, 'nginx.conf'), `
${asRoot ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { autoindex on; autoindex_format json; }
  }
}
`);
  const child: ChildProcess = spawn(NGINX!, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : ''}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() - started > 30_000) throw new Error('nginx did not answer within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await ended;
    },
  };
}

describeWithTools(NGINX ?? 'nginx', 'restore from images served by nginx', () => {
  it('a lazy restore from an nginx directory URL prints what a local restore prints', async () => {
    const chain = counterChain();
    const nginx = await startNginx(chain.dir);
    try {
      const { machine, out } = machineWithOutput();
      const remote = await restoreRemote(machine, [nginx.url], { lazy: true });
      expect(remote.chain.images).toHaveLength(3);
      await machine.runAsync({ timeoutMs: remote.waitBoundMs });
      expect(out.text()).toBe(chain.expected);
    } finally {
      await nginx.stop();
    }
  });

  it('a 16 MiB image where the guest touches 5 % comes over with at most 6 % of its bytes', async () => {
    const SIZE = 16 << 20, TOUCHED = Math.floor((SIZE / 4096) * 0.05);
    const { bytes, expected } = bigImage(SIZE, TOUCHED, 1, 1000);
    const nginx = await startNginx(writeChain([bytes]));
    try {
      const { machine, out } = machineWithOutput(SIZE + (16 << 20));
      const remote = await restoreRemote(machine, [`${nginx.url}00000000.ckpt`], { lazy: true });
      await machine.runAsync({ timeoutMs: remote.waitBoundMs });
      expect(printedSum(out)).toBe(expected);
      expect(remote.chain.stats.bytes).toBeLessThanOrEqual(0.06 * SIZE);
    } finally {
      await nginx.stop();
    }
  });
});
