/**
 * Test helper: a fast-check arbitrary of valid RV32IMA + Zicsr + Zifencei
 * instruction words, built by choosing an instruction form and filling its
 * fields at random (bit packing written out independently of src/asm).
 */
import fc from 'fast-check';

const reg = fc.integer({ min: 0, max: 31 });
const imm12 = fc.integer({ min: -2048, max: 2047 });

const pack = (fields: [number, number][]): number => {
  // [value, shift] pairs; each value already masked to its width
  let w = 0;
  for (const [v, s] of fields) w |= v << s;
  return w >>> 0;
};

const rType = (opcode: number, f3: number, f7: number) =>
  fc.tuple(reg, reg, reg).map(([rd, rs1, rs2]) => pack([[f7, 25], [rs2, 20], [rs1, 15], [f3, 12], [rd, 7], [opcode, 0]]));
const iType = (opcode: number, f3: number) =>
  fc.tuple(reg, reg, imm12).map(([rd, rs1, imm]) => pack([[imm & 0xfff, 20], [rs1, 15], [f3, 12], [rd, 7], [opcode, 0]]));

const OP: [number, number][] = [
  [0, 0], [0, 0x20], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [5, 0x20], [6, 0], [7, 0],
  [0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1], [7, 1],
];
const AMO_FUNCT5 = [0x00, 0x01, 0x03, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c];

/** Any valid instruction word of the supported set. */
export const instructionWord: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...OP).chain(([f3, f7]) => rType(0x33, f3, f7)),
  fc.constantFrom(0, 2, 3, 4, 6, 7).chain((f3) => iType(0x13, f3)),
  fc.tuple(fc.constantFrom([1, 0], [5, 0], [5, 0x20]), reg, reg, fc.integer({ min: 0, max: 31 }))
    .map(([[f3, f7], rd, rs1, sh]) => pack([[f7, 25], [sh, 20], [rs1, 15], [f3, 12], [rd, 7], [0x13, 0]])),
  fc.constantFrom(0, 1, 2, 4, 5).chain((f3) => iType(0x03, f3)),
  fc.tuple(fc.constantFrom(0, 1, 2), reg, reg, imm12)
    .map(([f3, rs1, rs2, imm]) => pack([[(imm >> 5) & 0x7f, 25], [rs2, 20], [rs1, 15], [f3, 12], [imm & 31, 7], [0x23, 0]])),
  fc.tuple(fc.constantFrom(0, 1, 4, 5, 6, 7), reg, reg, fc.integer({ min: -2048, max: 2047 }))
    .map(([f3, rs1, rs2, half]) => {
      const off = half * 2;
      return pack([[(off >> 12) & 1, 31], [(off >> 5) & 0x3f, 25], [rs2, 20], [rs1, 15], [f3, 12], [(off >> 1) & 0xf, 8], [(off >> 11) & 1, 7], [0x63, 0]]);
    }),
  fc.tuple(fc.constantFrom(0x37, 0x17), reg, fc.integer({ min: 0, max: 0xfffff })).map(([op, rd, imm]) => pack([[imm, 12], [rd, 7], [op, 0]])),
  fc.tuple(reg, fc.integer({ min: -(1 << 19), max: (1 << 19) - 1 })).map(([rd, half]) => {
    const off = half * 2;
    return pack([[(off >> 20) & 1, 31], [(off >> 1) & 0x3ff, 21], [(off >> 11) & 1, 20], [(off >> 12) & 0xff, 12], [rd, 7], [0x6f, 0]]);
  }),
  iType(0x67, 0),
  fc.constantFrom(0x00000073, 0x00100073, 0x0000100f, 0x8330000f, 0xc0001073),
  fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 })).map(([p, s]) => pack([[p, 24], [s, 20], [0x0f, 0]])),
  fc.tuple(fc.constantFrom(1, 2, 3, 5, 6, 7), reg, reg, fc.integer({ min: 0, max: 0xfff }))
    .map(([f3, rd, rs1, csr]) => pack([[csr, 20], [rs1, 15], [f3, 12], [rd, 7], [0x73, 0]])),
  fc.tuple(fc.constantFrom(...AMO_FUNCT5), fc.integer({ min: 0, max: 3 }), reg, reg, reg)
    .map(([f5, aqrl, rd, rs1, rs2]) => pack([[f5, 27], [aqrl, 25], [rs2, 20], [rs1, 15], [2, 12], [rd, 7], [0x2f, 0]])),
  fc.tuple(fc.integer({ min: 0, max: 3 }), reg, reg).map(([aqrl, rd, rs1]) => pack([[0x02, 27], [aqrl, 25], [rs1, 15], [2, 12], [rd, 7], [0x2f, 0]])),
);

/** A 4-byte-aligned pc anywhere in the 32-bit address space. */
export const alignedPc: fc.Arbitrary<number> = fc.integer({ min: 0, max: 2 ** 30 - 1 }).map((n) => n * 4);
