/**
 * A small static file server for checkpoint images (and anything else in a
 * directory): what `faultline serve` runs, and what the tests start.
 *
 *   GET/HEAD /path          the file; Range: bytes=A-B | A- | -N → 206 with
 *                           Content-Range, outside the file → 416
 *   GET/HEAD /dir/          JSON listing as nginx's autoindex_format json:
 *                           [{"name":"00000000.ckpt","type":"file","mtime":…,"size":…}, …]
 *   /dir (no slash)         301 to /dir/
 *   ETag (size and mtime), If-None-Match → 304, If-Range, Content-Length;
 *   OPTIONS answers a CORS preflight (Range allowed).
 *
 * No path leaves the directory: `..` segments, NUL bytes and symbolic
 * links that resolve outside it are answered 404, never served.
 */
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';

/** Content types by file extension; anything else is application/octet-stream. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

/** Options of {@link startImageServer}. */
export interface ImageServerOptions {
  /** The directory to serve. */
  readonly dir: string;
  /** Port; 0 picks a free one (default 0). */
  readonly port?: number;
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
}

/** A running server. */
export interface ImageServer {
  /** `http://host:port/` */
  readonly url: string;
  readonly port: number;
  /** Body bytes sent so far (ranges and whole files), and requests answered. */
  readonly stats: { bytesSent: number; requests: number };
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/**
 * Serves `options.dir` over HTTP until closed.
 *
 * @throws the listen error (EADDRINUSE, EACCES) as Node gives it.
 */
export async function startImageServer(options: ImageServerOptions): Promise<ImageServer> {
  const root = await realpath(options.dir);
  const stats = { bytesSent: 0, requests: 0 };
  const server: Server = createServer((req, res) => {
    stats.requests++;
    answer(root, req, res, stats).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    stats,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Answers one request. */
async function answer(root: string, req: IncomingMessage, res: ServerResponse, stats: { bytesSent: number }): Promise<void> {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, ETag, Accept-Ranges');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Range, If-Range, If-None-Match');
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD, OPTIONS');
    send(res, 405, 'method not allowed\n');
    return;
  }
  const head = req.method === 'HEAD';
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = await resolveInside(root, url.pathname);
  if (path === null) { send(res, 404, 'not found\n'); return; }
  const info = await stat(path).catch(() => null);
  if (info === null) { send(res, 404, 'not found\n'); return; }
  if (info.isDirectory()) {
    if (!url.pathname.endsWith('/')) {
      res.setHeader('Location', `${url.pathname}/`);
      send(res, 301, 'moved\n');
      return;
    }
    const entries = await listing(path);
    const body = Buffer.from(JSON.stringify(entries, null, 1));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
    if (!head) { stats.bytesSent += body.length; res.end(body); } else res.end();
    return;
  }
  if (!info.isFile()) { send(res, 404, 'not found\n'); return; }
  const size = info.size;
  const etag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Last-Modified', info.mtime.toUTCString());
  res.setHeader('Content-Type', TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
  if (matches(req.headers['if-none-match'], etag)) { res.writeHead(304).end(); return; }
  let range: { start: number; end: number } | 'unsatisfiable' | null = parseRange(req.headers.range, size);
  // If-Range with another validator: the file changed, send it whole.
  const ifRange = req.headers['if-range'];
  if (range !== null && ifRange !== undefined && ifRange !== etag) range = null;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 }).end();
    return;
  }
  const start = range?.start ?? 0, end = range?.end ?? size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  if (range !== null) res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': length });
  else res.writeHead(200, { 'Content-Length': length });
  if (head || length === 0) { res.end(); return; }
  const stream = createReadStream(path, { start, end });
  stream.on('data', (chunk) => { stats.bytesSent += chunk.length; });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/**
 * One `Range: bytes=…` header against a file of `size` bytes: the range
 * (clamped to the file), 'unsatisfiable', or null to send the whole file
 * (no header, another unit, several ranges, or a malformed one — RFC 9110
 * lets a server ignore those).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** True when an If-None-Match header names `etag` (or `*`). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => { const v = t.trim().replace(/^W\//, ''); return v === '*' || v === etag; });
}

/**
 * The real path of URL path `pathname` below `root`, or null when it
 * would leave it (`..`, NUL, a link pointing out) or does not exist.
 */
async function resolveInside(root: string, pathname: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const parts = decoded.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  try {
    const real = await realpath(join(root, ...parts));
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep) ? real : null;
  } catch {
    return null;
  }
}

/** The nginx-style JSON listing of a directory. */
async function listing(dir: string): Promise<{ name: string; type: string; mtime: string; size?: number }[]> {
  const names = (await readdir(dir)).sort();
  const out: { name: string; type: string; mtime: string; size?: number }[] = [];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info === null) continue;
    if (info.isDirectory()) out.push({ name, type: 'directory', mtime: info.mtime.toUTCString() });
    else if (info.isFile()) out.push({ name, type: 'file', mtime: info.mtime.toUTCString(), size: info.size });
  }
  return out;
}

/** A short plain-text answer. */
function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}
