import { QuotaExceededError, UsageError } from '../errors.js';
import { Signal } from '../machine/run-result.js';
import { describeThrown, describeValue } from './describe-value.js';
import type { Fault } from './fault.js';
import { HandlerError } from './handler-error.js';
import { RunEnding } from './run-ending.js';
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

/**
 * A walk of the chain suspended because a handler returned a promise (only
 * under `runAsync()`). The walk's state — the list it started with, the
 * handler awaited, the fault and context — belongs to this value; whoever
 * holds it (the machine, per faulting thread) awaits {@link promise} and
 * calls {@link resume} with what it resolved to, or {@link reject}.
 *
 * @example
 * ```ts
 * const r = chain.walk(fault, context);
 * if (r instanceof PendingWalk) {
 *   let status = r.resume(await r.promise);   // may be another PendingWalk
 * }
 * ```
 */
export class PendingWalk {
  private done = false;

  /** @internal Made by {@link FaultChain.walk}. */
  constructor(
    private readonly chain: FaultChain,
    private readonly list: readonly ChainEntry[],
    private readonly index: number,
    /** The promise the handler returned. */
    readonly promise: PromiseLike<unknown>,
    private readonly fault: Fault,
    private readonly context: UserContext,
  ) {}

  /** True once resumed, rejected or abandoned. */
  get settled(): boolean {
    return this.done;
  }

  /** The handler whose promise is awaited. */
  get entry(): ChainEntry {
    return this.list[this.index]!;
  }

  /**
   * Continues the walk with the value the promise resolved to: a status of
   * the chain (as {@link FaultChain.walk} returns), or the next suspension.
   * Throws HandlerError when the value is not a status, and UsageError when
   * the walk was already resumed or rejected (koa-compose's "called twice").
   *
   * @param value - what {@link promise} resolved to
   */
  resume(value: unknown): number | PendingWalk {
    this.settle('resume');
    const entry = this.entry;
    const status = checkStatus(value, entry, this.fault, this.context);
    if (status === FaultStatus.Fixed) return this.chain.decided(entry, status);
    if (status === FaultStatus.Fail) {
      this.context.rollback();
      return this.chain.decided(entry, status);
    }
    this.context.rollback();
    return this.chain.walkFrom(this.list, this.index + 1, this.fault, this.context);
  }

  /**
   * Ends the walk because the promise rejected (or was given up on): the
   * context goes back to the fault's, and the error to throw is returned: a
   * HandlerError naming the handler (or the machine's own signal that the
   * run ends, which `run`/`runAsync` turn into their result).
   *
   * @param reason - the rejection reason, or a description of why the wait ended
   */
  reject(reason: unknown): Error {
    this.abandon();
    return handlerFailure(reason, this.entry, this.fault, 'rejected');
  }

  /**
   * Gives the walk up without an answer (the run ended: a timeout, `run()`
   * cannot wait): the context goes back to the fault's. A later settlement
   * of {@link promise} is ignored by whoever abandoned it.
   */
  abandon(): void {
    this.settle('abandon');
    this.context.rollback();
  }

  private settle(how: string): void {
    if (this.done) throw new UsageError(`PendingWalk.${how}: the walk of handler '${this.entry.name}' was already resumed or rejected`);
    this.done = true;
  }
}

/**
 * True when `value` is a promise-like (has a callable `then`). A `then`
 * getter that throws is a HandlerError naming `entry`.
 */
