/**
 * RISC-V exception cause numbers (privileged spec, table "mcause values
 * after trap"), as carried by every fault.
 *
 * @example
 * ```ts
 * if (fault.cause === Cause.StorePageFault) console.log('write to', fault.address);
 * ```
 */
export const Cause = {
  InstructionAddressMisaligned: 0,
  InstructionAccessFault: 1,
  IllegalInstruction: 2,
  Breakpoint: 3,
  LoadAddressMisaligned: 4,
  LoadAccessFault: 5,
  StoreAddressMisaligned: 6,
  StoreAccessFault: 7,
  EnvironmentCallFromUMode: 8,
  InstructionPageFault: 12,
  LoadPageFault: 13,
  StorePageFault: 15,
} as const;

/** One of the {@link Cause} numbers. */
export type Cause = (typeof Cause)[keyof typeof Cause];

/**
 * The kind of memory access that faulted, numbered as in the guest ABI's
 * `fault_info.access`.
 *
 * @example
 * ```ts
 * if (fault.access === Access.Write) markDirty(fault.address);
 * ```
 */
export const Access = {
  Read: 0,
  Write: 1,
  Execute: 2,
} as const;

/** One of the {@link Access} numbers. */
export type Access = (typeof Access)[keyof typeof Access];

/** Names of causes, for reports. */
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

/** Names of access kinds, for reports. */
export function accessName(access: number): string {
  return access === Access.Read ? 'read' : access === Access.Write ? 'write' : access === Access.Execute ? 'execute' : `access ${access}`;
}
