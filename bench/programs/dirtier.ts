/**
 * The dirtier: a guest that keeps `pages` pages resident and writes them
 * at random (a linear congruential sequence) — one page per step, each
 * step spinning `spin` iterations — and prints a line every `printEvery`
 * steps (the step count and a checksum of what it read back, in hex), so
 * that a migrated run's output shows whether every page came across.
 * Generated as assembly (assembled in-process, no toolchain needed).
 *
 * Guest time is 1 ns per instruction; a step is about 2 × spin + 20
 * instructions, so it dirties about 1e9 / (2 × spin + 20) pages per
 * second of guest time (minus repeats).
 */

/** Parameters of {@link dirtierSource}. */
export interface DirtierOptions {
  /** Resident pages (mmapped and touched at start). */
  readonly pages: number;
  /** Steps before the guest exits with status 0 (0: never). */
  readonly steps: number;
  /** Spin iterations per step (2 instructions each). */
  readonly spin: number;
  /** Print a line every this many steps. */
  readonly printEvery: number;
}

/** The dirtier's assembly source. */
export function dirtierSource(o: DirtierOptions): string {
  const size = o.pages * 4096;
  return `
  .text
  .globl _start
_start:
  li   a0, 0
  li   a1, ${size}
  li   a2, 3
  li   a3, 0x22
  li   a4, -1
  li   a5, 0
  li   a7, 222
  ecall
  mv   s0, a0
  li   s1, ${o.pages}
  mv   t0, s0
  li   t1, 0
  li   t2, 4096
1:
  sw   t1, 0(t0)
  add  t0, t0, t2
  addi t1, t1, 1
  bltu t1, s1, 1b
  li   s2, 0
  li   s3, 0
  li   s4, 1
  li   s5, ${o.steps === 0 ? -1 : o.steps}
loop:
  li   t0, 1103515245
  mul  s4, s4, t0
  li   t0, 12345
  add  s4, s4, t0
  srli t1, s4, 8
  remu t1, t1, s1
  slli t1, t1, 12
  add  t1, t1, s0
  lw   t2, 0(t1)
  add  t2, t2, s2
  sw   t2, 0(t1)
  add  s3, s3, t2
  li   t3, ${Math.max(1, o.spin)}
2:
  addi t3, t3, -1
  bnez t3, 2b
  addi s2, s2, 1
  li   t0, ${o.printEvery}
  remu t1, s2, t0
  bnez t1, 3f
  jal  ra, print_line
3:
  bltu s2, s5, loop
  li   a0, 0
  li   a7, 93
  ecall

# Prints "SSSSSSSS CCCCCCCC\\n": step count and checksum in hex.
print_line:
  addi sp, sp, -32
  mv   a6, ra
  mv   a0, s2
  addi a1, sp, 0
  jal  ra, hex8
  li   t0, 32
  sb   t0, 8(sp)
  mv   a0, s3
  addi a1, sp, 9
  jal  ra, hex8
  li   t0, 10
  sb   t0, 17(sp)
  li   a0, 1
  mv   a1, sp
  li   a2, 18
  li   a7, 64
  ecall
  addi sp, sp, 32
  jalr x0, 0(a6)

# Writes a0 as 8 hex digits at a1.
hex8:
  li   t1, 28
  li   t4, 10
4:
  srl  t0, a0, t1
  andi t0, t0, 15
  bltu t0, t4, 5f
  addi t0, t0, 39
5:
  addi t0, t0, 48
  sb   t0, 0(a1)
  addi a1, a1, 1
  addi t1, t1, -4
  bgez t1, 4b
  jalr x0, 0(ra)
`;
}
