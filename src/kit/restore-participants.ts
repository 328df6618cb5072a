/**
 * Plugins that take part in a checkpoint restore. A restore rebuilds the
 * machine's memory from images into a machine that must be fresh; a
 * plugin installed before it may have mapped things (demand paging
 * attaches its managed region) or may need to look at what was rebuilt
 * (a dirty log re-reads where the stack is). Such a plugin registers here
 * on install; whoever restores calls {@link beginRestore} first and the
 * returned function after.
 *
 *   restore:   beginRestore(machine)      each participant's beforeRestore()
 *              ...rebuild the machine...
 *              end()                       each participant's afterRestore()
 */

import type { Machine } from '../machine/machine.js';

/**
 * What a plugin does around a restore into its machine. Both hooks run
 * between runs, never during a fault; neither may run the machine.
 *
 * @example
 * ```ts
 * const participant: RestoreParticipant = {
 *   name: 'my-plugin',
 *   beforeRestore: () => { machine.addressSpace.root.detach(myRegionAt); },
 *   afterRestore: () => { adoptRestoredRegion(); },
 * };
 * ```
 */
export interface RestoreParticipant {
  /** Name for errors. */
  readonly name: string;
  /** Undo whatever keeps the machine from being fresh (mappings made at install). Must not throw. */
  beforeRestore?(): void;
  /** Take over the rebuilt state (adopt restored regions, re-read the layout). May throw a UsageError to refuse it. */
  afterRestore?(): void;
}

const participants = new WeakMap<Machine, RestoreParticipant[]>();

/**
 * Registers `participant` for restores into `machine` until the returned
 * function is called (call it on uninstall). Copy-on-write: a restore
 * under way is not disturbed.
 *
 * @param machine - the machine the plugin is installed in
 * @param participant - its hooks
 * @example
 * ```ts
 * install(machine) {
 *   const leave = joinRestores(machine, { name: this.name, afterRestore: () => this.adopt() });
 *   return () => { leave(); };
 * }
 * ```
 */
export function joinRestores(machine: Machine, participant: RestoreParticipant): () => void {
  participants.set(machine, [...(participants.get(machine) ?? []), participant]);
  return () => {
    const list = participants.get(machine);
    if (list !== undefined) participants.set(machine, list.filter((p) => p !== participant));
  };
}

/**
 * Tells every participant of `machine` that a restore starts (in the order
 * they joined) and returns the function that tells them it ended (in the
 * same order). A restore that fails before changing the machine need not
 * call it; the participants then stay as `beforeRestore` left them.
 *
 * @param machine - the machine about to be restored into
 * @example
 * ```ts
 * const end = beginRestore(machine);
 * restoreMachine(machine, plan);
 * end();
 * ```
 */
export function beginRestore(machine: Machine): () => void {
  const list = participants.get(machine) ?? [];
  for (const p of list) p.beforeRestore?.();
  return () => {
    for (const p of list) p.afterRestore?.();
  };
}
