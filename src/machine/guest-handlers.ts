/**
 * Guest fault handlers: guest functions registered with faultline's own
 * system calls (DESIGN §2) and run as ordinary members of the machine's
 * fault chain (DESIGN §3).
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

import { FaultlineError, hex32 } from '../errors.js';
import { Access } from '../fault/cause.js';
import type { FaultHandler } from '../fault/fault-chain.js';
import { Fault } from '../fault/fault.js';
import { HandlerError } from '../fault/handler-error.js';
import { FaultStatus } from '../fault/status.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { Dataspace } from '../memory/dataspace.js';
import { PAGE_SHIFT, PAGE_SIZE, Prot } from '../memory/page.js';
import { Errno } from '../syscalls/errno.js';
import { syscallRange, type SyscallOutcome } from '../syscalls/linux.js';
import { Syscall } from '../syscalls/numbers.js';
import type { Machine } from './machine.js';

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

/** Bytes from `ctx` to `info`: the context padded to 16. */
const CONTEXT_STRIDE = 144;
/**
 * Bytes of the whole frame (context, padding, info).
 *
 * @internal The plugin kit's `guestFrameLow` builds on it.
 */
export const FRAME_SIZE = CONTEXT_STRIDE + FaultInfoLayout.size;
/** Register numbers of the calling convention. */
const RA = 1, SP = 2, A0 = 10, A1 = 11;

/**
 * The return trampoline, `li a7, 0x1002; ecall`, then `unimp` as a guard.
 * Words from riscv64-unknown-elf-as: lui a7,0x1 / addi a7,a7,2 / ecall /
 * csrrw x0,cycle,x0.
 */
const TRAMPOLINE_CODE = [0x0000_18b7, 0x0028_8893, 0x0000_0073, 0xc000_1073];

/**
 * Why a nested run of a guest handler stopped (see the machine's private
 * nested-run helper).
 * @internal
 */
export const NestedStop = {
  /** The handler called `fault_return`; its status is in a0, the ecall is not retired. */
  Returned: 0,
  /** The guest exited (the machine's `exitCode` is set). */
  Exited: 1,
  /** An instruction faulted; `cpu.fault` describes it. */
  Faulted: 2,
  /** The instruction bound ran out. */
  Limit: 3,
} as const;

/** One of the {@link NestedStop} values. @internal */
export type NestedStop = (typeof NestedStop)[keyof typeof NestedStop];

/**
 * Runs the hart from its pc for at most `limit` instructions as a guest
 * handler (provided by the machine). @internal
 */
export type NestedRunner = (limit: number) => NestedStop;

/**
 * One registered guest handler, as {@link GuestHandlerRegistry.list} shows it.
 *
 * @example
 * ```ts
 * for (const g of machine.guestHandlers.list()) console.log(hex32(g.fn), g.name);
 * ```
 */
export interface GuestHandlerInfo {
  /** Guest address of the handler function. */
  readonly fn: number;
  /** Its name in the chain and in reports, `guest handler 0x000101a4`. */
  readonly name: string;
  /** The host-side {@link FaultHandler} that stands for it in the chain. */
  readonly handler: FaultHandler;
}

/**
 * The guest's fault handlers: the system calls `register_fault_handler`
 * (0x1000), `unregister_fault_handler` (0x1001) and `fault_return`
 * (0x1002), and the dispatch that calls a guest function as
 * `int handler(struct user_context *ctx, const struct fault_info *info)`.
 *
 * A registered guest function is an ordinary {@link FaultHandler} in the
 * machine's chain named `guest handler 0x…`: it sits at the head unless
 * registered with `insert_tail`, and orders with host handlers exactly as
 * DESIGN §3 says. When dispatched it saves the thread's registers and pc,
 * builds the frame drawn at the top of this file, runs the guest function
 * nested (ordinary Linux system calls allowed, e.g. `mmap(MAP_FIXED)` or
 * `write`) until the trampoline's `fault_return`, then restores the thread.
 * On `Fixed` it applies `ctx->regs[1..31]` and `ctx->pc` as read back from
 * guest memory; the status is the handler's return value.
 *
 * Rules of a dispatch:
 * - A fault while the guest handler runs is fatal: a {@link HandlerError}
 *   naming the handler and describing the nested fault (the chain is busy,
 *   so nothing could resolve it). The frame's stack pages must be mapped
 *   and writable for the guest, or the dispatch fails the same way.
 * - The handler may execute at most {@link instructionLimit} instructions
 *   (default 100 M) per call; past that, a HandlerError.
 * - Instructions the handler executes are **not counted** in the thread's
 *   `instret` (it is restored), so the machine's livelock detection, which
 *   compares `instret` between two fixes of the same fault, also catches a
 *   guest handler that answers Fixed without fixing anything.
 * - System calls the handler makes do not fault their buffers in through
 *   the chain: an inaccessible buffer gives `-EFAULT`.
 * - If the handler exits the program, the fault counts as Fixed and the run
 *   ends with the exit; a guest handler is not called after an exit.
 * - A returned status other than 0, 1, 2 is a HandlerError.
 * - The thread's LR/SC reservation is kept across the call.
 *
 * Registrations are inspectable ({@link list}) and can be re-made from the
 * host ({@link register}), e.g. by checkpoint restore.
 *
 * @example
 * ```ts
 * const machine = new Machine();
 * machine.load(program);           // the guest calls register_fault_handler itself
 * machine.run();
 * console.log(machine.guestHandlers.list().map((g) => g.name));
 * ```
 */
