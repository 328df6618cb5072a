/**
 * The HTML report of `faultline report` (docs/access-tracking.md): one
 * self-contained file — inline CSS, inline SVG, a few lines of inline
 * script for the hover read-out, no network — with an access heatmap
 * (pages × epochs), the working-set size and dirty rate over time and
 * the fault summary by cause and by handler.
 *
 * Heatmap cells are SVG `rect`s carrying `data-page` (page address,
 * decimal), `data-epoch` and `data-kind` (the kinds touched, a subset of
 * "rwx" in that order), so tools and tests can read the picture back.
 * Past {@link MAX_ROWS} touched pages a row merges several consecutive
 * touched pages of one mapping; its cells add `data-last-page` and
 * `data-pages` (how many touched pages it merges).
 */
import type { AccessLog, LogMapping } from './access-log.js';

/** Fill of each combination of kinds (bit 1 read, 2 write, 4 execute). */
const COLOURS: readonly string[] = ['#ffffff', '#4a90d9', '#d94a4a', '#9b4ad9', '#3fae5a', '#2aa3a3', '#e08a1e', '#333333'];
const KIND_NAMES: readonly string[] = ['', 'r', 'w', 'rw', 'x', 'rx', 'wx', 'rwx'];

/** `text` safe inside HTML text and attribute values. */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The mapping holding `page`, if any (maps sorted by start). */
function mappingOf(maps: readonly LogMapping[], page: number): LogMapping | null {
  for (const m of maps) if (page >= m.start && page < m.end) return m;
  return null;
}

/** Most heatmap rows before rows merge pages. */
export const MAX_ROWS = 2048;

/** One heatmap row: touched pages `first`..`last` (`count` of them) and their kinds per epoch. */
interface Row {
  readonly first: number;
  readonly last: number;
  readonly count: number;
  readonly kinds: Uint8Array;
}

/** One row group of the heatmap: consecutive touched pages of one mapping. */
interface Group {
  readonly label: string;
  readonly pages: number[];
}

/** The touched pages, grouped by the mapping they fall in (first record's maps, then the summary's). */
function groups(log: AccessLog, kinds: Map<number, Uint8Array>): Group[] {
  const maps = [...log.maps, ...(log.summary?.maps ?? []).filter((m) => !log.maps.some((n) => n.start === m.start && n.end === m.end))].sort((a, b) => a.start - b.start);
  const out: Group[] = [];
  let current: Group | null = null;
  let currentMap: LogMapping | null | undefined;
  for (const page of [...kinds.keys()].sort((a, b) => a - b)) {
    const m = mappingOf(maps, page);
    if (current === null || m !== currentMap) {
      currentMap = m;
      const name = m === null ? '(unmapped at start and end)' : m.name === '' ? '(anonymous)' : m.name;
      current = { label: m === null ? name : `${name} ${hex(m.start)}-${hex(m.end)} ${m.perms}`, pages: [] };
      out.push(current);
    }
    current.pages.push(page);
  }
  return out;
}

