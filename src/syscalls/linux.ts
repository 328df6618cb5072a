import type { AddressSpace } from '../memory/address-space.js';
import type { OutputSink } from '../machine/output.js';
import type { LinuxMemory } from './linux-memory.js';
import { Errno } from './errno.js';
import { Syscall } from './numbers.js';

/** What the Linux system calls need from the machine. @internal */
export interface SyscallHost {
  readonly addressSpace: AddressSpace;
  readonly linuxMemory: LinuxMemory;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
}

/** A guest memory range a call reads or writes, resolved before the call runs. @internal */
export interface GuestRange {
  readonly address: number;
  readonly length: number;
  /** 0 read, 1 write ({@link Access}). */
  readonly access: number;
}

/** Bytes of the 32-bit address space. */
const ADDRESS_SPACE_END = 2 ** 32;

/**
 * The guest memory a call will touch, so the machine can fault it in
 * through the handler chain first (docs/design.md §3: system calls fault
 * like guest accesses). `null` when the call touches no guest memory. A
 * buffer that runs past the top of the address space is refused whole, as
 * Linux's `access_ok` refuses it: the range comes back empty, so nothing is
 * faulted in and the call answers -EFAULT.
 * @internal
 */
export function syscallRange(nr: number, a0: number, a1: number, a2: number): GuestRange | null {
  void a0;
  if (nr === Syscall.Write && a2 !== 0) {
    const address = a1 >>> 0, length = a2 >>> 0;
    return { address, length: address + length > ADDRESS_SPACE_END ? 0 : length, access: 0 };
  }
  return null;
}

/** Result of {@link performSyscall}: the value for a0, or an exit. @internal */
export type SyscallOutcome = { readonly exit: false; readonly value: number } | { readonly exit: true; readonly status: number };

const EXIT_FALSE = (value: number): SyscallOutcome => ({ exit: false, value });

/**
 * Performs Linux call `nr` with arguments `a` (a0..a5). `accessible` is how
 * many bytes of {@link syscallRange} could be resolved (a prefix); the call
 * fails with -EFAULT where Linux's `copy_from_user` would.
 * @internal
 */
export function performSyscall(host: SyscallHost, nr: number, a: Int32Array, accessible: number): SyscallOutcome {
  const as = host.addressSpace, lm = host.linuxMemory;
  switch (nr) {
    case Syscall.Write: {
      const fd = a[0]!, address = a[1]! >>> 0, length = a[2]! >>> 0;
      if (fd !== 1 && fd !== 2) return EXIT_FALSE(-Errno.EBADF);
      if (length === 0) return EXIT_FALSE(0);
      if (accessible === 0) return EXIT_FALSE(-Errno.EFAULT);
      // Linux writes what it could copy and returns that count.
      const bytes = as.readBytes(address, Math.min(accessible, length));
      (fd === 1 ? host.stdout : host.stderr)(bytes);
      return EXIT_FALSE(bytes.length);
    }
    case Syscall.Exit:
    case Syscall.ExitGroup:
      return { exit: true, status: a[0]! & 0xff };
    case Syscall.Brk:
      return EXIT_FALSE(lm.brk(a[0]! >>> 0) | 0);
    case Syscall.Munmap:
      return EXIT_FALSE(lm.munmap(a[0]! >>> 0, a[1]! >>> 0));
    case Syscall.Mmap:
      return EXIT_FALSE(lm.mmap(a[0]! >>> 0, a[1]! >>> 0, a[2]!, a[3]!, a[4]!, a[5]! >>> 0) | 0);
    case Syscall.Mprotect:
      return EXIT_FALSE(lm.mprotect(a[0]! >>> 0, a[1]! >>> 0, a[2]!));
    default:
      return EXIT_FALSE(-Errno.ENOSYS);
  }
}
