/**
 * Linux errno values the guest sees (negated in `a0`), asm-generic/errno-base.h and errno.h.
 *
 * @example
 * ```ts
 * if (result === -Errno.ENOMEM) console.log('out of memory');
 * ```
 *
 * @enum
 */
export const Errno = {
  /** 1: operation not permitted. */
  EPERM: 1,
  /** 2: no such file or directory; no such entry (`unregister_fault_handler` of a function not registered). */
  ENOENT: 2,
  /** 4: interrupted system call. */
  EINTR: 4,
  /** 5: input/output error (a host file failed under a mount). */
  EIO: 5,
  /** 9: bad file descriptor (a handle number not open, or not open for this access); file-backed `mmap`. */
  EBADF: 9,
  /** 11: try again (`futex` WAIT when the word no longer holds the expected value; an empty non-blocking pipe). */
  EAGAIN: 11,
  /** 12: out of memory or address space; `mprotect` over unmapped pages. */
  ENOMEM: 12,
  /** 13: permission denied (a path leaving a mount's confined view). */
  EACCES: 13,
  /** 14: bad address: a buffer the call needs stayed unmapped after the fault chain. */
  EFAULT: 14,
  /** 16: device or resource busy. */
  EBUSY: 16,
  /** 17: already exists (a path with `O_CREAT|O_EXCL`; `register_fault_handler` twice; `MAP_FIXED_NOREPLACE` over a mapping). */
  EEXIST: 17,
  /** 18: cross-device link (`rename` between mounts). */
  EXDEV: 18,
  /** 20: not a directory. */
  ENOTDIR: 20,
  /** 21: is a directory. */
  EISDIR: 21,
  /** 22: invalid argument. */
  EINVAL: 22,
  /** 24: too many open files (the handle table is full). */
  EMFILE: 24,
  /** 25: not a terminal (`ioctl` on anything faultline runs). */
  ENOTTY: 25,
  /** 27: file too large. */
  EFBIG: 27,
  /** 28: no space left (the machine's file system quota). */
  ENOSPC: 28,
  /** 29: illegal seek (`lseek` on a pipe or stream). */
  ESPIPE: 29,
  /** 30: read-only file system (a write under a read-only mount). */
  EROFS: 30,
  /** 31: too many links. */
  EMLINK: 31,
  /** 32: broken pipe (a write to a pipe whose read ends are all closed). */
  EPIPE: 32,
  /** 34: result too large (`getcwd` into a buffer too small). */
  ERANGE: 34,
  /** 36: file name too long. */
  ENAMETOOLONG: 36,
  /** 38: unknown system call number; also `clone` of a process (no `CLONE_THREAD`) and the futex operations faultline leaves out (docs/decisions.md). */
  ENOSYS: 38,
  /** 39: directory not empty. */
  ENOTEMPTY: 39,
  /** 40: too many levels of symbolic links. */
  ELOOP: 40,
  /** 75: value too large for the type (an offset past what a 32-bit call returns). */
  EOVERFLOW: 75,
  /** 95: operation not supported. */
  EOPNOTSUPP: 95,
  /** 110: timed out (`futex` WAIT whose timeout passed). */
  ETIMEDOUT: 110,
} as const;
