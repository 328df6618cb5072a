/**
 * The assembler's state while it reads a source: sections, the current
 * section and the `.pushsection` stack, symbol definitions (labels and
 * `.equ`/`.set` values, with numeric local labels and redefinitions given
 * unique names) and the diagnostics gathered so far.
 */
import { StatementError, type Diagnostic } from './assembly-error.js';
import type { Expr, NameResolver } from './expression.js';
import { classifySection, type Item, type Section, type SectionKind } from './section.js';

/** A label: a position in a section. */
export interface LabelDef {
  readonly kind: 'label';
  readonly section: Section;
  readonly item: Item;
  readonly line: number;
  readonly column: number;
}

/**
 * A value set by `.equ`, `.set` or `=`: an expression evaluated with `.`
 * at the position of the directive (`index` in `section.items`).
 */
export interface EquDef {
  readonly kind: 'equ';
  readonly expr: Expr;
  readonly section: Section;
  readonly index: number;
  readonly line: number;
  readonly column: number;
}

/** Separator of generated symbol names; cannot appear in source names. */
export const INTERNAL = '\u0001';

/** Most sections a source may create (bounds work on hostile input). */
export const MAX_SECTIONS = 256;

/** Mutable state of one assembly run. */
export class AssemblerState {
  readonly sections: Section[] = [];
  /** Symbols by (internal) name. */
  readonly symbols = new Map<string, LabelDef | EquDef>();
  /** How many versions of each redefined `.set` symbol exist. */
  private readonly versions = new Map<string, number>();
  /** Names shown in messages for generated names (`1f` for `.L1^B3`). */
  readonly displayNames = new Map<string, string>();
  /** Symbols named by `.globl`, with where. */
  readonly globals = new Map<string, { line: number; column: number }>();
  readonly diagnostics: Diagnostic[] = [];
  private readonly localCounts = new Map<bigint, number>();
  private readonly stack: Section[] = [];
  private previous: Section | undefined;
  current: Section;
  /** Line of the statement being read. */
  line = 0;

  /** @param file - file name for diagnostics */
  constructor(readonly file: string) {
    this.current = this.section('.text', undefined, undefined, 1);
  }

  /** Records an error at `column` of the current line. */
  error(column: number, message: string, line = this.line): void {
    this.diagnostics.push({ file: this.file, line, column, message });
  }

  /**
   * The input section `name`, created on first use. Throws
   * {@link StatementError} when its kind cannot be told.
   */
  section(name: string, flags: string | undefined, type: string | undefined, column: number): Section {
    const found = this.sections.find((s) => s.name === name);
    if (found) return found;
    const kind: SectionKind | undefined = classifySection(name, flags, type);
    if (kind === undefined) throw new StatementError(column, `section ${name} needs flags "ax", "aw" or "a"`);
    if (this.sections.length >= MAX_SECTIONS) throw new StatementError(column, `too many sections (at most ${MAX_SECTIONS})`);
    // as in GNU as, only `.text` itself starts out 4-byte aligned
    const s: Section = { name, kind, items: [], align: name === '.text' ? 4 : 1, base: 0, size: 0 };
    this.sections.push(s);
    return s;
  }

  /** Makes `s` current (`.section`); `.previous` returns to the one before. */
  switchTo(s: Section): void {
    if (s !== this.current) this.previous = this.current;
    this.current = s;
  }

  /** `.pushsection`. */
  push(s: Section): void {
    this.stack.push(this.current);
    this.switchTo(s);
  }

  /** `.popsection`; throws when the stack is empty. */
  pop(column: number): void {
    const s = this.stack.pop();
    if (s === undefined) throw new StatementError(column, '.popsection without .pushsection');
    this.switchTo(s);
  }

  /** `.previous`. */
  swapPrevious(column: number): void {
    if (this.previous === undefined) throw new StatementError(column, '.previous without an earlier section');
    this.switchTo(this.previous);
  }

  /** Appends an item to the current section. */
  emit(item: Item): void {
    this.current.items.push(item);
  }

  /** Defines label `name` here; throws when it is already defined. */
  defineLabel(name: string, column: number): void {
    const existing = this.symbols.get(name);
    if (existing !== undefined) {
      throw new StatementError(column, `symbol ${this.display(name)} already defined at line ${existing.line}`);
    }
    const item: Item = { kind: 'label', name, line: this.line, column, offset: 0, size: 0 };
    this.emit(item);
    this.symbols.set(name, { kind: 'label', section: this.current, item, line: this.line, column });
  }

  /** Defines numeric local label `n` here (`1:`). */
  defineLocal(n: bigint, column: number): void {
    const count = this.localCounts.get(n) ?? 0;
    const name = this.localName(n, count);
    this.displayNames.set(name, `${n}`);
    this.localCounts.set(n, count + 1);
    this.defineLabel(name, column);
  }

  private localName(n: bigint, instance: number): string {
    return `.L${n}${INTERNAL}${instance}`;
  }

  /** Resolves names in expressions written at the current position. */
  readonly names: NameResolver = {
    local: (n, direction, column) => this.localRef(n, direction, column),
    symbol: (name) => this.reference(name),
  };

  /** Resolves `1b`/`1f` to the unique name of the label meant. */
  private localRef(n: bigint, direction: 'b' | 'f', column: number): string {
    const count = this.localCounts.get(n) ?? 0;
    if (direction === 'b') {
      if (count === 0) throw new StatementError(column, `no local label ${n} before ${n}b`);
      return this.localName(n, count - 1);
    }
    const name = this.localName(n, count);
    this.displayNames.set(name, `${n}f`);
    return name;
  }

  /**
   * Defines `name = expr` (`.set`, `.equ`, `=`). A redefinition gets a new
   * internal name, so uses before it keep the old value (as in GNU as);
   * `unique` (`.equiv`) refuses any redefinition.
   */
  defineValue(name: string, expr: Expr, column: number, unique: boolean): void {
    const existing = this.symbols.get(name);
    if (existing !== undefined && (existing.kind === 'label' || unique)) {
      throw new StatementError(column, `symbol ${name} already defined at line ${existing.line}`);
    }
    const def: EquDef = { kind: 'equ', expr, section: this.current, index: this.current.items.length, line: this.line, column };
    const version = this.versions.get(name) ?? 0;
    this.versions.set(name, version + 1);
    // the plain name always holds the latest definition (forward references see it)
    this.symbols.set(name, def);
    const versioned = `${name}${INTERNAL}v${version}`;
    this.symbols.set(versioned, def);
    this.displayNames.set(versioned, name);
  }

  /**
   * The internal name a reference to `name` written here means: the
   * current version of a `.set` symbol, else `name` itself.
   */
  reference(name: string): string {
    const v = this.versions.get(name);
    return v === undefined ? name : `${name}${INTERNAL}v${v - 1}`;
  }

  /** Name of a symbol as the user wrote it. */
  display(name: string): string {
    return this.displayNames.get(name) ?? name;
  }
}
