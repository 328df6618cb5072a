import { WasmLayout } from '../../memory/physical-memory.js';
import { Op } from '../op.js';
import { discoverRegion, isBranch, type Region } from '../region-discovery.js';
import { I32, VOID, W, WasmWriter, encodeModule } from './wasm-encoder.js';

/*
 * The wasm tier's compiler: the code of one page becomes one WebAssembly
 * module. Each start and the code it reaches (a region, region-discovery.ts:
 * cut into basic blocks) becomes one exported function `r<k>`, called
 * `run` below:
 *
 *   run(pc, budget) -> next pc     (instructions retired: the word at WasmLayout.retired)
 *
 * that imports the machine's shared memory (frames, TLBs and the cpu's
 * registers at fixed offsets, physical-memory.ts) and two slow paths:
 *
 *   load(address, size, pc) -> zero-extended value (a fault sets the word at WasmLayout.stop)
 *   store(address, size, value, pc) -> 0 faulted, 1 done, 2 done and leave (memory grew / code
 *                                      rewritten); both 0 and 2 set the stop word
 *
 * Shape of `run`:
 *
 *   r1..r31 = registers the region uses            (locals, from memory)
 *   block $exit
 *     loop $dispatch
 *       block $B(k-1) ... block $B0
 *         br_table ((pc - first) >> 2) -> $Bi      (a pc outside: $exit)
 *       end  <code of block 0>                     (falls into block 1, or br)
 *       end  <code of block 1> ...
 *     end
 *   end
 *   registers written -> memory; retired = done; return pc
 *
 * Each block starts with the budget test against its full length (so a
 * call retires exactly what the interpreter would at that budget), jumps
 * within the region go round `$dispatch`, a faulting access leaves with pc
 * = that instruction and `done` = the instructions before it (precise, as
 * every tier). The module depends only on the guest code and its address,
 * so modules are cached by their bytes and instantiated per cpu.
 */

/** Most instructions one wasm region takes: a whole page (wasm does not deoptimize; compile time bounds it). */
export const MAX_WASM_REGION_LENGTH = 1024;

/**
 * Longest block of a wasm region: longer straight code is cut (falling
 * through), so that the dispatcher can enter a block whenever the budget
 * left covers it, and interprets at most this many instructions at the
 * end of a time slice.
 */
export const MAX_WASM_BLOCK_LENGTH = 64;

/** Local indexes: params pc and budget, then r1..r32 (r32 is the x0 sink), then scratch. */
const PC = 0, BUDGET = 1;
const reg = (n: number) => n + 1; // r1 = local 2 ... r32 = local 33
const DONE = 34, A = 35, E = 36, T = 37;
const SCRATCH_LOCALS = 32 + 4;

/** Import indexes. */
const LOAD = 0, STORE = 1;

/** One function of a compiled page: the instruction slots where it may be entered. @internal */
export interface WasmFunction {
  readonly entries: readonly number[];
  /** Instructions in the block of each entry (a call there needs at least this budget). */
  readonly lengths: readonly number[];
}

/** A compiled page: the module bytes (function k exported as `r<k>`) and what each function holds. @internal */
export interface WasmRegion {
  readonly bytes: Uint8Array;
  readonly functions: readonly WasmFunction[];
  /** 1 where an instruction slot is part of one of the functions. */
  readonly taken: Uint8Array;
}

/**
 * Compiles the code of decoded page `code` (first instruction at
 * `pageBase`, frame `frame` in `m32`) reachable from slot `i`, and then
 * from each of the instruction indexes `roots` not reached yet, into one
 * module: each start and what it reaches (see discoverRegion) becomes a
 * function of its own — roughly one per guest function, so that V8
 * allocates registers for each alone — and a jump from one to another
 * leaves through the dispatcher. Decodes slots it needs. Returns null when
 * the first instruction is not compilable.
 * @internal
 */
