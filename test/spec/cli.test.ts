// The command line as CI uses it: exit codes, report files, client mode ending after
// /updateReports. Runs the compiled CLI (npm test builds first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { runAutobahnHarness } from '../../spec/client-mode.js';
import { startBrokenEchoServer } from './broken-echo-server.js';
import { startBrokenH2Server } from './broken-h2-server.js';
import { startWsEcho, wsLikeOpenClient, type WsLikeClient } from './helpers.js';

const CLI = join(import.meta.dirname, '../../build/spec/cli.js');
const FAST = ['--wait-ms', '50', '--reply-timeout-ms', '500'];

function cli(args: string[], onStderr?: (text: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('wsmith-spec CLI', () => {
  let dir: string;
  let ws: Awaited<ReturnType<typeof startWsEcho>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsmith-spec-'));
    ws = await startWsEcho();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ws.close();
  });

  it('server mode: exit 0, summary, JSON and HTML reports', async () => {
    const json = join(dir, 'r.json');
    const html = join(dir, 'r.html');
    const { code, stdout } = await cli(['server', ws.url, '--cases', '1.1.*,2.1,7.7.1', '--agent', 'ws', '--json', json, '--html', html, ...FAST]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 Framing\s+8\s+0\s+0/);
    expect(JSON.parse(readFileSync(json, 'utf8')).results).toHaveLength(10);
    expect(readFileSync(html, 'utf8')).toMatch(/<details/);
  });

  it('server mode: exit 1 when a case FAILED', async () => {
    const broken = await startBrokenEchoServer();
    try {
      const { code, stdout } = await cli(['server', broken.url, '--cases', '3.1', ...FAST]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/3\.1\s+FAILED/);
    } finally {
      await broken.close();
    }
  });

  it('client mode: serves a client harness, then exits with its verdict', async () => {
    const json = join(dir, 'client.json');
    let started!: (url: string) => void;
    const listening = new Promise<string>((resolve) => (started = resolve));
    const run = cli(['client', '--port', '0', '--cases', '1.1.1,2.1,5.3', '--json', json, ...FAST], (err) => {
      const m = /fuzzing server on (ws:\/\/\S+)/.exec(err);
      if (m) started(m[1]);
    });
    const url = await listening;
    const count = await runAutobahnHarness(url, 'ws', wsLikeOpenClient((u) => new WebSocket(u) as unknown as WsLikeClient));
    expect(count).toBe(3);
    const { code } = await run;
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.mode).toBe('client');
    expect(report.results.map((r: { verdict: string }) => r.verdict)).toEqual(['OK', 'OK', 'OK']);
  });

  it('server mode, sections 12 and 13: --deflate-messages, and UNIMPLEMENTED when the server declines', async () => {
    const json = join(dir, 'deflate.json');
    const deflating = await startWsEcho({ perMessageDeflate: true });
    try {
      const on = await cli(['server', deflating.url, '--cases', '12.2.18,13.7.1', '--deflate-messages', '3', '--json', json, ...FAST]);
      expect(on.code).toBe(0);
      const results = JSON.parse(readFileSync(json, 'utf8')).results as { verdict: string; reason: string }[];
      expect(results.map((r) => r.verdict)).toEqual(['OK', 'OK']);
      expect(results[0].reason).toMatch(/^all 3 messages echoed/);
    } finally {
      await deflating.close();
    }
    // ws's default server has no permessage-deflate: Autobahn reports UNIMPLEMENTED, not FAILED.
    const off = await cli(['server', ws.url, '--cases', '12.1.1,13.3.1', '--deflate-messages', '3', ...FAST]);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/12 Compression \(permessage-deflate\)\s+0\s+0\s+0\s+0\s+1/);
    expect(off.stdout).toMatch(/13 Compression parameters\s+0\s+0\s+0\s+0\s+1/);
    expect((await cli(['server', ws.url, '--deflate-messages', '0'])).code).toBe(2);
  });

  it('lists cases and rejects bad usage', async () => {
    const list = await cli(['list', '--cases', '6.4.*']);
    expect(list.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['6.4.1', '6.4.2', '6.4.3', '6.4.4']);
    expect((await cli(['nonsense'])).code).toBe(2);
  });

  it('--h2: section h2 replaces section 0, over h2c for http://; usage errors exit 2', async () => {
    const ids = async (args: string[]): Promise<string[]> => (await cli(['list', ...args])).stdout.trim().split('\n').map((l) => l.split('\t')[0]);
    expect(await ids(['--cases', '0.1,0.2,h2.1,h2.2,1.1.1'])).toEqual(['0.1', '0.2', '1.1.1']);
    expect(await ids(['--h2', '--cases', '0.1,0.2,h2.1,h2.2,1.1.1'])).toEqual(['h2.1', 'h2.2', '1.1.1']);
    const server = await startBrokenH2Server();
    try {
      const { code, stdout } = await cli(['server', server.url, '--h2', '--cases', 'h2.1,h2.14,1.1.1', ...FAST]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/h2 Opening handshake over HTTP\/2 \(RFC 8441\)\s+2\s+0\s+0/);
      expect(stdout).toMatch(/1 Framing\s+1\s+0\s+0/);
      const notH2 = await cli(['server', server.url, '--cases', '1.1.1']);
      expect(notH2.code).toBe(2);
      expect(notH2.stderr).toMatch(/only ws:\/\/ URLs are supported without --h2/);
    } finally {
      await server.close();
    }
    expect((await cli(['server', 'ftp://127.0.0.1:1', '--h2'])).stderr).toMatch(/--h2 needs an https:\/\/ \(TLS\) or http:\/\/ \(h2c\) URL/);
    expect((await cli(['server', ws.url, '--insecure'])).code).toBe(2);
    expect((await cli(['server', 'https://127.0.0.1:1', '--h2', '--ca', join(dir, 'missing.pem')])).code).toBe(2);
  });
});
