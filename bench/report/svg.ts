// bench/results/latest.svg: every target's median as a ratio to ws, one group of bars per
// scenario, on a log scale (a ratio of 0.5 is as far from 1 as a ratio of 2). Plain SVG text,
// no dependencies. For lower-is-better scenarios (memory) the bar shows ws ÷ target, so a longer
// bar is better everywhere; the label says so.
import { SCENARIOS } from '../scenarios.js';
import { TARGETS, type TargetName } from '../targets.js';
import type { BenchResults } from './results.js';

const COLORS: Partial<Record<TargetName, string>> = {
  wsmith: '#d9480f',
  ws: '#868e96',
  'ws-native': '#1c7ed6',
  raw: '#2b8a3e',
  'wsmith-deflate': '#f59f00',
  'ws-deflate': '#495057',
  'ws-deflate-native': '#74c0fc',
  'wsmith-h2': '#862e9c',
};

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSvg(results: BenchResults): string {
  const groups = SCENARIOS.filter((s) => results.rows.some((r) => r.scenario === s.name && r.ratio !== undefined));
  // The baseline (ws, or ws-deflate) is the 1× line; a group has a bar per other target it ran.
  const barsOf = (scenario: string): TargetName[] =>
    (Object.keys(COLORS) as TargetName[]).filter((t) =>
      results.rows.some((r) => r.scenario === scenario && r.target === t && t !== (r.baseline ?? 'ws')),
    );
  const targets = (Object.keys(COLORS) as TargetName[]).filter((t) => groups.some((s) => barsOf(s.name).includes(t)));
  const barHeight = 14;
  const groupGap = 14;
  const labelWidth = 220;
  const plotWidth = 520;
  // Scenarios measured against another baseline than ws say so under the title.
  const notes: string[] = [];
  if (groups.some((s) => s.baseline !== undefined && TARGETS[s.baseline].deflate)) {
    notes.push('*-deflate: ratio to ws with compression on (ws-deflate = 1×)');
  }
  if (groups.some((s) => s.baseline !== undefined && TARGETS[s.baseline].transport !== undefined)) {
    notes.push('h2-*: wsmith over HTTP/2 ÷ wsmith over HTTP/1.1 + TLS (ws does not support HTTP/2)');
  }
  const top = 56 + 16 * notes.length;
  // A bar's length: ratio (or its inverse when lower is better). A zero figure (a tiny run's
  // memory reading that did not move) has no place on a log scale: it is drawn as n/a.
  const barValue = (ratio: number, higherIsBetter: boolean): number | null => {
    const value = higherIsBetter ? ratio : 1 / ratio;
    return Number.isFinite(value) && value > 0 ? value : null;
  };
  const ratios = results.rows.flatMap((r) => {
    const value = r.ratio !== undefined ? barValue(r.ratio, r.higherIsBetter) : null;
    return value !== null ? [value] : [];
  });
  const maxLog = Math.max(1, Math.ceil(Math.log2(Math.max(2, ...ratios))));
  const minLog = Math.min(-1, Math.floor(Math.log2(Math.min(0.5, ...ratios))));
  const xOf = (value: number): number => labelWidth + ((Math.log2(value) - minLog) / (maxLog - minLog)) * plotWidth;
  const width = labelWidth + plotWidth + 90;
  // Legend entries, wrapped onto as many lines as the width needs.
  const legend: { target: TargetName; x: number; line: number }[] = [];
  let legendX = labelWidth;
  let legendLine = 0;
  for (const target of targets) {
    const entryWidth = 24 + TARGETS[target].label.length * 6;
    if (legendX + entryWidth > width && legendX > labelWidth) {
      legendX = labelWidth;
      legendLine++;
    }
    legend.push({ target, x: legendX, line: legendLine });
    legendX += entryWidth;
  }
  const legendHeight = 16 * legendLine;
  const plotBottom = top + groups.reduce((sum, s) => sum + barsOf(s.name).length * barHeight + groupGap, 0) + 40;
  const height = plotBottom + legendHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">wsmith bench: median ratio to ws (pure JS = 1×), log scale, longer is better</text>`,
    `<text x="10" y="38" fill="#555">${escape(`${results.date.slice(0, 10)} · ${results.machine.cores} × ${results.machine.cpus} · Node ${results.machine.node} · ${results.command}`)}</text>`,
  ];
  for (const [index, note] of notes.entries()) out.push(`<text x="10" y="${54 + 16 * index}" fill="#555">${escape(note)}</text>`);
  for (let power = minLog; power <= maxLog; power++) {
    const x = xOf(2 ** power).toFixed(1);
    const label = power >= 0 ? `${2 ** power}×` : `1/${2 ** -power}`;
    out.push(`<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${plotBottom - 34}" stroke="${power === 0 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${x}" y="${plotBottom - 22}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  let y = top;
  for (const scenario of groups) {
    const bars = barsOf(scenario.name);
    const name = scenario.higherIsBetter ? scenario.name : `${scenario.name} (ws ÷ target)`;
    out.push(`<text x="${labelWidth - 8}" y="${y + (bars.length * barHeight) / 2 + 4}" text-anchor="end">${escape(name)}</text>`);
    for (const target of bars) {
      const row = results.rows.find((r) => r.scenario === scenario.name && r.target === target);
      if (row && !row.ok) {
        out.push(`<text x="${xOf(1) + 4}" y="${y + barHeight - 3}" fill="#c92a2a">${escape(`${TARGETS[target].label}: failed`)}</text>`);
      } else if (row?.ratio !== undefined && barValue(row.ratio, scenario.higherIsBetter) === null) {
        out.push(`<text x="${xOf(1) + 4}" y="${y + barHeight - 3}" fill="#555">${escape(`${TARGETS[target].label}: n/a`)}</text>`);
      } else if (row?.ratio !== undefined) {
        const value = barValue(row.ratio, scenario.higherIsBetter) as number;
        const x0 = xOf(1);
        const x1 = xOf(value);
        out.push(
          `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 1}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${barHeight - 2}" fill="${COLORS[target]}"><title>${escape(`${TARGETS[target].label}: ${value.toFixed(2)}×`)}</title></rect>`,
        );
        out.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + barHeight - 3}" fill="#333">${value.toFixed(2)}×</text>`);
      }
      y += barHeight;
    }
    y += groupGap;
  }
  for (const { target, x, line } of legend) {
    const base = plotBottom + 16 * line;
    out.push(`<rect x="${x}" y="${base - 14}" width="10" height="10" fill="${COLORS[target]}"/>`);
    out.push(`<text x="${x + 14}" y="${base - 5}">${escape(TARGETS[target].label)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
