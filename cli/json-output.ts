/**
 * Machine-readable output of the command line (docs/access-tracking.md,
 * "JSON outputs"): JSON-lines files written record by record, and the
 * conversion of decoded structures (typed arrays, maps, byte strings) to
 * plain JSON values.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { MapsEntry } from '../src/memory/maps-format.js';
import { CliFileError } from './files.js';

/** Version of every JSON record format the command line writes (the `version` field of first records). */
export const JSON_FORMAT_VERSION = 1;

/**
 * A JSON-lines file: one JSON value per line, written synchronously as
 * each record is made (a run that stops early leaves every record so far).
 */
export class JsonLinesFile {
  private fd: number | null;

  /** Creates (truncates) `path`; `option` names the flag in errors. */
  constructor(readonly path: string, private readonly option: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw new CliFileError(`${option} ${path}: cannot create the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  /** Appends `record` as one line. */
  write(record: unknown): void {
    if (this.fd === null) return;
    const bytes = new TextEncoder().encode(JSON.stringify(record) + '\n');
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    } catch (err) {
      throw new CliFileError(`${this.option} ${this.path}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  /** Closes the file (further writes are dropped). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** One `maps()` entry as JSON: addresses as numbers, rights as an `rwxp` string. */
export interface JsonMapping {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly offset: number;
  readonly name: string;
}

/** The mappings of `entries` as JSON records. */
export function jsonMappings(entries: readonly MapsEntry[]): JsonMapping[] {
  return entries.map((m) => ({
    start: m.start,
    end: m.end,
    perms: `${m.read ? 'r' : '-'}${m.write ? 'w' : '-'}${m.exec ? 'x' : '-'}${m.shared ? 's' : 'p'}`,
    offset: m.offset,
    name: m.name,
  }));
}

/**
 * `value` as plain JSON: typed arrays become arrays of numbers, except
 * byte arrays longer than `maxBytes`, which become `{ "bytes": n, "base64": ... }`
 * (every byte kept); maps become objects (string keys) or arrays of pairs;
 * bigints become decimal strings; functions and undefined are dropped.
 */
export function toJsonValue(value: unknown, maxBytes = 64): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array && value.length > maxBytes) return { bytes: value.length, base64: Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64') };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, maxBytes) ?? null);
  if (value instanceof Map) {
    const keys = [...value.keys()];
    if (keys.every((k) => typeof k === 'string')) return Object.fromEntries([...value].map(([k, v]) => [k, toJsonValue(v, maxBytes)]));
    return [...value].map(([k, v]) => [toJsonValue(k, maxBytes), toJsonValue(v, maxBytes)]);
  }
  if (value instanceof Set) return [...value].map((v) => toJsonValue(v, maxBytes));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      out[k] = toJsonValue(v, maxBytes);
    }
    return out;
  }
  return undefined;
}
