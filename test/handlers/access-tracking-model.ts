/**
 * Random straight-line programs for the access-tracking properties, and
 * the reference model: which pages each instruction reads, writes and
 * executes, from the program's own labels (no emulation).
 */
import fc from 'fast-check';
import { PAGE_SIZE, assemble, type Program } from '../../src/index.js';

/** One generated operation on the buffer. */
export type Op =
  | { readonly kind: 'load'; readonly insn: 'lb' | 'lbu' | 'lh' | 'lhu' | 'lw'; readonly offset: number }
  | { readonly kind: 'store'; readonly insn: 'sb' | 'sh' | 'sw'; readonly offset: number }
  | { readonly kind: 'amo'; readonly insn: 'amoadd.w' | 'amoswap.w' | 'amoor.w'; readonly offset: number }
  | { readonly kind: 'lrsc'; readonly offset: number }
  | { readonly kind: 'write'; readonly offset: number; readonly length: number }
  | { readonly kind: 'getrandom'; readonly offset: number; readonly length: number }
  | { readonly kind: 'nops'; readonly count: number };

const WIDTH: Record<string, number> = { lb: 1, lbu: 1, lh: 2, lhu: 2, lw: 4, sb: 1, sh: 2, sw: 4 };

/** Arbitrary ops on a buffer of `pages` pages (misaligned ones may cross a page). */
export function opArb(pages: number): fc.Arbitrary<Op> {
  const size = pages * PAGE_SIZE;
  const near = fc.oneof(
    fc.integer({ min: 0, max: size - 8 }),
    fc.integer({ min: 1, max: pages - 1 }).chain((p) => fc.integer({ min: p * PAGE_SIZE - 3, max: p * PAGE_SIZE })),
  );
  const aligned = fc.integer({ min: 0, max: size / 4 - 1 }).map((w) => w * 4);
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('load' as const), insn: fc.constantFrom('lb' as const, 'lbu' as const, 'lh' as const, 'lhu' as const, 'lw' as const), offset: near }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('store' as const), insn: fc.constantFrom('sb' as const, 'sh' as const, 'sw' as const), offset: near }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('amo' as const), insn: fc.constantFrom('amoadd.w' as const, 'amoswap.w' as const, 'amoor.w' as const), offset: aligned }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('lrsc' as const), offset: aligned }), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: size - 1 }).chain((offset) => fc.record({ kind: fc.constant('write' as const), offset: fc.constant(offset), length: fc.integer({ min: 1, max: Math.min(3 * PAGE_SIZE, size - offset) }) })), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: size - 1 }).chain((offset) => fc.record({ kind: fc.constant('getrandom' as const), offset: fc.constant(offset), length: fc.integer({ min: 1, max: Math.min(256, size - offset) }) })), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('nops' as const), count: fc.integer({ min: 1, max: 600 }) }), weight: 1 },
  );
}

/** Assembly lines that put `buffer + offset` in t1 (always 3 instructions). */
function address(offset: number): string[] {
  const hi = (offset + 0x800) >> 12;
  const lo = offset - (hi << 12);
  return [`lui t1, ${hi}`, `addi t1, t1, ${lo}`, 'add t1, t1, s1'];
}

/**
 * The program: s1 = the buffer (`la` of a `.data` buffer of `pages`
 * pages, or the fixed address `base`), the ops, exit 0. Each access
 * instruction has the label `acc_<k>`, the end the label `end_`.
 */
export function programSource(ops: readonly Op[], pages: number, base?: number): string {
  const lines = ['.text', '.globl _start', '_start:', base === undefined ? 'la s1, buf' : `li s1, ${base}`];
  lines.push(...emitOps(ops, 'acc'));
  lines.push('li a0, 0', 'li a7, 93', 'ecall', 'end_:');
  if (base === undefined) lines.push('.data', '.balign 4096', `buf: .space ${pages * PAGE_SIZE}`);
  return lines.join('\n') + '\n';
}

/** The lines of `ops`; the access instruction of op k has the label `<prefix>_<k>`. */
function emitOps(ops: readonly Op[], prefix: string): string[] {
  const lines: string[] = [];
  ops.forEach((op, k) => {
    const label = `${prefix}_${k}:`;
    switch (op.kind) {
      case 'load': lines.push(...address(op.offset), label, `${op.insn} t2, 0(t1)`); break;
      case 'store': lines.push(...address(op.offset), 'li t2, 0x5a', label, `${op.insn} t2, 0(t1)`); break;
      case 'amo': lines.push(...address(op.offset), 'li t2, 1', label, `${op.insn} t3, t2, (t1)`); break;
      case 'lrsc': lines.push(...address(op.offset), label, 'lr.w t2, (t1)', 'sc.w t3, t2, (t1)'); break;
      case 'write': lines.push(...address(op.offset), 'li a0, 1', 'mv a1, t1', `li a2, ${op.length}`, 'li a7, 64', label, 'ecall'); break;
      case 'getrandom': lines.push(...address(op.offset), 'mv a0, t1', `li a1, ${op.length}`, 'li a2, 0', 'li a7, 278', label, 'ecall'); break;
      case 'nops': for (let i = 0; i < op.count; i++) lines.push('addi x0, x0, 0'); break;
    }
  });
  return lines;
}

/**
 * Two threads: thread 1 runs `parent`, thread 2 (cloned) runs `child`,
 * on the same buffer; each ends with exit (93), the last one ending the
 * process. Labels `pa_<k>` and `ch_<k>`; the code ends at `end_`.
 */
