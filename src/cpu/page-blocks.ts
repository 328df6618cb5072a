import type { CompiledBlock } from './block-compiler.js';

/**
 * Compiled code of one decoded page, owned by the cpu (Cpu.run) and filled
 * by the compiling tiers: per instruction slot a block, null (not
 * compilable) or undefined (not compiled yet), and the interpreter's counts.
 * @internal
 */
export interface PageBlocks {
  readonly blocks: (CompiledBlock | null | undefined)[];
  /**
   * Times each block start was interpreted (the compile trigger); at a
   * compiled start, the interpretations left before it is entered again
   * (Cpu.run rests compiled code that faults at once).
   */
  readonly heat: Uint16Array;
  /** Modules compiled for the page (the wasm tier). */
  compiles: number;
  /** Block starts interpreted in the page before its first module (the wasm tier compiles whole pages). */
  entered: number;
  /** Interpretations of a block start before it is compiled, in this page. */
  threshold: number;
}

/** A fresh page's record. @internal */
export function newPageBlocks(threshold: number): PageBlocks {
  return { blocks: new Array<CompiledBlock | null | undefined>(1024).fill(undefined), heat: new Uint16Array(1024), compiles: 0, entered: 0, threshold };
}
