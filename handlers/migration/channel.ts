/**
 * The transport of a migration: a {@link MigrationChannel} carries bytes
 * between source and destination (TCP in `faultline/node`, an in-memory
 * pair for tests and same-process moves); {@link FramedLink} puts frames
 * (frame.ts) on it with a timeout on every wait.
 */

import { MigrationError } from './errors.js';
import { yieldToEventLoop } from './yield.js';
import { FrameDecoder, encodeFrame, frameTypeName, type Frame, type FrameTypeValue } from './frame.js';

/**
 * A byte stream to the other side of a migration.
 *
 * @example
 * ```ts
 * const [source, destination] = memoryChannelPair();
 * await source.send(new Uint8Array([1, 2, 3]));
 * console.log(await destination.receive()); // Uint8Array [1, 2, 3]
 * ```
 */
export interface MigrationChannel {
  /** The other side, as messages name it (`host:port`). */
  readonly peer: string;
  /**
   * Sends bytes; the promise settles once the transport took them (its
   * buffer drained), which paces pre-copy rounds. Do not modify `bytes` afterwards.
   *
   * @param bytes - what to send
   */
  send(bytes: Uint8Array): Promise<void>;
  /**
   * The next bytes from the other side (any amount), or null once the
   * other side closed the stream. Rejects when the connection failed.
   */
  receive(): Promise<Uint8Array | null>;
  /** Closes the stream (the other side's receive then gives null). */
  close(): void;
}

/**
 * Two connected in-memory channels: what one sends the other receives.
 *
 * @param names - the peer name each side reports, default `['destination', 'source']`
 * @returns `[a, b]`: bytes sent on `a` arrive at `b` and back
 * @example
 * ```ts
 * const [toDestination, toSource] = memoryChannelPair();
 * ```
 */
export function memoryChannelPair(names: readonly [string, string] = ['destination', 'source']): [MigrationChannel, MigrationChannel] {
  const a = new MemoryEnd(names[0]), b = new MemoryEnd(names[1]);
  a.other = b;
  b.other = a;
  return [a, b];
}

/** One end of {@link memoryChannelPair}. */
class MemoryEnd implements MigrationChannel {
  other: MemoryEnd | null = null;
  private readonly queue: (Uint8Array | null)[] = [];
  private waiter: ((bytes: Uint8Array | null) => void) | null = null;
  private closed = false;

  constructor(readonly peer: string) {}

  send(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new MigrationError(`migration: peer ${this.peer}: send on a closed channel`));
    this.other!.deliver(bytes);
    return Promise.resolve();
  }

  receive(): Promise<Uint8Array | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.other!.deliver(null);
    this.deliver(null);
  }

  deliver(bytes: Uint8Array | null): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w(bytes);
    } else {
      this.queue.push(bytes);
    }
  }
}

/**
 * Frames over a {@link MigrationChannel}: sends frames and receives them
 * with a timeout, turning every failure (timeout, closed stream, CRC,
 * transport error) into a {@link MigrationError} naming the peer and what
 * was awaited.
 *
 * @internal Used by the source and destination of a migration.
 */
export class FramedLink {
  private readonly decoder: FrameDecoder;
  private ended = false;
  private pending: Promise<Uint8Array | null> | null = null;
  private sendQueue: Promise<void> = Promise.resolve();
  /** Bytes handed to the channel so far. */
  bytesSent = 0;

  constructor(readonly channel: MigrationChannel, readonly timeoutMs: number) {
    this.decoder = new FrameDecoder(channel.peer);
  }

  /** The peer's name. */
  get peer(): string {
    return this.channel.peer;
  }

  /**
   * Sends one frame; resolves once the transport took it. A transport
   * that takes no bytes fails the send after the timeout plus one
   * millisecond per KiB of the frame (at least 1 MiB/s must get through).
   */
  async send(type: FrameTypeValue, payload?: Uint8Array): Promise<void> {
    const chunks = encodeFrame(type, payload);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    const what = `the transport to take a ${frameTypeName(type)} frame of ${bytes} bytes`;
    // Frames go out whole and in call order: a send waits for the one before it (concurrent senders must not interleave chunks).
    const previous = this.sendQueue;
    const sending = (async () => {
      await previous.catch(() => {});
      for (const chunk of chunks) {
        this.bytesSent += chunk.length;
        await this.wrap(this.channel.send(chunk), `sending a ${frameTypeName(type)} frame`);
      }
    })();
    this.sendQueue = sending;
    await this.withTimeout(sending, this.timeoutMs + bytes / 1024, what);
  }

  /**
   * The next frame, waiting at most the link's timeout (`timeoutMs`
   * overrides it) for each piece of it.
   *
   * @param what - what is awaited, for messages ("the Ready frame")
   */
  async receive(what: string, timeoutMs = this.timeoutMs): Promise<Frame> {
    for (;;) {
      const frame = this.decoder.next();
      if (frame !== undefined) return frame;
      if (this.ended) throw this.closedError(what);
      // A wait that timed out leaves its receive pending: the next wait takes it over, so no bytes are lost.
      this.pending ??= this.channel.receive();
      const bytes = await this.withTimeout(this.wrap(this.pending, `waiting for ${what}`), timeoutMs, what);
      this.pending = null;
      if (bytes === null) {
        this.ended = true;
        throw this.closedError(what);
      }
      this.decoder.push(bytes);
    }
  }

  /** Closes the channel. */
  close(): void {
    this.channel.close();
  }

  private closedError(what: string): MigrationError {
    const inside = this.decoder.partial ? ' in the middle of a frame (truncated)' : '';
    return new MigrationError(`migration: peer ${this.peer}: connection closed${inside} while waiting for ${what}`);
  }

  private async wrap<T>(promise: Promise<T>, doing: string): Promise<T> {
    try {
      return await promise;
    } catch (err) {
      if (err instanceof MigrationError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new MigrationError(`migration: peer ${this.peer}: connection failed ${doing}: ${reason}`, { cause: err });
    }
  }

  /**
   * `promise`, or a MigrationError after `ms`. When the timer fires, I/O
   * that arrived while this thread was busy (a long checkpoint blocks the
   * event loop, and timers run before I/O callbacks) gets one turn of the
   * event loop first: a late timer does not beat data already there.
   */
  private withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    if (!Number.isFinite(ms)) return promise;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        void yieldToEventLoop().then(() => {
          if (!settled) reject(new MigrationError(`migration: peer ${this.peer}: timed out after ${Math.round(ms)} ms waiting for ${what}`));
        });
      }, ms);
      promise.then(
        (v) => { settled = true; clearTimeout(timer); resolve(v); },
        (e: unknown) => { settled = true; clearTimeout(timer); reject(e as Error); },
      );
    });
  }
}
