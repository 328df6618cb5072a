import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../src/cpu/cpu.js';
import { Cause } from '../../src/fault/cause.js';
import { Prot } from '../../src/memory/page.js';
import { DATA_BASE, EBREAK, ECALL, TEXT_BASE, iType, li, machineFromWords, rType, sType, uType } from '../helpers/guest-program.js';
import { IMM_OPS, REG_OPS } from './alu-reference.js';

const edgeInt = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, -2, 31, 32, 0x7fffffff, -0x80000000, 0x80000001 | 0, 0xffff, 0x10000),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);
const reg = fc.integer({ min: 0, max: 31 });

const shared = machineFromWords([0, ECALL]);

/** Runs exactly one instruction placed at TEXT_BASE with the given registers (host write, so the decoded slot is refreshed). */
function runOne(word: number, regs: Int32Array) {
  const machine = shared;
  machine.addressSpace.writeU32(TEXT_BASE, word);
  machine.cpu.pc = TEXT_BASE;
  machine.cpu.x.set(regs.subarray(0, 32));
  machine.cpu.x[0] = 0;
  const before = Int32Array.from(machine.cpu.x);
  const why = machine.cpu.run(1);
  return { machine, why, before };
}

describe('Cpu: integer instructions match the reference model', () => {
  it('register-register ops (RV32I + M), including x0 as source and destination', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REG_OPS), reg, reg, reg, fc.array(edgeInt, { minLength: 32, maxLength: 32 }), (op, rd, rs1, rs2, values) => {
        const regs = Int32Array.from(values);
        regs[0] = 0;
        const { machine, why } = runOne(rType(0x33, op.funct3, op.funct7, rd, rs1, rs2), regs);
        expect(why).toBe(StopReason.Budget);
        const expected = Int32Array.from(regs);
        if (rd !== 0) expected[rd] = op.eval(regs[rs1]!, regs[rs2]!);
        expect(Array.from(machine.cpu.x.subarray(0, 32))).toEqual(Array.from(expected));
        expect(machine.cpu.pc).toBe(TEXT_BASE + 4);
      }),
      { numRuns: 2000 },
    );
  });

  it('register-immediate ops', () => {
    fc.assert(
      fc.property(fc.constantFrom(...IMM_OPS), reg, reg, edgeInt, fc.integer({ min: -2048, max: 2047 }), (op, rd, rs1, value, immRaw) => {
        const regs = new Int32Array(32);
        regs[rs1] = value;
        regs[0] = 0;
        const imm = op.shift === undefined ? immRaw : (op.shift << 5) | (immRaw & 31);
        const { machine } = runOne(iType(0x13, op.funct3, rd, rs1, imm), regs);
        const operand = op.shift === undefined ? immRaw : immRaw & 31;
        const expected = rd === 0 ? 0 : op.eval(regs[rs1]!, operand);
        expect(machine.cpu.x[rd]).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('lui and auipc', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 0xfffff }), (rd, upper) => {
        const m = runOne(uType(0x17, rd, upper << 12), new Int32Array(32)).machine;
        expect(m.cpu.x[rd]).toBe((TEXT_BASE + (upper << 12)) | 0);
        const l = runOne(uType(0x37, rd, upper << 12), new Int32Array(32)).machine;
        expect(l.cpu.x[rd]).toBe(upper << 12);
      }),
    );
  });
});

describe('Cpu: loads and stores', () => {
  it('sign- and zero-extend bytes and halfwords', () => {
    const machine = machineFromWords([
      ...li(5, DATA_BASE),
      ...li(6, 0x80ff8001 | 0),
      sType(2, 5, 6, 0), // sw t1, 0(t0)
      iType(0x03, 0, 10, 5, 1), // lb a0, 1(t0)   = 0x80 → -128
      iType(0x03, 4, 11, 5, 1), // lbu a1, 1(t0)  = 128
      iType(0x03, 1, 12, 5, 2), // lh a2, 2(t0)   = 0x80ff → -32513
      iType(0x03, 5, 13, 5, 2), // lhu a3, 2(t0)  = 0x80ff
      iType(0x03, 2, 14, 5, 1), // lw a4, 1(t0)   misaligned: 0x0080ff80
      ECALL,
    ]);
    expect(machine.cpu.run(100)).toBe(StopReason.Ecall);
    const x = machine.cpu.x;
    expect([x[10], x[11], x[12], x[13], x[14]]).toEqual([-128, 128, -32513, 0x80ff, 0x0080ff80]);
  });

  it('performs misaligned accesses that cross a page boundary', () => {
    const end = DATA_BASE + 4096;
    const machine = machineFromWords([...li(5, end - 2), ...li(6, 0x11223344), sType(2, 5, 6, 0), iType(0x03, 2, 10, 5, 0), ECALL]);
    machine.linuxMemory.mmap(end, 4096, Prot.Read | Prot.Write, 0x32, -1, 0);
    expect(machine.cpu.run(100)).toBe(StopReason.Ecall);
    expect(machine.cpu.x[10]).toBe(0x11223344);
    expect(Array.from(machine.addressSpace.readBytes(end - 2, 4))).toEqual([0x44, 0x33, 0x22, 0x11]);
  });
});

