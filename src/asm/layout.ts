/**
 * Layout: places input sections at addresses and sizes every item, and
 * resolves symbols against that placement.
 *
 * Memory map (addresses grow downward):
 *
 *   textAddress        .text, .text.*        r-x
 *   next page          .rodata, __ex_table   r--
 *   next page          .data                 rw-
 *   (right after)      .bss                  rw-   (zero-filled)
 *
 * Relaxable items (conditional branches, `li` of a value that depends on
 * labels, `.space` of a label difference, alignment padding) change size
 * with the layout, so it is computed again until no size changes. As in
 * GNU as, branches start at their longest form; after
 * {@link SHRINK_ROUNDS} rounds sizes may only grow, so the loop ends.
 */
import { StatementError } from './assembly-error.js';
import { evaluate, type EvalEnv, type Expr } from './expression.js';
import type { LayoutContext } from './operands.js';
import type { Item, Section, SectionKind } from './section.js';
import type { AssemblerState, EquDef } from './state.js';
import { pageRoundUp } from '../memory/page.js';

/** Rounds in which sizes may shrink as well as grow. */
export const SHRINK_ROUNDS = 16;
/** Rounds after which a layout that still changes is an error. */
export const MAX_ROUNDS = 64;
/** Most initialised bytes a program may hold, all sections together. */
export const MAX_SECTION_BYTES = 1 << 24;
/** Most zero-filled bytes the `.bss` sections may reserve together. */
export const MAX_BSS_BYTES = 1 << 30;
/** Deepest chain of `.equ` symbols referring to each other. */
export const MAX_SYMBOL_DEPTH = 1000;

/** Output sections in address order. */
export const OUTPUT_ORDER: readonly SectionKind[] = ['text', 'rodata', 'data', 'bss'];

/** Address of item `index` of `section` (its end when past the last item). */
function addressAt(section: Section, index: number): number {
  const item = section.items[index];
  return section.base + (item === undefined ? section.size : item.offset);
}

/**
 * Evaluation environments over the current layout. `symbol` throws
 * {@link StatementError} for undefined symbols and for `.equ` cycles.
 */
export class SymbolResolver {
  private depth = 0;
  /** `.equ` values already computed for the current layout (see {@link clearCache}). */
  private readonly cache = new Map<EquDef, bigint>();
  /** `%pcrel_hi` targets by the address of their `auipc`. */
  readonly pcrelHi = new Map<number, bigint>();

  /** @param st - the state whose symbols are resolved */
  constructor(readonly st: AssemblerState) {}

  /** Value of symbol `name` in the current layout. */
  value(name: string, column: number): bigint {
    const def = this.st.symbols.get(name);
    if (def === undefined) {
      const shown = this.st.display(name);
      throw new StatementError(column, /^[0-9]+f$/.test(shown) ? `undefined local label ${shown}` : `undefined symbol ${shown}`);
    }
    if (def.kind === 'label') return BigInt(def.section.base + def.item.offset);
    return this.equValue(def, column);
  }

  /** Forgets cached `.equ` values; call whenever the layout moved. */
  clearCache(): void {
    this.cache.clear();
  }

  private equValue(def: EquDef, column: number): bigint {
    const cached = this.cache.get(def);
    if (cached !== undefined) return cached;
    if (this.depth >= MAX_SYMBOL_DEPTH) {
      throw new StatementError(column, `symbol definitions nest deeper than ${MAX_SYMBOL_DEPTH} levels (or refer to themselves)`);
    }
    this.depth++;
    try {
      const v = evaluate(def.expr, this.env(addressAt(def.section, def.index)));
      this.cache.set(def, v);
      return v;
    } finally {
      this.depth--;
    }
  }

  /** An environment with `.` at `address`. */
  env(address: number): EvalEnv {
    return {
      dot: BigInt(address),
      symbol: (name, column) => this.value(name, column),
      pcrelHiTarget: (at, column) => {
        const t = this.pcrelHi.get(Number(BigInt.asUintN(32, at)));
        if (t === undefined) throw new StatementError(column, `no auipc with %pcrel_hi at address 0x${BigInt.asUintN(32, at).toString(16)} for %pcrel_lo`);
        return t;
      },
    };
  }