/** A line chart of `values` (one per epoch) as inline SVG. */
function lineChart(title: string, values: readonly number[], unit: string, colour: string, id: string): string {
  const w = 560, h = 160, left = 48, bottom = 24, top = 12;
  const max = Math.max(1, ...values);
  const x = (k: number): number => left + (values.length <= 1 ? 0 : (k * (w - left - 10)) / (values.length - 1));
  const y = (v: number): number => top + (h - top - bottom) * (1 - v / max);
  const points = values.map((v, k) => `${x(k).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const dots = values.map((v, k) => `<circle cx="${x(k).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${colour}" data-epoch="${k}" data-value="${v}"><title>epoch ${k}: ${v} ${esc(unit)}</title></circle>`).join('');
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption>
<svg id="${id}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}">
<line x1="${left}" y1="${h - bottom}" x2="${w - 4}" y2="${h - bottom}" stroke="#999"/><line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="#999"/>
<text x="${left - 4}" y="${top + 4}" text-anchor="end" class="axis">${max}</text><text x="${left - 4}" y="${h - bottom}" text-anchor="end" class="axis">0</text>
<text x="${left}" y="${h - 6}" class="axis">epoch 0</text><text x="${w - 4}" y="${h - 6}" text-anchor="end" class="axis">epoch ${Math.max(0, values.length - 1)}</text>
<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points}"/>${dots}
</svg></figure>`;
}

/** A two-column table of counts, largest first. */
function countTable(title: string, counts: Readonly<Record<string, number>>, head: string, id: string): string {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const body = rows.length === 0 ? '<tr><td colspan="2">none</td></tr>' : rows.map(([k, n]) => `<tr><td>${esc(k)}</td><td class="num">${n}</td></tr>`).join('');
  return `<table id="${id}"><caption>${esc(title)}</caption><thead><tr><th>${esc(head)}</th><th>faults</th></tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * The report's HTML for `log`; `source` names the log file in the title.
 *
 * @example
 * ```ts
 * writeFileSync('report.html', reportHtml(parseAccessLog(text, 'run.jsonl'), 'run.jsonl'));
 * ```
 */
export function reportHtml(log: AccessLog, source: string): string {
  const epochs = log.epochs;
  // Kinds per touched page per epoch.
  const kinds = new Map<number, Uint8Array>();
  const cell = (page: number): Uint8Array => {
    let row = kinds.get(page);
    if (row === undefined) kinds.set(page, row = new Uint8Array(epochs.length));
    return row;
  };
  epochs.forEach((e, k) => {
    for (const p of e.read) cell(p)[k]! |= 1;
    for (const p of e.written) cell(p)[k]! |= 2;
    for (const p of e.executed) cell(p)[k]! |= 4;
  });
  const rowGroups = groups(log, kinds);
  // Past MAX_ROWS touched pages, each row merges `per` consecutive touched pages of a group (kinds ORed).
  const per = Math.max(1, Math.ceil(kinds.size / MAX_ROWS));
  const rowsOf = (g: Group): Row[] => {
    const out: Row[] = [];
    for (let i = 0; i < g.pages.length; i += per) {
      const pages = g.pages.slice(i, i + per);
      const merged = new Uint8Array(epochs.length);
      for (const p of pages) { const r = kinds.get(p)!; for (let k = 0; k < r.length; k++) merged[k]! |= r[k]!; }
      out.push({ first: pages[0]!, last: pages[pages.length - 1]!, count: pages.length, kinds: merged });
    }
    return out;
  };
  const grouped = rowGroups.map((g) => ({ label: g.label, rows: rowsOf(g) }));
  const rowCount = grouped.reduce((n, g) => n + g.rows.length, 0);
  const cw = Math.max(3, Math.min(22, Math.floor(900 / Math.max(1, epochs.length))));
  const ch = Math.max(2, Math.min(12, Math.floor(1400 / Math.max(1, rowCount))));
  const labelW = 330, headerH = 16, gap = 14;
  const height = headerH + rowCount * ch + rowGroups.length * gap + 8;
  const width = labelW + epochs.length * cw + 10;
  const parts: string[] = [];
  let y = headerH;
  for (const g of grouped) {
    parts.push(`<text x="4" y="${y + 10}" class="group">${esc(g.label)}</text>`);
    y += gap;
    for (const row of g.rows) {
      const merged = row.count > 1 ? ` data-last-page="${row.last}" data-pages="${row.count}"` : '';
      if (ch >= 8) parts.push(`<text x="${labelW - 6}" y="${y + ch - 2}" text-anchor="end" class="page">${hex(row.first)}${row.count > 1 ? `..${hex(row.last)} (${row.count})` : ''}</text>`);
      for (let k = 0; k < row.kinds.length; k++) {
        const bits = row.kinds[k]!;
        if (bits === 0) continue;
        parts.push(`<rect x="${labelW + k * cw}" y="${y}" width="${cw - (cw > 4 ? 1 : 0)}" height="${ch - (ch > 3 ? 1 : 0)}" fill="${COLOURS[bits]}" data-page="${row.first}" data-epoch="${k}" data-kind="${KIND_NAMES[bits]}"${merged}></rect>`);
      }
      y += ch;
    }
  }
  for (let k = 0; k < epochs.length; k += Math.max(1, Math.ceil(epochs.length / 12))) {
    parts.push(`<text x="${labelW + k * cw}" y="11" class="axis">${k}</text>`);
  }
  const legend = [1, 2, 3, 4, 5, 6, 7].map((b) => `<span class="key"><span class="swatch" style="background:${COLOURS[b]}"></span>${KIND_NAMES[b]}</span>`).join('');
  const working = epochs.map((e) => e.workingSet);
  const dirty = epochs.map((e) => e.written.length);
  const perMillion = epochs.map((e) => (e.endInstret > e.startInstret ? Math.round((e.written.length * 1e6) / (e.endInstret - e.startInstret)) : 0));
  const s = log.summary;
  const instructions = s?.instructions ?? epochs.reduce((n, e) => n + e.endInstret - e.startInstret, 0);
  const faults = s === null ? '<p>The log has no summary record (the run did not finish).</p>'
    : `<p>${s.faults.total} faults, ${s.faults.unresolved} unresolved.</p><div class="tables">${countTable('by cause', s.faults.byCause, 'cause', 'faults-by-cause')}${countTable('fixed by handler', s.faults.byHandler, 'handler', 'faults-by-handler')}</div>`;
  const title = `faultline access report: ${log.program}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#555}.key{margin-right:14px;white-space:nowrap}.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border:1px solid #999}
.heat{overflow:auto;max-height:80vh;border:1px solid #ddd;background:#fff}
svg text{font:11px ui-monospace,monospace;fill:#444}svg text.group{font-weight:bold;fill:#222}svg text.axis{fill:#777}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;background:#fff;border:1px solid #ddd;padding:8px}figcaption{font-weight:bold;margin-bottom:4px}
.tables{display:flex;gap:24px;align-items:flex-start}table{border-collapse:collapse;background:#fff}caption{text-align:left;font-weight:bold;padding:4px 0}
td,th{border:1px solid #ddd;padding:3px 10px}th{background:#f0f0f0}.num{text-align:right;font-variant-numeric:tabular-nums}
#readout{min-height:1.4em;font-family:ui-monospace,monospace;color:#333}
</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">Log ${esc(source)}: ${epochs.length} epochs of ${log.epochInstructions} instructions (${instructions} instructions in all), ${kinds.size} pages touched${per > 1 ? ` (each row merges ${per} consecutive touched pages)` : ''}; idle means untouched for ${log.idleEpochs} epochs.</p>
<h2>Accesses: pages × epochs</h2>
<p>${legend}</p>
<p id="readout">Point at a cell.</p>
<div class="heat"><svg id="heatmap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="access heatmap">${parts.join('')}</svg></div>
<h2>Over time</h2>
<div class="charts">${lineChart('working-set size (pages)', working, 'pages', '#4a90d9', 'working-set')}${lineChart('dirty rate (pages written per epoch)', dirty, 'pages written', '#d94a4a', 'dirty-rate')}${lineChart('dirty rate (pages written per million instructions)', perMillion, 'pages / Minstr', '#e08a1e', 'dirty-rate-per-minstr')}</div>
<h2>Faults</h2>
${faults}
<script>
(function () {
  var out = document.getElementById('readout');
  var names = { r: 'read', w: 'written', x: 'executed' };
  document.getElementById('heatmap').addEventListener('mousemove', function (ev) {
    var t = ev.target;
    if (!t || !t.getAttribute || t.getAttribute('data-page') === null) return;
    var hex = function (n) { return '0x' + Number(n).toString(16).padStart(8, '0'); };
    var kinds = t.getAttribute('data-kind').split('').map(function (c) { return names[c]; }).join(', ');
    var last = t.getAttribute('data-last-page');
    var where = last === null ? 'page ' + hex(t.getAttribute('data-page')) : t.getAttribute('data-pages') + ' pages ' + hex(t.getAttribute('data-page')) + '..' + hex(last);
    out.textContent = where + ', epoch ' + t.getAttribute('data-epoch') + ': ' + kinds;
  });
  document.body.setAttribute('data-ready', 'true');
})();
</script>
</body></html>
`;
}
