/**
 * Guest programs for the rseq tests, in faultline's assembler: per-CPU
 * counters incremented in restartable sequences, with a generated
 * critical section so properties can vary its shape.
 */

import { assemble } from '../../src/index.js';
import type { Program } from '../../src/loader/program.js';
import { RSEQ_SIG } from '../../src/syscalls/rseq-abi.js';

/** clone flags of a thread: VM | FS | FILES | SIGHAND | THREAD | SYSVSEM. */
export const THREAD_FLAGS = 0x50f00;

/** Instructions the generator may put inside a section: they touch t2..t6 only. */
export const FILLERS = ['addi t2, t2, 3', 'xor t3, t3, t2', 'slli t4, t2, 2', 'add t5, t4, t3', 'nop', 'lui t6, 5', 'or t2, t2, t5'] as const;

/** The shape of a counter program's critical section and workload. */
export interface CounterShape {
  /** Threads (the first included), each with its own struct rseq. */
  readonly threads: number;
  /** Increments each thread commits. */
  readonly iterations: number;
  /** What one commit adds to the CPU's counter. */
  readonly amount: number;
  /** Filler instructions between the load and the add (indices into {@link FILLERS}). */
  readonly before: readonly number[];
  /** Filler instructions between the add and the commit. */
  readonly after: readonly number[];
  /**
   * Aborts in a row after which an iteration adds with an atomic to the
   * shared fallback counter instead (0: never fall back).
   */
  readonly fallbackAfter: number;
  /** Counter slots (at least the machine's CPUs). */
  readonly slots: number;
  /**
   * Register `fix_exec`, a guest fault handler on its own page that gives
   * execute right back to the page of a fetch fault and answers Fixed.
   */
  readonly guestHandler?: boolean;
}

/**
 * A guest fault handler (on a page of its own): mprotect(page of
 * info->address, 4096, PROT_READ | PROT_EXEC), then FAULT_FIXED.
 */
const GUEST_HANDLER = `
    .balign 4096
  fix_exec:
    lw a0, 4(a1)                  # info->address
    srli a0, a0, 12
    slli a0, a0, 12
    li a1, 4096
    li a2, 5
    li a7, 226
    ecall
    li a0, 1                      # FAULT_FIXED
    ret
`;

/**
 * The assembly of a per-CPU counter program: each thread registers its
 * struct rseq (exit 1 when that fails), then commits `iterations`
 * increments of `amount` to `counters[cpu_id]` in a restartable sequence
 * (or, past `fallbackAfter` aborts in a row, one `amoadd.w` to
 * `fallback`), then exits. Labels the tests use: `start`, `post`,
 * `abort`, `rseq_areas`, `cs_desc`, `counters`, `fallback`, `commits`.
 */
export function counterSource(shape: CounterShape): string {
  const fill = (list: readonly number[]): string => list.map((k) => `    ${FILLERS[k]}\n`).join('');
  const fallback = shape.fallbackAfter > 0
    ? `    addi s5, s5, 1\n    li t0, ${shape.fallbackAfter}\n    bge s5, t0, slow\n`
    : '';
  return `
    .text
    .globl _start
  _start:
    li s4, 0
  spawn:                          # threads 1..n-1 start here with their index in s4
    addi s4, s4, 1
    li t0, ${shape.threads}
    bge s4, t0, work0
    li a0, ${THREAD_FLAGS}
    li a1, 0
    li a2, 0
    li a3, 0
    li a4, 0
    li a7, 220
    ecall
    bnez a0, spawn                # the parent makes the next one
    j work                        # the child works as thread s4
  work0:
    li s4, 0
  work:
    la s1, rseq_areas
    slli t0, s4, 5
    add s1, s1, t0                # this thread's struct rseq
    mv a0, s1
    li a1, 32
    li a2, 0
    li a3, ${RSEQ_SIG | 0}
    li a7, 293
    ecall
    bnez a0, failed
${shape.guestHandler === true ? '    la a0, fix_exec\n    li a1, 0\n    li a7, 0x1000\n    ecall\n' : ''}    li s0, ${shape.iterations}
    la s2, counters
    la s3, cs_desc
  retry:
    sw s3, 8(s1)                  # rseq_cs = &cs_desc, right before start_ip
  start:
    lw t0, 4(s1)                  # cpu_id
    slli t0, t0, 2
    add t0, t0, s2
    lw t1, 0(t0)
${fill(shape.before)}    addi t1, t1, ${shape.amount}
${fill(shape.after)}    sw t1, 0(t0)                  # commit
  post:
    li s5, 0
    la t0, commits
    li t1, 1
    amoadd.w zero, t1, (t0)       # commits through rseq, for the report
  next:
    addi s0, s0, -1
    bnez s0, retry
    li a0, 0
    li a7, 93
    ecall
    .word ${RSEQ_SIG | 0}
  abort:
${fallback}    j retry
  slow:
    la t0, fallback
    li t1, ${shape.amount}
    amoadd.w zero, t1, (t0)
    li s5, 0
    j next
  failed:
    li a7, 93
    ecall
${shape.guestHandler === true ? GUEST_HANDLER : ''}    .data
    .align 5
  rseq_areas:
    .space ${32 * shape.threads}
    .align 5
  cs_desc:
    .word 0, 0
    .word start, 0
    .word post - start, 0
    .word abort, 0
  counters:
    .space ${4 * shape.slots}
  fallback:
    .word 0
  commits:
    .word 0
  `;
}

/** {@link counterSource} assembled. */
export function counterProgram(shape: CounterShape): Program {
  return assemble(counterSource(shape), { fileName: 'rseq-counter.s' });
}

/** The address of `label` in `program` (throws when absent). */
export function symbol(program: Program, label: string): number {
  const at = program.symbols.get(label);
  if (at === undefined) throw new Error(`no symbol ${label}`);
  return at;
}
