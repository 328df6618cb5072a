/**
 * Services: host objects offered to the guest by name (docs/design.md
 * §12). The guest opens `/dev/service/NAME` (optionally
 * `/dev/service/NAME/TAIL`) and talks to the session with `read` and
 * `write`. A checkpoint records the name and the open arguments; a
 * restore re-creates the session through the target machine's own
 * provider of that name.
 */

import { UsageError } from '../errors.js';
import { describeValue } from '../fault/describe-value.js';
import { Errno } from '../syscalls/errno.js';
import { BLOCKED, ObjectKind, type HandleObject, type OpenFile } from './open-file.js';
import { WOULD_BLOCK } from './stream.js';

/**
 * The directory whose entries are services.
 *
 * @example
 * ```ts
 * const path = `${SERVICE_PREFIX}kv/users`;   // opens service 'kv' with path 'users'
 * ```
 */
export const SERVICE_PREFIX = '/dev/service/';

/**
 * How the guest opened a session: all a provider gets, and all a
 * checkpoint keeps.
 *
 * @example
 * ```ts
 * // open("/dev/service/kv/users", O_RDWR) gives
 * const args: ServiceOpenArgs = { name: 'kv', path: 'users', flags: 2 };
 * ```
 */
export interface ServiceOpenArgs {
  /** The service's name (the path component after `/dev/service/`). */
  readonly name: string;
  /** The rest of the path after `NAME/` ('' when the guest opened just `/dev/service/NAME`). */
  readonly path: string;
  /** The `openat` flags: access mode and status flags (`O_CLOEXEC` removed, it belongs to the handle). */
  readonly flags: number;
}

/**
 * One open session of a service. Methods must not throw; errors are
 * negative errno values, which the guest's call returns.
 *
 * @example
 * ```ts
 * const pending: Uint8Array[] = [];
 * const echo: ServiceSession = {
 *   read: () => pending.shift() ?? WOULD_BLOCK,
 *   write: (bytes) => { pending.push(bytes); return bytes.length; },
 *   close: () => {},
 * };
 * ```
 */
export interface ServiceSession {
  /**
   * At most `max` bytes for the guest: bytes, `null` at end of the
   * session, {@link WOULD_BLOCK} when nothing is there yet (the thread
   * waits), or a negative errno.
   *
   * @param max - the most bytes the guest asked for
   */
  read(max: number): Uint8Array | null | typeof WOULD_BLOCK | number;
  /**
   * Takes the guest's bytes (a copy it may keep); returns how many it took, or a negative errno.
   *
   * @param bytes - what the guest wrote
   */
  write(bytes: Uint8Array): number;
  /** The guest closed its last handle on the session. */
  close(): void;
  /** For a session that answered WOULD_BLOCK: settles when it may have more (under `runAsync()`). */
  ready?(): Promise<void>;
}

/**
 * Opens sessions of one service. `open` returns a session, or a negative
 * errno the guest's `openat` returns (e.g. `-Errno.ENOENT` for a path it
 * does not know).
 *
 * @example
 * ```ts
 * machine.services.register('clock', { open: () => textSession('tick\n') });
 * ```
 */
export interface ServiceProvider {
  /**
   * A new session for `args`, or a negative errno.
   *
   * @param args - how the guest opened it (name, path tail, flags)
   */
  open(args: ServiceOpenArgs): ServiceSession | number;
}

/**
 * The machine's services by name (`machine.services`).
 *
 * @example
 * ```ts
 * const off = machine.services.register('upper', {
 *   open: () => {
 *     const out: Uint8Array[] = [];
 *     return {
 *       read: (max) => out.shift() ?? null,
 *       write: (bytes) => { out.push(new TextEncoder().encode(new TextDecoder().decode(bytes).toUpperCase())); return bytes.length; },
 *       close: () => {},
 *     };
 *   },
 * });
 * off();   // unregister
 * ```
 */
export class ServiceRegistry {
  private readonly providers = new Map<string, ServiceProvider>();

