/**
 * Open file descriptions (Linux's `struct file`): what a handle refers to.
 * Two handles share one after `dup`, and with it the offset and the
 * status flags (docs/design.md §12).
 */

/**
 * What a {@link HandleObject} operation returns when the calling thread
 * must wait (a pipe or an asynchronous input with nothing to give yet).
 * Outside errno's range (-4095..-1), so it never reaches the guest.
 */
export const BLOCKED = -0x1_0000;

/**
 * The kinds of object a handle refers to.
 *
 * @example
 * ```ts
 * const file = machine.handles.get(0);
 * if (file !== null && file.object.kind === ObjectKind.Stream) console.log('stdin is a host stream');
 * ```
 *
 * @enum
 */
export const ObjectKind = {
  /** stdin, stdout or stderr: a host source or sink. */
  Stream: 1,
  /** A regular file of the machine's file system (in memory or under a mount). */
  File: 2,
  /** A directory of the machine's file system. */
  Directory: 3,
  /** One end of a pipe. */
  Pipe: 4,
  /** A session of a host service (`/dev/service/NAME`). */
  Service: 5,
} as const;

/** One of the {@link ObjectKind} numbers. */
export type ObjectKind = (typeof ObjectKind)[keyof typeof ObjectKind];

/**
 * Open flags of `openat` and status flags of `fcntl` (asm-generic
 * fcntl.h, which rv32 uses).
 *
 * @example
 * ```ts
 * const flags = OpenFlag.WriteOnly | OpenFlag.Create | OpenFlag.Truncate;
 * ```
 *
 * @enum
 */
export const OpenFlag = {
  /** 0: read only. */
  ReadOnly: 0,
  /** 1: write only. */
  WriteOnly: 1,
  /** 2: read and write. */
  ReadWrite: 2,
  /** 3: the access-mode bits. */
  AccessMode: 3,
  /** 0o100: create the file if missing. */
  Create: 0o100,
  /** 0o200: with Create, fail with EEXIST if it exists. */
  Exclusive: 0o200,
  /** 0o400: no controlling terminal (ignored). */
  NoCtty: 0o400,
  /** 0o1000: truncate a regular file opened for writing. */
  Truncate: 0o1000,
  /** 0o2000: every write goes to the end. */
  Append: 0o2000,
  /** 0o4000: never block: EAGAIN instead. */
  NonBlock: 0o4000,
  /** 0o10000: synchronized data writes (accepted, no effect). */
  Dsync: 0o10000,
  /** 0o20000: signal-driven I/O (kept, no effect). */
  Async: 0o20000,
  /** 0o40000: direct I/O (kept, no effect). */
  Direct: 0o40000,
  /** 0o100000: 64-bit offsets; rv32 Linux sets it on every open file. */
  LargeFile: 0o100000,
  /** 0o200000: fail with ENOTDIR unless a directory. */
  Directory: 0o200000,
  /** 0o400000: fail with ELOOP if the last component is a symlink. */
  NoFollow: 0o400000,
  /** 0o1000000: no access-time update (kept, no effect). */
  NoAtime: 0o1000000,
  /** 0o2000000: the new handle is closed on exec. */
  CloseOnExec: 0o2000000,
  /** 0o4000000: with Dsync, full file sync (accepted). */
  Sync: 0o4000000,
  /** 0o10000000: a path-only handle. */
  Path: 0o10000000,
} as const;

/** Status flags `fcntl(F_SETFL)` may change (Linux's SETFL_MASK). */
export const SETFL_MASK = OpenFlag.Append | OpenFlag.NonBlock | OpenFlag.Async | OpenFlag.Direct | OpenFlag.NoAtime;

/**
 * What every object behind a handle does. Operations return a byte count,
 * a negative errno, or a "blocked" code the machine keeps to itself (the
 * calling thread waits); they never throw for something the guest did.
 *
 * @example
 * ```ts
 * const file = machine.handles.get(1)!;
 * console.log(file.object.describe());   // 'stdout'
 * ```
 */
export interface HandleObject {
  /** Its kind. */
  readonly kind: ObjectKind;
  /** Whether `lseek`, `pread64` and `pwrite64` work (else ESPIPE). */
  readonly seekable: boolean;
  /**
   * How many bytes a read of at most `max` bytes at `offset` would deliver
   * now (0 at end of file), or BLOCKED / a negative errno — so a `read`
   * faults in only the guest memory it will fill.
   *
   * @param file - the description read through
   * @param offset - where (ignored when not seekable)
   * @param max - the most bytes wanted
   */
  readable(file: OpenFile, offset: number, max: number): number;
  /**
   * Reads into `dest` at `offset` (ignored when not seekable): the count, 0 at end, a negative errno or BLOCKED.
   *
   * @param file - the description read through
   * @param dest - where the bytes go (up to its length)
   * @param offset - where (ignored when not seekable)
   */
  read(file: OpenFile, dest: Uint8Array, offset: number): number;
  /**
   * Writes `src` at `offset`: the count, a negative errno or BLOCKED.
   *
   * @param file - the description written through
   * @param src - the bytes
   * @param offset - where (ignored when not seekable)
   */
  write(file: OpenFile, src: Uint8Array, offset: number): number;
  /** Bytes in the object (for `lseek` SEEK_END), or 0. */
  size(): number;
  /** The last open file description referring to it closed. */
  release(): void;
  /** How an error message names it, e.g. `pipe 2 (read end)`. */
  describe(): string;
  /** For an asynchronous source that answered BLOCKED: resolves when it may have more. Null when only another thread can unblock it. */
  whenReady(): Promise<void> | null;
}

/**
 * An open file description: an object, an offset, the access mode and
 * status flags. Handles share it after `dup`; the object is released when
 * the last handle referring to it closes.
 *
 * @example
 * ```ts
 * const file = machine.handles.get(3)!;
 * console.log(file.offset, file.flags & OpenFlag.Append ? 'append' : '');
 * ```
 */
export class OpenFile {
  /** Handles referring to it. @internal */
  refs = 0;

  /**
   * @param id - its number in the handle space (stable across checkpoints)
   * @param object - what it reads and writes
   * @param flags - the access mode and status flags ({@link OpenFlag})
   * @param offset - the file offset
   * @internal
   */
  constructor(readonly id: number, readonly object: HandleObject, public flags: number, public offset = 0) {}

  /** Whether it was opened for reading. */
  get readable(): boolean {
    const mode = this.flags & OpenFlag.AccessMode;
    return mode === OpenFlag.ReadOnly || mode === OpenFlag.ReadWrite;
  }

  /** Whether it was opened for writing. */
  get writable(): boolean {
    const mode = this.flags & OpenFlag.AccessMode;
    return mode === OpenFlag.WriteOnly || mode === OpenFlag.ReadWrite;
  }

  /** Whether it is a path-only handle (`O_PATH`: no reads or writes). */
  get pathOnly(): boolean {
    return (this.flags & OpenFlag.Path) !== 0;
  }

  /** Whether operations that would wait answer EAGAIN instead. */
  get nonBlocking(): boolean {
    return (this.flags & OpenFlag.NonBlock) !== 0;
  }
}
