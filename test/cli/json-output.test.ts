/**
 * Every JSON output of the command line parses and has the fields
 * docs/access-tracking.md documents: --access-log, --dirty-log=FILE,
 * --trace-faults=FILE, --stats --json and inspect --json.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-json-'));
const path = (name: string): string => join(dir, name);

/** 8 data pages, each read and written every 8 rounds; 3000 rounds (about 24,000 instructions). */
export const JSON_PROGRAM = `
  .text
  .globl _start
_start:
  la s1, buf
  li s2, 3000
loop:
  andi t0, s2, 7
  slli t0, t0, 12
  add t0, t0, s1
  lw t1, 0(t0)
  addi t1, t1, 1
  sw t1, 0(t0)
  addi s2, s2, -1
  bnez s2, loop
  li a0, 0
  li a7, 93
  ecall
  .data
  .balign 4096
buf: .space 32768
`;
writeFileSync(path('p.s'), JSON_PROGRAM);

const lines = (file: string): Record<string, unknown>[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const isPageList = (v: unknown): boolean => Array.isArray(v) && v.every((p) => Number.isInteger(p) && (p as number) % 4096 === 0) && v.every((p, k) => k === 0 || (v[k - 1] as number) < (p as number));

describe('JSON outputs of faultline run', () => {
  const r = faultline(['run', path('p.s'), '--access-log', path('a.jsonl'), '--access-epoch', '5000', '--dirty-log=' + path('d.jsonl'), '--trace-faults=' + path('t.jsonl'), '--stats', '--json']);

  it('runs as without the logs', () => {
    expect(r.status).toBe(0);
  });

  it('--access-log: a header with the maps, one record per epoch, a summary', () => {
    const records = lines(path('a.jsonl'));
    const [header, ...rest] = records;
    expect(header).toMatchObject({ type: 'header', format: 'faultline-access-log', version: 1, pageSize: 4096, epochInstructions: 5000, idleEpochs: 4, startInstret: 0 });
    const maps = header!['maps'] as { start: number; end: number; perms: string; offset: number; name: string }[];
    expect(maps.some((m) => m.name === '[stack]' && m.perms === 'rw-p')).toBe(true);
    expect(maps.some((m) => m.perms === 'r-xp' && m.name.endsWith('p.s'))).toBe(true);
    const summary = rest.pop()!;
    const epochs = rest;
    expect(epochs.length).toBe(5); // 24,007 instructions in epochs of 5,000
    epochs.forEach((e, k) => {
      expect(e).toMatchObject({ type: 'epoch', epoch: k, idleEpochs: 4 });
      expect(e['instructions']).toBe((e['endInstret'] as number) - (e['startInstret'] as number));
      for (const key of ['read', 'written', 'executed', 'idle']) expect(isPageList(e[key]), key).toBe(true);
      expect((e['read'] as number[]).length).toBe(8);
      expect((e['written'] as number[]).length).toBe(8);
      expect((e['executed'] as number[]).length).toBe(1);
      expect(e['workingSet']).toBe(9);
      expect(e['faults']).toBe(17);
      for (const t of e['touches'] as Record<string, unknown>[]) {
        expect(Object.keys(t).sort()).toEqual(['instret', 'kind', 'page', 'pc', 'tid']);
        expect(['read', 'write', 'execute']).toContain(t['kind']);
        expect(t['tid']).toBe(1);
      }
    });
    expect(epochs.slice(0, 4).every((e) => e['instructions'] === 5000)).toBe(true);
    expect(summary).toMatchObject({ type: 'summary', epochs: 5, instructions: 24_007, trackerFaults: 85, outcome: { kind: 'exit', exitCode: 0 } });
    expect((summary['faults'] as { byHandler: Record<string, number> }).byHandler['access-tracking']).toBe(85);
  });

  it('--dirty-log=FILE: one record per epoch with the pages written', () => {
    const [header, ...rest] = lines(path('d.jsonl'));
    expect(header).toMatchObject({ type: 'header', format: 'faultline-dirty-log', version: 1, epochInstructions: 5000 });
    const summary = rest.pop()!;
    expect(rest.length).toBe(5);
    for (const e of rest) {
      expect(e).toMatchObject({ type: 'epoch', count: 8, faults: 8 });
      expect(isPageList(e['pages'])).toBe(true);
    }
    expect(summary).toMatchObject({ type: 'summary', epochs: 5, pages: 8, faults: 40 });
  });

  it('--trace-faults=FILE: one record per fault with its outcome', () => {
    const [header, ...rest] = lines(path('t.jsonl'));
    expect(header).toMatchObject({ type: 'header', format: 'faultline-fault-trace', version: 1 });
    const summary = rest.pop()!;
    expect(rest.length).toBe(125);
    for (const f of rest) {
      expect(Object.keys(f).sort()).toEqual(['access', 'address', 'by', 'cause', 'causeName', 'description', 'instret', 'outcome', 'pc', 'protection', 'size', 'tid', 'type']);
      expect(f).toMatchObject({ type: 'fault', outcome: 'fixed', tid: 1, protection: true });
    }
    expect(rest[0]).toMatchObject({ access: 'execute', cause: 12, by: 'access-tracking' });
    expect(summary).toMatchObject({ type: 'summary', faults: { total: 125, unresolved: 0 } });
  });

  it('--stats --json: one JSON object on stderr', () => {
    const stats = JSON.parse(r.stderr.trim()) as Record<string, unknown>;
    expect(stats).toMatchObject({ type: 'stats', version: 1, instructions: 24_007, executed: 24_007, faults: { total: 125, unresolved: 0, byHandler: { 'access-tracking': 85, 'dirty-log-file': 40 } }, rseq: { aborts: 0, cpus: 1 } });
    expect(stats['threads']).toEqual([{ tid: 1, instructions: 24_007, faults: 125, rseqAborts: 0, state: 'exited', exitStatus: 0 }]);
    expect(typeof stats['seconds']).toBe('number');
  });

  it('refuses --json without --stats, an empty file name and an uncreatable file, in one line', () => {
    expect(faultline(['run', path('p.s'), '--json']).stderr).toMatch(/^faultline: run: --json goes with --stats\n$/);
    expect(faultline(['run', path('p.s'), '--dirty-log=']).stderr).toMatch(/--dirty-log=FILE: the file name is empty/);
    const bad = faultline(['run', path('p.s'), '--access-log', join(dir, 'no', 'such', 'a.jsonl')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^faultline: --access-log .*a\.jsonl: cannot create the file \(ENOENT\)\n$/);
    // The bare flags keep their meaning.
    expect(faultline(['run', path('p.s'), '--dirty-log']).stderr).toMatch(/\[dirty-log\] 8 pages written/);
  });
});

describe('JSON outputs of faultline restore', () => {
  it('--access-log and --stats --json continue from the image', () => {
    const images = path('restore-images');
    expect(faultline(['run', path('p.s'), '--stats', '--max-instructions', '12000', '--checkpoint-every', '10000', '--checkpoint-dir', images]).status).toBe(124);
    const r = faultline(['restore', images, '--no-checkpoint', '--access-log', path('ra.jsonl'), '--access-epoch', '5000', '--json']);
    expect(r.status).toBe(0);
    const [header, first, ...rest] = lines(path('ra.jsonl'));
    expect(header).toMatchObject({ type: 'header', program: images, startInstret: 10_000 });
    expect(first).toMatchObject({ type: 'epoch', epoch: 0, startInstret: 10_000, endInstret: 15_000, workingSet: 9 });
    expect(rest.at(-1)).toMatchObject({ type: 'summary', instructions: 14_007, outcome: { kind: 'exit', exitCode: 0 } });
    expect(JSON.parse(r.stderr.trim())).toMatchObject({ type: 'stats', instructions: 24_007, executed: 14_007 });
  });
});

describe('faultline inspect --json', () => {
  it('prints every section, the page index and the chain as one JSON object', () => {
    const images = path('images');
    expect(faultline(['run', path('p.s'), '--checkpoint-every', '5000', '--checkpoint-dir', images]).status).toBe(0);
    const names = readdirSync(images).sort();
    expect(names.length).toBeGreaterThan(1);
    const full = JSON.parse(faultline(['inspect', '--json', join(images, names[0]!)]).stdout) as Record<string, any>;
    const inc = JSON.parse(faultline(['inspect', '--json', join(images, names[1]!)]).stdout) as Record<string, any>;
    for (const key of ['header', 'chain', 'sections', 'meta', 'cpu', 'threads', 'layout', 'guestHandlers', 'exceptionTable', 'plugins', 'pages']) expect(full, key).toHaveProperty(key);
    expect(full).toMatchObject({ type: 'image', format: 'faultline-inspect', version: 1, chain: { sequence: 0, parentId: 0, incremental: false } });
    expect(inc.chain).toMatchObject({ id: full.chain.id, sequence: 1, parentId: full.chain.imageId, incremental: true });
    expect(full.sections.map((s: { tag: string }) => s.tag)).toContain('PIDX');
    expect(full.cpu.regs).toHaveLength(32);
    expect(full.pages.count).toBe(full.pages.index.length);
    for (const p of full.pages.index) expect(Object.keys(p).sort()).toEqual(['crc', 'dataspace', 'offset', 'page']);
    expect(full.layout.dataspaces.some((d: { name: string }) => d.name === '[stack]')).toBe(true);
  });
});
