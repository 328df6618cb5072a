/**
 * The handle calls that move bytes or manage handles (docs/design.md
 * §12): read, write, readv, writev, pread64, pwrite64, _llseek, close,
 * dup, dup3, fcntl64, pipe2, ioctl, ftruncate64, fsync. Linux's rv32
 * arguments and errno order.
 */

import { Access } from '../fault/cause.js';
import type { AddressSpace } from '../memory/address-space.js';
import { BLOCKED, ObjectKind, OpenFlag, SETFL_MASK, type OpenFile } from '../handles/open-file.js';
import type { HandleSpace } from '../handles/handle-space.js';
import { PIPE_CAPACITY } from '../handles/pipe.js';
import type { GuestThread } from '../threads/guest-thread.js';
import { Errno } from './errno.js';
import { Syscall } from './numbers.js';
import type { SyscallRanges } from './syscall-ranges.js';
import { NO_RESULT } from './thread-calls.js';

/**
 * What a call returns when it must run again from its `ecall` at once
 * (its guest memory changed size between the fault-in and the call: more
 * input arrived). Outside errno's range.
 */
export const RESTART = -0x1_0001;

/** The most bytes one read or write moves (Linux's MAX_RW_COUNT: INT_MAX rounded down to a page). */
export const MAX_RW_COUNT = 0x7fff_f000;
/** The most iovecs `readv`/`writev` take (Linux's UIO_MAXIOV). */
export const IOV_MAX = 1024;
/** Bytes of `struct iovec` on rv32. */
const IOVEC_SIZE = 8;
/** SIGPIPE. */
export const SIGPIPE = 13;

/** `fcntl` commands (asm-generic/fcntl.h). */
const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030, F_GETPIPE_SZ = 1032;
/** `FD_CLOEXEC`. */
const FD_CLOEXEC = 1;
/** `lseek` whence values. */
const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;
/** The largest file offset (loff_t). */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** What the handle calls need from the machine. @internal */
export interface IoCallHost {
  readonly addressSpace: AddressSpace;
  readonly handles: HandleSpace;
  /** The process dies of `signal` (SIGPIPE), as its default action does. */
  killBySignal(signal: number, message: string): void;
}

/** Whether `nr` is a call of this file. @internal */
export function isIoCall(nr: number): boolean {
  switch (nr) {
    case Syscall.Read: case Syscall.Write: case Syscall.Readv: case Syscall.Writev:
    case Syscall.Pread64: case Syscall.Pwrite64: case Syscall.Llseek: case Syscall.Close:
    case Syscall.Dup: case Syscall.Dup3: case Syscall.Fcntl64: case Syscall.Pipe2: case Syscall.Ioctl:
    case Syscall.Ftruncate64: case Syscall.Fsync: case Syscall.Fdatasync:
      return true;
    default:
      return false;
  }
}

/** A 64-bit argument passed as a (low, high) register pair, or -1 when negative. */
function offsetArg(lo: number, hi: number): number {
  if (hi < 0) return -1;
  return hi * 2 ** 32 + (lo >>> 0);
}

/** How many bytes a read of `fd` would fill now (0 when none, or an error the call will report). */
function readableNow(handles: HandleSpace, fd: number, count: number, offset: number | null): number {
  const file = handles.get(fd);
  if (file === null || !file.readable || file.pathOnly || file.object.kind === ObjectKind.Directory) return 0;
  const n = file.object.readable(file, offset ?? file.offset, Math.min(count, MAX_RW_COUNT));
  return n > 0 ? n : 0;
}

/**
 * Notes the guest memory of handle call `nr`: a read's buffer only as far
 * as the object will fill it now (so reading a short file into a huge
 * buffer faults in only what it fills), a write's whole buffer (at most
 * MAX_RW_COUNT), the iovec array of `readv`/`writev` (their buffers come
 * in {@link expandIoCall}).
 * @internal
 */