describe('Cpu: faults are precise', () => {
  it('a page-crossing store whose second page is unmapped writes nothing', () => {
    const end = DATA_BASE + 4096;
    const machine = machineFromWords([...li(5, end - 2), ...li(6, 0x11223344), sType(2, 5, 6, 0), ECALL]);
    machine.addressSpace.writeBytes(end - 2, new Uint8Array([0xaa, 0xbb]));
    expect(machine.cpu.run(100)).toBe(StopReason.Fault);
    const f = machine.cpu.fault;
    expect(f.cause).toBe(Cause.StorePageFault);
    expect(f.address).toBe(end);
    expect(f.pc).toBe(TEXT_BASE + 16);
    expect(f.protection).toBe(false);
    expect(Array.from(machine.addressSpace.readBytes(end - 2, 2))).toEqual([0xaa, 0xbb]);
    expect(machine.cpu.pc).toBe(TEXT_BASE + 16);
    expect(machine.cpu.instret).toBe(4);
  });

  it('a store to a read-only page is a protection fault, and retrying after mprotect succeeds', () => {
    const machine = machineFromWords([...li(5, TEXT_BASE), ...li(6, 7), sType(2, 5, 6, 0x100), ECALL]);
    expect(machine.cpu.run(100)).toBe(StopReason.Fault);
    expect(machine.cpu.fault.cause).toBe(Cause.StorePageFault);
    expect(machine.cpu.fault.protection).toBe(true);
    expect(machine.linuxMemory.mprotect(TEXT_BASE, 4096, Prot.Read | Prot.Write | Prot.Exec)).toBe(0);
    expect(machine.cpu.run(100)).toBe(StopReason.Ecall);
    expect(machine.addressSpace.readU32(TEXT_BASE + 0x100)).toBe(7);
  });

  it('an AMO on a read-only page changes neither memory nor rd', () => {
    const amoadd = (rd: number, rs1: number, rs2: number) => rType(0x2f, 2, 0, rd, rs1, rs2);
    const machine = machineFromWords([...li(5, TEXT_BASE), ...li(6, 5), ...li(10, 99), amoadd(10, 5, 6), ECALL]);
    const before = machine.addressSpace.readU32(TEXT_BASE);
    expect(machine.cpu.run(100)).toBe(StopReason.Fault);
    expect(machine.cpu.fault.cause).toBe(Cause.StorePageFault);
    expect(machine.cpu.x[10]).toBe(99);
    expect(machine.addressSpace.readU32(TEXT_BASE)).toBe(before);
  });

  it('misaligned AMOs and LR raise misaligned faults', () => {
    const amoswap = rType(0x2f, 2, 0x01 << 2, 10, 5, 6);
    const m1 = machineFromWords([...li(5, DATA_BASE + 2), amoswap, ECALL]);
    expect(m1.cpu.run(100)).toBe(StopReason.Fault);
    expect(m1.cpu.fault.cause).toBe(Cause.StoreAddressMisaligned);
    const lr = rType(0x2f, 2, 0x02 << 2, 10, 5, 0);
    const m2 = machineFromWords([...li(5, DATA_BASE + 1), lr, ECALL]);
    expect(m2.cpu.run(100)).toBe(StopReason.Fault);
    expect(m2.cpu.fault.cause).toBe(Cause.LoadAddressMisaligned);
  });

  it('illegal instructions and ebreak fault at their pc without retiring', () => {
    const m = machineFromWords([0xffffffff]);
    expect(m.cpu.run(10)).toBe(StopReason.Fault);
    expect(m.cpu.fault.cause).toBe(Cause.IllegalInstruction);
    expect(m.cpu.fault.address).toBe(-1);
    expect(m.cpu.instret).toBe(0);
    const b = machineFromWords([iType(0x13, 0, 0, 0, 0), EBREAK]);
    expect(b.cpu.run(10)).toBe(StopReason.Fault);
    expect(b.cpu.fault.cause).toBe(Cause.Breakpoint);
    expect(b.cpu.pc).toBe(TEXT_BASE + 4);
  });

  it('a fetch from a non-executable page is an instruction page fault', () => {
    const jalr = iType(0x67, 0, 1, 5, 0);
    const m = machineFromWords([...li(5, DATA_BASE), jalr]);
    expect(m.cpu.run(10)).toBe(StopReason.Fault);
    expect(m.cpu.fault.cause).toBe(Cause.InstructionPageFault);
    expect(m.cpu.fault.protection).toBe(true);
    expect(m.cpu.pc).toBe(DATA_BASE);
    expect(m.cpu.x[1]).toBe(TEXT_BASE + 12);
  });
});