export class GuestHandlerRegistry {
  private readonly byFn = new Map<number, GuestHandlerInfo>();
  private limit = DEFAULT_HANDLER_INSTRUCTION_LIMIT;
  private trampoline: Dataspace | null = null;
  /** Name of the guest handler running now, or null. */
  private runningName: string | null = null;
  // Saved state of the faulting thread during a dispatch (reused).
  private readonly savedRegs = new Int32Array(32);
  private readonly savedFault = new Fault();
  private readonly frameBytes = new Uint8Array(FRAME_SIZE);
  private readonly frame = new DataView(this.frameBytes.buffer);

  /**
   * @param machine - the machine whose chain, hart and memory this serves
   * @param runNested - the machine's nested run loop
   * @internal Made by the machine; reach it as `machine.guestHandlers`.
   */
  constructor(private readonly machine: Machine, private readonly runNested: NestedRunner) {}

  /**
   * Most instructions one guest handler call may execute before the run
   * stops with a HandlerError (default 100,000,000). Setting a value that
   * is not a positive integer throws FaultlineError.
   */
  get instructionLimit(): number {
    return this.limit;
  }

  /**
   * Sets the instruction limit of one guest handler call.
   *
   * @param value - a positive integer
   */
  set instructionLimit(value: number) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new FaultlineError(`GuestHandlerRegistry.instructionLimit: must be a positive integer, got ${String(value)}`);
    }
    this.limit = value;
  }

  /** True while a guest handler is running (nested in a dispatch). */
  get active(): boolean {
    return this.runningName !== null;
  }

  /**
   * The registered guest handlers in chain order (head first). A handler
   * that the host took out of the chain with `unregisterFaultHandler` is
   * not listed.
   */
  list(): GuestHandlerInfo[] {
    const out: GuestHandlerInfo[] = [];
    for (const entry of this.machine.chain.list()) {
      for (const info of this.byFn.values()) {
        if (info.handler === entry.handler) out.push(info);
      }
    }
    return out;
  }

  /**
   * `register_fault_handler(fn, insert_tail)` from the host: adds guest
   * function `fn` at the head of the chain (the tail with `tail: true`).
   * Returns 0, `-EINVAL` when `fn` is 0, not 4-aligned or not in an
   * executable mapping, `-EEXIST` when it is registered already, or
   * `-ENOMEM` when the trampoline page cannot be mapped (its address is
   * taken by a guest mapping).
   *
   * @param fn - address of the guest function
   * @param options - `tail` to add it at the tail of the chain
   */
  register(fn: number, options: { readonly tail?: boolean } = {}): number {
    fn >>>= 0;
    if (fn === 0 || (fn & 3) !== 0) return -Errno.EINVAL;
    if (fn >>> PAGE_SHIFT === TRAMPOLINE_ADDRESS >>> PAGE_SHIFT && this.trampoline !== null) return -Errno.EINVAL;
    const prot = this.machine.addressSpace.effectiveProt(fn);
    if (prot < 0 || (prot & Prot.Exec) === 0) return -Errno.EINVAL;
    if (this.isRegistered(fn)) return -Errno.EEXIST;
    if (!this.mapTrampoline()) return -Errno.ENOMEM;
    const name = `guest handler ${hex32(fn)}`;
    const handler: FaultHandler = (fault) => this.dispatch(fn, name, fault);
    this.machine.chain.register(handler, { tail: options.tail === true, name });
    this.byFn.set(fn, { fn, name, handler });
    return 0;
  }

  /**
   * `unregister_fault_handler(fn)` from the host: 0, or `-ENOENT` when `fn` is not registered.
   *
   * @param fn - address of a registered guest function
   */
  unregister(fn: number): number {
    fn >>>= 0;
    const info = this.byFn.get(fn);
    if (info === undefined) return -Errno.ENOENT;
    this.byFn.delete(fn);
    return this.machine.chain.unregister(info.handler) ? 0 : -Errno.ENOENT;
  }

  /**
   * Performs faultline call `nr` (0x1000–0x1002) with arguments `args`
   * (a0..a5). `fault_return` reaches here only outside a guest handler
   * (inside one, the nested run takes it), so it answers `-EINVAL`.
   * @internal Called by the machine's system-call path.
   */
  syscall(nr: number, args: Int32Array): SyscallOutcome {
    switch (nr) {
      case Syscall.RegisterFaultHandler:
        return { exit: false, value: this.register(args[0]!, { tail: args[1] !== 0 }) };
      case Syscall.UnregisterFaultHandler:
        return { exit: false, value: this.unregister(args[0]!) };
      default:
        return { exit: false, value: -Errno.EINVAL };
    }
  }

  /** True when `fn` is registered and its handler is still in the chain. */
  private isRegistered(fn: number): boolean {
    const info = this.byFn.get(fn);
    if (info === undefined) return false;
    if (this.machine.chain.list().some((e) => e.handler === info.handler)) return true;
    this.byFn.delete(fn); // the host unregistered it directly
    return false;
  }

  /**
   * Makes sure the trampoline page is mapped at {@link TRAMPOLINE_ADDRESS}:
   * creates and attaches it the first time, re-attaches it if the guest
   * unmapped it. Returns false when a guest mapping occupies the address.
   */
  private mapTrampoline(): boolean {
    const root = this.machine.addressSpace.root;
    const here = root.lookup(TRAMPOLINE_ADDRESS);
    if (here !== undefined && this.trampoline !== null && here.target === this.trampoline) return true;
    if (here !== undefined || !root.isFree(TRAMPOLINE_ADDRESS, PAGE_SIZE)) return false;
    if (this.trampoline === null) {
      const ds = this.machine.addressSpace.createDataspace(PAGE_SIZE, { name: '[faultline]' });
      ds.write(0, new Uint8Array(new Uint32Array(TRAMPOLINE_CODE).buffer));
      ds.seal();
      this.trampoline = ds;
    }
    root.attach(this.trampoline, { at: TRAMPOLINE_ADDRESS, writable: false, executable: true, name: '[faultline]' });
    return true;
  }

  /**
   * Calls guest handler `fn` for `fault` (the machine's reused fault
   * object, which this restores before returning) and returns its status.
   * Leaves the thread's registers, pc and instret as they were, except on
   * Fixed, where the context the handler left in its frame is applied.
   * Throws HandlerError for a nested fault, a runaway handler, a bad
   * status, or a frame that cannot be built.
   */
  private dispatch(fn: number, name: string, fault: Fault): FaultStatus {
    const m = this.machine, cpu = m.cpu, as = m.addressSpace, x = cpu.x;
    if (m.exitCode !== null) return FaultStatus.Continue;
    if (this.runningName !== null) {
      throw new HandlerError(`${name}: called while '${this.runningName}' is running (guest handlers do not nest)`, name, fault.snapshot());
    }
    if (!this.mapTrampoline()) {
      throw new HandlerError(`${name}: the return trampoline page at ${hex32(TRAMPOLINE_ADDRESS)} was replaced by a guest mapping`, name, fault.snapshot());
    }
    const sp = x[SP]! >>> 0;
    const top = sp - RED_ZONE - FaultInfoLayout.size;
    if (top < CONTEXT_STRIDE) {
      throw new HandlerError(`${name}: no room for its frame below the faulting thread's sp ${hex32(sp)}`, name, fault.snapshot());
    }
    const info = (top & ~15) >>> 0;
    const ctx = info - CONTEXT_STRIDE;
    checkFrameWritable(as, ctx, name, sp, fault);

    const saved = this.savedRegs, savedFault = this.savedFault;
    saved.set(x.subarray(0, 32));
    const savedPc = cpu.pc, savedInstret = cpu.instret;
    const savedReservation = cpu.reservationValid, savedResAddress = cpu.reservationAddress, savedResValue = cpu.reservationValue;
    savedFault.copyFrom(fault);
    this.writeFrame(ctx, fault);

    x[A0] = ctx;
    x[A1] = info;
    x[SP] = ctx;
    x[RA] = TRAMPOLINE_ADDRESS | 0;
    cpu.pc = fn | 0;
    cpu.reservationValid = false;
    this.runningName = name;
    let status: number;
    let fixedContext: Uint8Array | null = null;
    try {
      const stop = this.runNested(this.limit);
      if (stop === NestedStop.Faulted) {
        throw new HandlerError(`${name} faulted while handling a fault (fatal): ${cpu.fault.describe()}`, name, savedFault.snapshot());
      }
      if (stop === NestedStop.Limit) {
        throw new HandlerError(`${name} did not return within ${this.limit} instructions (now at pc ${hex32(cpu.pc)})`, name, savedFault.snapshot());
      }
      if (stop === NestedStop.Exited) return FaultStatus.Fixed;
      status = x[A0]!;
      if (status !== FaultStatus.Continue && status !== FaultStatus.Fixed && status !== FaultStatus.Fail) {
        throw new HandlerError(`${name} returned ${status}, not a status (FAULT_CONTINUE 0, FAULT_FIXED 1, FAULT_FAIL 2)`, name, savedFault.snapshot());
      }
      if (status === FaultStatus.Fixed) fixedContext = readContext(as, ctx, name, savedFault);
    } finally {
      x.set(saved);
      cpu.pc = savedPc;
      cpu.instret = savedInstret;
      cpu.reservationValid = savedReservation;
      cpu.reservationAddress = savedResAddress;
      cpu.reservationValue = savedResValue;
      fault.copyFrom(savedFault);
      this.runningName = null;
    }
    if (fixedContext !== null) {
      const view = new DataView(fixedContext.buffer);
      for (let k = 1; k < 32; k++) x[k] = view.getInt32(UserContextLayout.regs + 4 * k, true);
      cpu.pc = view.getInt32(UserContextLayout.pc, true);
    }
    return status as FaultStatus;
  }

  /** Writes `struct user_context` at `ctx` and `struct fault_info` after it, at `ctx + 144`. */
  private writeFrame(ctx: number, fault: Fault): void {
    const cpu = this.machine.cpu, view = this.frame;
    for (let k = 0; k < 32; k++) view.setInt32(UserContextLayout.regs + 4 * k, k === 0 ? 0 : cpu.x[k]!, true);
    view.setInt32(UserContextLayout.pc, cpu.pc, true);
    this.frameBytes.fill(0, UserContextLayout.size, CONTEXT_STRIDE);
    const at = CONTEXT_STRIDE;
    view.setUint32(at + FaultInfoLayout.cause, fault.cause >>> 0, true);
    view.setUint32(at + FaultInfoLayout.address, fault.address >>> 0, true);
    view.setUint32(at + FaultInfoLayout.access, fault.access >>> 0, true);
    view.setUint32(at + FaultInfoLayout.flags, fault.protection ? FaultInfoFlags.Protection : 0, true);
    this.machine.addressSpace.writeBytes(ctx, this.frameBytes);
  }
}

