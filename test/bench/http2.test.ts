// Smoke test of the HTTP/2 scenarios (h2-echo-small, h2-connect-rate) in tiny mode: the same
// wsmith server reached over HTTP/1.1 + TLS and over one HTTP/2 connection, every echo checked,
// HTTP/2 ÷ HTTP/1.1 where the other scenarios have ÷ ws, and no number for a server that
// corrupts a message over HTTP/2. No timing is asserted: speed is measured in bench/, not here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hasOpenssl } from '../support/certificates.js';
import { describeWithPeers } from '../support/peers.js';
import { bench, buildBench, wsmithBuilt, type BenchRun } from './bench-process.js';

const out = mkdtempSync(path.join(os.tmpdir(), 'wsmith-bench-h2-'));
let run: BenchRun;

afterAll(() => rmSync(out, { recursive: true, force: true }));

describeWithPeers({ openssl: hasOpenssl, 'the built dist/ (npm run build)': wsmithBuilt() })('bench harness, HTTP/2 scenarios (tiny mode)', () => {
  // One run for every check (the machine is shared): both transports, and the broken server.
  beforeAll(async () => {
    buildBench();
    run = await bench(['--only', 'h2', '--targets', 'wsmith-h1,wsmith-h2,broken-corrupt-h2'], path.join(out, 'run'));
  }, 60_000);

  it('measures both scenarios over HTTP/1.1 + TLS and over HTTP/2, with HTTP/2 ÷ HTTP/1.1 as the ratio', () => {
    const { results, stdout } = run;
    const good = results.rows.filter((row) => row.target !== 'broken-corrupt-h2');
    expect(good.filter((row) => !row.ok).map((row) => `${row.scenario}/${row.target}: ${row.error}`)).toEqual([]);
    expect(good.map((row) => `${row.scenario}/${row.target}`)).toEqual([
      'h2-echo-small/wsmith-h1',
      'h2-echo-small/wsmith-h2',
      'h2-connect-rate/wsmith-h1',
      'h2-connect-rate/wsmith-h2',
    ]);
    for (const row of good) {
      expect(row.baseline).toBe('wsmith-h1');
      expect(row.median).toBeGreaterThan(0);
      expect(row.cpuPerUnit).toBeGreaterThan(0);
      const base = good.find((r) => r.scenario === row.scenario && r.target === 'wsmith-h1');
      expect(row.ratio).toBeCloseTo((row.median as number) / (base?.median as number), 10);
    }
    expect(stdout).toContain('ratio to wsmith, HTTP/1.1 + TLS, so HTTP/2 ÷ HTTP/1.1');
    expect(stdout).not.toContain('Issue 7 targets'); // no ws here: no goal against ws is judged
  });

  it('opens the echo WebSockets on one HTTP/2 connection or one TLS connection each, and resumes TLS sessions', () => {
    const detail = (scenario: string, target: string): Record<string, number | string> =>
      run.results.rows.find((row) => row.scenario === scenario && row.target === target)?.samples[0].detail ?? {};
    // Tiny mode: 8 WebSockets.
    expect(detail('h2-echo-small', 'wsmith-h1').tcpConnections).toBe(8);
    expect(detail('h2-echo-small', 'wsmith-h2').tcpConnections).toBe(1);
    expect(detail('h2-echo-small', 'wsmith-h2').h2SendWindowExhaustedPct).toBeTypeOf('number');
    expect(Number(detail('h2-echo-small', 'wsmith-h2').messages)).toBeGreaterThan(0);
    // Every TLS connection after the first cycle of each of the 4 loops resumed a session.
    const connect = detail('h2-connect-rate', 'wsmith-h1');
    const total = Number(connect.totalHandshakes);
    expect(total).toBeGreaterThan(4);
    expect(Number(connect.tlsResumed)).toBeGreaterThanOrEqual(total - 4);
    expect(detail('h2-connect-rate', 'wsmith-h2').tlsResumed).toBeUndefined();
  });

  it('prints no number for a server that corrupts a message over HTTP/2', () => {
    const { code, stdout, results } = run;
    expect(code).toBe(1);
    const broken = results.rows.filter((row) => row.target === 'broken-corrupt-h2');
    expect(broken.map((row) => row.scenario)).toEqual(['h2-echo-small']); // an echo scenario only
    expect(broken[0].ok).toBe(false);
    expect(broken[0].median).toBeUndefined();
    expect(broken[0].error).toMatch(/payload of message #\d+ differs/);
    expect(stdout).toMatch(/FAILED h2-echo-small \/ broken-corrupt-h2: connection \d+: payload/);
  });

  it('gives the HTTP/2 scenarios a table of their own in latest.md and a note in the chart', () => {
    const markdown = readFileSync(path.join(out, 'run', 'latest.md'), 'utf8');
    expect(markdown).toContain('ws does not support HTTP/2');
    expect(markdown).toContain('| scenario | unit | HTTP/1.1 + TLS | HTTP/2 | HTTP/2 ÷ HTTP/1.1 |');
    expect(markdown).toMatch(/^\| h2-echo-small \| msg\/s \| [0-9.]+k? \| [0-9.]+k? \| [0-9.]+× \|/m);
    expect(markdown).toMatch(/^\| h2-connect-rate \| handshakes\/s \| /m);
    expect(markdown).not.toContain('| scenario | unit | wsmith |'); // no ws columns without ws rows
    const svg = readFileSync(path.join(out, 'run', 'latest.svg'), 'utf8');
    expect(svg).toContain('h2-*: wsmith over HTTP/2 ÷ wsmith over HTTP/1.1 + TLS');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
