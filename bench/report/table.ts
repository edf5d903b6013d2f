// The table printed at the end of a run.
import { TARGETS } from '../targets.js';
import { compact, percent, ratio } from './format.js';
import { goalsByGroup } from './goals.js';
import { detailMedian, type BenchResults, type Row } from './results.js';

/** idle-memory has no CPU figure; show the JS heap part of the per-connection cost there. */
function heapCell(row: Row): string {
  const heap = detailMedian(row, 'heapKiBPerConn');
  return heap === undefined ? '' : `heap ${heap.toFixed(2)} KiB/conn`;
}

function cells(row: Row): string[] {
  const label = TARGETS[row.target].label;
  if (!row.ok) return [row.scenario, label, 'FAILED', 'see below', '', '', '', '', '', ''];
  return [
    row.scenario,
    label,
    `${compact(row.median as number)} ${row.metric}`,
    row.samples.length > 1 ? `${compact(row.min as number)}–${compact(row.max as number)}` : '',
    ratio(row.ratio),
    row.cpuPerUnit !== undefined ? `${compact(row.cpuPerUnit)} ${row.cpuLabel}` : heapCell(row),
    ratio(row.cpuRatio),
    row.serverCpuPct !== undefined ? `${percent(row.serverCpuPct)} (sys ${percent(row.serverSystemPct)})` : '',
    percent(row.clientCpuPct),
    percent(row.otherCpuPct),
  ];
}

export function renderTable(results: BenchResults): string {
  const header = ['scenario', 'target', 'median', 'min–max', '× ws', 'server CPU / unit', '× ws', 'server CPU', 'client CPU', 'other CPU'];
  const lines = [header, ...results.rows.map(cells)];
  const widths = header.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)));
  const format = (line: string[]): string =>
    line.map((cell, i) => (i >= 2 && i !== 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  const out: string[] = [format(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const [index, row] of results.rows.entries()) {
    if (previous && row.scenario !== previous) out.push('');
    previous = row.scenario;
    out.push(format(lines[index + 1]));
  }
  for (const row of results.rows.filter((r) => !r.ok)) {
    out.push(`  FAILED ${row.scenario} / ${row.target}: ${row.error}`);
  }
  const baselines = [...new Set(results.rows.map((r) => r.baseline ?? 'ws').filter((b) => b !== 'ws'))];
  for (const baseline of baselines) {
    const scenarios = [...new Set(results.rows.filter((r) => r.baseline === baseline).map((r) => r.scenario))];
    // The HTTP/2 scenarios compare wsmith with itself: ws has no WebSockets over HTTP/2.
    const why = TARGETS[baseline].transport !== undefined ? ', so HTTP/2 ÷ HTTP/1.1: ws does not support WebSockets over HTTP/2' : '';
    out.push(`  (× ws in ${scenarios.join(', ')}: ratio to ${TARGETS[baseline].label}${why})`);
  }
  for (const [group, goals] of goalsByGroup(results.goals)) {
    out.push('', `${group}:`);
    for (const goal of goals) {
      const mark = goal.met === undefined ? ' n/a ' : goal.met ? ' MET ' : 'MISSED';
      out.push(`  [${mark}] ${goal.text}: ${goal.actual}`);
    }
  }
  for (const note of results.notes) out.push(`  note: ${note}`);
  return out.join('\n');
}
