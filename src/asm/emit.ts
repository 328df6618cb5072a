/**
 * Final pass: encodes every item at its final address into section bytes,
 * reads the exception tables and builds the {@link Program}.
 */
import { StatementError } from './assembly-error.js';
import { evaluate } from './expression.js';
import { MAX_BSS_BYTES, MAX_SECTION_BYTES, type SymbolResolver } from './layout.js';
import type { Item, Section } from './section.js';
import { INTERNAL, type AssemblerState } from './state.js';
import type { ExtableEntry, Program, ProgramSegment } from '../loader/program.js';
import { Prot } from '../memory/page.js';

/** Name of the section holding Linux-layout exception-table entries. */
export const EXTABLE_SECTION = '__ex_table';
/** Bytes of one `__ex_table` entry: `int insn, int fixup; short type, data`. */
export const EXTABLE_ENTRY_SIZE = 12;

/** Little-endian store of the low `width` bytes of `v`. */
function put(bytes: Uint8Array, at: number, width: number, v: bigint): void {
  let x = BigInt.asUintN(width * 8, v);
  for (let i = 0; i < width; i++) {
    bytes[at + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/** Range of values a `width`-byte datum accepts: signed low bound to unsigned high bound. */
function dataRange(width: number): [bigint, bigint] {
  if (width === 8) return [-(1n << 63n), (1n << 64n) - 1n];
  const bits = BigInt(width * 8);
  return [-(1n << (bits - 1n)), (1n << bits) - 1n];
}

const DATA_NAMES: Record<number, string> = { 1: '.byte', 2: '.half', 4: '.word', 8: '.quad' };

/** Padding bytes for code alignment, as GNU as writes them without RVC. */
function codePadding(bytes: Uint8Array, at: number, count: number): void {
  let i = 0;
  const excess = count % 4;
  if (excess % 2 === 1) { bytes[at] = 0; i = 1; }
  if (excess >= 2) { bytes[at + i] = 0x01; bytes[at + i + 1] = 0x00; i += 2; } // c.nop
  for (; i < count; i += 4) put(bytes, at + i, 4, 0x13n); // addi x0, x0, 0
}

/** Encodes one item into `bytes` (the section's buffer, or null for bss). */
function encodeItem(item: Item, section: Section, bytes: Uint8Array | null, resolver: SymbolResolver, extable: ExtableEntry[]): void {
  const address = section.base + item.offset;
  switch (item.kind) {
    case 'label':
      return;
    case 'bytes':
      bytes?.set(item.bytes, item.offset);
      return;
    case 'data': {
      const [lo, hi] = dataRange(item.width);
      item.values.forEach((e, i) => {
        const at = address + i * item.width;
        const v = evaluate(e, resolver.env(at));
        if (v < lo || v > hi) throw new StatementError(e.column, `value ${v} does not fit in ${DATA_NAMES[item.width]} (${lo}..${hi})`);
        if (bytes) put(bytes, item.offset + i * item.width, item.width, v);
      });
      return;
    }
    case 'fill': {
      const n = evaluate(item.count, resolver.env(address));
      if (n < 0n) throw new StatementError(item.count.column, `size ${n} is negative`);
      const limit = section.kind === 'bss' ? MAX_BSS_BYTES : MAX_SECTION_BYTES;
      if (n * BigInt(item.width) > BigInt(limit)) throw new StatementError(item.count.column, `size ${n * BigInt(item.width)} is larger than ${limit} bytes`);
      const v = evaluate(item.value, resolver.env(address));
      const [lo, hi] = dataRange(item.width);
      if (v < lo || v > hi) throw new StatementError(item.value.column, `fill value ${v} does not fit in ${item.width} byte(s)`);
      if (bytes === null) {
        if (v !== 0n) throw new StatementError(item.value.column, `${section.name} holds only zeroes; fill value ${v} is not allowed`);
        return;
      }
      const pattern = new Uint8Array(item.width);
      put(pattern, 0, item.width, v);
      const end = item.offset + Number(n) * item.width;
      if (item.width === 1) bytes.fill(pattern[0]!, item.offset, end);
      else for (let at = item.offset; at < end; at += item.width) bytes.set(pattern, at);
      return;
    }
    case 'align': {
      if (bytes === null || item.size === 0) return;
      if (item.fill === undefined && section.kind === 'text') codePadding(bytes, item.offset, item.size);
      else bytes.fill(item.fill ?? 0, item.offset, item.offset + item.size);
      return;
    }
    case 'insn': {
      const words = item.plan.encode({ address, env: resolver.env(address) }, item.size);
      if (words.length * 4 !== item.size) throw new Error(`emit: ${words.length} words for a ${item.size}-byte instruction at line ${item.line}`);
      words.forEach((w, i) => bytes && put(bytes, item.offset + 4 * i, 4, BigInt(w)));
      return;
    }
    case 'extable': {
      const env = resolver.env(address);
      const [insn, fixup, type, data] = item.fields.map((e) => evaluate(e, env));
      for (const [i, v] of [insn!, fixup!].entries()) {
        if (v < -(1n << 31n) || v > 0xffffffffn) throw new StatementError(item.fields[i]!.column, `address ${v} does not fit in 32 bits`);
      }
      for (const [i, v] of [type ?? 0n, data ?? 0n].entries()) {
        if (v < -32768n || v > 65535n) throw new StatementError(item.fields[i + 2]!.column, `extable ${i === 0 ? 'type' : 'data'} ${v} does not fit in 16 bits`);
      }
      extable.push({ insn: Number(BigInt.asUintN(32, insn!)), fixup: Number(BigInt.asUintN(32, fixup!)), type: Number(type ?? 0n), data: Number(data ?? 0n) });
      return;
    }
  }
}

/** Reads Linux-layout entries (fields relative to their own address) from `__ex_table`. */
function readExtableSection(section: Section, bytes: Uint8Array, st: AssemblerState, out: ExtableEntry[]): void {
  if (bytes.length % EXTABLE_ENTRY_SIZE !== 0) {
    const first = section.items[0];
    st.error(first?.column ?? 1, `${EXTABLE_SECTION} holds ${bytes.length} bytes, not a multiple of ${EXTABLE_ENTRY_SIZE} (int insn, int fixup, short type, short data)`, first?.line ?? 1);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o < bytes.length; o += EXTABLE_ENTRY_SIZE) {
    const at = section.base + o;
    out.push({
      insn: (at + view.getInt32(o, true)) >>> 0,
      fixup: (at + 4 + view.getInt32(o + 4, true)) >>> 0,
      type: view.getInt16(o + 8, true),
      data: view.getInt16(o + 10, true),
    });
  }
}

/**
 * Encodes all sections of a laid-out state into a {@link Program}. Errors
 * are recorded in `st.diagnostics`; the returned program is meaningful only
 * when there are none.
 */
export function emitProgram(st: AssemblerState, resolver: SymbolResolver, name: string, textAddress: number): Program {
  // %pcrel_hi targets first, so a %pcrel_lo may come before its auipc
  for (const section of st.sections) {
    for (const item of section.items) {
      if (item.kind !== 'insn' || item.plan.pcrelHiTarget === undefined) continue;
      const address = section.base + item.offset;
      const t = resolver.tryEvaluate(item.plan.pcrelHiTarget, address);
      if (t !== undefined) resolver.pcrelHi.set(address, t);
    }
  }
  resolver.clearCache();
  const extable: ExtableEntry[] = [];
  const contents = new Map<Section, Uint8Array>();
  let initialised = 0;
  let reserved = 0;
  for (const section of st.sections) {
    // bound what the host allocates, whatever the source asks for
    if (section.kind === 'bss') reserved += section.size;
    else initialised += section.size;
    if (initialised > MAX_SECTION_BYTES || reserved > MAX_BSS_BYTES) {
      const first = section.items[0];
      st.error(first?.column ?? 1, `sections up to ${section.name} hold more than ${section.kind === 'bss' ? MAX_BSS_BYTES : MAX_SECTION_BYTES} bytes`, first?.line ?? 1);
      continue;
    }
    const bytes = section.kind === 'bss' ? null : new Uint8Array(section.size);
    for (const item of section.items) {
      try {
        encodeItem(item, section, bytes, resolver, extable);
      } catch (e) {
        if (!(e instanceof StatementError)) throw e;
        st.error(e.column, e.message, item.line);
      }
    }
    const last = section.items[section.items.length - 1];
    const used = last === undefined ? 0 : last.offset + last.size;
    if (bytes && used < section.size) codePadding(bytes, used, section.size - used);
    if (bytes) contents.set(section, bytes);
    if (section.name === EXTABLE_SECTION && bytes) readExtableSection(section, bytes, st, extable);
  }
  for (const [gname, where] of st.globals) {
    if (!st.symbols.has(gname)) st.error(where.column, `global symbol ${gname} is never defined`, where.line);
  }
  const last = Math.max(...st.sections.map((s) => s.base + s.size));
  if (last > 2 ** 32) st.error(1, `program ends at 0x${last.toString(16)}, past the 32-bit address space`, 1);

  const segments: ProgramSegment[] = [];
  const segment = (kinds: ('text' | 'rodata' | 'data' | 'bss')[], flags: number): void => {
    const parts = st.sections.filter((s) => kinds.includes(s.kind) && s.size > 0).sort((a, b) => a.base - b.base);
    if (parts.length === 0) return;
    const start = parts[0]!.base;
    const fileParts = parts.filter((s) => s.kind !== 'bss');
    const fileEnd = fileParts.length === 0 ? start : Math.max(...fileParts.map((s) => s.base + s.size));
    const memEnd = Math.max(...parts.map((s) => s.base + s.size));
    const data = new Uint8Array(fileEnd - start);
    for (const s of fileParts) data.set(contents.get(s) ?? new Uint8Array(0), s.base - start);
    segments.push({ vaddr: start, data, memSize: memEnd - start, flags });
  };
  if (st.diagnostics.length === 0) {
    segment(['text'], Prot.Read | Prot.Exec);
    segment(['rodata'], Prot.Read);
    segment(['data', 'bss'], Prot.Read | Prot.Write);
  }

  const symbols = new Map<string, number>();
  for (const [sname, def] of st.symbols) {
    if (def.kind !== 'label' || sname.includes(INTERNAL) || sname.startsWith('.L')) continue;
    symbols.set(sname, def.section.base + def.item.offset);
  }
  let entry = textAddress;
  if (st.symbols.has('_start')) {
    try {
      entry = Number(BigInt.asUintN(32, resolver.value('_start', 1)));
    } catch (e) {
      if (!(e instanceof StatementError)) throw e;
    }
  }
  return { name, entry, segments, symbols, extable };
}