describe('Cpu: LR/SC', () => {
  it('sc.w succeeds after lr.w to the same address and fails (writing 1) otherwise', () => {
    const lr = (rd: number, rs1: number) => rType(0x2f, 2, 0x02 << 2, rd, rs1, 0);
    const sc = (rd: number, rs1: number, rs2: number) => rType(0x2f, 2, 0x03 << 2, rd, rs1, rs2);
    const m = machineFromWords([
      ...li(5, DATA_BASE), ...li(6, 42),
      sc(10, 5, 6), // no reservation: fails
      lr(11, 5), sc(12, 5, 6), // succeeds
      sc(13, 5, 6), // reservation consumed: fails
      ECALL,
    ]);
    expect(m.cpu.run(100)).toBe(StopReason.Ecall);
    expect([m.cpu.x[10], m.cpu.x[12], m.cpu.x[13]]).toEqual([1, 0, 1]);
    expect(m.addressSpace.readU32(DATA_BASE)).toBe(42);
  });
});

describe('Cpu: decoded code stays coherent', () => {
  it('a store into the running code page takes effect on the next fetch', () => {
    // Overwrite the instruction at +24 (addi a0,zero,1) with addi a0,zero,2.
    const patched = iType(0x13, 0, 10, 0, 2);
    const m = machineFromWords([
      ...li(5, TEXT_BASE), ...li(6, patched),
      sType(2, 5, 6, 24),
      iType(0x13, 0, 0, 0, 0),
      iType(0x13, 0, 10, 0, 1),
      ECALL,
    ]);
    m.linuxMemory.mprotect(TEXT_BASE, 4096, Prot.Read | Prot.Write | Prot.Exec);
    // Decode the page first so that a stale decoded slot would show.
    expect(m.cpu.run(100)).toBe(StopReason.Ecall);
    expect(m.cpu.x[10]).toBe(2);
  });

  it('host writes to code are seen by the next fetch', () => {
    const m = machineFromWords([iType(0x13, 0, 10, 0, 1), ECALL]);
    expect(m.cpu.run(10)).toBe(StopReason.Ecall);
    expect(m.cpu.x[10]).toBe(1);
    m.addressSpace.writeU32(TEXT_BASE, iType(0x13, 0, 10, 0, 3));
    m.cpu.pc = TEXT_BASE;
    expect(m.cpu.run(10)).toBe(StopReason.Ecall);
    expect(m.cpu.x[10]).toBe(3);
  });

  it('counts retired instructions across budget stops', () => {
    const m = machineFromWords([iType(0x13, 0, 10, 10, 1), iType(0x6f, 0, 0, 0, 0) /* placeholder */]);
    // jal x0, -4: loop forever incrementing a0
    m.addressSpace.writeU32(TEXT_BASE + 4, 0xffdff06f);
    expect(m.cpu.run(1001)).toBe(StopReason.Budget);
    expect(m.cpu.instret).toBe(1001);
    expect(m.cpu.x[10]).toBe(501);
  });
});