export function compileWasmRegion(code: Int32Array, i: number, pageBase: number, frame: number, m32: Int32Array, roots: readonly number[]): WasmRegion | null {
  const claimed = new Uint8Array(1024);
  const first = discoverRegion(code, i, pageBase, frame, m32, MAX_WASM_REGION_LENGTH, [], true, MAX_WASM_BLOCK_LENGTH, claimed);
  if (first === null) return null;
  const regions = [first];
  let count = first.count;
  for (const root of roots) {
    if (claimed[root] !== 0 || count >= MAX_WASM_REGION_LENGTH) continue;
    const region = discoverRegion(code, root << 1, pageBase, frame, m32, MAX_WASM_REGION_LENGTH - count, [], true, MAX_WASM_BLOCK_LENGTH, claimed);
    if (region === null) continue;
    regions.push(region);
    count += region.count;
  }
  const bodies = regions.map((region, k) => ({ type: 2, locals: [{ count: SCRATCH_LOCALS, type: I32 }], code: emitFunction(code, pageBase, region), export: `r${k}` }));
  const bytes = encodeModule(
    [
      { params: [I32, I32, I32], results: [I32] },
      { params: [I32, I32, I32, I32], results: [I32] },
      { params: [I32, I32], results: [I32] },
    ],
    {
      functions: [{ module: 'c', name: 'load', type: 0 }, { module: 'c', name: 'store', type: 1 }],
      memory: { module: 'c', name: 'm', minimum: 1, maximum: 65536, shared: true },
    },
    bodies,
  );
  return { bytes, functions: regions.map((r) => ({ entries: r.entries, lengths: r.lengths })), taken: claimed };
}