export function describeIoCall(nr: number, x: Int32Array, ranges: SyscallRanges, handles: HandleSpace): void {
  const a0 = x[10]!, a1 = x[11]!, a2 = x[12]! >>> 0;
  switch (nr) {
    case Syscall.Read: {
      const n = readableNow(handles, a0, a2, null);
      if (n > 0) ranges.add(a1, n, Access.Write);
      return;
    }
    case Syscall.Pread64: {
      const off = offsetArg(x[13]!, x[14]!);
      const n = off < 0 ? 0 : readableNow(handles, a0, a2, off);
      if (n > 0) ranges.add(a1, n, Access.Write);
      return;
    }
    case Syscall.Write:
    case Syscall.Pwrite64:
      if (a2 !== 0) ranges.add(a1, Math.min(a2, MAX_RW_COUNT), Access.Read);
      return;
    case Syscall.Readv:
    case Syscall.Writev:
      if (a2 > 0 && a2 <= IOV_MAX) ranges.add(a1, a2 * IOVEC_SIZE, Access.Read);
      return;
    case Syscall.Pipe2:
      ranges.add(a0, 8, Access.Write);
      return;
    case Syscall.Llseek:
      ranges.add(x[13]!, 8, Access.Write);
      return;
    default:
      return;
  }
}

/**
 * After the iovec array of `readv`/`writev` resolved: adds each buffer
 * (a read's as far as the object will fill them). Returns whether ranges
 * were added.
 * @internal
 */
export function expandIoCall(nr: number, x: Int32Array, ranges: SyscallRanges, as: AddressSpace, handles: HandleSpace): boolean {
  if (nr !== Syscall.Readv && nr !== Syscall.Writev) return false;
  const count = x[12]! >>> 0;
  if (count === 0 || count > IOV_MAX || !ranges.whole(0, count * IOVEC_SIZE)) return false;
  const iov = as.readBytes(x[11]! >>> 0, count * IOVEC_SIZE);
  const view = new DataView(iov.buffer, iov.byteOffset, iov.byteLength);
  let total = 0;
  for (let k = 0; k < count; k++) {
    const len = view.getUint32(k * IOVEC_SIZE + 4, true);
    if (len > 0x7fff_ffff) return false;
    total += len;
  }
  if (total > 0x7fff_ffff) return false;
  let left = nr === Syscall.Readv ? readableNow(handles, x[10]!, total, null) : Math.min(total, MAX_RW_COUNT);
  ranges.reserve(count + 1);
  for (let k = 0; k < count && left > 0; k++) {
    const base = view.getUint32(k * IOVEC_SIZE, true), len = Math.min(view.getUint32(k * IOVEC_SIZE + 4, true), left);
    if (len === 0) continue;
    ranges.add(base, len, nr === Syscall.Readv ? Access.Write : Access.Read);
    left -= len;
  }
  return ranges.count > 1;
}

/**
 * Performs handle call `nr` for thread `t`. Returns the value for a0,
 * {@link BLOCKED} when the thread must wait (the caller blocks it on
 * `t.ioObject` and runs the call again when woken), {@link RESTART}, or
 * NO_RESULT when the process died (SIGPIPE). `nested` (inside a guest
 * fault handler) turns every wait into -EAGAIN.
 * @internal
 */
export function ioCall(host: IoCallHost, t: GuestThread, nr: number, a: Int32Array, ranges: SyscallRanges, nested: boolean): number {
  const r = ioCallInner(host, t, nr, a, ranges);
  if (r === BLOCKED && nested) { t.ioProgress = 0; t.ioObject = null; return -Errno.EAGAIN; }
  if (r !== BLOCKED) t.ioProgress = 0;
  return r;
}

