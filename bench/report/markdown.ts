// The Markdown snippet for the README (bench/results/latest.md): one line per scenario, the
// medians of every target, wsmith's ratio to ws, and the goals.
import { SCENARIOS, type Scenario } from '../scenarios.js';
import { TARGETS, type Column } from '../targets.js';
import { compact, ratio } from './format.js';
import { goalsByGroup } from './goals.js';
import { detailMedian, type BenchResults, type Row } from './results.js';
import { overTransports, renderTransportTable } from './transport-table.js';

// A compression scenario shows its deflate targets in these columns (wsmith-deflate under wsmith ...).
const COLUMNS: { column: Column; title: string }[] = [
  { column: 'wsmith', title: 'wsmith' },
  { column: 'ws', title: 'ws (pure JS)' },
  { column: 'ws-native', title: 'ws + native addons' },
  { column: 'raw', title: 'raw TCP (ceiling)' },
];

const compressed = (scenario: Scenario): boolean => scenario.targets.some((t) => TARGETS[t].deflate);

/** The row shown in a column: the target of that column with compression on or off as the scenario. */
function rowIn(rows: Row[], scenario: Scenario, column: Column): Row | undefined {
  return rows.find((r) => TARGETS[r.target].column === column && TARGETS[r.target].deflate === compressed(scenario));
}

/** "echo-deflate without compression (the same JSON, plain servers): wsmith 1.00M, ws 120k msg/s; ..." */
function plainReferences(results: BenchResults, scenario: Scenario): string | null {
  const rows = results.rows.filter((r) => r.scenario === scenario.name && r.ok);
  const parts: string[] = [];
  for (const column of ['wsmith', 'ws'] as const) {
    const plain = rows.find((r) => TARGETS[r.target].column === column && !TARGETS[r.target].deflate);
    const deflate = rows.find((r) => TARGETS[r.target].column === column && TARGETS[r.target].deflate);
    if (plain?.median === undefined) continue;
    const share = deflate?.median !== undefined ? ` (with compression on: ${fraction(deflate.median / plain.median)} that)` : '';
    parts.push(`${column} ${compact(plain.median)} ${scenario.metric}${share}`);
  }
  return parts.length > 0 ? `${scenario.name} without compression (the same JSON, plain servers): ${parts.join('; ')}.` : null;
}

/** 0.17 → "1/5.9 of"; 1.2 → "1.20×". */
function fraction(value: number): string {
  return value < 0.5 ? `1/${(1 / value).toFixed(1)} of` : `${value.toFixed(2)}×`;
}

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
  ];
  // The HTTP/2 scenarios have no ws column: their own table follows.
  const scenarios = SCENARIOS.filter((s) => !overTransports(s) && results.rows.some((r) => r.scenario === s.name));
  if (scenarios.length > 0) {
    out.push(
      '',
      `| scenario | unit | ${COLUMNS.map((c) => c.title).join(' | ')} | wsmith ÷ ws | server CPU/unit, wsmith ÷ ws |`,
      `|---|---|${COLUMNS.map(() => '---:').join('|')}|---:|---:|`,
    );
  }
  for (const scenario of scenarios) {
    const rows = results.rows.filter((r) => r.scenario === scenario.name);
    const mine = rowIn(rows, scenario, 'wsmith');
    const unit = scenario.higherIsBetter ? scenario.metric : `${scenario.metric} (lower is better)`;
    out.push(
      `| ${scenario.name} | ${unit} | ${COLUMNS.map((c) => cell(rowIn(rows, scenario, c.column))).join(' | ')} | ${
        ratio(mine?.ratio) || '–'
      } | ${ratio(mine?.cpuRatio) || '–'} |`,
    );
  }
  const deflate = scenarios.filter(compressed);
  if (deflate.length > 0) {
    out.push(
      '',
      `In ${deflate.map((s) => s.name).join(', ')} every server has permessage-deflate on with its library's defaults (\`perMessageDeflate: true\`), ` +
        'the ratios are to ws with compression on, and the client compresses and inflates (bench/README.md).',
    );
    for (const scenario of deflate) {
      const line = plainReferences(results, scenario);
      if (line !== null) out.push('', line);
    }
  }
  out.push(...renderTransportTable(results));
  for (const name of ['idle-memory', 'idle-memory-deflate']) {
    const idle = results.rows.filter((r) => r.scenario === name && r.ok);
    if (idle.length === 0) continue;
    const heaps = idle.map((r) => `${r.target} ${detailMedian(r, 'heapKiBPerConn')?.toFixed(2) ?? '?'}`);
    out.push('', `${name}, JS heap only (KiB per connection, after GC): ${heaps.join(', ')}.`);
  }
  for (const [group, goals] of goalsByGroup(results.goals)) {
    out.push('', `${group.replace(/ \(.*\)$/, '')}:`, '');
    for (const goal of goals) {
      const mark = goal.met === undefined ? 'n/a' : goal.met ? '**met**' : '**missed**';
      out.push(`- ${goal.text}: ${goal.actual} — ${mark}`);
    }
  }
  return `${out.join('\n')}\n`;
}
