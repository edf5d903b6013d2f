// Reports: the printed summary per section and verdict, JSON, one self-contained HTML page, and
// a Markdown table comparing several runs side by side.
import { VERDICTS, compareIds, section, type Verdict } from './case.js';
import { SECTION_TITLES } from './cases/index.js';
import type { LogEntry } from './wire.js';

export interface CaseResult {
  id: string;
  description: string;
  expectation: string;
  verdict: Verdict;
  /** Why the verdict: what was observed. */
  reason: string;
  durationMs: number;
  /** The close code the peer sent, if it sent a close frame. */
  closeCode: number | null;
  wire: LogEntry[];
  /** Wire log entries left out to keep the report small. */
  wireDropped: number;
}

export interface Report {
  tool: 'wsmith-spec';
  /** 'server': the suite tested a server; 'client': the suite (as fuzzing server) tested a client. */
  mode: 'server' | 'client';
  agent: string;
  target: string;
  startedAt: string;
  durationMs: number;
  results: CaseResult[];
}

export type Counts = Record<Verdict, number>;

const zero = (): Counts => ({ OK: 0, 'NON-STRICT': 0, FAILED: 0, INFORMATIONAL: 0, UNIMPLEMENTED: 0 });

/** Counts per section (in numeric order) and in total. */
export function summarize(report: Report): { sections: [string, Counts][]; total: Counts } {
  const map = new Map<string, Counts>();
  const total = zero();
  for (const r of report.results) {
    const s = section(r.id);
    if (!map.has(s)) map.set(s, zero());
    map.get(s)![r.verdict]++;
    total[r.verdict]++;
  }
  const sections = [...map.entries()].sort((a, b) => compareIds(a[0], b[0]));
  return { sections, total };
}

export function hasFailures(report: Report): boolean {
  return report.results.some((r) => r.verdict === 'FAILED');
}

