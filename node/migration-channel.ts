/**
 * Migration channels over TCP (Node only): `faultline receive` listens,
 * `faultline migrate` connects; the bytes go through {@link MigrationChannel}.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { MigrationError, type MigrationChannel } from '../handlers/index.js';

/**
 * A {@link MigrationChannel} over a connected TCP socket.
 *
 * @param socket - a connected socket
 * @param peer - how messages name the other side (`host:port`)
 * @returns the channel
 * @example
 * ```ts
 * const channel = socketChannel(socket, `${socket.remoteAddress}:${socket.remotePort}`);
 * ```
 */
export function socketChannel(socket: Socket, peer: string): MigrationChannel {
  const queue: (Uint8Array | null)[] = [];
  let waiter: { resolve(b: Uint8Array | null): void; reject(e: Error): void } | null = null;
  let failure: Error | null = null;
  let ended = false;
  const push = (bytes: Uint8Array | null): void => {
    if (bytes === null) {
      if (ended) return;
      ended = true;
    }
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w.resolve(bytes);
    } else {
      queue.push(bytes);
    }
  };
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
  socket.on('end', () => push(null));
  socket.on('close', () => push(null));
  socket.on('error', (err) => {
    failure ??= err;
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w.reject(err);
    }
  });
  return {
    peer,
    send(bytes) {
      if (failure !== null) return Promise.reject(failure);
      if (socket.destroyed || socket.writableEnded) return Promise.reject(new Error('the connection is closed'));
      return new Promise((resolve, reject) => {
        socket.write(bytes, (err) => (err ? reject(err) : resolve()));
      });
    },
    receive() {
      if (queue.length > 0) return Promise.resolve(queue.shift()!);
      if (failure !== null) return Promise.reject(failure);
      if (ended) return Promise.resolve(null);
      return new Promise((resolve, reject) => { waiter = { resolve, reject }; });
    },
    close() {
      socket.end();
      socket.destroySoon?.();
    },
  };
}

/**
 * Connects to a destination listening with {@link listenForMigration}.
 *
 * @param host - its host name or address
 * @param port - its port
 * @param timeoutMs - longest wait for the connection
 * @returns the channel to the destination
 * @throws MigrationError naming `host:port` when the connection is refused or times out.
 * @example
 * ```ts
 * const channel = await connectMigration('127.0.0.1', 7000, 5000);
 * ```
 */
export function connectMigration(host: string, port: number, timeoutMs = 10_000): Promise<MigrationChannel> {
  const peer = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MigrationError(`migration: peer ${peer}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socketChannel(socket, peer));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new MigrationError(`migration: peer ${peer}: cannot connect: ${err.message}`, { cause: err }));
    });
  });
}

/**
 * A listening socket for incoming migrations.
 *
 * @example
 * ```ts
 * const listener = await listenForMigration(0, '127.0.0.1');
 * console.log(listener.port);
 * const channel = await listener.accept();
 * ```
 */
export interface MigrationListener {
  /** The port listened on (the one chosen when 0 was asked). */
  readonly port: number;
  /** The next connection, as a channel named by the peer's address. */
  accept(): Promise<MigrationChannel>;
  /** Stops listening. */
  close(): void;
}

/**
 * Listens for migrations on `host:port` (port 0: any free port).
 *
 * @param port - the port, 0 for any
 * @param host - the address to listen on (default 127.0.0.1)
 * @returns the listener
 * @throws MigrationError naming host and port when it cannot listen.
 * @example
 * ```ts
 * const listener = await listenForMigration(7000, '0.0.0.0');
 * ```
 */
export function listenForMigration(port: number, host = '127.0.0.1'): Promise<MigrationListener> {
  return new Promise((resolve, reject) => {
    const sockets: Socket[] = [];
    const accepts: ((s: Socket) => void)[] = [];
    const server: Server = createServer((socket) => {
      const take = accepts.shift();
      if (take !== undefined) take(socket);
      else sockets.push(socket);
    });
    server.once('error', (err) => reject(new MigrationError(`migration: cannot listen on ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        port: actual,
        accept() {
          const named = (s: Socket): MigrationChannel => socketChannel(s, `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`);
          const ready = sockets.shift();
          if (ready !== undefined) return Promise.resolve(named(ready));
          return new Promise((res) => accepts.push((s) => res(named(s))));
        },
        close() {
          server.close();
        },
      });
    });
  });
}
