/**
 * System call numbers of the guest ABI: Linux RV32 (asm-generic/unistd.h)
 * and faultline's own calls from 0x1000 (DESIGN §2).
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
  /** 64: `write(fd, buf, count)` to fd 1 or 2. */
  Write: 64,
  /** 93: `exit(status)`. */
  Exit: 93,
  /** 94: `exit_group(status)` (same as exit: there is one thread). */
  ExitGroup: 94,
  /** 214: `brk(addr)`. */
  Brk: 214,
  /** 215: `munmap(addr, length)`. */
  Munmap: 215,
  /** 222: `mmap(addr, length, prot, flags, fd, offset)`, anonymous only. */
  Mmap: 222,
  /** 226: `mprotect(addr, length, prot)`. */
  Mprotect: 226,
  /** 0x1000: `register_fault_handler(fn, insert_tail)`. */
  RegisterFaultHandler: 0x1000,
  /** 0x1001: `unregister_fault_handler(fn)`. */
  UnregisterFaultHandler: 0x1001,
  /** 0x1002: `fault_return(status)`, used by the return trampoline only. */
  FaultReturn: 0x1002,
} as const;
