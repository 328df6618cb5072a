/**
 * The `rseq` system call (293): registration and unregistration of a
 * thread's `struct rseq`, with Linux's checks in Linux's order
 * (kernel/rseq.c, `sys_rseq`, Linux 6.3 and later).
 */

import { Access } from '../fault/cause.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { GuestThread } from '../threads/guest-thread.js';
import { RseqEvent, RseqRegistration } from '../threads/rseq-registration.js';
import { Errno } from './errno.js';
import {
  RSEQ_CPU_ID_UNINITIALIZED,
  RSEQ_FEATURE_SIZE,
  RSEQ_FLAG_UNREGISTER,
  RSEQ_ORIG_SIZE,
  RSEQ_TASK_SIZE,
  RseqField,
} from './rseq-abi.js';
import type { SyscallRanges } from './syscall-ranges.js';

/** a0..a3 as register numbers. */
const A0 = 10, A1 = 11, A2 = 12;

/**
 * Notes the guest memory `rseq(rseq, rseq_len, flags, sig)` touches, from
 * its registers `x`, so the machine faults it in first: registration reads
 * (and may clear) the `rseq_cs` field; unregistration writes the CPU
 * fields. Nothing for calls that fail before touching memory. Allocates
 * nothing.
 * @internal
 */
export function describeRseq(x: Int32Array, ranges: SyscallRanges): void {
  const address = x[A0]! >>> 0, length = x[A1]! >>> 0, flags = x[A2]!;
  if (address % RSEQ_ORIG_SIZE !== 0) return;
  if (flags === RSEQ_FLAG_UNREGISTER) ranges.add(address, RSEQ_FEATURE_SIZE, Access.Write);
  else if (flags === 0 && length >= RSEQ_ORIG_SIZE && address + length <= RSEQ_TASK_SIZE) ranges.add(address + RseqField.rseqCs, 8, Access.Write);
}

/**
 * `rseq(rseq, rseq_len, flags, sig)` for thread `t` with arguments `a`,
 * its memory resolved in `ranges` (see {@link describeRseq}). Returns 0 or
 * a negative errno as Linux does:
 *
 * - unregister (`flags` = `RSEQ_FLAG_UNREGISTER`): -EINVAL for other flag
 *   bits, no registration, another address or another length; -EPERM for
 *   another signature; -EFAULT when the CPU fields cannot be reset;
 *   otherwise `cpu_id_start` 0, `cpu_id` -1, `node_id` 0, `mm_cid` 0.
 * - register (`flags` 0; other flags -EINVAL): when registered already,
 *   -EINVAL for another address or length, -EPERM for another signature,
 *   else -EBUSY; a length below 32 or an address not 32-aligned is
 *   -EINVAL; a struct past the address space or an unreadable `rseq_cs`
 *   -EFAULT. A set `rseq_cs` is cleared. The CPU fields are written before
 *   the thread runs again (the resume step).
 * @internal
 */
export function rseqCall(as: AddressSpace, t: GuestThread, a: Int32Array, ranges: SyscallRanges): number {
  const address = a[0]! >>> 0, length = a[1]! >>> 0, flags = a[2]!, sig = a[3]! >>> 0;
  const reg = t.rseq;
  if ((flags & RSEQ_FLAG_UNREGISTER) !== 0) {
    if ((flags & ~RSEQ_FLAG_UNREGISTER) !== 0) return -Errno.EINVAL;
    if (reg === null || reg.address !== address) return -Errno.EINVAL;
    if (length !== reg.length) return -Errno.EINVAL;
    if (sig !== reg.signature) return -Errno.EPERM;
    if (!ranges.whole(0, RSEQ_FEATURE_SIZE)) return -Errno.EFAULT;
    as.writeU32(address + RseqField.cpuIdStart, 0);
    as.writeU32(address + RseqField.cpuId, RSEQ_CPU_ID_UNINITIALIZED);
    as.writeU32(address + RseqField.nodeId, 0);
    as.writeU32(address + RseqField.mmCid, 0);
    t.rseq = null;
    t.rseqEvent = 0;
    return 0;
  }
  if (flags !== 0) return -Errno.EINVAL;
  if (reg !== null) {
    if (reg.address !== address || length !== reg.length) return -Errno.EINVAL;
    if (sig !== reg.signature) return -Errno.EPERM;
    return -Errno.EBUSY;
  }
  // Linux: the original size needs its own alignment; a longer struct needs
  // struct rseq's alignment (also 32) and every field this kernel knows.
  if (length < RSEQ_ORIG_SIZE || address % RSEQ_ORIG_SIZE !== 0) return -Errno.EINVAL;
  if (address + length > RSEQ_TASK_SIZE) return -Errno.EFAULT;
  if (!ranges.whole(0, 8)) return -Errno.EFAULT;
  const csAt = address + RseqField.rseqCs;
  if (as.readU32(csAt) !== 0 || as.readU32(csAt + 4) !== 0) {
    as.writeU32(csAt, 0);
    as.writeU32(csAt + 4, 0);
  }
  t.rseq = new RseqRegistration(address, length, sig);
  t.rseqEvent |= RseqEvent.Register;
  return 0;
}
