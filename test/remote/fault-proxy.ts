/**
 * A test-side HTTP proxy that damages answers on purpose: between a remote
 * restore and the image server it drops the connection, delays, truncates
 * or corrupts the body, answers 404 or 500, never answers, or kills the
 * server (every connection reset, the port closed) — chosen per request by
 * a seeded generator, so a failing trial can be replayed from its seed.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** What the proxy does to one request. */
export type Damage = 'pass' | 'drop' | 'delay' | 'truncate' | 'corrupt' | '404' | '500' | 'hang' | 'kill';

/** A deterministic generator in [0, 1) (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A running proxy. */
export interface FaultProxy {
  readonly url: string;
  /** The damage done to each request so far, in order. */
  readonly log: Damage[];
  close(): Promise<void>;
}

/**
 * Proxies to `upstream` (an `http://host:port/` URL), choosing each
 * request's damage with `choose`. After a 'kill' every later connection
 * is refused (the proxy stops listening), as when the server died.
 */
export async function startFaultProxy(upstream: string, choose: (n: number) => Damage, delayMs: () => number): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const log: Damage[] = [];
  let killed = false;
  const server: Server = createServer((req, res) => {
    const damage = killed ? 'kill' : choose(log.length);
    log.push(damage);
    handle(damage, req, res);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const kill = (): void => {
    killed = true;
    server.close();
    for (const s of sockets) s.destroy();
  };

  function forward(req: IncomingMessage, then: (res: IncomingMessage) => void, onError: () => void): void {
    const headers: Record<string, string> = {};
    if (typeof req.headers.range === 'string') headers['range'] = req.headers.range;
    const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, then);
    up.on('error', onError);
    up.end();
  }

  function whole(up: IncomingMessage, done: (body: Buffer) => void): void {
    const chunks: Buffer[] = [];
    up.on('data', (c: Buffer) => chunks.push(c));
    up.on('end', () => done(Buffer.concat(chunks)));
  }

  function handle(damage: Damage, req: IncomingMessage, res: ServerResponse): void {
    const fail = (): void => { res.destroy(); };
    switch (damage) {
      case 'drop': req.socket.destroy(); return;
      case 'hang': return; // the client's timeout ends it
      case 'kill': kill(); return;
      case '404': res.writeHead(404, { 'Content-Length': 0 }).end(); return;
      case '500': res.writeHead(500, { 'Content-Length': 0 }).end(); return;
      case 'pass':
        forward(req, (up) => { res.writeHead(up.statusCode ?? 502, up.headers); up.pipe(res); }, fail);
        return;
      case 'delay':
        setTimeout(() => forward(req, (up) => { res.writeHead(up.statusCode ?? 502, up.headers); up.pipe(res); }, fail), delayMs());
        return;
      case 'truncate':
        forward(req, (up) => whole(up, (body) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.write(body.subarray(0, body.length >> 1));
          // Give the half a chance to go out, then cut the connection.
          setImmediate(() => res.destroy());
        }), fail);
        return;
      case 'corrupt':
        forward(req, (up) => whole(up, (body) => {
          if (body.length > 0) { const at = (body.length * 0.37) | 0; body[at] = body[at]! ^ 0x40; }
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(body);
        }), fail);
        return;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    log,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) { resolve(); return; }
      server.close(() => resolve());
    }),
  };
}