/** The body of one region's function `run` (see the file comment). */
function emitFunction(code: Int32Array, pageBase: number, region: Region): Uint8Array {
  const { entries, lengths } = region;
  const k = entries.length;
  const isEntry = new Int32Array(1024).fill(-1);
  for (let b = 0; b < k; b++) isEntry[entries[b]!] = b;
  const used = new Uint8Array(33);
  const written = new Uint8Array(33);
  const body = new WasmWriter();
  const w = body;

  // Dispatch: nested blocks, innermost first, and the table.
  w.byte(W.Block).byte(VOID); // $exit
  w.byte(W.Loop).byte(VOID); // $dispatch
  for (let b = 0; b < k; b++) w.byte(W.Block).byte(VOID);
  const first = entries[0]!, last = entries[k - 1]!;
  const span = last - first + 1;
  w.local(W.LocalGet, PC).i32Const((pageBase + (first << 2)) | 0).byte(W.I32Sub).i32Const(2).byte(W.I32ShrU);
  w.byte(W.BrTable).u32(span);
  for (let s = first; s <= last; s++) w.u32(isEntry[s]! >= 0 ? isEntry[s]! : k + 1);
  w.u32(k + 1); // default: leave
  w.byte(W.End);

  const get = (n: number) => {
    if (n === 0) w.i32Const(0);
    else { used[n] = 1; w.local(W.LocalGet, reg(n)); }
  };
  const set = (n: number) => { used[n] = 1; written[n] = 1; w.local(W.LocalSet, reg(n)); };
  /** done += count (count may be 0). */
  const addDone = (count: number) => {
    if (count !== 0) w.local(W.LocalGet, DONE).i32Const(count).byte(W.I32Add).local(W.LocalSet, DONE);
  };

  for (let b = 0; b < k; b++) {
    const start = entries[b]!, len = lengths[b]!;
    const startPc = (pageBase + (start << 2)) | 0;
    // A block that jumps to its own start runs inside its own `loop`: the
    // hottest loops go round without the dispatch table.
    const lastOp = code[(start + len - 1) << 1]! & 0xff;
    const selfLoop = (isBranch(lastOp) || lastOp === Op.Jal) && code[((start + len - 1) << 1) + 1] === startPc ? 1 : 0;
    // Label depths from this block's code (outside any if): its own loop,
    // the later blocks' labels, $dispatch and $exit.
    const dispatchDepth = k - 1 - b + selfLoop, exitDepth = k - b + selfLoop;
    /** Leaves with pc = `pc` after `count` more instructions, from inside `nest` ifs. */
    const leave = (pc: number, count: number, nest: number) => {
      addDone(count);
      w.i32Const(pc).local(W.LocalSet, PC).byte(W.Br).u32(exitDepth + nest);
    };
    /**
     * Continues at constant `target` after `count` more instructions, from
     * inside `nest` ifs: round this block's loop, forward straight into a
     * later block's code (its label ends right before it; the next block
     * follows without a branch at the end of this one), back through
     * $dispatch, or out.
     */
    const goTo = (target: number, count: number, nest: number, atEnd: boolean) => {
      addDone(count);
      const s = (target - pageBase) >>> 2;
      const j = (target & ~0xfff) === pageBase ? isEntry[s]! : -1;
      if (selfLoop === 1 && target === startPc) { w.byte(W.Br).u32(nest); return; }
      if (j > b) {
        if (atEnd && nest === 0 && j === b + 1) return;
        w.byte(W.Br).u32(j - b - 1 + selfLoop + nest);
        return;
      }
      w.i32Const(target).local(W.LocalSet, PC);
      w.byte(W.Br).u32((j >= 0 ? dispatchDepth : exitDepth) + nest);
    };

    if (selfLoop === 1) w.byte(W.Loop).byte(VOID);
    // Budget: the whole block must fit.
    w.local(W.LocalGet, DONE).i32Const(len).byte(W.I32Add).local(W.LocalGet, BUDGET).byte(W.I32GtS);
    w.byte(W.If).byte(VOID);
    leave(startPc, 0, 1);
    w.byte(W.End);

    let ended = false;
    for (let j = 0; j < len; j++) {
      const n = start + j;
      const word = code[n << 1]!, imm = code[(n << 1) + 1]!;
      const op = word & 0xff;
      const d = (word >>> 8) & 0xff, rs1 = (word >>> 16) & 0xff, rs2 = word >>> 24;
      const pc = (pageBase + (n << 2)) | 0;
      const next = (pc + 4) | 0;
      if (isBranch(op)) {
        get(rs1); get(rs2);
        w.byte(BRANCH[op - Op.Beq]!);
        w.byte(W.If).byte(VOID);
        goTo(imm, j + 1, 1, false);
        w.byte(W.End);
        goTo(next, j + 1, 0, true);
        ended = true;
      } else if (op === Op.Jal) {
        w.i32Const(next); set(d);
        goTo(imm, j + 1, 0, false);
        ended = true;
      } else if (op === Op.Jalr) {
        get(rs1); w.i32Const(imm).byte(W.I32Add).i32Const(-2).byte(W.I32And).local(W.LocalSet, A);
        w.local(W.LocalGet, A).i32Const(3).byte(W.I32And).byte(W.If).byte(VOID);
        leave(pc, j, 1); // misaligned target: the interpreter raises the fault
        w.byte(W.End);
        w.i32Const(next); set(d);
        addDone(j + 1);
        w.local(W.LocalGet, A).local(W.LocalSet, PC).byte(W.Br).u32(dispatchDepth); // (a jalr never ends a self loop)
        ended = true;
      } else if (op >= Op.Lb && op <= Op.Lhu) {
        const size = op === Op.Lw ? 4 : op === Op.Lh || op === Op.Lhu ? 2 : 1;
        translate(w, rs1, imm, size, WasmLayout.readTlb, get);
        w.byte(W.If).byte(I32);
        w.local(W.LocalGet, E).local(W.LocalGet, A).i32Const(4095).byte(W.I32And).byte(W.I32Or);
        w.memory(LOAD_OP[op - Op.Lb]!, 0, 0);
        w.byte(W.Else);
        w.local(W.LocalGet, A).i32Const(size).i32Const(pc).byte(W.Call).u32(LOAD);
        if (op === Op.Lb) w.i32Const(24).byte(W.I32Shl).i32Const(24).byte(W.I32ShrS);
        if (op === Op.Lh) w.i32Const(16).byte(W.I32Shl).i32Const(16).byte(W.I32ShrS);
        w.i32Const(0).memory(W.I32Load, 2, WasmLayout.stop);
        w.byte(W.If).byte(VOID);
        leave(pc, j, 2); // the stop word stays set: the dispatcher returns to JavaScript
        w.byte(W.End);
        w.byte(W.End);
        set(d);
      } else if (op >= Op.Sb && op <= Op.Sw) {
        const size = op === Op.Sw ? 4 : op === Op.Sh ? 2 : 1;
        translate(w, rs1, imm, size, WasmLayout.writeTlb, get);
        w.byte(W.If).byte(VOID);
        w.local(W.LocalGet, E).local(W.LocalGet, A).i32Const(4095).byte(W.I32And).byte(W.I32Or);
        get(rs2);
        w.memory(op === Op.Sw ? W.I32Store : op === Op.Sh ? W.I32Store16 : W.I32Store8, 0, 0);
        w.byte(W.Else);
        w.local(W.LocalGet, A).i32Const(size); get(rs2); w.i32Const(pc).byte(W.Call).u32(STORE).local(W.LocalTee, T);
        w.byte(W.I32Eqz).byte(W.If).byte(VOID);
        leave(pc, j, 2);
        w.byte(W.End);
        w.local(W.LocalGet, T).i32Const(2).byte(W.I32Eq).byte(W.If).byte(VOID);
        leave(next, j + 1, 2);
        w.byte(W.End);
        w.byte(W.End);
      } else {
        emitAlu(w, op, d, rs1, rs2, imm, get, set);
      }
    }
    if (!ended) goTo((pageBase + ((start + len) << 2)) | 0, len, 0, true);
    if (selfLoop === 1) w.byte(W.End);
    w.byte(W.End); // closes $B(b+1), whose code follows; after the last block, $dispatch
  }
  w.byte(W.End); // $exit

  // Epilogue: written registers back, the count, the pc.
  for (let n = 1; n < 32; n++) {
    if (written[n] !== 0) w.i32Const(0).local(W.LocalGet, reg(n)).memory(W.I32Store, 2, WasmLayout.registers + 4 * n);
  }
  w.i32Const(0).local(W.LocalGet, DONE).memory(W.I32Store, 2, WasmLayout.retired);
  w.local(W.LocalGet, PC);

  // Prologue: the registers the region uses, from memory.
  const prologue = new WasmWriter();
  for (let n = 1; n < 32; n++) {
    if (used[n] !== 0) prologue.i32Const(0).memory(W.I32Load, 2, WasmLayout.registers + 4 * n).local(W.LocalSet, reg(n));
  }
  const code2 = new Uint8Array(prologue.length + body.length);
  code2.set(prologue.finish());
  code2.set(body.finish(), prologue.length);
  return code2;
}

