// The goal check: a target is judged on the ratio of medians, and the round-by-round ratios
// (wsmith against the other target measured seconds apart in the same round) are shown beside it.
import { describe, expect, it } from 'vitest';
import { checkGoals, DEFLATE_ISSUE, goalsByGroup, ISSUE_7, pairedRatios } from '../../bench/report/goals.js';
import { addRatios, median, type Row, type Sample } from '../../bench/report/results.js';
import type { TargetName } from '../../bench/targets.js';

function row(scenario: string, target: TargetName, values: number[], cpu: number[] = [], higherIsBetter = true): Row {
  const samples: Sample[] = values.map((value, round) => ({ round: round + 1, ok: true, value, cpuPerUnit: cpu[round] }));
  return {
    scenario,
    target,
    metric: 'MB/s',
    higherIsBetter,
    samples,
    ok: true,
    median: median(values),
    cpuPerUnit: cpu.length > 0 ? median(cpu) : undefined,
  };
}

describe('pairedRatios', () => {
  it('pairs samples by round, not by position, and skips rounds either side failed', () => {
    const mine = row('echo-large-1m', 'wsmith', [100, 200, 300]);
    const theirs = row('echo-large-1m', 'ws-native', [50, 100, 150]);
    theirs.samples = [theirs.samples[2], theirs.samples[0], { round: 2, ok: false, error: 'missing' }];
    expect(pairedRatios(mine, theirs, false)).toEqual([2, 2]);
  });

  it('compares server CPU per unit when asked', () => {
    const mine = row('broadcast', 'wsmith', [10, 10], [1, 3]);
    const theirs = row('broadcast', 'ws', [1, 1], [4, 4]);
    expect(pairedRatios(mine, theirs, true)).toEqual([0.25, 0.75]);
  });
});

describe('checkGoals', () => {
  it('judges on the ratio of medians and reports how many rounds wsmith was ahead in', () => {
    // Medians 110 vs 100 (met), but round by round wsmith led in only 2 of 3.
    const rows = [
      row('echo-large-1m', 'wsmith', [90, 110, 130]),
      row('echo-large-1m', 'ws', [30, 30, 30]),
      row('echo-large-1m', 'ws-native', [100, 100, 120]),
    ];
    const goal = checkGoals(rows).find((g) => g.scenario === 'echo-large-1m');
    expect(goal?.met).toBe(true);
    expect(goal?.actual).toBe('1.10× ws-native; by round: median 1.08×, ahead in 2 of 3');
  });

  it('counts lower as ahead for server CPU and for memory', () => {
    const rows = [
      row('broadcast', 'wsmith', [300, 300, 300], [1, 5, 9]),
      row('broadcast', 'ws', [100, 100, 100], [4, 4, 4]),
      row('idle-memory', 'wsmith', [5, 5.5, 7], [], false),
      row('idle-memory', 'ws', [6, 6, 6], [], false),
    ];
    const goals = checkGoals(rows);
    const cpu = goals.find((g) => g.text.startsWith('broadcast server CPU'));
    expect(cpu?.met).toBe(false); // median 5 against 4
    expect(cpu?.actual).toContain('ahead in 1 of 3');
    const memory = goals.find((g) => g.scenario === 'idle-memory');
    expect(memory?.met).toBe(false); // 5.5 against 6 is 0.92×, above 0.88×
    expect(memory?.actual).toContain('ahead in 2 of 3');
  });

  it('adds nothing round by round for a single round', () => {
    const rows = [row('echo-small', 'wsmith', [600]), row('echo-small', 'ws', [100])];
    expect(checkGoals(rows).find((g) => g.scenario === 'echo-small')?.actual).toBe('6.00× ws');
  });

  it('judges the compression goals on wsmith-deflate against ws-deflate, under their own heading', () => {
    const rows = [
      row('echo-small', 'wsmith', [600]),
      row('echo-small', 'ws', [100]),
      row('echo-deflate', 'wsmith-deflate', [30, 33, 36]),
      row('echo-deflate', 'ws-deflate', [10, 10, 10]),
      row('echo-deflate', 'ws', [60, 60, 60]),
      row('idle-memory-deflate', 'wsmith-deflate', [14, 14, 14], [], false),
      row('idle-memory-deflate', 'ws-deflate', [250, 240, 260], [], false),
    ];
    for (const r of rows) if (r.scenario.endsWith('-deflate')) r.baseline = 'ws-deflate';
    addRatios(rows);
    expect(rows.find((r) => r.scenario === 'echo-deflate' && r.target === 'ws')?.ratio).toBe(6);
    expect(rows.find((r) => r.scenario === 'echo-small' && r.target === 'wsmith')?.ratio).toBe(6);

    const goals = checkGoals(rows);
    const echo = goals.find((g) => g.scenario === 'echo-deflate');
    expect(echo).toMatchObject({ met: true, group: DEFLATE_ISSUE, actual: '3.30× ws-deflate; by round: median 3.30×, ahead in 3 of 3' });
    const idle = goals.find((g) => g.scenario === 'idle-memory-deflate');
    expect(idle?.met).toBe(false); // 14 / 250 = 0.056, above 0.05
    expect(idle?.actual).toContain('ahead in 3 of 3');
    expect(goals.some((g) => g.scenario === 'broadcast-deflate')).toBe(false); // not run
    expect(goalsByGroup(goals).map(([group, list]) => [group, list.length])).toEqual([
      [ISSUE_7, 1],
      [DEFLATE_ISSUE, 2],
    ]);
  });
});
