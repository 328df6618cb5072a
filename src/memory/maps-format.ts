/**
 * The `/proc/self/maps` view of an address space: the region-map tree
 * flattened to virtual ranges, with effective rights.
 */

import type { Dataspace } from './dataspace.js';
import { PAGE_SIZE, Prot } from './page.js';
import type { ProtectionLayer } from './protection-layer.js';
import type { RegionMap } from './region-map.js';
import type { Region } from './region.js';

/**
 * One line of `maps()`.
 *
 * @example
 * ```ts
 * const heap = as.mappings().find((m) => m.name === '[heap]');
 * ```
 */
export interface MapsEntry {
  /** First address. */
  readonly start: number;
  /** Address after the last byte. */
  readonly end: number;
  /** Effective read right. */
  readonly read: boolean;
  /** Effective write right. */
  readonly write: boolean;
  /** Effective execute right. */
  readonly exec: boolean;
  /** Shown as `s` rather than `p`. */
  readonly shared: boolean;
  /** Offset inside the dataspace of the first byte. */
  readonly offset: number;
  /** Region name, else dataspace name, else the name of an enclosing region; may be empty. */
  readonly name: string;
}

/** Column where Linux (32-bit) starts the name: seq_setwidth(25 + 6 * sizeof(void *) - 1), then one space. */
const NAME_COLUMN = 48;

/**
 * Flattens `root` through nested maps into entries sorted by address,
 * splitting where `guest` protection changes and merging adjacent pieces
 * with equal rights, sharing and name.
 *
 * @internal Use `addressSpace.mappings()`.
 */
export function collectMappings(root: RegionMap, guest: ProtectionLayer): MapsEntry[] {
  const out: MapsEntry[] = [];
  const emit = (start: number, end: number, ds: Dataspace, offset: number, w: boolean, x: boolean, name: string): void => {
    // Split by guest protection, page by page.
    let runStart = start;
    let runProt = guest.prot[start / PAGE_SIZE]!;
    for (let a = start + PAGE_SIZE; a <= end; a += PAGE_SIZE) {
      const prot = a < end ? guest.prot[a / PAGE_SIZE]! : -1;
      if (prot === runProt) continue;
      const entry: MapsEntry = {
        start: runStart,
        end: a,
        read: (runProt & Prot.Read) !== 0,
        write: w && (runProt & Prot.Write) !== 0,
        exec: x && (runProt & Prot.Exec) !== 0,
        shared: ds.shared,
        offset: offset + (runStart - start),
        name,
      };
      const prev = out[out.length - 1];
      if (
        prev !== undefined &&
        prev.end === entry.start &&
        prev.read === entry.read &&
        prev.write === entry.write &&
        prev.exec === entry.exec &&
        prev.shared === entry.shared &&
        prev.name === entry.name
      ) {
        out[out.length - 1] = { ...prev, end: entry.end };
      } else {
        out.push(entry);
      }
      runStart = a;
      runProt = prot;
    }
  };
  // Depth first with an explicit stack (nesting depth costs no host
  // stack). A frame: `regions` of one map still to visit from `next`,
  // `base` the virtual address of the map's offset 0, [lo, hi) its visible
  // part, the rights and name inherited from the regions above.
  interface Frame {
    readonly regions: readonly Region[];
    next: number;
    readonly lo: number;
    readonly hi: number;
    readonly base: number;
    readonly w: boolean;
    readonly x: boolean;
    readonly outer: string;
  }
  const stack: Frame[] = [{ regions: root.liveRegions(), next: 0, lo: 0, hi: root.size, base: 0, w: true, x: true, outer: '' }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.next >= f.regions.length) {
      stack.pop();
      continue;
    }
    const r = f.regions[f.next++]!;
    const s = Math.max(r.at, f.lo);
    const e = Math.min(r.at + r.size, f.hi);
    if (s >= e) continue;
    const target = r.target;
    const targetStart = r.offset + (s - r.at);
    const rw = f.w && r.writable;
    const rx = f.x && r.executable;
    const name = r.name || target.name || f.outer;
    if (target.isRegionMap) {
      stack.push({ regions: target.liveRegions(), next: 0, lo: targetStart, hi: targetStart + (e - s), base: f.base + r.at - r.offset, w: rw, x: rx, outer: name });
    } else {
      emit(f.base + s, f.base + e, target, targetStart, rw && target.writable, rx, name);
    }
  }
  return out;
}

/**
 * Formats entries like `/proc/self/maps`:
 * `00010000-00012000 r-xp 00000000 00:00 0          name`, one per line,
 * each ending in a newline.
 *
 * @example
 * ```ts
 * process.stdout.write(formatMaps(as.mappings()));
 * ```
 */
export function formatMaps(entries: readonly MapsEntry[]): string {
  let text = '';
  for (const m of entries) {
    let line =
      `${hex8(m.start)}-${hex8(m.end)} ` +
      `${m.read ? 'r' : '-'}${m.write ? 'w' : '-'}${m.exec ? 'x' : '-'}${m.shared ? 's' : 'p'} ` +
      `${hex8(m.offset)} 00:00 0`;
    if (m.name !== '') line = line.padEnd(NAME_COLUMN, ' ') + ' ' + m.name;
    text += line + '\n';
  }
  return text;
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}
