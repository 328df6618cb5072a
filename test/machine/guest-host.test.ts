import { describe, expect, it } from 'vitest';
import { dirtyLog } from '../../handlers/dirty-log.js';
import { demandPaging } from '../../handlers/index.js';
import { assemble } from '../../src/asm/assemble.js';
import { FaultStatus } from '../../src/fault/status.js';
import { Machine } from '../../src/machine/machine.js';
import { CollectedOutput } from '../../src/machine/output.js';
import { MapFlags } from '../../src/memory/mman.js';
import { PAGE_SIZE, Prot } from '../../src/memory/page.js';
import { Errno } from '../../src/syscalls/errno.js';

const HOLE = 0x5000_0000;
const ANON_FIXED = MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed;

/** A guest whose _start is `body` followed by exit(a0); `handler` is at label `handler`. */
function guest(body: string, handler = 'li a0, 0\n ret', out = new CollectedOutput()): { machine: Machine; symbol: (n: string) => number; out: CollectedOutput } {
  const program = assemble(`
    .equ HOLE, ${HOLE}
    .text
    .globl _start
_start:
${body}
    li a7, 93
    ecall
    .balign 4
handler:
${handler}
    .data
    .balign 4096
counter: .word 0
    .balign 4096
other: .word 0
`, { fileName: 'guest.s' });
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: out.sink, stderr: out.sink });
  machine.load(program);
  return { machine, out, symbol: (n) => program.symbols.get(n)! };
}

/** Maps the page at HOLE read+write from inside the guest (clobbers a0-a5, a7). */
const MAP_HOLE = `
    li a0, HOLE
    li a1, 4096
    li a2, ${Prot.Read | Prot.Write}
    li a3, ${ANON_FIXED}
    li a4, -1
    li a5, 0
    li a7, 222
    ecall`;

const REGISTER = `
    la a0, handler
    li a1, 0
    li a7, 0x1000
    ecall`;

describe('a guest handler\'s own memory accesses fault through the host handlers', () => {
  it('with the dirty log on, a guest handler that writes a global and uses its stack works, and the log sees the writes', () => {
    const { machine, symbol } = guest(`${REGISTER}
    li t0, HOLE
    lw a0, 0(t0)        # faults; the guest handler maps HOLE
    la t1, counter
    lw a0, 0(t1)        # 1: the handler counted one fault
    `, `
    addi sp, sp, -16
    sw   ra, 12(sp)     # its own frame: a store on the (write-protected) stack
    la   t2, counter
    lw   t3, 0(t2)
    addi t3, t3, 1
    sw   t3, 0(t2)      # a global: a store on a write-protected data page
    ${MAP_HOLE}
    lw   ra, 12(sp)
    addi sp, sp, 16
    li   a0, 1
    ret`);
    const log = dirtyLog();
    machine.use(log);
    log.collect(); // every page clean and write-protected from here on
    const result = machine.run({ maxInstructions: 1_000_000 });
    expect(result).toEqual({ kind: 'exit', exitCode: 1 });
    const dirty = Array.from(log.collect());
    expect(dirty).toContain(symbol('counter'));
  });

  it('with demand paging serving the stack region, a guest handler\'s frame is faulted in by the host plugin', () => {
    // The thread's stack lives in a demand-paged region: the frame pages are not present until the plugin serves them.
    const STACK = 0x6000_0000;
    const { machine } = guest(`${REGISTER}
    li sp, ${STACK + 16 * PAGE_SIZE}
    li t0, HOLE
    lw a0, 0(t0)
    li a0, 3`, `${MAP_HOLE}
    li a0, 1
    ret`);
    machine.use(demandPaging({ at: STACK, size: 16 * PAGE_SIZE, backing: { kind: 'zero' } }));
    expect(machine.run({ maxInstructions: 1_000_000 })).toEqual({ kind: 'exit', exitCode: 3 });
  });

  it('a host handler fixes a fault of the guest handler\'s code (it is not asked by guest handlers, which do not nest)', () => {
    const OTHER = 0x5100_0000;
    const { machine } = guest(`${REGISTER}
    li t0, HOLE
    lw a0, 0(t0)
    li a0, 5`, `
    li t4, ${OTHER}
    lw t4, 0(t4)        # faults inside the guest handler; the host maps it
    ${MAP_HOLE}
    li a0, 1
    ret`);
    const seen: number[] = [];
    machine.registerFaultHandler((fault) => {
      seen.push(fault.address >>> 0);
      if ((fault.address >>> 0) !== OTHER) return FaultStatus.Continue;
      machine.linuxMemory.mmap(OTHER, PAGE_SIZE, Prot.Read, ANON_FIXED, -1, 0);
      return FaultStatus.Fixed;
    }, { tail: true, name: 'host mapper' });
    expect(machine.run({ maxInstructions: 1_000_000 })).toEqual({ kind: 'exit', exitCode: 5 });
    expect(seen).toEqual([OTHER]); // HOLE was fixed by the guest handler at the head
  });

  it('a guest handler that spins is bounded by the run\'s maxInstructions: the run ends with a limit, the thread at the faulting instruction', () => {
    const { machine, symbol } = guest(`${REGISTER}
    li t0, HOLE
faulting:
    lw a0, 0(t0)`, '1: j 1b');
    const result = machine.run({ maxInstructions: 50_000 });
    expect(result).toEqual({ kind: 'limit' });
    expect(machine.cpu.pc).toBe(symbol('faulting'));
    expect(machine.guestHandlers.active).toBe(false);
    expect(machine.cpu.instret).toBeLessThan(50_000);
  });

  it('instructions guest handlers execute are charged to the run: a fault loop with a slow handler stops at the limit', () => {
    // Each fault's handler runs ~2,000 instructions and skips the load; 100 faults would need 200,000.
    const { machine } = guest(`${REGISTER}
    li s2, 100
    li t0, HOLE
1:  lw a0, 0(t0)
    addi s2, s2, -1
    bnez s2, 1b
    li a0, 0`, `
    li t5, 1000
2:  addi t5, t5, -1
    bnez t5, 2b
    lw t6, 128(a0)     # ctx->pc
    addi t6, t6, 4
    sw t6, 128(a0)     # skip the load
    li a0, 1
    ret`);
    expect(machine.run({ maxInstructions: 20_000 })).toEqual({ kind: 'limit' });
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
  });
});

