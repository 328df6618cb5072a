import { CODE_MAP_SLOTS, WasmLayout } from '../../memory/physical-memory.js';
import { I32, W, WasmWriter, encodeModule } from './wasm-encoder.js';

/*
 * The wasm tier's dispatcher: one small module per cpu that goes from
 * region to region without returning to JavaScript.
 *
 *   dispatch(pc, budget, index) -> next pc    (retired: the word at WasmLayout.retired)
 *
 * calls region `index` of the cpu's function table at `pc`, then, while
 * the region made progress, the budget is not spent and no slow path
 * asked to stop (the word at WasmLayout.stop), looks up the next pc in
 * the code map (WasmLayout.codeMap: pairs of tag and table index, the tag
 * pc + 1 so that a fresh memory's zeros are empty slots (pcs are even),
 * direct-mapped by {@link codeMapSlot}) and calls that region. A miss,
 * an exhausted budget, a region that did nothing (the pc is not one of
 * its entries, or its block does not fit the budget) or a stop returns
 * to the JavaScript dispatcher (Cpu.run), which interprets, compiles and
 * handles faults as before. A region call writes back its registers and
 * reads them on entry, so the next region sees them in the register area.
 */

/** Slot of `pc` in the code map: a multiplicative hash (entry pcs are words apart). @internal */
export function codeMapSlot(pc: number): number {
  return Math.imul(pc, HASH) >>> HASH_SHIFT;
}

/** The table's function type of a region: (pc, budget) -> next pc. @internal */
export const REGION_TYPE = { params: [I32, I32], results: [I32] } as const;

const HASH = 0x9e3779b1 | 0;
const HASH_SHIFT = 32 - Math.log2(CODE_MAP_SLOTS);

/** The dispatcher module's bytes (the same for every cpu: the layout is fixed). @internal */
export function dispatcherModule(): Uint8Array {
  // Locals: params pc, budget, index; then done, r, slot.
  const PC = 0, BUDGET = 1, INDEX = 2, DONE = 3, R = 4, SLOT = 5;
  const w = new WasmWriter();
  w.byte(W.Block).byte(0x40); // $out
  w.byte(W.Loop).byte(0x40); // $next
  w.local(W.LocalGet, PC);
  w.local(W.LocalGet, BUDGET).local(W.LocalGet, DONE).byte(W.I32Sub);
  w.local(W.LocalGet, INDEX);
  w.byte(W.CallIndirect).u32(0).u32(0);
  w.local(W.LocalSet, PC);
  w.i32Const(0).memory(W.I32Load, 2, WasmLayout.retired).local(W.LocalTee, R);
  w.local(W.LocalGet, DONE).byte(W.I32Add).local(W.LocalSet, DONE);
  w.i32Const(0).memory(W.I32Load, 2, WasmLayout.stop).byte(W.BrIf).u32(1);
  w.local(W.LocalGet, R).byte(W.I32Eqz).byte(W.BrIf).u32(1);
  w.local(W.LocalGet, DONE).local(W.LocalGet, BUDGET).byte(W.I32GeS).byte(W.BrIf).u32(1);
  // slot = codeMapSlot(pc) * 8; a different tag is a miss.
  w.local(W.LocalGet, PC).i32Const(HASH).byte(W.I32Mul).i32Const(HASH_SHIFT).byte(W.I32ShrU).i32Const(3).byte(W.I32Shl).local(W.LocalTee, SLOT);
  w.memory(W.I32Load, 2, WasmLayout.codeMap).local(W.LocalGet, PC).i32Const(1).byte(W.I32Add).byte(W.I32Ne).byte(W.BrIf).u32(1);
  w.local(W.LocalGet, SLOT).memory(W.I32Load, 2, WasmLayout.codeMap + 4).local(W.LocalSet, INDEX);
  w.byte(W.Br).u32(0);
  w.byte(W.End); // $next
  w.byte(W.End); // $out
  w.i32Const(0).local(W.LocalGet, DONE).memory(W.I32Store, 2, WasmLayout.retired);
  w.local(W.LocalGet, PC);
  return encodeModule(
    [REGION_TYPE, { params: [I32, I32, I32], results: [I32] }],
    {
      functions: [],
      memory: { module: 'c', name: 'm', minimum: 1, maximum: 65536, shared: true },
      table: { module: 'c', name: 't', minimum: 1 },
    },
    [{ type: 1, locals: [{ count: 3, type: I32 }], code: w.finish(), export: 'dispatch' }],
  );
}