const BRANCH = [W.I32Eq, W.I32Ne, W.I32LtS, W.I32GeS, W.I32LtU, W.I32GeU];
const LOAD_OP = [W.I32Load8S, W.I32Load16S, W.I32Load, W.I32Load8U, W.I32Load16U]; // Lb, Lh, Lw, Lbu, Lhu

/**
 * a = rs1 + imm; e = tlb[a >>> 12]; leaves on the stack whether the fast
 * path applies: e > 0 (a frame; an empty entry is 0) and the
 * access aligned (a misaligned one may cross a page: the slow path).
 */
function translate(w: WasmWriter, rs1: number, imm: number, size: number, tlb: number, get: (n: number) => void): void {
  get(rs1);
  if (imm !== 0) w.i32Const(imm).byte(W.I32Add);
  w.local(W.LocalTee, A);
  w.i32Const(12).byte(W.I32ShrU).i32Const(2).byte(W.I32Shl).memory(W.I32Load, 2, tlb).local(W.LocalTee, E);
  w.i32Const(0).byte(W.I32GtS);
  if (size > 1) w.local(W.LocalGet, A).i32Const(size - 1).byte(W.I32And).byte(W.I32Eqz).byte(W.I32And);
}

/** Register-to-register and immediate operations (and RV32M). */
function emitAlu(w: WasmWriter, op: number, d: number, a: number, b: number, imm: number, get: (n: number) => void, set: (n: number) => void): void {
  const binary = (code: W) => { get(a); get(b); w.byte(code); set(d); };
  const immediate = (code: W) => { get(a); w.i32Const(imm).byte(code); set(d); };
  const high = (signedA: boolean, signedB: boolean) => {
    get(a); w.byte(signedA ? W.I64ExtendI32S : W.I64ExtendI32U);
    get(b); w.byte(signedB ? W.I64ExtendI32S : W.I64ExtendI32U);
    w.byte(W.I64Mul).byte(W.I64Const).s32(32).byte(W.I64ShrU).byte(W.I32WrapI64);
    set(d);
  };
  switch (op) {
    case Op.LoadConstant: w.i32Const(imm); set(d); return;
    case Op.Addi: return immediate(W.I32Add);
    case Op.Slti: return immediate(W.I32LtS);
    case Op.Sltiu: return immediate(W.I32LtU);
    case Op.Xori: return immediate(W.I32Xor);
    case Op.Ori: return immediate(W.I32Or);
    case Op.Andi: return immediate(W.I32And);
    case Op.Slli: return immediate(W.I32Shl);
    case Op.Srli: return immediate(W.I32ShrU);
    case Op.Srai: return immediate(W.I32ShrS);
    case Op.Add: return binary(W.I32Add);
    case Op.Sub: return binary(W.I32Sub);
    case Op.Sll: return binary(W.I32Shl);
    case Op.Slt: return binary(W.I32LtS);
    case Op.Sltu: return binary(W.I32LtU);
    case Op.Xor: return binary(W.I32Xor);
    case Op.Srl: return binary(W.I32ShrU);
    case Op.Sra: return binary(W.I32ShrS);
    case Op.Or: return binary(W.I32Or);
    case Op.And: return binary(W.I32And);
    case Op.Mul: return binary(W.I32Mul);
    case Op.Mulh: return high(true, true);
    case Op.Mulhsu: return high(true, false);
    case Op.Mulhu: return high(false, false);
    case Op.Div:
      // RV32M: x/0 = -1, INT_MIN/-1 = INT_MIN (wasm would trap on both).
      get(b); w.byte(W.I32Eqz).byte(W.If).byte(I32).i32Const(-1).byte(W.Else);
      get(b); w.i32Const(-1).byte(W.I32Eq).byte(W.If).byte(I32).i32Const(0); get(a); w.byte(W.I32Sub).byte(W.Else);
      get(a); get(b); w.byte(W.I32DivS).byte(W.End).byte(W.End);
      set(d);
      return;
    case Op.Divu:
      get(b); w.byte(W.I32Eqz).byte(W.If).byte(I32).i32Const(-1).byte(W.Else);
      get(a); get(b); w.byte(W.I32DivU).byte(W.End);
      set(d);
      return;
    case Op.Rem:
    case Op.Remu:
      // x % 0 = x; INT_MIN % -1 = 0 is what wasm's rem_s gives (it traps only on 0).
      get(b); w.byte(W.I32Eqz).byte(W.If).byte(I32); get(a); w.byte(W.Else);
      get(a); get(b); w.byte(op === Op.Rem ? W.I32RemS : W.I32RemU).byte(W.End);
      set(d);
      return;
    default:
      throw new Error(`wasm compiler: operation ${op} is not compilable`);
  }
}