  /** Value of `e` at `address`, or undefined when it cannot be evaluated. */
  tryEvaluate(e: Expr, address: number): bigint | undefined {
    try {
      return evaluate(e, this.env(address));
    } catch (err) {
      if (err instanceof StatementError) return undefined;
      throw err;
    }
  }
}

/** Size of `item` at `address` in the current layout; `first` is the first round. */
function itemSize(item: Item, section: Section, address: number, resolver: SymbolResolver, first: boolean): number {
  switch (item.kind) {
    case 'label':
    case 'extable':
      return 0;
    case 'bytes':
      return item.bytes.length;
    case 'data':
      return item.width * item.values.length;
    case 'align':
      return 0; // computed during placement
    case 'fill': {
      const n = first ? undefined : resolver.tryEvaluate(item.count, address);
      if (n === undefined || n < 0n) return 0;
      const total = n * BigInt(item.width);
      const limit = section.kind === 'bss' ? MAX_BSS_BYTES : MAX_SECTION_BYTES;
      return total > BigInt(limit) ? 0 : Number(total);
    }
    case 'insn': {
      const ctx: LayoutContext = {
        address,
        section: section.name,
        tryEvaluate: (e) => (first ? undefined : resolver.tryEvaluate(e, address)),
        labelSection: (name) => {
          const def = resolver.st.symbols.get(name);
          return def?.kind === 'label' ? def.section.name : undefined;
        },
      };
      return item.plan.size(ctx);
    }
  }
}

/** Padding an alignment item needs at `address`. */
export function alignPadding(item: Extract<Item, { kind: 'align' }>, address: number): number {
  const pad = (item.boundary - (address % item.boundary)) % item.boundary;
  return item.max !== undefined && pad > item.max ? 0 : pad;
}

/**
 * Places sections from `textAddress` on and gives every item an offset and
 * a size, iterating until stable. Records a diagnostic (and stops) when the
 * layout does not settle or does not fit in 32 bits.
 */
export function layout(st: AssemblerState, textAddress: number): SymbolResolver {
  const resolver = new SymbolResolver(st);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed: Item | undefined;
    for (const section of st.sections) {
      // values computed within a round may mix old and new offsets; a round
      // in which nothing changed used only the final ones
      resolver.clearCache();
      let offset = 0;
      for (const item of section.items) {
        const address = section.base + offset;
        let size = item.kind === 'align' ? alignPadding(item, address) : itemSize(item, section, address, resolver, round === 0);
        if (round >= SHRINK_ROUNDS && item.kind !== 'align') size = Math.max(size, item.size);
        if (size !== item.size || offset !== item.offset) changed ??= item;
        item.offset = offset;
        item.size = size;
        offset += size;
      }
      // GNU as pads the end of a code section to its alignment
      section.size = section.kind === 'text' ? Math.ceil(offset / section.align) * section.align : offset;
    }
    const moved = placeSections(st, textAddress);
    resolver.clearCache();
    if (round > 0 && changed === undefined && !moved) return resolver;
    if (round === MAX_ROUNDS - 1 && changed !== undefined) {
      st.error(changed.column, `layout does not settle after ${MAX_ROUNDS} rounds (a size depends on its own position)`, changed.line);
    }
  }
  return resolver;
}

/** Assigns section bases; returns true when any base changed. */
function placeSections(st: AssemblerState, textAddress: number): boolean {
  let cursor = textAddress;
  let placedAny = false;
  let moved = false;
  for (const kind of OUTPUT_ORDER) {
    const group = st.sections.filter((s) => s.kind === kind);
    const size = group.reduce((n, s) => n + s.size, 0);
    if (size > 0 && placedAny && !(kind === 'bss' && st.sections.some((s) => s.kind === 'data' && s.size > 0))) {
      cursor = pageRoundUp(cursor);
    }
    for (const s of group) {
      const base = Math.ceil(cursor / s.align) * s.align;
      if (base !== s.base) moved = true;
      s.base = base;
      cursor = base + s.size;
    }
    if (size > 0) placedAny = true;
  }
  return moved;
}

/** Start and end address of the sections of `kind` (start = end when empty). */
export function groupBounds(st: AssemblerState, kind: SectionKind): [number, number] {
  const group = st.sections.filter((s) => s.kind === kind && s.size > 0);
  if (group.length === 0) return [0, 0];
  return [group[0]!.base, group[group.length - 1]!.base + group[group.length - 1]!.size];
}
