#!/usr/bin/env node
// wsmith-spec: an Autobahn-style conformance suite for WebSocket servers and clients.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Timing } from './case.js';
import { FuzzingServer } from './client-mode.js';
import { formatSummary, hasFailures, toHtml, toJson, type CaseResult, type Report } from './report.js';
import { pickCases, runServerSuite, type SuiteOptions } from './server-mode.js';

const USAGE = `Usage:
  wsmith-spec server <ws://host:port/path> [options]   test an echo server (the suite is the client)
  wsmith-spec server <https://host:port/path> --h2     the same over HTTP/2 (RFC 8441): TLS with ALPN h2
  wsmith-spec server <http://host:port/path> --h2      ... or h2c (HTTP/2 without TLS, prior knowledge)
  wsmith-spec client [--port 9001] [options]           act as Autobahn's fuzzingserver for a client harness
  wsmith-spec list [--cases ...]                        list the cases

Options:
  --cases 1.*,6.4.*     run only these cases (Autobahn patterns; default: all)
  --exclude 9.*,12.*    skip these cases
  --quick               skip section 9 cases with messages above 1 MiB (CI); same as --max-size 1048576
  --max-size BYTES      skip cases whose largest message is bigger than BYTES
  --deflate-messages N  sections 12 and 13: send N messages per case instead of Autobahn's 1000
  --json FILE           write the JSON report
  --html FILE           write the HTML report (one self-contained page)
  --agent NAME          name of the implementation under test (server mode)
  --h2                  server mode over HTTP/2: section h2 (RFC 8441 handshake) replaces section 0
  --ca FILE             --h2 over TLS: trust the certificates in this PEM file (a self-signed server)
  --insecure            --h2 over TLS: do not verify the server's certificate
  --wait-ms N           Autobahn's deliberate pauses (6.4.x, 5.19), default 1000
  --reply-timeout-ms N  how long to wait for an expected reaction, default 2000
  --keep-running        client mode: keep serving after /updateReports
Exit code: 0 when no case is FAILED, 1 otherwise, 2 on a usage error.`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cases: { type: 'string' },
    exclude: { type: 'string' },
    quick: { type: 'boolean' },
    'max-size': { type: 'string' },
    'deflate-messages': { type: 'string' },
    json: { type: 'string' },
    html: { type: 'string' },
    agent: { type: 'string' },
    h2: { type: 'boolean' },
    ca: { type: 'string' },
    insecure: { type: 'boolean' },
    port: { type: 'string' },
    host: { type: 'string' },
    'wait-ms': { type: 'string' },
    'reply-timeout-ms': { type: 'string' },
    'keep-running': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}

const list = (s: string | undefined): string[] | undefined => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
const num = (s: string | undefined, name: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} needs a number`);
  return n;
};

function positiveInteger(n: number | undefined, name: string): number | undefined {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) fail(`--${name} needs a whole number of at least 1`);
  return n;
}

const timing: Partial<Timing> = {};
const waitMs = num(values['wait-ms'], 'wait-ms');
const replyMs = num(values['reply-timeout-ms'], 'reply-timeout-ms');
if (waitMs !== undefined) timing.waitMs = waitMs;
if (replyMs !== undefined) timing.replyTimeoutMs = timing.closeTimeoutMs = replyMs;

const tty = process.stderr.isTTY;
function progress(done: number, total: number, r: CaseResult): void {
  const line = `[${String(done).padStart(String(total).length)}/${total}] ${r.id.padEnd(8)} ${r.verdict.padEnd(13)} ${r.durationMs} ms`;
  if (tty) process.stderr.write(`\r\x1b[K${line}`);
  else if (r.verdict === 'FAILED' || r.verdict === 'NON-STRICT' || done === total || done % 50 === 0) process.stderr.write(`${line}\n`);
}

const suite: SuiteOptions = {
  cases: list(values.cases),
  exclude: list(values.exclude),
  maxMessageSize: num(values['max-size'], 'max-size') ?? (values.quick ? 1024 * 1024 : undefined),
  deflateMessages: positiveInteger(num(values['deflate-messages'], 'deflate-messages'), 'deflate-messages'),
  timing,
  agent: values.agent,
  onProgress: progress,
};

function finish(report: Report): number {
  if (tty) process.stderr.write('\r\x1b[K');
  process.stdout.write(formatSummary(report) + '\n');
  if (values.json) writeFileSync(values.json, toJson(report));
  if (values.html) writeFileSync(values.html, toHtml(report));
  return hasFailures(report) ? 1 : 0;
}

const [mode, target] = positionals;
if (mode === 'server') {
  if (!target) fail('server mode needs the URL of an echo server, e.g. ws://127.0.0.1:9001');
  if (!values.h2 && (values.ca !== undefined || values.insecure)) fail('--ca and --insecure go with --h2');
  let ca: Buffer | undefined;
  try {
    ca = values.ca === undefined ? undefined : readFileSync(values.ca);
  } catch (err) {
    fail(`--ca: ${(err as Error).message}`);
  }
  let report: Report;
  try {
    report = await runServerSuite({ ...suite, url: target, h2: values.h2, ca, insecure: values.insecure });
  } catch (err) {
    fail((err as Error).message); // a URL the mode cannot use
  }
  process.exit(finish(report));
} else if (mode === 'client') {
  const server = new FuzzingServer({
    ...suite,
    host: values.host ?? '127.0.0.1',
    port: num(values.port, 'port') ?? 9001,
    onReport: (report) => {
      const code = finish(report);
      if (!values['keep-running']) void server.close().then(() => process.exit(code));
    },
  });
  const port = await server.listen();
  process.stderr.write(`fuzzing server on ws://${values.host ?? '127.0.0.1'}:${port} with ${server.cases.length} cases; waiting for a client harness\n`);
} else if (mode === 'list') {
  for (const c of pickCases(suite, 'server', values.h2 ? 'h2' : 'tcp')) process.stdout.write(`${c.id}\t${c.description}\n`);
} else {
  fail(mode ? `unknown mode "${mode}"` : 'missing mode');
}
