/**
 * Guest fault handlers: guest functions registered with faultline's own
 * system calls (docs/design.md §2) and run as ordinary members of the
 * machine's fault chain (docs/design.md §3). The frame layout and ABI are
 * in guest-frame.ts; one call's nested run is in guest-handler-call.ts.
 */

import { RseqEvent } from '../threads/rseq-registration.js';
import { FaultlineError, hex32 } from '../errors.js';
import type { FaultHandler } from '../fault/fault-chain.js';
import type { Fault } from '../fault/fault.js';
import { HandlerError } from '../fault/handler-error.js';
import { FaultStatus } from '../fault/status.js';
import type { Dataspace } from '../memory/dataspace.js';
import { PAGE_SHIFT, PAGE_SIZE, Prot } from '../memory/page.js';
import { Errno } from '../syscalls/errno.js';
import { Syscall } from '../syscalls/numbers.js';
import { DEFAULT_HANDLER_INSTRUCTION_LIMIT, TRAMPOLINE_ADDRESS, TRAMPOLINE_CODE } from './guest-frame.js';
import { GuestHandlerCall } from './guest-handler-call.js';
import type { Machine } from './machine.js';

export {
  DEFAULT_HANDLER_INSTRUCTION_LIMIT,
  FaultInfoFlags,
  FaultInfoLayout,
  GUEST_FRAME_REACH,
  RED_ZONE,
  TRAMPOLINE_ADDRESS,
  UserContextLayout,
} from './guest-frame.js';

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
 * docs/design.md §3 says. When dispatched it saves the thread's registers and pc,
 * builds the frame drawn at the top of this file, runs the guest function
 * nested (ordinary Linux system calls allowed, e.g. `mmap(MAP_FIXED)` or
 * `write`) until the trampoline's `fault_return`, then restores the thread.
 * On `Fixed` it applies `ctx->regs[1..31]` and `ctx->pc` as read back from
 * guest memory; the status is the handler's return value.
 *
 * Rules of a dispatch:
 * - The handler's own accesses (its frame, globals, system-call buffers)
 *   fault through the host handlers like any other access; one that no
 *   host handler (nor the exception table) fixes ends the run like an
 *   unresolved fault — a `'fault'` result naming the guest handler, exit
 *   status 128 + signal. Guest handlers are not asked about a guest
 *   handler's faults (they do not nest).
 * - The handler may execute at most {@link instructionLimit} instructions
 *   (default 100 M) per call, past that a HandlerError; and at most what
 *   the run has left of its `maxInstructions`, past that the run ends with
 *   `{ kind: 'limit' }`.
 * - Instructions the handler executes are **not counted** in the thread's
 *   `instret` (it is restored), so the machine's livelock detection, which
 *   compares `instret` between two fixes of the same fault, also catches a
 *   guest handler that answers Fixed without fixing anything.
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
  /** The nested run of a call (one module owns it). */
  private readonly calls: GuestHandlerCall;

  /**
   * @param machine - the machine whose chain, hart and memory this serves
   * @internal Made by the machine; reach it as `machine.guestHandlers`.
   */
  constructor(private readonly machine: Machine) {
    this.calls = new GuestHandlerCall(machine);
  }

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
    return this.calls.running !== null;
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
    // What the guest's own mappings say: a plugin's layer (access tracking) must not refuse it.
    const prot = this.machine.addressSpace.guestProt(fn);
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
  syscall(nr: number, args: Int32Array): number {
    switch (nr) {
      case Syscall.RegisterFaultHandler:
        return this.register(args[0]!, { tail: args[1] !== 0 });
      case Syscall.UnregisterFaultHandler:
        return this.unregister(args[0]!);
      default:
        return -Errno.EINVAL;
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
   * Calls guest handler `fn` for `fault` and returns its status (see
   * {@link GuestHandlerCall.call}). Throws HandlerError when a guest mapping
   * took the return trampoline's page.
   */
  private dispatch(fn: number, name: string, fault: Fault): FaultStatus {
    if (this.machine.exitCode !== null || this.calls.running !== null) return FaultStatus.Continue;
    if (!this.mapTrampoline()) {
      throw new HandlerError(`${name}: the return trampoline page at ${hex32(TRAMPOLINE_ADDRESS)} was replaced by a guest mapping`, name, fault.snapshot());
    }
    const t = this.machine.currentThread;
    // Guest code ran for this fault: a critical section restarts (docs/rseq.md).
    if (t.rseq !== null) t.rseqEvent |= RseqEvent.Fault;
    return this.calls.call(fn, name, fault, this.limit);
  }
}
