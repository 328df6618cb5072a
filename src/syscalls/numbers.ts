/**
 * System call numbers of the guest ABI: Linux RV32 (asm-generic/unistd.h)
 * and faultline's own calls from 0x1000 (docs/design.md §2).
 *
 * @example
 * ```ts
 * let writes = 0;
 * machine.events.on('syscall', (number) => { if (number === Syscall.Write) writes++; });
 * ```
 *
 * @enum
 */
export const Syscall = {
  /** 64: `write(fd, buf, count)`. */
  Write: 64,
  /** 93: `exit(status)`: this thread (the process, when it is the last). */
  Exit: 93,
  /** 94: `exit_group(status)`: every thread. */
  ExitGroup: 94,
  /** 96: `set_tid_address(tidptr)`: sets `clear_child_tid`, returns the tid. */
  SetTidAddress: 96,
  /** 124: `sched_yield()`. */
  SchedYield: 124,
  /** 172: `getpid()`. */
  Getpid: 172,
  /** 178: `gettid()`. */
  Gettid: 178,
  /** 214: `brk(addr)`. */
  Brk: 214,
  /** 215: `munmap(addr, length)`. */
  Munmap: 215,
  /** 222: `mmap(addr, length, prot, flags, fd, offset)`, anonymous only. */
  Mmap: 222,
  /** 226: `mprotect(addr, length, prot)`. */
  Mprotect: 226,
  /** 220: `clone(flags, stack, parent_tid, tls, child_tid)`: threads only. */
  Clone: 220,
  /** 293: `rseq(rseq, rseq_len, flags, sig)`: restartable sequences (docs/rseq.md). */
  Rseq: 293,
  /** 422: `futex_time64(uaddr, op, val, timeout, uaddr2, val3)`. */
  Futex: 422,
  /** 17: `getcwd(buf, size)`. */
  Getcwd: 17,
  /** 23: `dup(fd)`. */
  Dup: 23,
  /** 24: `dup3(oldfd, newfd, flags)`. */
  Dup3: 24,
  /** 25: `fcntl64(fd, cmd, arg)`. */
  Fcntl64: 25,
  /** 29: `ioctl(fd, request, arg)`: -ENOTTY (no terminals). */
  Ioctl: 29,
  /** 34: `mkdirat(dirfd, path, mode)`. */
  Mkdirat: 34,
  /** 35: `unlinkat(dirfd, path, flags)`. */
  Unlinkat: 35,
  /** 36: `symlinkat(target, dirfd, path)`. */
  Symlinkat: 36,
  /** 46: `ftruncate64(fd, length)` (64-bit length in a1/a2). */
  Ftruncate64: 46,
  /** 48: `faccessat(dirfd, path, mode)`. */
  Faccessat: 48,
  /** 49: `chdir(path)`. */
  Chdir: 49,
  /** 50: `fchdir(fd)`. */
  Fchdir: 50,
  /** 56: `openat(dirfd, path, flags, mode)`. */
  Openat: 56,
  /** 57: `close(fd)`. */
  Close: 57,
  /** 59: `pipe2(fds, flags)`. */
  Pipe2: 59,
  /** 61: `getdents64(fd, dirp, count)`. */
  Getdents64: 61,
  /** 62: `_llseek(fd, offset_high, offset_low, result, whence)`. */
  Llseek: 62,
  /** 63: `read(fd, buf, count)`. */
  Read: 63,
  /** 65: `readv(fd, iov, iovcnt)`. */
  Readv: 65,
  /** 66: `writev(fd, iov, iovcnt)`. */
  Writev: 66,
  /** 67: `pread64(fd, buf, count, offset)` (64-bit offset in a3/a4). */
  Pread64: 67,
  /** 68: `pwrite64(fd, buf, count, offset)` (64-bit offset in a3/a4). */
  Pwrite64: 68,
  /** 78: `readlinkat(dirfd, path, buf, size)`. */
  Readlinkat: 78,
  /** 79: `fstatat64(dirfd, path, statbuf, flags)` with the 104-byte `struct stat64`. */
  Fstatat64: 79,
  /** 80: `fstat64(fd, statbuf)`. */
  Fstat64: 80,
  /** 82: `fsync(fd)`. */
  Fsync: 82,
  /** 83: `fdatasync(fd)`. */
  Fdatasync: 83,
  /** 160: `uname(buf)`. */
  Uname: 160,
  /** 166: `umask(mask)`. */
  Umask: 166,
  /** 276: `renameat2(olddirfd, oldpath, newdirfd, newpath, flags)`. */
  Renameat2: 276,
  /** 278: `getrandom(buf, count, flags)`. */
  Getrandom: 278,
  /** 291: `statx(dirfd, path, flags, mask, statxbuf)`. */
  Statx: 291,
  /** 403: `clock_gettime64(clockid, tp)`. */
  ClockGettime64: 403,
  /** 406: `clock_getres_time64(clockid, res)`. */
  ClockGetresTime64: 406,
  /** 407: `clock_nanosleep_time64(clockid, flags, request, remain)`. */
  ClockNanosleepTime64: 407,
  /** 0x1000: `register_fault_handler(fn, insert_tail)`. */
  RegisterFaultHandler: 0x1000,
  /** 0x1001: `unregister_fault_handler(fn)`. */
  UnregisterFaultHandler: 0x1001,
  /** 0x1002: `fault_return(status)`, used by the return trampoline only. */
  FaultReturn: 0x1002,
} as const;
