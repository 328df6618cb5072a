import type { Machine } from './machine.js';

/**
 * A bundle of fault handlers and state, installed with
 * {@link Machine.use}. Plugins are made by factories `(options) => Plugin`
 * and touch the machine only through its public API, exactly as a user's
 * code would; one plugin may build on another.
 *
 * `install` registers what it needs and returns the function that undoes
 * it (unregister handlers, remove protection layers, ...). It must leave
 * the machine unchanged if it throws.
 *
 * @example
 * ```ts
 * const counter = (): Plugin & { count: number } => ({
 *   name: 'fault-counter',
 *   count: 0,
 *   install(machine) {
 *     return machine.registerFaultHandler(() => { this.count++; return FaultStatus.Continue; });
 *   },
 * });
 * const off = machine.use(counter());
 * ```
 */
export interface Plugin {
  /** Name for reports and errors. */
  readonly name: string;
  /** Installs into `machine`; returns the uninstall function. */
  install(machine: Machine): () => unknown;
}

/** Uninstalls a plugin; returns false if it was already uninstalled. Also `Disposable`. */
export type Uninstall = (() => boolean) & Disposable;
