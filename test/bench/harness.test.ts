// Smoke test of `npm run bench`: the harness runs in its tiny mode (a fraction of a second per
// scenario, one round), produces well-formed results, and prints no number for a server that
// drops or corrupts a message. No timing is asserted: speed is measured in bench/, not here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bench, buildBench, wsmithTargets } from './bench-process.js';

const out = mkdtempSync(path.join(os.tmpdir(), 'wsmith-bench-'));

// `npm test` builds first; a bare `vitest run test/bench` may not have.
beforeAll(buildBench, 120_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench harness (tiny mode)', () => {
  it('runs the scenarios against ws, raw TCP and (if built) wsmith and writes well-formed results', async () => {
    const wsmithBuilt = wsmithTargets();
    const targets = wsmithBuilt ? ['wsmith', 'ws', 'raw'] : ['ws', 'raw'];
    const scenarios = ['echo-small', 'broadcast', 'connect-rate', 'idle-memory', 'micro-parse-small'];
    const dir = path.join(out, 'good');
    const { code, stdout, results } = await bench(['--targets', targets.join(','), '--only', scenarios.join(',')], dir);

    expect(stdout).toContain('Issue 7 targets');
    const failed = results.rows.filter((row) => !row.ok).map((row) => `${row.scenario}/${row.target}: ${row.error}`);
    expect(failed).toEqual([]);
    expect(code).toBe(0);
    for (const scenario of scenarios) {
      const rows = results.rows.filter((row) => row.scenario === scenario);
      const expected = targets.filter((t) => !(scenario.startsWith('micro') && t === 'raw'));
      expect(rows.map((row) => row.target).sort()).toEqual([...expected].sort());
      for (const row of rows) {
        expect(Number.isFinite(row.median)).toBe(true);
        // A tiny run's few idle connections may not move the server's RSS at all (a page holds many).
        if (scenario !== 'idle-memory') expect(row.median).toBeGreaterThan(0);
        expect(row.samples).toHaveLength(1);
        if (row.cpuLabel) expect(row.cpuPerUnit).toBeGreaterThanOrEqual(0);
      }
      expect(rows.find((row) => row.target === 'ws')?.ratio).toBe(1);
    }
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.goals.length).toBeGreaterThan(0);

    const markdown = readFileSync(path.join(dir, 'latest.md'), 'utf8');
    expect(markdown).toMatch(/^\| scenario \| unit \|/m);
    expect(markdown).toContain('| echo-small | msg/s |');
    const svg = readFileSync(path.join(dir, 'latest.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('echo-small');
  }, 60_000);

  it('prints no number for a server that drops or corrupts a message, compressed or not', async () => {
    const dir = path.join(out, 'broken');
    const { code, stdout, results } = await bench(
      ['--targets', 'broken-drop,broken-corrupt,broken-corrupt-deflate', '--only', 'echo-small,echo-deflate'],
      dir,
    );
    expect(code).toBe(1);
    // The plain ones in both scenarios (plain JSON in echo-deflate), the compressing one in echo-deflate.
    expect(results.rows.map((row) => `${row.scenario}/${row.target}`).sort()).toEqual([
      'echo-deflate/broken-corrupt',
      'echo-deflate/broken-corrupt-deflate',
      'echo-deflate/broken-drop',
      'echo-small/broken-corrupt',
      'echo-small/broken-drop',
    ]);
    for (const row of results.rows) {
      expect(row.ok).toBe(false);
      expect(row.median).toBeUndefined();
      // JSON texts differ in length too: a dropped one may show as the next one's length.
      expect(row.error).toMatch(/differs|missing|never answered|length \d+, expected/);
    }
    expect(stdout).toMatch(/FAILED echo-small \/ broken-drop/);
    expect(results.rows.find((row) => row.target === 'broken-corrupt-deflate')?.error).toMatch(/inflated text differs/);
  }, 60_000);
});

describe('bench harness, compression scenarios (tiny mode)', () => {
  it('runs the compression scenarios with permessage-deflate negotiated, compressed and inflated both ways', async () => {
    const wsmithBuilt = wsmithTargets();
    const deflateTargets = wsmithBuilt ? ['wsmith-deflate', 'ws-deflate', 'ws-deflate-native'] : ['ws-deflate', 'ws-deflate-native'];
    const plainTargets = wsmithBuilt ? ['wsmith', 'ws'] : ['ws'];
    const dir = path.join(out, 'deflate');
    const { code, stdout, results } = await bench(['--targets', [...deflateTargets, ...plainTargets].join(','), '--only', 'deflate'], dir);

    const failed = results.rows.filter((row) => !row.ok).map((row) => `${row.scenario}/${row.target}: ${row.error}`);
    expect(failed).toEqual([]);
    expect(code).toBe(0);
    for (const scenario of ['echo-deflate', 'broadcast-deflate', 'idle-memory-deflate']) {
      const rows = results.rows.filter((row) => row.scenario === scenario);
      expect(rows.map((row) => row.target).sort()).toEqual([...deflateTargets, ...plainTargets].sort());
      for (const row of rows) {
        expect(row.median).toBeGreaterThan(0);
        expect(row.baseline).toBe('ws-deflate');
        const detail = row.samples[0].detail ?? {};
        if (!row.target.includes('deflate')) {
          expect(detail.extension).toBeUndefined(); // the plain references: nothing offered
          continue;
        }
        // What each library answers by default, and the client honouring it.
        if (row.target === 'wsmith-deflate') {
          expect(detail.extension).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
          expect(Number(detail.clientInflates)).toBeGreaterThan(0);
        } else {
          expect(detail.extension).toBe('permessage-deflate');
          expect(detail.clientKnownMatches).toBe(0); // context takeover: every message inflated
          expect(Number(detail.clientInflates)).toBeGreaterThan(0);
        }
      }
      expect(rows.find((row) => row.target === 'ws-deflate')?.ratio).toBe(1);
    }
    expect(stdout).toContain('permessage-deflate targets');
    if (wsmithBuilt) {
      const goals = results.goals.filter((goal) => goal.scenario.endsWith('-deflate'));
      expect(goals.map((goal) => goal.scenario)).toEqual(['echo-deflate', 'broadcast-deflate', 'idle-memory-deflate']);
      for (const goal of goals) expect(goal.met).toBeTypeOf('boolean');
    }
    const markdown = readFileSync(path.join(dir, 'latest.md'), 'utf8');
    expect(markdown).toContain('| echo-deflate | msg/s |');
    expect(markdown).toMatch(/echo-deflate without compression \(the same JSON, plain servers\): .*ws [0-9.]+k? msg\/s \(with compression on: /);
  }, 60_000);
});
