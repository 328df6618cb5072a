import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { I32, I64, VOID, W, WasmWriter, encodeModule } from '../../../src/cpu/wasm/wasm-encoder.js';

/** Reference LEB128 decoders (WebAssembly core spec, "Integers"). */
function readUnsigned(bytes: Uint8Array): { value: number; length: number } {
  let value = 0, shift = 0, k = 0;
  for (;;) {
    const b = bytes[k++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value, length: k };
  }
}
function readSigned(bytes: Uint8Array): { value: number; length: number } {
  let value = 0, shift = 0, k = 0, b = 0;
  do {
    b = bytes[k++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while ((b & 0x80) !== 0);
  if ((b & 0x40) !== 0) value -= 2 ** shift;
  return { value, length: k };
}

describe('WasmWriter', () => {
  it('encodes unsigned LEB128 as the spec decodes it, in the fewest bytes', () => {
    expect(Array.from(new WasmWriter().u32(0).finish())).toEqual([0]);
    expect(Array.from(new WasmWriter().u32(624485).finish())).toEqual([0xe5, 0x8e, 0x26]);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
      const bytes = new WasmWriter().u32(n).finish();
      expect(readUnsigned(bytes)).toEqual({ value: n, length: bytes.length });
      expect(bytes.length).toBe(Math.max(1, Math.ceil(Math.log2(n + 1) / 7)));
    }));
  });

  it('encodes signed LEB128 as the spec decodes it', () => {
    expect(Array.from(new WasmWriter().s32(-1).finish())).toEqual([0x7f]);
    expect(Array.from(new WasmWriter().s32(63).finish())).toEqual([0x3f]);
    expect(Array.from(new WasmWriter().s32(64).finish())).toEqual([0xc0, 0x00]);
    expect(Array.from(new WasmWriter().s32(-123456).finish())).toEqual([0xc0, 0xbb, 0x78]);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
      const bytes = new WasmWriter().s32(n).finish();
      expect(readSigned(bytes)).toEqual({ value: n, length: bytes.length });
    }));
  });

  it('grows past its first buffer without losing bytes', () => {
    const w = new WasmWriter();
    for (let k = 0; k < 1000; k++) w.byte(k & 0xff);
    w.append(new Uint8Array(5000).fill(7));
    const bytes = w.finish();
    expect(bytes.length).toBe(6000);
    expect(bytes[999]).toBe(999 & 0xff);
    expect(bytes[5999]).toBe(7);
  });
});

describe('encodeModule', () => {
  it('builds a module that WebAssembly compiles and runs: imports, a loop, i64 and an export', () => {
    // f(n) = sum of k*k for k < n computed in i64, wrapped, plus imported g(n).
    const code = new WasmWriter();
    code.byte(W.Block).byte(VOID).byte(W.Loop).byte(VOID);
    code.local(W.LocalGet, 1).local(W.LocalGet, 0).byte(W.I32GeS).byte(W.BrIf).u32(1);
    code.local(W.LocalGet, 2).local(W.LocalGet, 1).byte(W.I64ExtendI32S).local(W.LocalGet, 1).byte(W.I64ExtendI32S)
      .byte(W.I64Mul).byte(W.I32WrapI64).byte(W.I32Add).local(W.LocalSet, 2);
    code.local(W.LocalGet, 1).i32Const(1).byte(W.I32Add).local(W.LocalSet, 1).byte(W.Br).u32(0);
    code.byte(W.End).byte(W.End);
    code.local(W.LocalGet, 2).local(W.LocalGet, 0).byte(W.Call).u32(0).byte(W.I32Add);
    const bytes = encodeModule(
      [{ params: [I32], results: [I32] }],
      { functions: [{ module: 'env', name: 'g', type: 0 }], memory: { module: 'env', name: 'm', minimum: 1, maximum: 2, shared: true } },
      [{ type: 0, locals: [{ count: 2, type: I32 }, { count: 1, type: I64 }], code: code.finish(), export: 'f' }],
    );
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { g: (n: number) => n * 1000, m: memory } });
    const f = instance.exports['f'] as (n: number) => number;
    expect(f(4)).toBe(0 + 1 + 4 + 9 + 4000);
    expect(f(0)).toBe(0);
  });
});
