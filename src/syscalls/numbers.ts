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
  /** 64: `write(fd, buf, count)` to fd 1 or 2. */
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
  /** 0x1000: `register_fault_handler(fn, insert_tail)`. */
  RegisterFaultHandler: 0x1000,
  /** 0x1001: `unregister_fault_handler(fn)`. */
  UnregisterFaultHandler: 0x1001,
  /** 0x1002: `fault_return(status)`, used by the return trampoline only. */
  FaultReturn: 0x1002,
} as const;
