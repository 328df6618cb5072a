/**
 * write-tracking.ts — read-only-attach write tracking (docs/design.md §1 Genode,
 * §5): which of several dataspaces did the program write, and where first?
 *
 * What it shows:
 * - the {@link writeTracking} plugin attaches three writable dataspaces
 *   read-only at region level: `config` straight into the address space,
 *   `table` two levels deep in nested region maps, and `rom` inside a map
 *   that is itself attached read-only;
 * - the guest reads all three (reads never fault) and writes `table` many
 *   times: one fault, recorded with page and pc, then the region is
 *   writable and the other writes run without faults;
 * - a write into `rom` is refused: the effective right is the AND along
 *   the nesting path, so the tracker does not upgrade what the user made
 *   read-only; the fault goes on to a host handler that skips the store;
 * - `rearm()` at a marker system call ends the first arming; in the second
 *   the guest writes `config`, which faults once again.
 *
 * Run it:
 *
 *     npm run build && node dist/examples/write-tracking.js
 *
 * Output (pcs come from the assembled program):
 *
 *     arming 1: table page 1 at 0x50102010 by pc 0x00010024 (#1)
 *     arming 2: config page 0 at 0x50000008 by pc 0x00010044 (#2)
 *     write faults: 4 (2 tracked, 2 refused in rom); read faults: 0
 *     rom stays read-only: true; table[1][4] = 100
 */

import { pathToFileURL } from 'node:url';
import { Access, FaultStatus, Machine, PAGE_SIZE, assemble, hex32, type Fault, type UserContext } from '../src/index.js';
import { writeTracking, type WriteRecord } from '../handlers/index.js';

/** Marker system call ending an arming. */
const REARM = 0x7ff;
/** Where the three regions appear in the guest. */
const CONFIG = 0x5000_0000, TABLE = 0x5010_1000, ROM = 0x5020_0000;

const GUEST = `
    .text
    .globl  _start
_start:
    li      s1, ${CONFIG}
    li      s2, ${TABLE}
    li      s3, ${ROM}
    lw      t0, 0(s1)              # reads: no faults
    lw      t0, 0(s2)
    lw      t0, 0(s3)
    li      t2, 100
    li      t1, ${PAGE_SIZE}
    add     s4, s2, t1             # table page 1
1:  sw      t2, 16(s4)             # 100 writes, one fault
    addi    t2, t2, -1
    bnez    t2, 1b
    li      t2, 100
    sw      t2, 16(s4)
    sw      t2, 0(s3)              # rom: refused, skipped
    li      a7, ${REARM}
    ecall
    sw      t2, 8(s1)              # second arming: config
    sw      t2, 0(s3)              # still refused
    li      a0, 0
    li      a7, 93
    ecall
`;

/** Runs the example; returns the lines it prints. */
export function writeTrackingExample(): string[] {
  const lines: string[] = [];
  const machine = new Machine({ memoryQuota: 64 << 20 });
  machine.load(assemble(GUEST, { fileName: 'write-tracking.s' }));
  const as = machine.addressSpace;
  const tracker = writeTracking();
  machine.use(tracker);

  // config: directly in the root map.
  tracker.track(as.createDataspace(PAGE_SIZE, { name: 'config' }), { at: CONFIG });
  // table: two levels of nested maps, every attach writable.
  const outer = as.createRegionMap(1 << 20, { name: 'outer' });
  const inner = as.createRegionMap(64 * PAGE_SIZE, { name: 'inner' });
  as.root.attach(outer, { at: 0x5010_0000 });
  outer.attach(inner, { at: PAGE_SIZE });
  const table = as.createDataspace(2 * PAGE_SIZE, { name: 'table' });
  tracker.track(table, { into: inner, at: 0 });
  // rom: a writable dataspace in a map the user attached read-only.
  const romMap = as.createRegionMap(16 * PAGE_SIZE, { name: 'rom-map' });
  as.root.attach(romMap, { at: ROM, writable: false });
  const rom = as.createDataspace(PAGE_SIZE, { name: 'rom' });
  const romRegion = tracker.track(rom, { into: romMap, at: 0 });

  let refused = 0;
  machine.registerFaultHandler((fault: Fault, ctx: UserContext) => {
    if (fault.access !== Access.Write) return FaultStatus.Continue;
    refused++;
    ctx.pc += 4;
    return FaultStatus.Fixed;
  }, { tail: true, name: 'skip refused stores' });
  const faults = { read: 0, write: 0 };
  machine.events.on('fault', (f) => { if (f.access === Access.Read) faults.read++; else faults.write++; });

  const describe = (w: WriteRecord) => `${w.dataspace.name} page ${w.page} at ${hex32(w.address)} by pc ${hex32(w.pc)} (#${w.sequence})`;
  let arming = 0;
  machine.events.on('syscall', (nr) => {
    if (nr === REARM) lines.push(`arming ${++arming}: ${tracker.rearm().map(describe).join(', ')}`);
  });
  machine.run();
  lines.push(`arming ${++arming}: ${tracker.rearm().map(describe).join(', ')}`);
  lines.push(`write faults: ${faults.write} (${faults.write - refused} tracked, ${refused} refused in rom); read faults: ${faults.read}`);
  const word = new DataView(table.read(PAGE_SIZE + 16, 4).buffer).getInt32(0, true);
  lines.push(`rom stays read-only: ${romRegion.armed && new DataView(rom.read(0, 4).buffer).getInt32(0, true) === 0}; table[1][4] = ${word}`);
  return lines;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of writeTrackingExample()) console.log(line);
}
