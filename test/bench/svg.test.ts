// The chart of ratios (latest.svg) on a log scale: a ratio of zero (a tiny run's memory reading
// that did not move, so 1/0 for a lower-is-better figure) must not stretch the scale forever.
import { describe, expect, it } from 'vitest';
import type { BenchResults, Row } from '../../bench/report/results.js';
import { renderSvg } from '../../bench/report/svg.js';

function row(target: Row['target'], median: number, ratio: number): Row {
  return {
    scenario: 'idle-memory',
    target,
    metric: 'KiB/conn',
    higherIsBetter: false,
    samples: [{ round: 1, ok: true, value: median }],
    ok: true,
    median,
    ratio,
  };
}

const results: BenchResults = {
  date: '2026-12-06T00:00:00.000Z',
  command: 'npm run bench -- --tiny',
  mode: 'tiny',
  rounds: 1,
  machine: { cpus: 'cpu', cores: 2, memoryGiB: 1, os: 'Linux', node: '20', ws: '8' },
  loadClient: 'one',
  notes: [],
  rows: [row('wsmith', 1.28, 0.25), row('ws', 5.12, 1), row('raw', 0, 0)],
  goals: [],
};

describe('renderSvg', () => {
  it('draws a zero ratio as n/a and keeps the scale to the finite ones', () => {
    const svg = renderSvg(results);
    expect(svg).toContain('raw TCP (ceiling): n/a');
    expect(svg).toContain('<title>wsmith: 4.00×</title>'); // ws ÷ wsmith for memory
    expect(svg).not.toContain('Infinity');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
