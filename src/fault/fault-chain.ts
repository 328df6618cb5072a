import { UsageError } from '../errors.js';
import type { Fault } from './fault.js';
import { HandlerError } from './handler-error.js';
import { FaultStatus } from './status.js';
import type { UserContext } from './user-context.js';

/**
 * A fault handler: looks at the fault and the faulting thread's context
 * and answers a {@link FaultStatus}. It may change `context` (registers,
 * pc); the changes apply when it answers `Fixed`. It may return a promise
 * (the thread waits; only under `runAsync()`). `fault` and `context` are
 * reused objects, valid during the call.
 *
 * A handler that throws, or returns something that is not a status, stops
 * the run with a {@link HandlerError} naming it.
 *
 * @param fault - the fault being dispatched (cause, access, address, pc, region)
 * @param context - the faulting thread's registers and pc, writable
 * @returns a {@link FaultStatus}, or a promise of one (only under `runAsync()`)
 * @example
 * ```ts
 * const handler: FaultHandler = (fault, ctx) =>
 *   fault.isPageFault ? FaultStatus.Continue : FaultStatus.Fail;
 * ```
 */
export type FaultHandler = (fault: Fault, context: UserContext) => FaultStatus | Promise<FaultStatus>;

/**
 * Options of {@link FaultChain.register} and {@link Machine.registerFaultHandler}.
 *
 * @example
 * ```ts
 * machine.registerFaultHandler(handler, { tail: true, name: 'fallback' });
 * ```
 */
export interface RegisterOptions {
  /** Add at the tail (asked last) instead of the head (asked first). */
  readonly tail?: boolean;
  /** Name used in reports; defaults to the function's name. */
  readonly name?: string;
}

/**
 * Removes a handler again; returns whether it was still registered. Also
 * `Disposable`, so `using off = machine.registerFaultHandler(h)` works.
 * Calling it twice is harmless (the second call returns false).
 *
 * @example
 * ```ts
 * const off: Unregister = machine.registerFaultHandler(handler);
 * off();   // true
 * off();   // false: already gone
 * ```
 */
export type Unregister = (() => boolean) & Disposable;

/**
 * A registered handler and its report name, as {@link FaultChain.list}
 * returns them.
 *
 * @example
 * ```ts
 * for (const entry of machine.chain.list()) console.log(entry.name);
 * ```
 */
export interface ChainEntry {
  /** The function that was registered. */
  readonly handler: FaultHandler;
  /** The `name` option, else the function's name, else `'anonymous handler'`. */
  readonly name: string;
}

/** `Symbol.dispose`, where the runtime has it. @internal */
export const DISPOSE: typeof Symbol.dispose = (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('Symbol.dispose') as typeof Symbol.dispose);

/** Walk result meaning "a handler returned a promise": see {@link FaultChain.pending}. @internal */
export const PENDING = -1;

/**
 * True for what the chain treats as a pending answer: an object or
 * function with a callable `then`.
 *
 * @param value - a handler's answer, or any value
 * @example
 * ```ts
 * isThenable(Promise.resolve(FaultStatus.Fixed)); // true
 * ```
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The ordered list of fault handlers (Akaros `register_fault_handler`).
 * Changes are copy-on-write: a dispatch walks the list it started with, so
 * registering or unregistering from inside a handler takes effect from the
 * next fault.
 *
 * @example
 * ```ts
 * const chain = new FaultChain();
 * const off = chain.register(myHandler, { tail: true });
 * off();
 * ```
 */
export class FaultChain {
  private entries: readonly ChainEntry[] = [];
  /** Who answered the last `Fixed`/`Fail` of {@link FaultChain.walk}, or null. @internal */
  decidedBy: ChainEntry | null = null;
  /** The promise a handler returned when {@link FaultChain.walk} gave PENDING. @internal */
  pending: PromiseLike<unknown> | null = null;
  /** Index of the handler whose promise is pending. @internal */
  pendingIndex = 0;
  /** The list the pending walk started with. @internal */
  pendingList: readonly ChainEntry[] = [];