export function threadProgramSource(parent: readonly Op[], child: readonly Op[], pages: number): string {
  return [
    '.text', '.globl _start', '_start:', 'la s1, buf',
    'li a0, 0x50f00', 'la a1, stack2_top', 'li a2, 0', 'li a3, 0', 'li a4, 0', 'li a7, 220', 'ecall',
    'after_clone:', 'beqz a0, child',
    ...emitOps(parent, 'pa'), 'li a0, 0', 'li a7, 93', 'ecall',
    'child:', ...emitOps(child, 'ch'), 'li a0, 0', 'li a7, 93', 'ecall', 'end_:',
    '.data', '.balign 4096', `buf: .space ${pages * PAGE_SIZE}`, 'stack2: .space 64', 'stack2_top:',
  ].join('\n') + '\n';
}

/** Which threads make each access (`${kind}:${page}` → tids) of a {@link threadProgramSource} program. */
export function modelThreadAccesses(program: Program, parent: readonly Op[], child: readonly Op[], bufferBase: number): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const add = (kind: string, page: number, tid: number): void => {
    const key = `${kind}:${page}`;
    const set = out.get(key) ?? new Set<number>();
    set.add(tid);
    out.set(key, set);
  };
  const childStart = program.symbols.get('child')!;
  for (let pc = program.entry; pc < program.symbols.get('end_')!; pc += 4) {
    // The prologue up to the clone's return runs in thread 1; after it, both run the beqz.
    add('execute', pc - (pc % PAGE_SIZE), pc >= childStart ? 2 : 1);
  }
  const beqz = program.symbols.get('after_clone')!;
  add('execute', beqz - (beqz % PAGE_SIZE), 2);
  for (const [ops, prefix, tid] of [[parent, 'pa', 1], [child, 'ch', 2]] as const) {
    ops.forEach((op, k) => {
      if (op.kind === 'nops') return;
      const pc = program.symbols.get(`${prefix}_${k}`)!;
      for (const a of modelAccesses({ ...program, entry: pc, symbols: new Map([['end_', pc + 8], ['acc_0', pc]]) }, [op], bufferBase)) {
        if (a.kind !== 'execute') add(a.kind, a.page, tid);
      }
    });
  }
  return out;
}

/** One model access: instruction index, page address, kind. */
export interface ModelAccess {
  readonly index: number;
  readonly pc: number;
  readonly page: number;
  readonly kind: 'read' | 'write' | 'execute';
}

/** Pages of `[start, start + length)`. */
function pagesOf(start: number, length: number): number[] {
  const out: number[] = [];
  for (let p = Math.floor(start / PAGE_SIZE); p <= Math.floor((start + length - 1) / PAGE_SIZE); p++) out.push(p * PAGE_SIZE);
  return out;
}

/** Every access of the program, in execution order (straight-line code: instruction i is at entry + 4i). */
export function modelAccesses(program: Program, ops: readonly Op[], bufferBase: number): ModelAccess[] {
  const entry = program.entry;
  const end = program.symbols.get('end_')!;
  const data = new Map<number, ModelAccess[]>();
  const add = (pc: number, pages: number[], kind: ModelAccess['kind']): void => {
    const index = (pc - entry) / 4;
    const list = data.get(index) ?? [];
    for (const page of pages) list.push({ index, pc, page, kind });
    data.set(index, list);
  };
  ops.forEach((op, k) => {
    if (op.kind === 'nops') return;
    const pc = program.symbols.get(`acc_${k}`)!;
    const at = bufferBase + op.offset;
    switch (op.kind) {
      case 'load': add(pc, pagesOf(at, WIDTH[op.insn]!), 'read'); break;
      case 'store': add(pc, pagesOf(at, WIDTH[op.insn]!), 'write'); break;
      case 'amo': add(pc, pagesOf(at, 4), 'write'); break;
      case 'lrsc': add(pc, pagesOf(at, 4), 'read'); add(pc + 4, pagesOf(at, 4), 'write'); break;
      case 'write': add(pc, pagesOf(at, op.length), 'read'); break;
      case 'getrandom': add(pc, pagesOf(at, op.length), 'write'); break;
    }
  });
  const out: ModelAccess[] = [];
  for (let pc = entry; pc < end; pc += 4) {
    const index = (pc - entry) / 4;
    out.push({ index, pc, page: pc - (pc % PAGE_SIZE), kind: 'execute' });
    out.push(...(data.get(index) ?? []));
  }
  return out;
}

/** What the model says of one epoch. */
export interface ModelEpoch {
  read: number[];
  written: number[];
  executed: number[];
  workingSet: number;
  /** First pc per `${kind}:${page}`. */
  first: Map<string, number>;
}

/** The model's epochs, given the instruction index each epoch starts at (`starts[0]` = 0). */
export function modelEpochs(accesses: readonly ModelAccess[], starts: readonly number[]): ModelEpoch[] {
  const epochs: ModelEpoch[] = starts.map(() => ({ read: [], written: [], executed: [], workingSet: 0, first: new Map() }));
  let e = 0;
  for (const a of accesses) {
    while (e + 1 < starts.length && a.index >= starts[e + 1]!) e++;
    const key = `${a.kind}:${a.page}`;
    if (!epochs[e]!.first.has(key)) epochs[e]!.first.set(key, a.pc);
  }
  for (const epoch of epochs) {
    const all = new Set<number>();
    for (const key of epoch.first.keys()) {
      const [kind, page] = key.split(':') as [string, string];
      const p = Number(page);
      all.add(p);
      (kind === 'read' ? epoch.read : kind === 'write' ? epoch.written : epoch.executed).push(p);
    }
    for (const list of [epoch.read, epoch.written, epoch.executed]) list.sort((a, b) => a - b);
    epoch.workingSet = all.size;
  }
  return epochs;
}

/** Assembles a program's source. */
export function build(source: string): Program {
  return assemble(source, { fileName: 'access-tracking-test.s' });
}
