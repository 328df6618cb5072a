/**
 * dirty-logging.ts — mprotect-style dirty logging as the base of
 * incremental checkpoints (docs/design.md §1 Linux mprotect, §5).
 *
 * What it shows:
 * - the {@link dirtyLog} plugin installed into a running machine: every
 *   page is write-protected in the log's own protection layer, each first
 *   write faults once, is recorded, and runs at full speed afterwards;
 * - the guest works in three epochs (`.data`, a heap it grows with `brk`
 *   and memory it `mmap`s after the log started — both logged with no
 *   extra step), ending each with a marker system call; there the host
 *   calls `collect()` and copies only the dirty pages into a shadow copy,
 *   as an incremental checkpoint would;
 * - the guest's own `mprotect` keeps its meaning: it makes one page
 *   read-only, a store there faults past the log to a host handler at the
 *   tail (standing for the guest's SIGSEGV handler) that skips it, and the
 *   page is not reported;
 * - at the end the shadow copy equals guest memory: no write escaped.
 *
 * Run it:
 *
 *     npm run build && node dist/examples/dirty-logging.js
 *
 * Output:
 *
 *     epoch 1: 2 dirty pages: 00011000 data+0x0000, 00013000 data+0x2000
 *     epoch 2: 3 dirty pages: 00011000 data+0x0000, 00014000 [heap]+0x0000, 00015000 [heap]+0x1000
 *     epoch 3: 2 dirty pages: 40000000 mmap+0x0000, 40003000 mmap+0x3000
 *     skipped 1 store to the page the guest made read-only (00012000)
 *     7 first-write faults in 3 epochs; the shadow copy matches guest memory: true
 *
 * (Addresses depend on the assembled program's layout.)
 */

import { pathToFileURL } from 'node:url';
import { Access, FaultStatus, Machine, PAGE_SIZE, assemble, type Fault, type UserContext } from '../src/index.js';
import { dirtyLog } from '../handlers/index.js';

/** Marker system call ending an epoch (an unknown number: the guest gets -ENOSYS). */
const EPOCH = 0x7ff;

const GUEST = `
    .equ    SYS_BRK, 214
    .equ    SYS_MMAP, 222
    .equ    SYS_MPROTECT, 226
    .equ    SYS_EXIT, 93
    .equ    EPOCH, ${EPOCH}

    .text
    .globl  _start
_start:
    la      s1, data
    # epoch 1: two pages of .data; make page 1 read-only and try to write it
    li      t0, 1
    sw      t0, 0(s1)
    li      t1, 8192
    add     t1, t1, s1
    sw      t0, 16(t1)
    li      t1, 4096
    add     a0, t1, s1
    li      a1, 4096
    li      a2, 1                   # PROT_READ
    li      a7, SYS_MPROTECT
    ecall
    li      t1, 4096
    add     t1, t1, s1
    sw      t0, 0(t1)               # faults; skipped by the host handler
    li      a7, EPOCH
    ecall
    # epoch 2: .data page 0 again, and a heap grown with brk
    sw      t0, 4(s1)
    li      a0, 0
    li      a7, SYS_BRK
    ecall
    mv      s2, a0
    li      t1, 8192
    add     a0, s2, t1
    li      a7, SYS_BRK
    ecall
    sw      t0, 0(s2)
    li      t1, 4096
    add     t1, t1, s2
    sh      t0, 100(t1)
    li      a7, EPOCH
    ecall
    # epoch 3: 16 pages mmapped now; write the first and the fourth
    li      a0, 0
    li      a1, 65536
    li      a2, 3
    li      a3, 0x22
    li      a4, -1
    li      a5, 0
    li      a7, SYS_MMAP
    ecall
    mv      s3, a0
    li      t2, 40
1:  amoadd.w zero, t0, (s3)         # 40 AMOs to one page: one fault
    addi    t2, t2, -1
    bnez    t2, 1b
    li      t1, 12288
    add     t1, t1, s3
    sb      t0, 7(t1)
    li      a7, EPOCH
    ecall
    li      a0, 0
    li      a7, SYS_EXIT
    ecall

    .data
    .balign 4096
data:   .space  3 * 4096
`;

/** Runs the example; returns the lines it prints. */
export function dirtyLogging(): string[] {
  const lines: string[] = [];
  const machine = new Machine({ memoryQuota: 64 << 20 });
  machine.load(assemble(GUEST, { fileName: 'dirty-logging.s' }));
  const as = machine.addressSpace;
  const log = dirtyLog();
  machine.use(log);

  // The guest's own handling of stores to pages it protected: skip them.
  const skipped: number[] = [];
  machine.registerFaultHandler((fault: Fault, ctx: UserContext) => {
    if (fault.access !== Access.Write || !fault.protection) return FaultStatus.Continue;
    skipped.push(fault.address >>> 0);
    ctx.pc += 4;
    return FaultStatus.Fixed;
  }, { tail: true, name: 'guest SIGSEGV' });

  // The shadow copy: a full copy of the writable memory at start, then
  // only dirty pages (an incremental checkpoint).
  const shadow = new Map<number, Uint8Array>();
  for (const m of as.mappings()) {
    if (!m.write || m.name === '[stack]') continue;
    for (let a = m.start; a < m.end; a += PAGE_SIZE) shadow.set(a, as.readBytes(a, PAGE_SIZE));
  }
  const label = (addr: number): string => {
    const m = as.mappings().find((e) => addr >= e.start && addr < e.end);
    const name = m === undefined ? '?' : m.name === '' ? 'mmap' : m.name === 'dirty-logging.s' ? 'data' : m.name;
    const base = m === undefined ? addr : name === 'data' ? machine.program!.symbols.get('data')! : m.start;
    return `${hex(addr)} ${name}+0x${(addr - base).toString(16).padStart(4, '0')}`;
  };
  let epoch = 0;
  machine.events.on('syscall', (nr) => {
    if (nr !== EPOCH) return;
    const pages = log.collect();
    for (const page of pages) shadow.set(page, as.readBytes(page, PAGE_SIZE));
    lines.push(`epoch ${++epoch}: ${pages.length} dirty pages: ${[...pages].map(label).join(', ')}`);
  });

  const result = machine.run();
  lines.push(`skipped ${skipped.length} store to the page the guest made read-only (${skipped.map((a) => hex(a & ~(PAGE_SIZE - 1))).join(', ')})`);
  let same = result.kind === 'exit';
  for (const m of as.mappings()) {
    if (!m.write || m.name === '[stack]') continue;
    for (let a = m.start; a < m.end; a += PAGE_SIZE) {
      const copy = shadow.get(a) ?? new Uint8Array(PAGE_SIZE); // never written: zero
      const now = as.readBytes(a, PAGE_SIZE);
      if (!now.every((b, k) => b === copy[k])) same = false;
    }
  }
  lines.push(`${log.faults} first-write faults in ${epoch} epochs; the shadow copy matches guest memory: ${same}`);
  return lines;
}

function hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of dirtyLogging()) console.log(line);
}
