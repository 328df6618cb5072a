/**
 * Linux errno values the guest sees (negated in `a0`), asm-generic/errno-base.h.
 *
 * @example
 * ```ts
 * if (result === -Errno.ENOMEM) console.log('out of memory');
 * ```
 */
export const Errno = {
  ENOENT: 2,
  EBADF: 9,
  ENOMEM: 12,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  ENOSYS: 38,
} as const;
