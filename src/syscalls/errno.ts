/**
 * Linux errno values the guest sees (negated in `a0`), asm-generic/errno-base.h.
 *
 * @example
 * ```ts
 * if (result === -Errno.ENOMEM) console.log('out of memory');
 * ```
 *
 * @enum
 */
export const Errno = {
  /** 2: no such entry (`unregister_fault_handler` of a function not registered). */
  ENOENT: 2,
  /** 9: bad file descriptor (`write` to anything but 1 and 2; file-backed `mmap`). */
  EBADF: 9,
  /** 11: try again (`futex` WAIT when the word no longer holds the expected value). */
  EAGAIN: 11,
  /** 12: out of memory or address space; `mprotect` over unmapped pages. */
  ENOMEM: 12,
  /** 14: bad address: a buffer the call needs stayed unmapped after the fault chain. */
  EFAULT: 14,
  /** 17: already exists (`register_fault_handler` twice; `MAP_FIXED_NOREPLACE` over a mapping). */
  EEXIST: 17,
  /** 22: invalid argument. */
  EINVAL: 22,
  /** 38: unknown system call number; also `clone` of a process (no `CLONE_THREAD`) and the futex operations faultline leaves out (docs/decisions.md). */
  ENOSYS: 38,
  /** 110: timed out (`futex` WAIT whose timeout passed). */
  ETIMEDOUT: 110,
} as const;
