// Summarise a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time.
// `node build/bench/profile.js file.cpuprofile [top]`; run.ts calls it after `--profile` runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

/** Self time per function (µs deltas attributed to the sampled node), busiest first; idle excluded. */
export function selfTimes(file: string): { total: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, '').split(`${path.sep}node_modules${path.sep}`).pop()}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = totals.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    entry.us += delta;
    totals.set(key, entry);
    total += delta;
  }
  const top = [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, percent: (e.us / total) * 100 }));
  return { total: total / 1000, top };
}

export function renderSelfTimes(file: string, count = 15): string {
  const { total, top } = selfTimes(file);
  const root = process.cwd() + path.sep;
  const lines = [`${path.basename(file)}: ${total.toFixed(0)} ms busy; top self time:`];
  for (const entry of top.slice(0, count)) {
    lines.push(`  ${entry.percent.toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.name}  ${entry.where.replace(root, '')}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [file, count] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile.js <file.cpuprofile> [top]');
  console.log(renderSelfTimes(file, Number(count) || 15));
}
