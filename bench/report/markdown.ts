// The Markdown snippet for the README (bench/results/latest.md): one line per scenario, the
// medians of every target, wsmith's ratio to ws, and the goals.
import { SCENARIOS } from '../scenarios.js';
import type { TargetName } from '../targets.js';
import { compact, ratio } from './format.js';
import { detailMedian, type BenchResults, type Row } from './results.js';

const COLUMNS: { target: TargetName; title: string }[] = [
  { target: 'wsmith', title: 'wsmith' },
  { target: 'ws', title: 'ws (pure JS)' },
  { target: 'ws-native', title: 'ws + native addons' },
  { target: 'raw', title: 'raw TCP (ceiling)' },
];

function cell(row: Row | undefined): string {
  if (!row) return '–';
  if (!row.ok) return 'failed';
  const range = row.samples.length > 1 ? ` (${compact(row.min as number)}–${compact(row.max as number)})` : '';
  return `${compact(row.median as number)}${range}`;
}

/** "3 rounds", or "3 rounds, 5 for echo-large-1m and connect-rate" when some scenarios had more. */
function roundsText(results: BenchResults): string {
  const plural = (n: number): string => `${n} round${n === 1 ? '' : 's'}`;
  const more = new Map<number, string[]>();
  for (const scenario of SCENARIOS) {
    const rounds = Math.max(0, ...results.rows.filter((r) => r.scenario === scenario.name).map((r) => r.samples.length));
    if (rounds > results.rounds) more.set(rounds, [...(more.get(rounds) ?? []), scenario.name]);
  }
  const list = (names: string[]): string =>
    names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const extra = [...more].map(([rounds, names]) => `, ${rounds} for ${list(names)}`).join('');
  return `${plural(results.rounds)}${extra}`;
}

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const out: string[] = [
    `Measured ${results.date.slice(0, 10)} on ${m.cores} × ${m.cpus}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ws ${m.ws};`,
    `\`${results.command}\` (${roundsText(results)}; medians with min–max; ${results.loadClient}).`,
    '',
    `| scenario | unit | ${COLUMNS.map((c) => c.title).join(' | ')} | wsmith ÷ ws | server CPU/unit, wsmith ÷ ws |`,
    `|---|---|${COLUMNS.map(() => '---:').join('|')}|---:|---:|`,
  ];
  const scenarios = SCENARIOS.filter((s) => results.rows.some((r) => r.scenario === s.name));
  for (const scenario of scenarios) {
    const rows = results.rows.filter((r) => r.scenario === scenario.name);
    const mine = rows.find((r) => r.target === 'wsmith');
    const unit = scenario.higherIsBetter ? scenario.metric : `${scenario.metric} (lower is better)`;
    out.push(
      `| ${scenario.name} | ${unit} | ${COLUMNS.map((c) => cell(rows.find((r) => r.target === c.target))).join(' | ')} | ${
        ratio(mine?.ratio) || '–'
      } | ${ratio(mine?.cpuRatio) || '–'} |`,
    );
  }
  const idle = results.rows.filter((r) => r.scenario === 'idle-memory' && r.ok);
  if (idle.length > 0) {
    const heaps = idle.map((r) => `${r.target} ${detailMedian(r, 'heapKiBPerConn')?.toFixed(2) ?? '?'}`);
    out.push('', `idle-memory, JS heap only (KiB per connection, after GC): ${heaps.join(', ')}.`);
  }
  if (results.goals.length > 0) {
    out.push('', 'Issue 7 targets:', '');
    for (const goal of results.goals) {
      const mark = goal.met === undefined ? 'n/a' : goal.met ? '**met**' : '**missed**';
      out.push(`- ${goal.text}: ${goal.actual} — ${mark}`);
    }
  }
  return `${out.join('\n')}\n`;
}