function ioCallInner(host: IoCallHost, t: GuestThread, nr: number, a: Int32Array, ranges: SyscallRanges): number {
  const handles = host.handles;
  const fd = a[0]!;
  switch (nr) {
    case Syscall.Read:
      return readCall(host, t, fd, a[1]! >>> 0, a[2]! >>> 0, null, ranges);
    case Syscall.Pread64: {
      const off = offsetArg(a[3]!, a[4]!);
      if (off < 0) return -Errno.EINVAL;
      const file = handles.get(fd);
      if (file === null) return -Errno.EBADF;
      if (!file.object.seekable) return -Errno.ESPIPE;
      return readCall(host, t, fd, a[1]! >>> 0, a[2]! >>> 0, off, ranges);
    }
    case Syscall.Write:
      return writeCall(host, t, fd, a[1]! >>> 0, a[2]! >>> 0, null, ranges, 0, 1);
    case Syscall.Pwrite64: {
      const off = offsetArg(a[3]!, a[4]!);
      if (off < 0) return -Errno.EINVAL;
      const file = handles.get(fd);
      if (file === null) return -Errno.EBADF;
      if (!file.object.seekable) return -Errno.ESPIPE;
      return writeCall(host, t, fd, a[1]! >>> 0, a[2]! >>> 0, off, ranges, 0, 1);
    }
    case Syscall.Readv:
    case Syscall.Writev:
      return vectorCall(host, t, nr, fd, a, ranges);
    case Syscall.Llseek:
      return llseek(host, fd, a, ranges);
    case Syscall.Close:
      return handles.close(fd);
    case Syscall.Dup:
      return handles.dup(fd, 0, false);
    case Syscall.Dup3: {
      const flags = a[2]!;
      if ((flags & ~OpenFlag.CloseOnExec) !== 0) return -Errno.EINVAL;
      if (a[0] === a[1]) return -Errno.EINVAL;
      if ((a[1]! >>> 0) >= handles.table.limit) return -Errno.EBADF;
      return handles.dup3(fd, a[1]!, flags !== 0);
    }
    case Syscall.Fcntl64:
      return fcntl(handles, fd, a[1]!, a[2]!);
    case Syscall.Pipe2: {
      const flags = a[1]!;
      if ((flags & ~(OpenFlag.CloseOnExec | OpenFlag.NonBlock | OpenFlag.Direct)) !== 0) return -Errno.EINVAL;
      if (!ranges.whole(0, 8)) return -Errno.EFAULT;
      const fds = handles.pipe(flags);
      if (typeof fds === 'number') return fds;
      host.addressSpace.writeU32(a[0]! >>> 0, fds[0]);
      host.addressSpace.writeU32((a[0]! >>> 0) + 4, fds[1]);
      return 0;
    }
    case Syscall.Ioctl:
      return handles.get(fd) === null ? -Errno.EBADF : -Errno.ENOTTY;
    case Syscall.Ftruncate64: {
      const file = handles.get(fd);
      if (file === null) return -Errno.EBADF;
      const length = offsetArg(a[1]!, a[2]!);
      if (length < 0) return -Errno.EINVAL;
      if (file.object.kind !== ObjectKind.File || !file.writable) return -Errno.EINVAL;
      if ((file.flags & OpenFlag.Append) !== 0) return -Errno.EPERM;
      const object = file.object as { truncate?: (length: number) => number };
      return object.truncate === undefined ? -Errno.EINVAL : object.truncate(length);
    }
    case Syscall.Fsync:
    case Syscall.Fdatasync: {
      const file = handles.get(fd);
      if (file === null || file.pathOnly) return -Errno.EBADF;
      return file.object.kind === ObjectKind.Pipe || file.object.kind === ObjectKind.Stream ? -Errno.EINVAL : 0;
    }
    default:
      return -Errno.ENOSYS;
  }
}

/** Checks that `fd` can be read: the description, or a negative errno. */
function readableFile(handles: HandleSpace, fd: number): OpenFile | number {
  const file = handles.get(fd);
  if (file === null || !file.readable || file.pathOnly) return -Errno.EBADF;
  if (file.object.kind === ObjectKind.Directory) return -Errno.EISDIR;
  return file;
}

/**
 * `read`/`pread64`: fills the accessible prefix of range 0 from the
 * object (a short read when more arrived since the fault-in). When
 * nothing was readable at the fault-in but something is now, the call
 * restarts to fault its buffer in.
 */
