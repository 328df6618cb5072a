/*
 * A small WebAssembly binary encoder: LEB128 numbers, the instructions the
 * wasm tier emits, and the module sections it needs (WebAssembly core
 * specification, "Binary Format"). Only what the tier uses; no validation
 * beyond what WebAssembly.Module does when it compiles the bytes.
 */

/** Value types. @internal */
export const I32 = 0x7f;
/** @internal */
export const I64 = 0x7e;
/** The block type of a block that yields nothing. @internal */
export const VOID = 0x40;

/** Instruction opcodes used by the wasm tier. @internal */
export const enum W {
  Unreachable = 0x00, Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05, End = 0x0b,
  Br = 0x0c, BrIf = 0x0d, BrTable = 0x0e, Return = 0x0f, Call = 0x10, CallIndirect = 0x11, Drop = 0x1a, Select = 0x1b,
  LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22,
  I32Load = 0x28, I32Load8S = 0x2c, I32Load8U = 0x2d, I32Load16S = 0x2e, I32Load16U = 0x2f,
  I32Store = 0x36, I32Store8 = 0x3a, I32Store16 = 0x3b,
  I32Const = 0x41, I64Const = 0x42,
  I32Eqz = 0x45, I32Eq = 0x46, I32Ne = 0x47, I32LtS = 0x48, I32LtU = 0x49, I32GtS = 0x4a, I32GtU = 0x4b,
  I32LeS = 0x4c, I32LeU = 0x4d, I32GeS = 0x4e, I32GeU = 0x4f,
  I32Add = 0x6a, I32Sub = 0x6b, I32Mul = 0x6c, I32DivS = 0x6d, I32DivU = 0x6e, I32RemS = 0x6f, I32RemU = 0x70,
  I32And = 0x71, I32Or = 0x72, I32Xor = 0x73, I32Shl = 0x74, I32ShrS = 0x75, I32ShrU = 0x76,
  I64Mul = 0x7e, I64ShrS = 0x87, I64ShrU = 0x88,
  I32WrapI64 = 0xa7, I64ExtendI32S = 0xac, I64ExtendI32U = 0xad,
}

/**
 * A growing byte buffer with the encodings of the binary format.
 * @internal
 */
export class WasmWriter {
  private bytes = new Uint8Array(256);
  /** Bytes written so far. */
  length = 0;

  /** Appends one byte. */
  byte(b: number): this {
    if (this.length === this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    this.bytes[this.length++] = b;
    return this;
  }

  /** Appends bytes. */
  append(bytes: Uint8Array): this {
    let size = this.bytes.length;
    while (size < this.length + bytes.length) size *= 2;
    if (size !== this.bytes.length) {
      const bigger = new Uint8Array(size);
      bigger.set(this.bytes.subarray(0, this.length));
      this.bytes = bigger;
    }
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** Unsigned LEB128 of a number from 0 to 2^32 - 1. */
  u32(value: number): this {
    let v = value >>> 0;
    for (;;) {
      const b = v & 0x7f;
      v >>>= 7;
      if (v === 0) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of an int32. */
  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** A name: its UTF-8 length, then its bytes (ASCII names only). */
  name(text: string): this {
    this.u32(text.length);
    for (let k = 0; k < text.length; k++) this.byte(text.charCodeAt(k));
    return this;
  }

  /** `i32.const value`. */
  i32Const(value: number): this {
    return this.byte(W.I32Const).s32(value);
  }

  /** An instruction with a local index (`local.get` and its kin). */
  local(op: W.LocalGet | W.LocalSet | W.LocalTee, index: number): this {
    return this.byte(op).u32(index);
  }

  /** A load or store with its memory argument (log2 alignment, static offset). */
  memory(op: W, alignLog2: number, offset: number): this {
    return this.byte(op).u32(alignLog2).u32(offset);
  }

  /** The bytes written (a copy). */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** A function type: parameter and result value types. @internal */
export interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

/** A function body: its extra locals (runs of one type) and its code, without the final `end`. @internal */
export interface FuncBody {
  readonly type: number;
  readonly locals: readonly { count: number; type: number }[];
  readonly code: Uint8Array;
  /** Exported under this name, or not exported. */
  readonly export?: string;
}

/** What a module imports: functions (by type index), at most one memory and at most one table. @internal */
export interface ModuleImports {
  readonly functions: readonly { module: string; name: string; type: number }[];
  /** A shared memory of at most `maximum` pages, or none. */
  readonly memory?: { module: string; name: string; minimum: number; maximum: number; shared: boolean };
  /** A table of functions (`funcref`) of at least `minimum` elements, or none. */
  readonly table?: { module: string; name: string; minimum: number };
}

/**
 * The bytes of a module with the given types, imports and functions.
 * Functions are numbered imports first, then `bodies` in order.
 * @internal
 */
export function encodeModule(types: readonly FuncType[], imports: ModuleImports, bodies: readonly FuncBody[]): Uint8Array {
  const out = new WasmWriter();
  out.append(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  const section = (id: number, fill: (w: WasmWriter) => void) => {
    const w = new WasmWriter();
    fill(w);
    out.byte(id).u32(w.length).append(w.finish());
  };
  section(1, (w) => {
    w.u32(types.length);
    for (const t of types) {
      w.byte(0x60).u32(t.params.length);
      for (const p of t.params) w.byte(p);
      w.u32(t.results.length);
      for (const r of t.results) w.byte(r);
    }
  });
  const { memory, table } = imports;
  section(2, (w) => {
    w.u32(imports.functions.length + (memory === undefined ? 0 : 1) + (table === undefined ? 0 : 1));
    for (const f of imports.functions) w.name(f.module).name(f.name).byte(0x00).u32(f.type);
    if (memory !== undefined) {
      w.name(memory.module).name(memory.name).byte(0x02).byte(memory.shared ? 0x03 : 0x01).u32(memory.minimum).u32(memory.maximum);
    }
    // funcref (0x70), limits with a minimum only (0x00).
    if (table !== undefined) w.name(table.module).name(table.name).byte(0x01).byte(0x70).byte(0x00).u32(table.minimum);
  });
  section(3, (w) => {
    w.u32(bodies.length);
    for (const b of bodies) w.u32(b.type);
  });
  const exported = bodies.map((b, k) => ({ name: b.export, index: imports.functions.length + k })).filter((e) => e.name !== undefined);
  section(7, (w) => {
    w.u32(exported.length);
    for (const e of exported) w.name(e.name!).byte(0x00).u32(e.index);
  });
  section(10, (w) => {
    w.u32(bodies.length);
    for (const b of bodies) {
      const f = new WasmWriter();
      f.u32(b.locals.length);
      for (const l of b.locals) f.u32(l.count).byte(l.type);
      f.append(b.code).byte(W.End);
      w.u32(f.length).append(f.finish());
    }
  });
  return out.finish();
}
