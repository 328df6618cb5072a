/**
 * The ELF reader's view of its input: bounds-checked reads, one-line
 * errors naming the file and the record, and the section-header record the
 * other parts of the reader share.
 */

import { FormatError } from '../errors.js';
import { quote } from '../quote.js';

/** Unpadded hex for messages; sums past 32 bits print as they are. */
export function hex(value: number): string {
  return value < 0 ? '-0x' + (-value).toString(16) : '0x' + value.toString(16);
}

/**
 * The input buffer with checked access. Callers check a record's bounds
 * with {@link ElfInput.need} before reading its fields; the read helpers
 * themselves assume in-bounds offsets.
 */
export class ElfInput {
  readonly view: DataView;
  readonly length: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly name: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }

  /** Throws a FormatError `name: where: message`. */
  fail(where: string, message: string): never {
    throw new FormatError(`${this.name}: ${where}: ${message}`);
  }

  /** Checks that `[offset, offset + size)` lies inside the file; `what` names the record. */
  need(offset: number, size: number, where: string, what: string): void {
    if (offset + size > this.length) {
      this.fail(
        where,
        `${what} ends at ${hex(offset + size)}, past the end of the file (${hex(this.length)} bytes)`,
      );
    }
  }

  u8(offset: number): number {
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }
  i16(offset: number): number {
    return this.view.getInt16(offset, true);
  }
  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
  i32(offset: number): number {
    return this.view.getInt32(offset, true);
  }
}

/** One `Elf32_Shdr` with its index, file offset and resolved name. */
export interface SectionHeader {
  readonly index: number;
  readonly at: number;
  readonly name: string;
  readonly sh_name: number;
  readonly sh_type: number;
  readonly sh_flags: number;
  readonly sh_addr: number;
  readonly sh_offset: number;
  readonly sh_size: number;
  readonly sh_link: number;
  readonly sh_entsize: number;
}


/** Message prefix for a section header: `section header 3 at offset 0x2f4`. */
export function shdrAt(index: number, at: number, name = ''): string {
  return `section header ${index}${name ? ` (${quote(name)})` : ''} at offset ${hex(at)}`;
}

/** A section header before its name is resolved. */
export type RawSection = Omit<SectionHeader, 'name'>;
