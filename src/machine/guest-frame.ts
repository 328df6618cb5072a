/**
 * The guest-handler ABI: where a guest fault handler's frame goes on the
 * faulting thread's stack, the C structs it sees, and the return
 * trampoline (docs/guest-handlers.md).
 *
 * Frame a dispatch builds on the faulting thread's stack (addresses grow
 * upward; `sp` is the faulting thread's stack pointer):
 *
 *     sp ──────────────►  ┌──────────────────────────────┐
 *                         │ red zone, 128 bytes          │  untouched
 *                         ├──────────────────────────────┤  ≤ sp - 128
 *                         │ (padding to 16)              │
 *     info = a1 ────────► ├──────────────────────────────┤  16-aligned
 *                         │ struct fault_info  16 bytes  │  cause, address, access, flags
 *                         ├──────────────────────────────┤  info - 12
 *                         │ (padding, 12 bytes)          │
 *     ctx = a0 = sp' ───► ├──────────────────────────────┤  info - 144, 16-aligned
 *                         │ struct user_context 132 bytes│  regs[0..31], pc
 *                         └──────────────────────────────┘
 *                           handler's own frame below sp'
 *
 * On entry: pc = fn, a0 = ctx, a1 = info, sp = ctx, ra = the return
 * trampoline ({@link TRAMPOLINE_ADDRESS}: `li a7, 0x1002; ecall`); every
 * other register keeps the faulting thread's value (gp, tp, ...).
 */

/**
 * Address of the page holding the return trampoline. The machine maps it
 * read+execute (shown as `[faultline]` in `maps()`) at the first
 * registration; it lies in the hole above the stack (which ends at
 * 0xc0000000). A guest handler returns to it through `ra`; a guest
 * mapping that takes this page makes `register_fault_handler` fail with
 * `-ENOMEM`.
 *
 * @example
 * ```ts
 * machine.run();   // the guest called register_fault_handler
 * const page = machine.addressSpace.mappings().find((m) => m.start === TRAMPOLINE_ADDRESS);
 * console.log(page?.name, page?.exec);   // [faultline] true
 * ```
 */
export const TRAMPOLINE_ADDRESS = 0xffff_e000;

/**
 * Bytes below the faulting thread's `sp` a dispatch leaves untouched: the
 * guest handler's `user_context` and `fault_info` are built below
 * `sp - RED_ZONE`, so leaf code that keeps data just below `sp` survives a
 * fault. Those frame pages must be mapped and writable; when they are not,
 * the run stops with a HandlerError.
 *
 * @example
 * ```ts
 * // the RED_ZONE bytes below sp survive a guest-handler dispatch unchanged
 * const sp = machine.cpu.x[2]! >>> 0;
 * const kept = machine.addressSpace.readBytes(sp - RED_ZONE, RED_ZONE);
 * ```
 */
export const RED_ZONE = 128;

/**
 * Default bound on the instructions one guest handler call may execute
 * (100 million); past it the run stops with a HandlerError.
 * Change it per machine with `machine.guestHandlers.instructionLimit`.
 *
 * @example
 * ```ts
 * console.log(machine.guestHandlers.instructionLimit === DEFAULT_HANDLER_INSTRUCTION_LIMIT); // true
 * machine.guestHandlers.instructionLimit = 10_000;   // a tighter bound for a test
 * ```
 */
export const DEFAULT_HANDLER_INSTRUCTION_LIMIT = 100_000_000;

/**
 * Byte layout of `struct user_context { uint32_t regs[32]; uint32_t pc; }`.
 *
 * @example
 * ```ts
 * const a0 = machine.addressSpace.readU32(ctx + UserContextLayout.regs + 4 * 10);
 * ```
 */
export const UserContextLayout = {
  /** Offset of `regs[0]` (x0, always stored as 0); `regs[k]` is at `4 * k`. */
  regs: 0,
  /** Offset of `pc`. */
  pc: 128,
  /** `sizeof(struct user_context)`. */
  size: 132,
} as const;

/**
 * Byte layout of `struct fault_info { uint32_t cause, address, access, flags; }`.
 *
 * @example
 * ```ts
 * const cause = machine.addressSpace.readU32(info + FaultInfoLayout.cause);
 * ```
 */
export const FaultInfoLayout = {
  /** RISC-V cause number. */
  cause: 0,
  /** Faulting address. */
  address: 4,
  /** 0 read, 1 write, 2 execute ({@link Access}). */
  access: 8,
  /** {@link FaultInfoFlags} bits. */
  flags: 12,
  /** `sizeof(struct fault_info)`. */
  size: 16,
} as const;

/**
 * Bits of `fault_info.flags`.
 *
 * @example
 * ```ts
 * const wasMapped = (flags & FaultInfoFlags.Protection) !== 0;
 * ```
 */
export const FaultInfoFlags = {
  /** The page was mapped; the access lacked the right (a protection fault). */
  Protection: 1,
} as const;

/** Bytes from `ctx` to `info`: the context padded to 16. @internal */
export const CONTEXT_STRIDE = 144;
/** Bytes of the whole frame (context, padding, info). @internal */
export const FRAME_SIZE = CONTEXT_STRIDE + FaultInfoLayout.size;

/**
 * Bytes below the faulting thread's `sp` that a guest-handler call may
 * write: the red zone, the frame, and up to 15 bytes of alignment padding.
 * A plugin that must know which stack bytes a call touches uses this
 * rather than repeating the layout.
 *
 * @example
 * ```ts
 * const low = (machine.cpu.x[2]! >>> 0) - GUEST_FRAME_REACH;   // lowest byte a call may write
 * ```
 */
export const GUEST_FRAME_REACH = RED_ZONE + FRAME_SIZE + 15;

/**
 * The return trampoline, `li a7, 0x1002; ecall`, then `unimp` as a guard.
 * Words from riscv64-unknown-elf-as: lui a7,0x1 / addi a7,a7,2 / ecall /
 * csrrw x0,cycle,x0. @internal
 */
export const TRAMPOLINE_CODE = [0x0000_18b7, 0x0028_8893, 0x0000_0073, 0xc000_1073];

