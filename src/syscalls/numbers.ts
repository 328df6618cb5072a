/**
 * System call numbers of the guest ABI: Linux RV32 (asm-generic/unistd.h)
 * and faultline's own calls from 0x1000 (DESIGN §2).
 *
 * @example
 * ```ts
 * machine.events.on('syscall', (e) => { if (e.number === Syscall.Write) count++; });
 * ```
 */
export const Syscall = {
  Write: 64,
  Exit: 93,
  ExitGroup: 94,
  Brk: 214,
  Munmap: 215,
  Mmap: 222,
  Mprotect: 226,
  RegisterFaultHandler: 0x1000,
  UnregisterFaultHandler: 0x1001,
  FaultReturn: 0x1002,
} as const;
