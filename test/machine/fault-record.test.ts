import { describe, expect, it } from 'vitest';
import { Access, Cause } from '../../src/fault/cause.js';
import { Machine } from '../../src/machine/machine.js';

describe('the fault record is filled once, where translation fails', () => {
  it('a failed translation writes cause, access, address and region straight into the hart\'s fault record', () => {
    const machine = new Machine();
    const as = machine.addressSpace;
    expect(as.fault.record).toBe(machine.cpu.fault);
    expect(as.translate(0x5000_0010, Access.Write)).toBe(-1);
    const f = machine.cpu.fault;
    expect([f.cause, f.access, f.address, f.protection, f.regionMap, f.regionOffset])
      .toEqual([Cause.StorePageFault, Access.Write, 0x5000_0010, false, as.root, 0x5000_0010]);
    // The memory layer's view reads the same record.
    expect([as.fault.address, as.fault.access, as.fault.offset]).toEqual([0x5000_0010, Access.Write, 0x5000_0010]);
    expect(as.translate(0xf000_0000, Access.Execute)).toBe(-1);
    expect([f.cause, f.address >>> 0]).toEqual([Cause.InstructionPageFault, 0xf000_0000]);
  });
});