function readCall(host: IoCallHost, t: GuestThread, fd: number, buf: number, count: number, at: number | null, ranges: SyscallRanges): number {
  const file = readableFile(host.handles, fd);
  if (typeof file === 'number') return file;
  if (count === 0) return 0;
  const obj = file.object;
  const offset = at ?? file.offset;
  const n = obj.readable(file, offset, Math.min(count, MAX_RW_COUNT));
  if (n === BLOCKED) { t.ioObject = obj; return BLOCKED; }
  if (n <= 0) return n;
  // Nothing was readable when the buffer was faulted in, but something is now: fault it in again.
  if (ranges.count === 0) return RESTART;
  const accessible = ranges.accessible[0]!;
  if (accessible === 0) return -Errno.EFAULT;
  const dest = new Uint8Array(Math.min(n, accessible));
  const got = obj.read(file, dest, offset);
  if (got <= 0) return got;
  host.addressSpace.writeBytes(buf, dest.subarray(0, got));
  if (at === null && obj.seekable) file.offset = offset + got;
  return got;
}

/**
 * `write`/`pwrite64`: writes the accessible prefix of ranges
 * `first..first+count-1` (gathered). A blocking write goes on until
 * everything is written: when the object makes it wait, the bytes written
 * so far stay in `t.ioProgress` and the call continues from there when
 * it runs again.
 */
function writeCall(host: IoCallHost, t: GuestThread, fd: number, buf: number, count: number, at: number | null, ranges: SyscallRanges, first: number, rangeCount: number): number {
  const file = host.handles.get(fd);
  if (file === null || !file.writable || file.pathOnly) return -Errno.EBADF;
  if (count === 0) return 0;
  let accessible = 0;
  for (let k = first; k < first + rangeCount && k < ranges.count; k++) {
    accessible += ranges.accessible[k]!;
    if (ranges.accessible[k]! < ranges.length[k]!) break;
  }
  if (accessible === 0) return -Errno.EFAULT;
  const src = rangeCount === 1 ? host.addressSpace.readBytes(buf, accessible) : gather(host.addressSpace, ranges, first, accessible);
  const obj = file.object;
  let done = t.ioProgress;
  while (done < src.length) {
    // O_APPEND writes at the end, also for pwrite64 (Linux's documented behaviour).
    const append = (file.flags & OpenFlag.Append) !== 0 && obj.seekable;
    const offset = append ? obj.size() : at !== null ? at + done : file.offset;
    const r = obj.write(file, src.subarray(done), offset);
    if (r === BLOCKED) {
      t.ioProgress = done;
      t.ioObject = obj;
      return BLOCKED;
    }
    if (r < 0) {
      if (r === -Errno.EPIPE) {
        host.killBySignal(SIGPIPE, `killed by SIGPIPE: write to ${obj.describe()} with no reader`);
        return NO_RESULT;
      }
      return done > 0 ? done : r;
    }
    if (obj.seekable && at === null) file.offset = offset + r;
    done += r;
    if (r === 0) break;
  }
  return done;
}

/** Copies the first `length` bytes of ranges `first..` out of guest memory, in order. */
function gather(as: AddressSpace, ranges: SyscallRanges, first: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (let k = first; k < ranges.count && at < length; k++) {
    const n = Math.min(ranges.accessible[k]!, length - at);
    out.set(as.readBytes(ranges.address[k]!, n), at);
    at += n;
  }
  return out;
}