  /**
   * Offers `provider` as `name`; returns a function that withdraws it
   * (open sessions stay). Throws UsageError for a name that is empty,
   * holds `/` or a NUL, or is longer than 255 bytes, for a provider
   * without `open`, and for a name already registered.
   *
   * @param name - the service name (`/dev/service/NAME`)
   * @param provider - opens sessions
   */
  register(name: string, provider: ServiceProvider): () => boolean {
    if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\0]/.test(name) || new TextEncoder().encode(name).length > 255) {
      throw new UsageError(`services.register: name must be a file name (no '/', 1..255 bytes), got ${describeValue(name)}`);
    }
    if (provider === null || typeof provider !== 'object' || typeof provider.open !== 'function') {
      throw new UsageError(`services.register: provider for '${name}' must have an open(args) method, got ${describeValue(provider)}`);
    }
    if (this.providers.has(name)) throw new UsageError(`services.register: a service named '${name}' is registered already`);
    this.providers.set(name, provider);
    return () => this.providers.get(name) === provider && this.providers.delete(name);
  }

  /**
   * The provider of `name`, or undefined.
   *
   * @param name - a service name
   */
  get(name: string): ServiceProvider | undefined {
    return this.providers.get(name);
  }

  /** Names registered now, in registration order. */
  names(): string[] {
    return [...this.providers.keys()];
  }
}

/**
 * Splits a path under {@link SERVICE_PREFIX} into name and tail; null
 * when `path` is not one (or names no service).
 */
export function parseServicePath(path: string): { name: string; path: string } | null {
  if (!path.startsWith(SERVICE_PREFIX)) return null;
  const rest = path.slice(SERVICE_PREFIX.length);
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  if (name === '' || name === '.' || name === '..') return null;
  return { name, path: slash < 0 ? '' : rest.slice(slash + 1) };
}

/**
 * A service session as a handle object.
 *
 * @example
 * ```ts
 * const file = machine.handles.get(3)!;
 * if (file.object instanceof ServiceHandle) console.log(file.object.args.name);
 * ```
 */
export class ServiceHandle implements HandleObject {
  /** {@link ObjectKind.Service}. */
  readonly kind = ObjectKind.Service;
  /** Sessions do not seek. */
  readonly seekable = false;
  /** Bytes the session gave that the guest has not read yet. */
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;

  /**
   * @param args - how it was opened
   * @param session - the provider's session
   */
  constructor(readonly args: ServiceOpenArgs, readonly session: ServiceSession) {}

  /** See {@link HandleObject.readable}. */
  readable(file: OpenFile, _offset: number, max: number): number {
    if (max === 0 || this.ended) return 0;
    if (this.pending.length === 0) {
      const got = this.session.read(max);
      if (got === null) { this.ended = true; return 0; }
      if (got === WOULD_BLOCK) return file.nonBlocking ? -Errno.EAGAIN : BLOCKED;
      if (typeof got === 'number') return got < 0 && got >= -4095 ? got : -Errno.EIO;
      this.pending = got;
    }
    return Math.min(this.pending.length, max);
  }

  /** Reads what the session gives. */
  read(file: OpenFile, dest: Uint8Array, offset: number): number {
    const n = this.readable(file, offset, dest.length);
    if (n <= 0) return n;
    dest.set(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    return n;
  }

  /** Gives the bytes to the session. */
  write(_file: OpenFile, src: Uint8Array): number {
    const n = this.session.write(src.slice());
    if (!Number.isInteger(n) || n > src.length || n < -4095) return -Errno.EIO;
    return n;
  }

  /** Sessions have no size. */
  size(): number {
    return 0;
  }

  /** Closes the session. */
  release(): void {
    this.session.close();
  }

  /** `service NAME` (and its path). */
  describe(): string {
    return `service ${this.args.name}${this.args.path === '' ? '' : `/${this.args.path}`}`;
  }

  /** The session's `ready()`, or null. */
  whenReady(): Promise<void> | null {
    return this.session.ready === undefined ? null : this.session.ready();
  }
}
