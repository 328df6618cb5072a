/**
 * compose-chain.ts — host plugins and a guest handler in one fault chain.
 *
 * What it shows (docs/design.md §3):
 * - two small host plugins written against the {@link Plugin} interface: a
 *   `logger` that notes every fault and answers Continue, installed at the
 *   head, and a `zero-fill` plugin that backs a managed region with a
 *   dataspace page by page on first touch and answers Fixed, installed at
 *   the tail;
 * - a guest handler: the assembled guest registers its own function with
 *   `register_fault_handler(fn, 0)`, which puts it at the head — in front
 *   of the logger. It owns one page: it emulates a load there by changing
 *   its `user_context` (a register and pc) and answers Fixed; other faults
 *   it passes on;
 * - the exception table as the last resort, after every handler said
 *   Continue.
 * For each fault it prints which handlers saw it, in order, and who fixed it.
 *
 * Run it:
 *
 *     npx tsc -p tsconfig.json && node dist/examples/compose-chain.js
 *
 * Output (the guest handler's address comes from the assembled program):
 *
 *     fault: read at 0x30000010 -> guest handler 0x00010058, logger, zero-fill => fixed by zero-fill
 *     fault: read at 0x70000000 -> guest handler 0x00010058 => fixed by guest handler 0x00010058
 *     fault: read at 0x00000040 -> guest handler 0x00010058, logger, zero-fill => fixed by exception table
 *     chain, head first: guest handler 0x00010058, logger, zero-fill
 *     guest read 0 (zero-fill), 0x600d (guest handler), -14 (fixup); exit 0
 */

import { pathToFileURL } from 'node:url';
import { FaultStatus, Machine, PAGE_MASK, PAGE_SIZE, assemble, hex32, type Plugin } from '../src/index.js';

/** The guest: registers `handler` at the head, then touches three addresses. */
const GUEST = `
    .equ    SYS_WRITE, 64
    .equ    SYS_EXIT, 93
    .equ    SYS_REGISTER_FAULT_HANDLER, 0x1000
    .equ    FAULT_CONTINUE, 0
    .equ    FAULT_FIXED, 1
    .equ    CTX_S3, 4 * 19              # &ctx->regs[19] (s3)
    .equ    CTX_PC, 128                 # &ctx->pc
    .equ    INFO_ADDRESS, 4             # &info->address

    .text
    .globl  _start
_start:
    la      a0, handler
    li      a1, 0                       # insert_tail = 0: at the head
    li      a7, SYS_REGISTER_FAULT_HANDLER
    ecall
    la      s0, results
    li      t0, 0x30000010
    lw      s2, 0(t0)                   # zero-fill's region
    li      t0, 0x70000000
    lw      s3, 0(t0)                   # the guest handler's page
    li      t0, 0x40
1:  lw      s4, 0(t0)                   # nobody's: the fixup below
    j       3f
2:  li      s4, -14
3:  sw      s2, 0(s0)
    sw      s3, 4(s0)
    sw      s4, 8(s0)
    li      a0, 0
    li      a7, SYS_EXIT
    ecall
    .extable 1b, 2b

# int handler(struct user_context *ctx, const struct fault_info *info)
handler:
    mv      t3, a0
    mv      t4, a1
    li      a0, 2                       # write(2, "g", 1): tells the host we ran
    la      a1, tag
    li      a2, 1
    li      a7, SYS_WRITE
    ecall
    lw      t0, INFO_ADDRESS(t4)
    li      t1, 0x70000000
    sub     t0, t0, t1
    li      t1, 4096
    bgeu    t0, t1, 1f                  # not my page
    li      t0, 0x600d                  # emulate "lw s3, 0(t0)": s3 = 0x600d
    sw      t0, CTX_S3(t3)
    lw      t0, CTX_PC(t3)              # and skip it
    addi    t0, t0, 4
    sw      t0, CTX_PC(t3)
    li      a0, FAULT_FIXED
    ret
1:  li      a0, FAULT_CONTINUE
    ret

    .data
tag:
    .ascii  "g"
    .balign 4
results:
    .zero   12
`;

/** Logs every fault (into `trace`) and passes it on. */
export function faultLogger(trace: string[]): Plugin {
  return {
    name: 'logger',
    install(machine) {
      return machine.registerFaultHandler(() => {
        trace.push('logger');
        return FaultStatus.Continue;
      }, { name: 'logger' });
    },
  };
}

/** Options of {@link zeroFill}. */
export interface ZeroFillOptions {
  /** Page-aligned start of the region. */
  readonly start: number;
  /** Size in bytes, a multiple of the page size. */
  readonly size: number;
  /** Where to note each call. */
  readonly trace: string[];
  /** Add the handler at the tail of the chain (default: head). */
  readonly tail?: boolean;
}

/**
 * Backs `[start, start + size)` with zero-filled memory on first touch: a
 * managed region (an empty region map) whose holes fault; each fault
 * attaches one page of a dataspace there and answers Fixed.
 */
export function zeroFill(options: ZeroFillOptions): Plugin {
  return {
    name: 'zero-fill',
    install(machine) {
      const as = machine.addressSpace;
      const managed = as.createRegionMap(options.size, { name: 'zero-fill' });
      const backing = as.createDataspace(options.size, { name: 'zero-fill' });
      as.root.attach(managed, { at: options.start, executable: false });
      const off = machine.registerFaultHandler((fault) => {
        options.trace.push('zero-fill');
        if (fault.regionMap !== managed || fault.protection) return FaultStatus.Continue;
        const page = fault.regionOffset & ~PAGE_MASK;
        managed.attach(backing, { at: page, offset: page, size: PAGE_SIZE });
        return FaultStatus.Fixed;
      }, { name: 'zero-fill', tail: options.tail === true });
      return () => {
        off();
        as.root.detach(options.start);
      };
    },
  };
}

/** Runs the composition; returns the lines the example prints. */
export function composeChain(): string[] {
  const lines: string[] = [];
  const trace: string[] = []; // shared by the plugins, the guest's stderr and the listeners
  const machine = new Machine({
    memoryQuota: 64 << 20,
    // The guest handler writes one byte to fd 2 each time it runs.
    stderr: () => { trace.push(machine.guestHandlers.list()[0]?.name ?? 'guest handler'); },
  });
  const program = assemble(GUEST, { fileName: 'compose-chain.s' });
  machine.load(program);
  machine.use(faultLogger(trace));
  machine.use(zeroFill({ start: 0x3000_0000, size: 16 * PAGE_SIZE, trace, tail: true }));

  machine.events.on('fault', () => { trace.length = 0; });
  machine.events.on('fixed', (fault, by) => {
    lines.push(`fault: read at ${hex32(fault.address)} -> ${trace.join(', ')} => fixed by ${by}`);
  });
  machine.events.on('unresolved', (fault) => {
    lines.push(`fault: at ${hex32(fault.address)} -> ${trace.join(', ')} => unresolved`);
  });
  const result = machine.run();

  lines.push(`chain, head first: ${machine.chain.list().map((e) => e.name).join(', ')}`);
  const results = program.symbols.get('results')!;
  const as = machine.addressSpace;
  const [a, b, c] = [0, 4, 8].map((k) => as.readU32(results + k) | 0);
  const ending = result.kind === 'exit' ? `exit ${result.exitCode}` : result.kind;
  lines.push(`guest read ${a} (zero-fill), 0x${b!.toString(16)} (guest handler), ${c} (fixup); ${ending}`);
  return lines;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of composeChain()) console.log(line);
}
