/**
 * High halves of 32×32→64-bit products (RV32M mulh, mulhsu, mulhu) without
 * BigInt: 16-bit limbs keep every partial product exact in a double.
 */

/** Upper 32 bits of the unsigned product of `a` and `b` (as int32). */
export function mulhu(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16;
  const b0 = b & 0xffff, b1 = b >>> 16;
  const low = a0 * b0;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const carry = ((low >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16) + carry) | 0;
}

/** Upper 32 bits of the signed product of `a` and `b`. */
export function mulh(a: number, b: number): number {
  // signed = unsigned − (a<0 ? b : 0)·2^32 − (b<0 ? a : 0)·2^32, modulo 2^64
  let high = mulhu(a, b);
  if (a < 0) high = (high - b) | 0;
  if (b < 0) high = (high - a) | 0;
  return high;
}

/** Upper 32 bits of signed `a` times unsigned `b`. */
export function mulhsu(a: number, b: number): number {
  let high = mulhu(a, b);
  if (a < 0) high = (high - b) | 0;
  return high;
}

/** The three, as the compiled tiers take them (compileBlock, compileRegion). */
export const MULTIPLY = { mulh, mulhsu, mulhu };
