// The shape of bench/results/latest.json and how samples become a row: median, min–max, the
// ratio to ws, and the server's CPU per unit of work.
import type { Scenario } from '../scenarios.js';
import type { TargetName } from '../targets.js';

export interface Sample {
  round: number;
  /** Measurements made for this sample (more than 1 when other processes made one noisy). */
  attempts?: number;
  ok: boolean;
  error?: string;
  value?: number;
  /** Server CPU per unit of work, in the scenario's cpu label (e.g. µs/msg). */
  cpuPerUnit?: number;
  /** Server CPU use over the window, % of one core, and the kernel's share of it. */
  serverCpuPct?: number;
  serverSystemPct?: number;
  /** Load-client CPU use over the window, % of one core (near 100 means client-limited). */
  clientCpuPct?: number;
  /** CPU used by other processes on the machine in the window, % of one core: noise. */
  otherCpuPct?: number;
  detail?: Record<string, number | string>;
}

export interface Row {
  scenario: string;
  target: TargetName;
  metric: string;
  higherIsBetter: boolean;
  samples: Sample[];
  ok: boolean;
  error?: string;
  median?: number;
  min?: number;
  max?: number;
  /** The target the ratios are to: ws, or ws-deflate in the compression scenarios. */
  baseline?: TargetName;
  /** median / baseline median */
  ratio?: number;
  cpuLabel?: string;
  cpuPerUnit?: number;
  /** cpuPerUnit / baseline cpuPerUnit */
  cpuRatio?: number;
  serverCpuPct?: number;
  serverSystemPct?: number;
  clientCpuPct?: number;
  otherCpuPct?: number;
}

export interface Goal {
  scenario: string;
  /** The heading it is listed under: the issue it comes from. */
  group?: string;
  text: string;
  /** undefined when the figures needed are missing (e.g. wsmith not built). */
  met?: boolean;
  actual: string;
}

export interface BenchResults {
  date: string;
  command: string;
  mode: string;
  rounds: number;
  machine: { cpus: string; cores: number; memoryGiB: number; os: string; node: string; ws: string };
  loadClient: string;
  notes: string[];
  rows: Row[];
  goals: Goal[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medianOf(samples: Sample[], key: keyof Sample): number | undefined {
  const values = samples.map((s) => s[key]).filter((v): v is number => typeof v === 'number');
  return values.length > 0 ? median(values) : undefined;
}

export function summarise(scenario: Scenario, target: TargetName, samples: Sample[]): Row {
  const row: Row = {
    scenario: scenario.name,
    target,
    metric: scenario.metric,
    higherIsBetter: scenario.higherIsBetter,
    samples,
    ok: samples.length > 0 && samples.every((s) => s.ok),
    cpuLabel: scenario.cpu?.label,
    baseline: scenario.baseline ?? 'ws',
  };
  if (!row.ok) {
    // A failed round means the target gave a wrong or missing answer: no number at all.
    row.error = samples.find((s) => !s.ok)?.error ?? 'no samples';
    return row;
  }
  const values = samples.map((s) => s.value as number);
  row.median = median(values);
  row.min = Math.min(...values);
  row.max = Math.max(...values);
  row.cpuPerUnit = medianOf(samples, 'cpuPerUnit');
  row.serverCpuPct = medianOf(samples, 'serverCpuPct');
  row.serverSystemPct = medianOf(samples, 'serverSystemPct');
  row.clientCpuPct = medianOf(samples, 'clientCpuPct');
  row.otherCpuPct = medianOf(samples, 'otherCpuPct');
  return row;
}

/** Median of a numeric detail field over a row's samples (e.g. idle-memory's heapKiBPerConn). */
export function detailMedian(row: Row, key: string): number | undefined {
  const values = row.samples.map((s) => s.detail?.[key]).filter((v): v is number => typeof v === 'number');
  return values.length > 0 ? median(values) : undefined;
}

/** Fill in ratios against the baseline row (ws, or ws-deflate) of each scenario. */
export function addRatios(rows: Row[]): void {
  for (const row of rows) {
    const baseline = row.baseline ?? 'ws'; // results saved before baselines existed: ws
    const base = rows.find((r) => r.scenario === row.scenario && r.target === baseline && r.ok);
    if (!base || !row.ok) continue;
    if (row.median !== undefined && base.median) row.ratio = row.median / base.median;
    if (row.cpuPerUnit !== undefined && base.cpuPerUnit) row.cpuRatio = row.cpuPerUnit / base.cpuPerUnit;
  }
}
