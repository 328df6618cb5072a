import { hex32 } from '../../src/errors.js';
import { decodeImage } from '../../src/checkpoint/image-reader.js';
import { PageState, RUN_SHIFT, type DecodedImage } from '../../src/checkpoint/image-format.js';
import { readImageFile } from '../checkpoint-dir.js';
import { writeAllSync } from '../output.js';
import { CommandLineError, parseCommandLine } from '../usage-error.js';
import { imageJson } from '../json-image.js';

/** Help text of `faultline inspect`. */
export const INSPECT_HELP = `Usage: faultline inspect IMAGE

Decodes a checkpoint image and prints its contents: header, sections
(offset, length, CRC), the machine, CPU context, layout (region maps,
regions and rights, dataspaces and their pages, guest protection, brk and
mmap state), guest handlers, exception table, plugin state and page
counts. Every checksum is verified; a damaged image gives one line naming
the file and the byte offset (exit status 2).

Options:
  --json       print every section as one JSON object instead (header and
               chain, sections, machine, cpu, threads, layout, guest
               handlers, exception table, plugin state, page index)
  -h, --help   show this help
`;

/** ABI names of x0..x31. */
const ABI = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];

/** `faultline inspect`: returns the process exit status. */
export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('inspect', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(INSPECT_HELP));
    return 0;
  }
  if (positionals.length !== 1) throw new CommandLineError('inspect: expected exactly one IMAGE (see faultline inspect --help)');
  const path = positionals[0]!;
  const image = decodeImage(await readImageFile(path), path);
  const text = values.json === true ? JSON.stringify(imageJson(image)) : describeImage(image).join('\n');
  writeAllSync(1, new TextEncoder().encode(text + '\n'));
  return 0;
}