/**
 * Throws HandlerError unless every page of the frame at `ctx` is mapped and
 * writable for the guest (the handler will use the same stack).
 */
function checkFrameWritable(as: AddressSpace, ctx: number, name: string, sp: number, fault: Fault): void {
  const first = ctx >>> PAGE_SHIFT, last = (ctx + FRAME_SIZE - 1) >>> PAGE_SHIFT;
  for (let page = first; page <= last; page++) {
    const at = page === first ? ctx : page << PAGE_SHIFT;
    if (as.translate(at, Access.Write) >= 0) continue;
    const why = as.fault.protection ? 'not writable' : 'not mapped';
    throw new HandlerError(
      `${name}: cannot build its frame at ${hex32(at)} on the faulting thread's stack (sp ${hex32(sp)}): ${why}`,
      name,
      fault.snapshot(),
    );
  }
}

/** The `struct user_context` at `ctx` as bytes; HandlerError if the handler unmapped it. */
function readContext(as: AddressSpace, ctx: number, name: string, fault: Fault): Uint8Array {
  try {
    return as.readBytes(ctx, UserContextLayout.size);
  } catch (err) {
    throw new HandlerError(`${name}: its user_context at ${hex32(ctx)} is gone: ${err instanceof Error ? err.message : String(err)}`, name, fault.snapshot(), err);
  }
}

/**
 * How many bytes of the guest buffer of system call `nr` are accessible
 * right now, without asking the fault chain (for calls a guest handler
 * makes): the prefix of pages that translate. @internal
 */
export function accessibleNow(as: AddressSpace, nr: number, a0: number, a1: number, a2: number): number {
  const range = syscallRange(nr, a0, a1, a2);
  if (range === null) return 0;
  let done = 0;
  while (done < range.length) {
    const at = (range.address + done) >>> 0;
    if (as.translate(at, range.access) < 0) break;
    done += PAGE_SIZE - (at & (PAGE_SIZE - 1));
  }
  return Math.min(done, range.length);
}