function isPendingAnswer(value: unknown, entry: ChainEntry, fault: Fault): value is PromiseLike<unknown> {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  let then: unknown;
  try {
    then = (value as { then?: unknown }).then;
  } catch (err) {
    throw new HandlerError(`fault handler '${entry.name}' returned an object whose 'then' getter threw: ${describeThrown(err)}`, entry.name, fault.snapshot(), err);
  }
  return typeof then === 'function';
}

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
  private decider: ChainEntry | null = null;

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
   * Who answered `Fixed` or `Fail` in the last walk that ended with one of
   * them (synchronously or after a handler's promise settled); null after a
   * walk where every handler answered `Continue`.
   */
  get decidedBy(): ChainEntry | null {
    return this.decider;
  }

  /**
   * Walks the chain from the head for `fault`, handing each handler
   * `context`. Returns Fixed or Fail (see {@link decidedBy}), Continue when
   * every handler passed, or a {@link PendingWalk} when a handler returned
   * a promise. Allocates nothing unless a handler returns a promise.
   *
   * Context changes apply only on `Fixed`: the walk marks the context at
   * the start and rolls it back after a handler answers `Continue` or
   * `Fail`, or throws, so the next handler, the exception table and the
   * report see the thread as it was at the fault (docs/design.md §3).
   *
   * Throws HandlerError when a handler throws or answers something that is
   * not a status. A {@link RunEnding} a handler throws passes through as it
   * is (after the rollback).
   * @internal
   */
  walk(fault: Fault, context: UserContext): number | PendingWalk {
    context.mark();
    return this.walkFrom(this.entries, 0, fault, context);
  }

  /** Records `entry` as the decider and returns `status`. @internal */
  decided(entry: ChainEntry, status: number): number {
    this.decider = entry;
    return status;
  }

  /** Asks `list[start..]` in turn (see {@link walk}). @internal */
  walkFrom(list: readonly ChainEntry[], start: number, fault: Fault, context: UserContext): number | PendingWalk {
    for (let k = start; k < list.length; k++) {
      const entry = list[k]!;
      let answer: unknown;
      try {
        answer = entry.handler(fault, context);
      } catch (err) {
        context.rollback();
        throw handlerFailure(err, entry, fault, 'threw');
      }
      if (answer === FaultStatus.Continue) {
        context.rollback();
        continue;
      }
      if (answer === FaultStatus.Fixed) {
        this.decider = entry;
        return answer;
      }
      if (answer === FaultStatus.Fail) {
        context.rollback();
        this.decider = entry;
        return answer;
      }
      if (isPendingAnswer(answer, entry, fault)) return new PendingWalk(this, list, k, answer, fault, context);
      checkStatus(answer, entry, fault, context);
    }
    this.decider = null;
    return FaultStatus.Continue;
  }
}

/**
 * What a handler's throw (or rejection) ends the run with: a RunEnding
 * passes as it is, and so does a HandlerError (it already names the
 * handler at fault, e.g. a host handler serving a guest handler's access);
 * running out of guest memory ends the run like a fault
 * (SIGBUS, docs/decisions.md); anything else is a HandlerError naming the handler.
 */
function handlerFailure(err: unknown, entry: ChainEntry, fault: Fault, verb: string): HandlerError | RunEnding {
  if (err instanceof RunEnding || err instanceof HandlerError) return err;
  if (err instanceof QuotaExceededError) {
    return new RunEnding(
      'fault',
      fault.snapshot(),
      Signal.SIGBUS,
      entry.name,
      `out of memory: fault handler '${entry.name}' could not get guest memory for ${fault.describe()}: ${describeThrown(err)}`,
    );
  }
  // A rejected promise settles long after the fault was dispatched: say which thread and page it was for.
  const what = verb === 'rejected' ? ` (while handling ${fault.describe()}, thread ${fault.tid})` : '';
  return new HandlerError(`fault handler '${entry.name}' ${verb}: ${describeThrown(err)}${what}`, entry.name, fault.snapshot(), err);
}

/** `value` as a status; otherwise rolls the context back and throws HandlerError naming `entry`. */
function checkStatus(value: unknown, entry: ChainEntry, fault: Fault, context: UserContext): FaultStatus {
  if (value === FaultStatus.Continue || value === FaultStatus.Fixed || value === FaultStatus.Fail) return value;
  context.rollback();
  throw new HandlerError(
    `fault handler '${entry.name}' returned ${describeValue(value)}, not a status (Continue = 0, Fixed = 1, Fail = 2)`,
    entry.name,
    fault.snapshot(),
  );
}

function nameOf(handler: FaultHandler, name: string | undefined): string {
  return name ?? (handler.name !== '' ? handler.name : 'anonymous handler');
}
