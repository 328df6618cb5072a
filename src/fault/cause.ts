/**
 * RISC-V exception cause numbers (privileged spec, table "mcause values
 * after trap"), as carried by every fault.
 *
 * @example
 * ```ts
 * if (fault.cause === Cause.StorePageFault) console.log('write to', fault.address);
 * ```
 *
 * @enum
 */
export const Cause = {
  /** 0: a jump or branch to an address that is not a multiple of 4 (there is no C extension). */
  InstructionAddressMisaligned: 0,
  /** 1: instruction access fault (not raised by this machine; page faults are used). */
  InstructionAccessFault: 1,
  /** 2: the word at pc is not an RV32IMA/Zifencei/Zicsr-counter instruction; `address` holds it. */
  IllegalInstruction: 2,
  /** 3: `ebreak`. */
  Breakpoint: 3,
  /** 4: a misaligned `lr.w` (plain misaligned loads are performed, not reported). */
  LoadAddressMisaligned: 4,
  /** 5: load access fault (not raised: page faults are used). */
  LoadAccessFault: 5,
  /** 6: a misaligned AMO or `sc.w` (plain misaligned stores are performed, not reported). */
  StoreAddressMisaligned: 6,
  /** 7: store/AMO access fault (not raised: page faults are used). */
  StoreAccessFault: 7,
  /** 8: `ecall`; system calls are handled by the machine and never reach the chain. */
  EnvironmentCallFromUMode: 8,
  /** 12: fetch from a page that is unmapped or not executable. */
  InstructionPageFault: 12,
  /** 13: load from a page that is unmapped or not readable. */
  LoadPageFault: 13,
  /** 15: store or AMO to a page that is unmapped or not writable. */
  StorePageFault: 15,
} as const;

/**
 * One of the {@link Cause} numbers.
 *
 * @example
 * ```ts
 * const cause: Cause = Cause.LoadPageFault;
 * ```
 */
export type Cause = (typeof Cause)[keyof typeof Cause];

/**
 * The kind of memory access that faulted, numbered as in the guest ABI's
 * `fault_info.access`.
 *
 * @example
 * ```ts
 * if (fault.access === Access.Write) markDirty(fault.address);
 * ```
 *
 * @enum
 */
export const Access = {
  /** 0: a load or `lr.w`. */
  Read: 0,
  /** 1: a store, AMO or `sc.w`. */
  Write: 1,
  /** 2: an instruction fetch. */
  Execute: 2,
} as const;

/**
 * One of the {@link Access} numbers.
 *
 * @example
 * ```ts
 * const access: Access = Access.Write;
 * ```
 */
export type Access = (typeof Access)[keyof typeof Access];

/**
 * The name of a cause for reports, as the privileged spec words it. Never
 * throws: unknown numbers give `cause N`.
 *
 * @param cause - a RISC-V cause number
 * @returns e.g. `'load page fault'`
 * @example
 * ```ts
 * causeName(Cause.LoadPageFault);   // 'load page fault'
 * causeName(42);                    // 'cause 42'
 * ```
 */
export function causeName(cause: number): string {
  switch (cause) {
    case Cause.InstructionAddressMisaligned: return 'instruction address misaligned';
    case Cause.InstructionAccessFault: return 'instruction access fault';
    case Cause.IllegalInstruction: return 'illegal instruction';
    case Cause.Breakpoint: return 'breakpoint';
    case Cause.LoadAddressMisaligned: return 'load address misaligned';
    case Cause.LoadAccessFault: return 'load access fault';
    case Cause.StoreAddressMisaligned: return 'store/AMO address misaligned';
    case Cause.StoreAccessFault: return 'store/AMO access fault';
    case Cause.EnvironmentCallFromUMode: return 'environment call';
    case Cause.InstructionPageFault: return 'instruction page fault';
    case Cause.LoadPageFault: return 'load page fault';
    case Cause.StorePageFault: return 'store/AMO page fault';
    default: return `cause ${cause}`;
  }
}

/**
 * The name of an access kind for reports. Never throws: unknown numbers
 * give `access N`.
 *
 * @param access - an {@link Access} number
 * @returns `'read'`, `'write'` or `'execute'`
 * @example
 * ```ts
 * accessName(Access.Write);   // 'write'
 * ```
 */
export function accessName(access: number): string {
  return access === Access.Read ? 'read' : access === Access.Write ? 'write' : access === Access.Execute ? 'execute' : `access ${access}`;
}
