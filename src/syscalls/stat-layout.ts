/**
 * Linux's rv32 layouts for file attributes and directory entries:
 * `struct stat64` (asm-generic, 104 bytes; `fstat64` 80 and `fstatat64`
 * 79), `struct statx` (256 bytes) and `struct linux_dirent64`.
 */

import type { FsStat, NodeKind } from '../fs/fs-stat.js';
import { direntType } from '../fs/fs-stat.js';

/** Bytes of `struct stat64` (asm-generic/stat.h, 32-bit). */
export const STAT64_SIZE = 104;
/** Bytes of `struct statx`. */
export const STATX_SIZE = 256;

/** `statx` mask bits (include/uapi/linux/stat.h). */
export const StatxMask = {
  TYPE: 0x1, MODE: 0x2, NLINK: 0x4, UID: 0x8, GID: 0x10, ATIME: 0x20, MTIME: 0x40, CTIME: 0x80,
  INO: 0x100, SIZE: 0x200, BLOCKS: 0x400, BASIC_STATS: 0x7ff, BTIME: 0x800, MNT_ID: 0x1000, RESERVED: 0x8000_0000,
} as const;

/** Splits nanoseconds into whole seconds and the rest. */
function split(ns: bigint): [bigint, number] {
  let sec = ns / 1_000_000_000n, rest = ns % 1_000_000_000n;
  if (rest < 0n) { sec -= 1n; rest += 1_000_000_000n; }
  return [sec, Number(rest)];
}

/**
 * `st` as `struct stat64`, its times shifted by `epochNs` (the machine's
 * epoch for in-memory nodes, whose clock is virtual time; 0 for mounted
 * nodes, which report the host's times).
 */
export function encodeStat64(st: FsStat, epochNs = 0n): Uint8Array {
  const out = new Uint8Array(STAT64_SIZE), v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(st.dev), true);
  v.setBigUint64(8, BigInt(st.ino), true);
  v.setUint32(16, st.mode, true);
  v.setUint32(20, st.nlink, true);
  v.setUint32(24, st.uid, true);
  v.setUint32(28, st.gid, true);
  v.setBigInt64(48, BigInt(st.size), true);
  v.setInt32(56, st.blksize, true);
  v.setBigInt64(64, BigInt(st.blocks), true);
  const times: bigint[] = [st.atimeNs + epochNs, st.mtimeNs + epochNs, st.ctimeNs + epochNs];
  times.forEach((ns, k) => {
    const [sec, nsec] = split(ns);
    v.setInt32(72 + 8 * k, Number(BigInt.asIntN(32, sec)), true);
    v.setUint32(76 + 8 * k, nsec, true);
  });
  return out;
}

/** `st` as `struct statx`, with every basic field (`stx_mask` = STATX_BASIC_STATS); times shifted as {@link encodeStat64}'s. */
export function encodeStatx(st: FsStat, epochNs = 0n): Uint8Array {
  const out = new Uint8Array(STATX_SIZE), v = new DataView(out.buffer);
  v.setUint32(0, StatxMask.BASIC_STATS, true);
  v.setUint32(4, st.blksize, true);
  v.setUint32(16, st.nlink, true);
  v.setUint32(20, st.uid, true);
  v.setUint32(24, st.gid, true);
  v.setUint16(28, st.mode, true);
  v.setBigUint64(32, BigInt(st.ino), true);
  v.setBigUint64(40, BigInt(st.size), true);
  v.setBigUint64(48, BigInt(st.blocks), true);
  // atime 64, btime 80 (not reported), ctime 96, mtime 112.
  const put = (at: number, ns: bigint): void => {
    const [sec, nsec] = split(ns);
    v.setBigInt64(at, sec, true);
    v.setUint32(at + 8, nsec, true);
  };
  put(64, st.atimeNs + epochNs);
  put(96, st.ctimeNs + epochNs);
  put(112, st.mtimeNs + epochNs);
  v.setUint32(136, 0, true);
  v.setUint32(140, st.dev, true);
  return out;
}

/** Bytes of a `linux_dirent64` naming `nameBytes` bytes: header 19, name, NUL, padded to 8. */
export function direntSize(nameBytes: number): number {
  return (19 + nameBytes + 1 + 7) & ~7;
}

/** Writes one `linux_dirent64` at `at` of `out`; returns its size. */
export function encodeDirent(out: DataView, at: number, ino: number, nextCookie: number, kind: NodeKind, name: Uint8Array): number {
  const size = direntSize(name.length);
  out.setBigUint64(at, BigInt(ino), true);
  out.setBigInt64(at + 8, BigInt(nextCookie), true);
  out.setUint16(at + 16, size, true);
  out.setUint8(at + 18, direntType(kind));
  const bytes = new Uint8Array(out.buffer, out.byteOffset + at + 19, size - 19);
  bytes.fill(0);
  bytes.set(name);
  return size;
}
