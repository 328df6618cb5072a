import type { GuestThread } from './guest-thread.js';

/** `FUTEX_BITSET_MATCH_ANY`: the bitset of plain WAIT and WAKE. */
export const FUTEX_BITSET_ANY = 0xffff_ffff;

/**
 * The key of a futex word: its address, and whether the futex is shared
 * (no `FUTEX_PRIVATE_FLAG`). As in Linux for private anonymous memory, a
 * private and a shared futex on the same word are different futexes: the
 * wake of `clear_child_tid` at a thread's exit is a shared one and wakes
 * only shared waiters. (docs/decisions.md: keys are virtual addresses, so
 * two mappings of one shared dataspace are two futexes.)
 */
export function futexKey(address: number, shared: boolean): number {
  return (address >>> 0) + (shared ? 2 ** 32 : 0);
}

/**
 * The threads waiting in `futex` WAIT, per key, in the order they began
 * to wait (woken first-in, first-out).
 * @internal
 */
export class FutexTable {
  private readonly queues = new Map<number, GuestThread[]>();

  /** Adds `thread` (already marked as waiting on `key`) at the end of its queue. */
  enqueue(key: number, thread: GuestThread): void {
    const queue = this.queues.get(key);
    if (queue === undefined) this.queues.set(key, [thread]);
    else queue.push(thread);
  }

  /**
   * Removes and returns up to `count` waiters on `key` whose bitset shares
   * a bit with `bitset`, oldest first. At least one is woken when any
   * matches, as Linux does for a count of 0.
   */
  take(key: number, count: number, bitset: number, into: GuestThread[]): void {
    const queue = this.queues.get(key);
    if (queue === undefined) return;
    const limit = count < 1 ? 1 : count;
    let kept = 0;
    for (let k = 0; k < queue.length; k++) {
      const t = queue[k]!;
      if (into.length < limit && (t.futexBitset & bitset) !== 0) into.push(t);
      else queue[kept++] = t;
    }
    queue.length = kept;
    if (kept === 0) this.queues.delete(key);
  }

  /** Removes `thread` from the queue of `key` (its wait timed out, or it exited). */
  remove(key: number, thread: GuestThread): void {
    const queue = this.queues.get(key);
    if (queue === undefined) return;
    const at = queue.indexOf(thread);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(key);
  }

  /** Every key with waiters and its waiters' tids, for reports and checkpoints. */
  entries(): Array<[number, number[]]> {
    return [...this.queues].map(([key, queue]) => [key, queue.map((t) => t.tid)]);
  }
}
