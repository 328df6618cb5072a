/**
 * The guest's random numbers (`getrandom`): a seeded xoshiro128** generator,
 * so a run with the same seed gives the same bytes every time and after a
 * restore (docs/handles.md, "Random").
 */

import { UsageError } from '../errors.js';
import { describeValue } from '../fault/describe-value.js';

/**
 * Words of generator state.
 *
 * @example
 * ```ts
 * machine.random.state().length === RANDOM_STATE_WORDS;   // true
 * ```
 */
export const RANDOM_STATE_WORDS = 4;

/** Rotates the 32-bit `x` left by `k`. */
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * xoshiro128** (Blackman and Vigna): 128 bits of state, 32-bit outputs.
 * The state is filled from the seed with splitmix32 steps, so seed 0 is a
 * valid, non-zero state.
 *
 * @example
 * ```ts
 * const random = new GuestRandom(42);
 * const bytes = new Uint8Array(16);
 * random.fill(bytes);
 * const saved = random.state();
 * random.setState(saved);   // the same bytes come again
 * ```
 */
export class GuestRandom {
  private readonly s = new Uint32Array(RANDOM_STATE_WORDS);

  /**
   * Creates a generator seeded with `seed`.
   *
   * @param seed - a non-negative safe integer (default 0); throws UsageError otherwise
   */
  constructor(seed = 0) {
    this.reseed(seed);
  }

  /**
   * Starts again from `seed`. Throws UsageError unless `seed` is a
   * non-negative safe integer.
   *
   * @param seed - the new seed
   */
  reseed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`GuestRandom: seed must be a non-negative integer, got ${describeValue(seed)}`);
    // splitmix32 over the low and high halves of the seed.
    let z = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let k = 0; k < RANDOM_STATE_WORDS; k++) {
      z = (z + 0x9e3779b9) >>> 0;
      let x = z;
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
      this.s[k] = (x ^ (x >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** The next 32-bit output. */
  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /**
   * Fills `dest` with the next bytes (little-endian words; a partial last
   * word uses its low bytes and consumes the whole word).
   *
   * @param dest - where the bytes go
   */
  fill(dest: Uint8Array): void {
    for (let at = 0; at < dest.length; at += 4) {
      let w = this.next();
      const end = Math.min(at + 4, dest.length);
      for (let k = at; k < end; k++) { dest[k] = w & 0xff; w >>>= 8; }
    }
  }

  /** A copy of the generator state (four 32-bit words), for checkpoints. */
  state(): Uint32Array {
    return this.s.slice();
  }

  /**
   * Sets the generator state from {@link GuestRandom.state}. Throws
   * UsageError unless it is four words, not all zero.
   *
   * @param state - four 32-bit words
   */
  setState(state: ArrayLike<number>): void {
    if (state.length !== RANDOM_STATE_WORDS) throw new UsageError(`GuestRandom.setState: expected ${RANDOM_STATE_WORDS} words, got ${state.length}`);
    let any = 0;
    for (let k = 0; k < RANDOM_STATE_WORDS; k++) any |= state[k]!;
    if (any === 0) throw new UsageError('GuestRandom.setState: the all-zero state is not a xoshiro128** state');
    for (let k = 0; k < RANDOM_STATE_WORDS; k++) this.s[k] = state[k]! >>> 0;
  }
}
