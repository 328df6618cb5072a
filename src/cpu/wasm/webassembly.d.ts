/*
 * The part of the WebAssembly JavaScript API the wasm tier uses. The
 * project's libraries (ES2022, no DOM) do not declare it; Node and every
 * browser provide it (where a page's policy allows).
 */
declare namespace WebAssembly {
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  interface TableDescriptor { element: 'anyfunc'; initial: number; maximum?: number }
  class Table {
    constructor(descriptor: TableDescriptor);
    readonly length: number;
    grow(delta: number): number;
    set(index: number, value: unknown): void;
  }
  function validate(bytes: Uint8Array): boolean;
}