/** The plain-text table printed at the end of a run. */
export function formatSummary(report: Report): string {
  const { sections, total } = summarize(report);
  const head = ['Section', ...VERDICTS, 'Time'];
  const rows: string[][] = sections.map(([s, c]) => {
    const ms = report.results.filter((r) => section(r.id) === s).reduce((a, r) => a + r.durationMs, 0);
    return [`${s} ${SECTION_TITLES[s] ?? ''}`.trim(), ...VERDICTS.map((v) => String(c[v])), `${(ms / 1000).toFixed(2)} s`];
  });
  rows.push(['Total', ...VERDICTS.map((v) => String(total[v])), `${(report.durationMs / 1000).toFixed(2)} s`]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [`wsmith-spec ${report.mode} mode, agent ${report.agent}, target ${report.target}`, line(head), line(widths.map((w) => '-'.repeat(w)))];
  for (const r of rows.slice(0, -1)) out.push(line(r));
  out.push(line(widths.map((w) => '-'.repeat(w))), line(rows[rows.length - 1]));
  const bad = report.results.filter((r) => r.verdict === 'FAILED' || r.verdict === 'NON-STRICT');
  if (bad.length > 0) {
    out.push('', 'Not OK:');
    for (const r of bad) out.push(`  ${r.id.padEnd(8)} ${r.verdict.padEnd(10)} ${r.reason}`);
  }
  return out.join('\n');
}

/** Markdown: one row per section, one column group per run ("OK / NON-STRICT / FAILED / ..."). */
export function formatMarkdownComparison(reports: Report[]): string {
  const sectionIds = [...new Set(reports.flatMap((r) => r.results.map((c) => section(c.id))))].sort(compareIds);
  const shown: Verdict[] = ['OK', 'NON-STRICT', 'FAILED', 'INFORMATIONAL', 'UNIMPLEMENTED'];
  const cell = (c: Counts | undefined): string => (c ? shown.map((v) => c[v]).join(' / ') : '–');
  const lines = [
    `Counts are ${shown.join(' / ')}.`,
    '',
    `| Section | ${reports.map((r) => `${r.agent} (${r.mode})`).join(' | ')} |`,
    `|---|${reports.map(() => '---').join('|')}|`,
  ];
  const summaries = reports.map(summarize);
  for (const s of sectionIds) {
    lines.push(`| ${s} ${SECTION_TITLES[s] ?? ''} | ${summaries.map((m) => cell(m.sections.find(([id]) => id === s)?.[1])).join(' | ')} |`);
  }
  lines.push(`| **Total** | ${summaries.map((m) => `**${cell(m.total)}**`).join(' | ')} |`);
  return lines.join('\n');
}

/** Markdown: the time per run of each section 9 group (9.1 ... 9.8) and of sections 12 and 13, summed over their cases. */
export function formatTimingComparison(reports: Report[]): string {
  const timed = (id: string): boolean => ['9', '12', '13'].includes(section(id));
  const group = (id: string): string => (section(id) === '9' ? id.split('.').slice(0, 2).join('.') : section(id));
  const groups = [...new Set(reports.flatMap((r) => r.results.filter((c) => timed(c.id)).map((c) => group(c.id))))].sort(compareIds);
  const lines = [
    `| Time (ms) | ${reports.map((r) => `${r.agent} (${r.mode})`).join(' | ')} |`,
    `|---|${reports.map(() => '---:').join('|')}|`,
  ];
  for (const g of groups) {
    const cells = reports.map((r) => {
      const cases = r.results.filter((c) => timed(c.id) && group(c.id) === g);
      return cases.length === 0 ? '–' : String(Math.round(cases.reduce((a, c) => a + c.durationMs, 0)));
    });
    lines.push(`| ${g} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function toJson(report: Report): string {
  return JSON.stringify(report, null, 2);
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLOURS: Record<Verdict, string> = {
  OK: '#2e7d32',
  'NON-STRICT': '#f9a825',
  FAILED: '#c62828',
  INFORMATIONAL: '#1565c0',
  UNIMPLEMENTED: '#757575',
};

/** One self-contained page: summary, then a row per case whose wire log opens on click. */
export function toHtml(report: Report): string {
  const { sections, total } = summarize(report);
  const badge = (v: Verdict): string => `<span class="v" style="background:${COLOURS[v]}">${v}</span>`;
  const summaryRows = sections
    .map(([s, c]) => `<tr><td>${s} ${escapeHtml(SECTION_TITLES[s] ?? '')}</td>${VERDICTS.map((v) => `<td>${c[v] || ''}</td>`).join('')}</tr>`)
    .join('\n');
  const caseRows = report.results
    .map((r) => {
      const log = r.wire
        .map((e) => `<div class="${e.dir}"><span class="t">${e.t} ms</span> <b>${e.dir === 'tx' ? '→' : e.dir === 'rx' ? '←' : '·'}</b> ${escapeHtml(e.text)}</div>`)
        .join('') + (r.wireDropped ? `<div class="note">… ${r.wireDropped} more entries left out</div>` : '');
      return `<details style="border-left:6px solid ${COLOURS[r.verdict]}"><summary><code>${r.id}</code> ${badge(r.verdict)} <span class="d">${r.durationMs} ms</span> ${escapeHtml(r.description)}</summary>
<div class="body"><p><b>Expectation:</b> ${escapeHtml(r.expectation)}</p><p><b>Observed:</b> ${escapeHtml(r.reason)}${r.closeCode !== null ? ` (peer close code ${r.closeCode})` : ''}</p><div class="log">${log || '<i>no wire log</i>'}</div></div></details>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsmith-spec: ${escapeHtml(report.agent)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:3px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
.v{color:#fff;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600}
details{margin:2px 0;padding:2px 8px;background:#fafafa}summary{cursor:pointer}
.d{color:#888;font-size:12px}.body{padding:4px 12px}.log{font:12px/1.5 ui-monospace,monospace;background:#fff;border:1px solid #ddd;padding:6px;max-height:400px;overflow:auto}
.tx{color:#0d47a1}.rx{color:#1b5e20}.note{color:#777}.t{color:#999;display:inline-block;width:5em}
</style></head><body>
<h1>wsmith-spec report</h1>
<p>${report.mode === 'server' ? 'Server' : 'Client'} under test: <b>${escapeHtml(report.agent)}</b> (${escapeHtml(report.target)}) — ${escapeHtml(report.startedAt)}, ${(report.durationMs / 1000).toFixed(2)} s.
Verdicts as Autobahn's: OK, NON-STRICT (accepted but not as strict as the RFC asks), FAILED, INFORMATIONAL, UNIMPLEMENTED.</p>
<table><tr><th>Section</th>${VERDICTS.map((v) => `<th>${badge(v)}</th>`).join('')}</tr>
${summaryRows}
<tr><th>Total</th>${VERDICTS.map((v) => `<th>${total[v]}</th>`).join('')}</tr></table>
<p>Click a case to see its expectation, what happened, and the frames sent (→) and received (←).</p>
${caseRows}
</body></html>
`;
}
