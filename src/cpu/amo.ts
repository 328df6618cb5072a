import { Op } from './op.js';

/**
 * The value an AMO writes back, given the old memory word and rs2
 * (RV32A, "Atomic Memory Operations"). `op` is one of Op.AmoSwap..AmoMaxu.
 */
export function amoResult(op: number, old: number, src: number): number {
  switch (op) {
    case Op.AmoSwap: return src;
    case Op.AmoAdd: return (old + src) | 0;
    case Op.AmoXor: return old ^ src;
    case Op.AmoAnd: return old & src;
    case Op.AmoOr: return old | src;
    case Op.AmoMin: return old < src ? old : src;
    case Op.AmoMax: return old > src ? old : src;
    case Op.AmoMinu: return (old >>> 0) < (src >>> 0) ? old : src;
    default: return (old >>> 0) > (src >>> 0) ? old : src; // AmoMaxu
  }
}
