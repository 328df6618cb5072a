/**
 * Input sections of an assembly source and the items they hold. An item is
 * anything that takes a place in a section: a label, an instruction, data,
 * padding. Offsets and sizes are filled in by the layout.
 */
import type { Expr } from './expression.js';
import type { InsnPlan } from './operands.js';

/** The output section an input section goes to (and its segment). */
export type SectionKind = 'text' | 'rodata' | 'data' | 'bss';

/** Fields every item has: where it was written, where it ended up. */
interface ItemBase {
  /** 1-based source line. */
  readonly line: number;
  /** 1-based column of the statement. */
  readonly column: number;
  /** Offset inside the section in the current layout. */
  offset: number;
  /** Size in bytes in the current layout. */
  size: number;
}

/** One thing placed in a section. */
export type Item =
  | (ItemBase & { readonly kind: 'label'; readonly name: string })
  | (ItemBase & { readonly kind: 'insn'; readonly plan: InsnPlan })
  | (ItemBase & { readonly kind: 'data'; readonly width: 1 | 2 | 4 | 8; readonly values: readonly Expr[] })
  | (ItemBase & { readonly kind: 'bytes'; readonly bytes: Uint8Array })
  | (ItemBase & { readonly kind: 'fill'; readonly count: Expr; readonly width: number; readonly value: Expr })
  | (ItemBase & { readonly kind: 'align'; readonly boundary: number; readonly fill: number | undefined; readonly max: number | undefined })
  | (ItemBase & { readonly kind: 'extable'; readonly fields: readonly Expr[] });

/** One input section (`.text`, `.text.init`, `__ex_table`, ...). */
export interface Section {
  /** Name as written. */
  readonly name: string;
  /** Output section it goes to. */
  readonly kind: SectionKind;
  /** Items in source order. */
  readonly items: Item[];
  /** Largest alignment requested in it (bytes). */
  align: number;
  /** Address of the first byte in the current layout. */
  base: number;
  /** Size in bytes in the current layout. */
  size: number;
}

/**
 * Output section of an input section named `name` with ELF-style `flags`
 * (`"ax"`, `"aw"`, `"a"`) and `type` (`@nobits`), or undefined when the
 * name says nothing and no flags were given.
 */
export function classifySection(name: string, flags: string | undefined, type: string | undefined): SectionKind | undefined {
  const starts = (p: string): boolean => name === p || name.startsWith(p + '.');
  if (starts('.text')) return 'text';
  if (starts('.rodata') || starts('.srodata') || name === '__ex_table') return 'rodata';
  if (starts('.bss') || starts('.sbss')) return 'bss';
  if (starts('.data') || starts('.sdata')) return 'data';
  if (flags === undefined) return undefined;
  if (flags.includes('x')) return 'text';
  if (flags.includes('w')) return type === 'nobits' ? 'bss' : 'data';
  return 'rodata';
}
