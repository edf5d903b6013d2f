// The HTTP/2 scenarios' own table in latest.md. They compare wsmith with itself (ws does not
// support WebSockets over HTTP/2), so where the main table has "÷ ws" this one has HTTP/2 ÷
// HTTP/1.1: the same server reached over 100 TLS connections or over one HTTP/2 connection.
import { SCENARIOS, type Scenario } from '../scenarios.js';
import { TARGETS, type Transport } from '../targets.js';
import { compact } from './format.js';
import { pairedRatios } from './goals.js';
import { median, type BenchResults, type Row } from './results.js';

/** Is this one of the scenarios run over HTTP/1.1 + TLS and HTTP/2? */
export function overTransports(scenario: Scenario): boolean {
  return scenario.targets.some((t) => TARGETS[t].transport !== undefined);
}

function rowOver(rows: Row[], transport: Transport): Row | undefined {
  return rows.find((r) => TARGETS[r.target].transport === transport && !r.target.startsWith('broken-'));
}

function figure(row: Row | undefined): string {
  if (!row) return '–';
  if (!row.ok) return 'failed';
  const range = row.samples.length > 1 ? ` (${compact(row.min as number)}–${compact(row.max as number)})` : '';
  return `${compact(row.median as number)}${range}`;
}

function cpu(row: Row | undefined): string {
  return row?.cpuPerUnit !== undefined ? `${compact(row.cpuPerUnit)} ${row.cpuLabel}` : '–';
}

/** "1.45×" and, with several rounds, "(by round 1.41×)": the ratio of samples measured seconds apart. */
function ratioCell(h2: Row | undefined, h1: Row | undefined, ofCpu: boolean): string {
  if (!h2?.ok || !h1?.ok) return '–';
  const a = ofCpu ? h2.cpuPerUnit : h2.median;
  const b = ofCpu ? h1.cpuPerUnit : h1.median;
  if (a === undefined || b === undefined || b === 0) return '–';
  const paired = pairedRatios(h2, h1, ofCpu);
  const byRound = paired.length > 1 ? ` (by round ${median(paired).toFixed(2)}×)` : '';
  return `${(a / b).toFixed(2)}×${byRound}`;
}

export function renderTransportTable(results: BenchResults): string[] {
  const scenarios = SCENARIOS.filter((s) => overTransports(s) && results.rows.some((r) => r.scenario === s.name));
  if (scenarios.length === 0) return [];
  const out = [
    '',
    'WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1, wsmith against itself (ws does not support HTTP/2): ' +
      'one server, `http2.createSecureServer({ allowHTTP1: true })`, reached over HTTP/1.1 + TLS (a TLS connection per WebSocket) ' +
      'or with every WebSocket a stream of one HTTP/2 connection (bench/README.md).',
    '',
    '| scenario | unit | HTTP/1.1 + TLS | HTTP/2 | HTTP/2 ÷ HTTP/1.1 | server CPU/unit, HTTP/1.1 + TLS | server CPU/unit, HTTP/2 | server CPU/unit, HTTP/2 ÷ HTTP/1.1 |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const scenario of scenarios) {
    const rows = results.rows.filter((r) => r.scenario === scenario.name);
    const h1 = rowOver(rows, 'h1-tls');
    const h2 = rowOver(rows, 'h2');
    out.push(
      `| ${scenario.name} | ${scenario.metric} | ${figure(h1)} | ${figure(h2)} | ${ratioCell(h2, h1, false)} | ${cpu(h1)} | ${cpu(h2)} | ${ratioCell(h2, h1, true)} |`,
    );
  }
  return out;
}