/** The lines `faultline inspect` prints for `image`. */
export function describeImage(image: DecodedImage): string[] {
  const h = image.header, out: string[] = [];
  out.push(`image ${image.name}: ${h.totalSize} bytes, format version ${h.version}`);
  out.push(`  ${h.incremental ? 'incremental' : 'full'} image, chain ${h.chainId}, sequence ${h.sequence}, id ${hex32(h.imageId)}, parent ${h.parentId === 0 ? 'none' : hex32(h.parentId)}`);
  out.push('', 'sections:', '  offset      length      crc         tag');
  for (const s of image.sections) out.push(`  ${hex32(s.offset)}  ${String(s.length).padStart(10)}  ${hex32(s.crc)}  ${s.tag}`);
  const m = image.meta;
  out.push('', `machine: program ${JSON.stringify(m.programName)} (entry ${hex32(m.programEntry)}), memory quota ${m.memoryQuota} bytes, ${m.exitCode === null ? 'running' : `exited with status ${m.exitCode}`}`);
  const c = image.cpu;
  out.push(`cpu: pc ${hex32(c.pc)}, instret ${c.instret}, reservation ${c.reservationValid ? `${hex32(c.reservationAddress)} (value ${hex32(c.reservationValue)})` : 'none'}`);
  for (let k = 0; k < 32; k += 4) {
    out.push('  ' + [0, 1, 2, 3].map((j) => `x${k + j}/${ABI[k + j]}`.padEnd(8) + ' ' + hex32(c.regs[k + j]!)).join('  '));
  }
  const th = image.threads;
  if (th !== null) {
    const cpus = th.cpus ?? 1, aborts = th.rseqAborts ?? 0;
    // Restartable sequences (docs/rseq.md): shown when the image uses them.
    const rseq = cpus > 1 || aborts > 0 ? `, ${cpus} virtual CPUs, ${aborts} rseq aborts` : '';
    out.push('', `threads: ${th.threads.length}, current ${th.currentTid}, next tid ${th.nextTid}, time slice ${th.timeSlice} (${th.sliceLeft} left), ${th.switches} switches${rseq}`);
    for (const t of th.threads) {
      const wait = t.waiting ? `futex wait on ${hex32(t.futexAddress)}${t.futexShared ? ' (shared)' : ''}${t.deadline === null ? '' : ` until ${t.deadline} ns`}` : 'runnable';
      const cpu = cpus > 1 ? `, cpu ${t.cpu ?? 0}` : '';
      const reg = t.rseq === undefined || t.rseq === null ? '' : `, rseq at ${hex32(t.rseq.address)} (${t.rseqAborts ?? 0} aborts)`;
      out.push(`  thread ${t.tid}: pc ${hex32(t.hart.pc)}, ${t.paused ? 'paused, ' : ''}${wait}, ${t.retired} instructions, ${t.faults} faults${cpu}${reg}`);
    }
  }
  const l = image.layout;
  out.push('', `layout: brk base ${hex32(l.brkBase)}, brk ${hex32(l.currentBrk)}${l.brkSet ? '' : ' (not set)'}, mmap top ${l.mmapTop === 2 ** 32 ? '2^32' : hex32(l.mmapTop)}`);
  const here = new Map<number, number>();
  for (const id of image.pages.ids) here.set(id, (here.get(id) ?? 0) + 1);
  const names = new Map<number, string>();
  for (const d of l.dataspaces) names.set(d.id, `dataspace #${d.id} ${JSON.stringify(d.name)}`);
  for (const mp of l.maps) names.set(mp.id, `region map #${mp.id} ${JSON.stringify(mp.name)}`);
  l.maps.forEach((mp, k) => {
    const root = k === l.maps.length - 1;
    out.push(`  ${root ? 'root ' : ''}region map #${mp.id} ${JSON.stringify(mp.name)}, ${mp.size} bytes, ${mp.regions.length} region(s)`);
    for (const r of mp.regions) {
      const rights = `r${r.writable ? 'w' : '-'}${r.executable ? 'x' : '-'}`;
      out.push(`    ${hex32(r.at)}-${hex32(r.at + r.size)} ${rights} -> ${names.get(r.target)} +${hex32(r.offset)}${r.name !== undefined ? ` as ${JSON.stringify(r.name)}` : ''}`);
    }
  });
  out.push(`  ${l.dataspaces.length} dataspace(s):`);
  for (const d of l.dataspaces) {
    const count = [0, 0, 0];
    for (const run of d.runs) count[run & 3]! += run >>> RUN_SHIFT;
    const flags = [d.writable ? 'writable' : 'sealed', d.owned ? 'owned' : '', d.shared ? 'shared' : ''].filter((f) => f !== '').join(', ');
    out.push(`    #${d.id} ${JSON.stringify(d.name)}: ${d.size} bytes (${flags}); pages: ${count[PageState.Data]} with contents, ${count[PageState.Zero]} zero, ${count[PageState.Retired]} unmapped; ${here.get(d.id) ?? 0} in this image`);
  }
  out.push(`  guest protection: ${l.protection.length === 0 ? 'none' : `${l.protection.length} run(s)`}`);
  for (const p of l.protection) {
    const rights = `${p.prot & 1 ? 'r' : '-'}${p.prot & 2 ? 'w' : '-'}${p.prot & 4 ? 'x' : '-'}`;
    out.push(`    ${hex32(p.firstPage * 4096)}-${hex32((p.firstPage + p.pageCount) * 4096)} ${rights}`);
  }
  const g = image.guestHandlers;
  out.push('', `guest handlers: ${g.functions.length === 0 ? 'none' : g.functions.map(hex32).join(', ')} (instruction limit ${g.instructionLimit})`);
  const x = image.exceptionTable;
  out.push(`exception table: ${x === null ? 'none' : `${x.length} entr${x.length === 1 ? 'y' : 'ies'}`}`);
  for (const e of x ?? []) out.push(`  ${hex32(e.insn)} -> ${hex32(e.fixup)} type ${e.type} data ${e.data}`);
  out.push(`plugin state: ${image.plugins.size === 0 ? 'none' : [...image.plugins].map(([n, s]) => `${n} (${s.length} bytes)`).join(', ')}`);
  out.push(`pages: ${image.pages.ids.length} (${image.pages.ids.length * 4096} bytes of data at ${hex32(image.pages.dataOffset)})`);
  return out;
}