/** `readv`/`writev`: the buffers are ranges 1.. (added by {@link expandIoCall}). */
function vectorCall(host: IoCallHost, t: GuestThread, nr: number, fd: number, a: Int32Array, ranges: SyscallRanges): number {
  const handles = host.handles;
  const count = a[2]! >>> 0;
  const file = nr === Syscall.Readv ? readableFile(handles, fd) : handles.get(fd);
  if (file === null) return -Errno.EBADF;
  if (typeof file === 'number') return file;
  if (nr === Syscall.Writev && (!file.writable || file.pathOnly)) return -Errno.EBADF;
  if (count > IOV_MAX) return -Errno.EINVAL;
  if (count === 0) return 0;
  if (!ranges.whole(0, count * IOVEC_SIZE)) return -Errno.EFAULT;
  const iov = host.addressSpace.readBytes(a[1]! >>> 0, count * IOVEC_SIZE);
  const view = new DataView(iov.buffer, iov.byteOffset, iov.byteLength);
  let total = 0;
  for (let k = 0; k < count; k++) {
    const len = view.getUint32(k * IOVEC_SIZE + 4, true);
    if (len > 0x7fff_ffff || (total += len) > 0x7fff_ffff) return -Errno.EINVAL;
  }
  if (total === 0) return 0;
  if (nr === Syscall.Writev) return writeCall(host, t, fd, 0, total, null, ranges, 1, ranges.count - 1);
  const obj = file.object;
  const n = obj.readable(file, file.offset, Math.min(total, MAX_RW_COUNT));
  if (n === BLOCKED) { t.ioObject = obj; return BLOCKED; }
  if (n <= 0) return n;
  if (ranges.count <= 1) return RESTART;
  let accessible = 0;
  for (let k = 1; k < ranges.count; k++) {
    accessible += ranges.accessible[k]!;
    if (ranges.accessible[k]! < ranges.length[k]!) break;
  }
  if (accessible === 0) return -Errno.EFAULT;
  const dest = new Uint8Array(Math.min(n, accessible));
  const got = obj.read(file, dest, file.offset);
  if (got <= 0) return got;
  let at = 0;
  for (let k = 1; k < ranges.count && at < got; k++) {
    const len = Math.min(ranges.accessible[k]!, got - at);
    host.addressSpace.writeBytes(ranges.address[k]!, dest.subarray(at, at + len));
    at += len;
  }
  if (obj.seekable) file.offset += got;
  return got;
}

/** `_llseek(fd, offset_high, offset_low, result, whence)`: the new offset is stored at `result`. */
function llseek(host: IoCallHost, fd: number, a: Int32Array, ranges: SyscallRanges): number {
  const file = host.handles.get(fd);
  if (file === null) return -Errno.EBADF;
  const whence = a[4]! >>> 0;
  if (!file.object.seekable) return -Errno.ESPIPE;
  if (whence > SEEK_END) return -Errno.EINVAL;
  const delta = a[1]! * 2 ** 32 + (a[2]! >>> 0);
  const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? file.offset : file.object.size();
  const offset = base + delta;
  if (offset < 0 || offset > MAX_OFFSET) return -Errno.EINVAL;
  if (!ranges.whole(0, 8)) return -Errno.EFAULT;
  file.offset = offset;
  host.addressSpace.writeU32(a[3]! >>> 0, offset >>> 0);
  host.addressSpace.writeU32((a[3]! >>> 0) + 4, Math.floor(offset / 2 ** 32));
  return 0;
}

/** `fcntl64(fd, cmd, arg)`: duplicating, the close-on-exec flag, the status flags, the pipe size. */
function fcntl(handles: HandleSpace, fd: number, cmd: number, arg: number): number {
  const file = handles.get(fd);
  if (file === null) return -Errno.EBADF;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      return handles.dup(fd, arg, cmd === F_DUPFD_CLOEXEC);
    case F_GETFD:
      return handles.table.closeOnExec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      handles.table.setCloseOnExec(fd, (arg & FD_CLOEXEC) !== 0);
      return 0;
    case F_GETFL:
      return file.flags;
    case F_SETFL:
      if (file.pathOnly) return -Errno.EBADF;
      file.flags = (file.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    case F_GETPIPE_SZ:
      return file.object.kind === ObjectKind.Pipe ? PIPE_CAPACITY : -Errno.EBADF;
    default:
      return -Errno.EINVAL;
  }
}
