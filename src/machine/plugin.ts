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
  /**
   * Installs into `machine`; returns the uninstall function. Called once
   * per {@link Machine.use}.
   *
   * @param machine - the machine to install into
   * @returns a function that undoes everything `install` did
   * @throws whatever the plugin finds wrong (e.g. a UsageError for a bad option); the machine must be left unchanged
   */
  install(machine: Machine): () => unknown;
}

/**
 * Uninstalls a plugin; returns false if it was already uninstalled. Also
 * `Disposable`, so `using` uninstalls at the end of a block.
 *
 * @example
 * ```ts
 * const uninstall: Uninstall = machine.use(plugin);
 * uninstall();   // true
 * uninstall();   // false
 * ```
 */
export type Uninstall = (() => boolean) & Disposable;