describe('system calls with guest buffers at the top of the address space get Linux\'s answers', () => {
  /** write(fd, address, length) from a guest that mapped the top page; a0 is the result. */
  function writeAtTop(address: number, length: number, mapTop: boolean): { value: number; out: string } {
    const out = new CollectedOutput();
    const { machine } = guest(`
    ${mapTop ? `li a0, 0xfffff000
    li a1, 4096
    li a2, ${Prot.Read | Prot.Write}
    li a3, ${ANON_FIXED}
    li a4, -1
    li a5, 0
    li a7, 222
    ecall` : ''}
    li a0, 1
    li a1, ${address | 0}
    li a2, ${length}
    li a7, 64
    ecall
    la t0, counter
    sw a0, 0(t0)
    li a0, 0`, undefined, out);
    expect(machine.run({ maxInstructions: 1_000 })).toEqual({ kind: 'exit', exitCode: 0 });
    return { value: machine.addressSpace.readU32(machine.program!.symbols.get('counter')!) | 0, out: out.text() };
  }

  it('write(1, 0xfffff800, 0x1000) over the top of the address space is -EFAULT (access_ok), mapped top page or not', () => {
    expect(writeAtTop(0xfffff800, 0x1000, true).value).toBe(-Errno.EFAULT);
    expect(writeAtTop(0xfffff800, 0x1000, false).value).toBe(-Errno.EFAULT);
    expect(writeAtTop(0xffffffff, 2, true).value).toBe(-Errno.EFAULT);
  });

  it('a buffer wrapping past the top is -EFAULT even when a host handler would map every page it faults on', () => {
    const out = new CollectedOutput();
    const { machine } = guest(`
    li a0, 1
    li a1, 0xfffff800
    li a2, 0x1000
    li a7, 64
    ecall
    la t0, counter
    sw a0, 0(t0)
    li a0, 0`, undefined, out);
    machine.registerFaultHandler((fault) => {
      machine.linuxMemory.mmap((fault.address >>> 0) & ~(PAGE_SIZE - 1), PAGE_SIZE, Prot.Read | Prot.Write, ANON_FIXED, -1, 0);
      return FaultStatus.Fixed;
    }, { name: 'map anything' });
    expect(machine.run({ maxInstructions: 1_000 })).toEqual({ kind: 'exit', exitCode: 0 });
    expect(machine.addressSpace.readU32(machine.program!.symbols.get('counter')!) | 0).toBe(-Errno.EFAULT);
    expect(out.text()).toBe('');
  });

  it('a buffer that ends exactly at the top is written whole when mapped, -EFAULT when not', () => {
    expect(writeAtTop(0xfffff800, 0x800, true)).toEqual({ value: 0x800, out: '\0'.repeat(0x800) });
    expect(writeAtTop(0xffffffff, 1, true).value).toBe(1);
    expect(writeAtTop(0xfffff800, 0x800, false).value).toBe(-Errno.EFAULT);
  });

  it('mmap, munmap, mprotect and brk with ranges at the top answer an errno or succeed, never a host error', () => {
    const calls: [number, number, number, number, number][] = [
      [222, 0xfffff000, 0x2000, Prot.Read, ANON_FIXED],
      [215, 0xfffff000, 0x2000, 0, 0],
      [226, 0xfffff000, 0x2000, Prot.Read, 0],
      [214, 0xffffffff, 0, 0, 0],
    ];
    for (const [nr, a0, a1, a2, a3] of calls) {
      const { machine } = guest(`
    li a0, ${a0 | 0}
    li a1, ${a1}
    li a2, ${a2}
    li a3, ${a3}
    li a4, -1
    li a5, 0
    li a7, ${nr}
    ecall
    li a0, 0`);
      expect(machine.run({ maxInstructions: 1_000 })).toEqual({ kind: 'exit', exitCode: 0 });
    }
  });
});

describe('a host handler that misbehaves while serving a guest handler\'s access is named itself', () => {
  it('a throwing host handler: the HandlerError names it, not the guest handler', () => {
    const { machine } = guest(`${REGISTER}
    li t0, HOLE
    lw a0, 0(t0)`, `
    li t4, 0x51000000
    lw t4, 0(t4)
    li a0, 1
    ret`);
    machine.registerFaultHandler(() => { throw new Error('disk on fire'); }, { tail: true, name: 'pager' });
    // The thread's own fault reaches 'pager' only after the guest handler; the guest handler's access reaches 'pager' first.
    expect(() => machine.run({ maxInstructions: 10_000 })).toThrow(/^fault handler 'pager' threw: disk on fire$/);
    expect(machine.guestHandlers.active).toBe(false);
  });
});