  /**
   * Adds `handler` at the head (default) or the tail. A dispatch already
   * under way keeps the list it started with.
   *
   * @param handler - the function to call for each fault
   * @param options - `tail` to add at the end, `name` for reports
   * @returns a function (also `Disposable`) that unregisters the handler
   * @throws UsageError if `handler` is not a function or is already registered.
   * @example
   * ```ts
   * const chain = new FaultChain();
   * const off = chain.register(() => FaultStatus.Continue, { name: 'observer' });
   * chain.size;   // 1
   * off();
   * ```
   */
  register(handler: FaultHandler, options: RegisterOptions = {}): Unregister {
    if (typeof handler !== 'function') throw new UsageError(`registerFaultHandler: handler must be a function, got ${typeof handler}`);
    if (this.entries.some((e) => e.handler === handler)) {
      throw new UsageError(`registerFaultHandler: handler '${nameOf(handler, options.name)}' is already registered`);
    }
    const entry: ChainEntry = { handler, name: nameOf(handler, options.name) };
    this.entries = options.tail ? [...this.entries, entry] : [entry, ...this.entries];
    const off = (() => this.unregister(handler)) as Unregister;
    off[DISPOSE] = () => { this.unregister(handler); };
    return off;
  }

  /**
   * Removes `handler`; a dispatch already under way still asks it. Never throws.
   *
   * @param handler - the function passed to {@link FaultChain.register}
   * @returns whether it was registered
   * @example
   * ```ts
   * chain.unregister(myHandler);   // true, then false
   * ```
   */
  unregister(handler: FaultHandler): boolean {
    const at = this.entries.findIndex((e) => e.handler === handler);
    if (at < 0) return false;
    this.entries = this.entries.filter((_, k) => k !== at);
    return true;
  }

  /**
   * The handlers, head first. The array is a snapshot: later changes to the
   * chain do not alter it.
   *
   * @example
   * ```ts
   * console.log(machine.chain.list().map((e) => e.name));
   * ```
   */
  list(): readonly ChainEntry[] {
    return this.entries;
  }

  /** Number of registered handlers. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * Walks the chain from the head. Returns Fixed or Fail (with
   * {@link decidedBy} set), Continue when every handler passed, or PENDING
   * when a handler returned a promise (see {@link resume}). Throws
   * HandlerError when a handler throws or answers something else.
   * @internal
   */
  walk(fault: Fault, context: UserContext): number {
    return this.walkFrom(this.entries, 0, fault, context);
  }

  /**
   * Continues a PENDING walk with the value its promise resolved to.
   * @internal
   */
  resume(value: unknown, fault: Fault, context: UserContext): number {
    const list = this.pendingList;
    const index = this.pendingIndex;
    this.pending = null;
    const status = checkStatus(value, list[index]!, fault);
    if (status !== FaultStatus.Continue) { this.decidedBy = list[index]!; return status; }
    return this.walkFrom(list, index + 1, fault, context);
  }

  private walkFrom(list: readonly ChainEntry[], start: number, fault: Fault, context: UserContext): number {
    for (let k = start; k < list.length; k++) {
      const entry = list[k]!;
      let answer: unknown;
      try {
        answer = entry.handler(fault, context);
      } catch (err) {
        throw new HandlerError(`fault handler '${entry.name}' threw: ${err instanceof Error ? err.message : String(err)}`, entry.name, fault.snapshot(), err);
      }
      if (answer === FaultStatus.Continue) continue;
      if (answer === FaultStatus.Fixed || answer === FaultStatus.Fail) {
        this.decidedBy = entry;
        return answer;
      }
      if (isThenable(answer)) {
        this.pending = answer;
        this.pendingIndex = k;
        this.pendingList = list;
        return PENDING;
      }
      checkStatus(answer, entry, fault);
    }
    this.decidedBy = null;
    return FaultStatus.Continue;
  }
}

function checkStatus(value: unknown, entry: ChainEntry, fault: Fault): FaultStatus {
  if (value === FaultStatus.Continue || value === FaultStatus.Fixed || value === FaultStatus.Fail) return value;
  throw new HandlerError(
    `fault handler '${entry.name}' returned ${String(value)}, not a status (Continue = 0, Fixed = 1, Fail = 2)`,
    entry.name,
    fault.snapshot(),
  );
}

function nameOf(handler: FaultHandler, name: string | undefined): string {
  return name ?? (handler.name !== '' ? handler.name : 'anonymous handler');
}
