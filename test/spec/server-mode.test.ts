// Server mode end to end: against ws (a known-good echo server) and against a broken one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServerSuite } from '../../spec/server-mode.js';
import { formatMarkdownComparison, formatSummary, formatTimingComparison, hasFailures, summarize, toHtml, toJson, type Report } from '../../spec/report.js';
import { VERDICTS, section } from '../../spec/case.js';
import { QUICK, TEST_TIMING, describeResults, notOk, startWsEcho } from './helpers.js';
import { startBrokenEchoServer } from './broken-echo-server.js';

describe('server mode against ws', () => {
  let server: Awaited<ReturnType<typeof startWsEcho>>;
  let report: Report;
  const progress: number[] = [];

  beforeAll(async () => {
    server = await startWsEcho({ perMessageDeflate: true });
    report = await runServerSuite({ url: server.url, agent: 'ws', timing: TEST_TIMING, ...QUICK, onProgress: (done) => progress.push(done) });
  }, 120_000);
  afterAll(() => server.close());

  it('runs every selected case once, in order, with progress', () => {
    const ids = report.results.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(280 + 216);
    expect(progress).toEqual(ids.map((_, i) => i + 1));
    for (const s of ['0', '1', '2', '3', '4', '5', '6', '7', '9', '10', '12', '13']) expect(ids.some((id) => section(id) === s)).toBe(true);
    for (const r of report.results) {
      expect(VERDICTS).toContain(r.verdict);
      expect(r.reason).not.toBe('');
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('finds ws conforming in framing, pings, RSV, opcodes, fragmentation, UTF-8 tables and closes', () => {
    // ws is not fail-fast on UTF-8 (6.4.x) and lenient on some handshake details (0.x); the
    // rest of the protocol must be clean.
    const bad = notOk(report).filter((r) => !r.id.startsWith('0.') && !r.id.startsWith('6.4.'));
    expect(bad, describeResults(bad)).toEqual([]);
    expect(report.results.find((r) => r.id === '7.1.6')?.verdict).toBe('INFORMATIONAL');
    expect(report.results.find((r) => r.id === '3.1')?.closeCode).toBe(1002);
    expect(report.results.find((r) => r.id === '6.3.1')?.closeCode).toBe(1007);
  });

  it('finds ws with perMessageDeflate conforming in every permessage-deflate case (sections 12 and 13)', () => {
    const deflate = report.results.filter((r) => ['12', '13'].includes(section(r.id)));
    expect(deflate).toHaveLength(216);
    const notOkDeflate = deflate.filter((r) => r.verdict !== 'OK');
    expect(notOkDeflate, describeResults(notOkDeflate)).toEqual([]);
    // 13.5: ws answers the offer's server_no_context_takeover and server_max_window_bits=9.
    expect(report.results.find((r) => r.id === '13.5.10')?.reason).toMatch(/answered "permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=9"/);
  });

  it('keeps a wire log of what was sent and received', () => {
    const r = report.results.find((c) => c.id === '2.2')!;
    expect(r.wire.some((e) => e.dir === 'tx' && e.text.startsWith('PING'))).toBe(true);
    expect(r.wire.some((e) => e.dir === 'rx' && e.text.startsWith('PONG'))).toBe(true);
  });

  it('writes the summary, JSON, HTML and Markdown reports', () => {
    const { total } = summarize(report);
    expect(Object.values(total).reduce((a, b) => a + b, 0)).toBe(report.results.length);
    expect(formatSummary(report)).toMatch(/6 UTF-8 handling/);
    expect(JSON.parse(toJson(report)).results).toHaveLength(report.results.length);
    const html = toHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script src|<link /); // self-contained
    expect(html.match(/<details/g)).toHaveLength(report.results.length);
    expect(formatMarkdownComparison([report, report])).toMatch(/\| \*\*Total\*\* \|/);
    expect(formatTimingComparison([report])).toMatch(/\| 9\.7 \| \d+ \|/);
    expect(formatTimingComparison([report])).toMatch(/\| 13 \| \d+ \|/);
  });
});

describe('server mode against a server that fails bad frames but echoes nothing', () => {
  let server: Awaited<ReturnType<typeof startBrokenEchoServer>>;
  let report: Report;

  beforeAll(async () => {
    server = await startBrokenEchoServer('no-echo');
    report = await runServerSuite({ url: server.url, cases: ['1.1.1', '3.2', '3.4', '4.1.3', '5.15', '3.1'], timing: { ...TEST_TIMING, replyTimeoutMs: 300, closeTimeoutMs: 300 } });
  }, 30_000);
  afterAll(() => server.close());

  it('is NON-STRICT where it fails the connection without the echo due before the bad frame (Autobahn: expected[NON_STRICT] = [])', () => {
    const verdicts = Object.fromEntries(report.results.map((r) => [r.id, r.verdict]));
    expect(verdicts).toEqual({ '1.1.1': 'FAILED', '3.1': 'OK', '3.2': 'NON-STRICT', '3.4': 'NON-STRICT', '4.1.3': 'NON-STRICT', '5.15': 'NON-STRICT' });
    expect(report.results.find((r) => r.id === '3.2')?.reason).toMatch(/close code 1002, but never echoed/);
  });
});

describe('server mode against a broken echo server', () => {
  let server: Awaited<ReturnType<typeof startBrokenEchoServer>>;
  let report: Report;

  beforeAll(async () => {
    server = await startBrokenEchoServer();
    report = await runServerSuite({
      url: server.url,
      agent: 'broken',
      cases: ['0.13', '0.14', '1.1.*', '3.*', '6.3.*', '6.8.*', '6.12.*', '7.9.*', '7.13.*', '4.1.2'],
      timing: { ...TEST_TIMING, replyTimeoutMs: 300, closeTimeoutMs: 300 },
    });
  }, 60_000);
  afterAll(() => server.close());

  const verdictsOf = (pattern: RegExp) => report.results.filter((r) => pattern.test(r.id)).map((r) => [r.id, r.verdict]);

  it('fails every case where it accepts RSV bits', () => {
    const rsv = verdictsOf(/^3\./);
    expect(rsv).toHaveLength(7);
    expect(rsv.filter(([, v]) => v !== 'FAILED')).toEqual([]);
  });

  it('fails every case where it skips UTF-8 validation', () => {
    const utf8 = verdictsOf(/^6\.(3|8|12)\./);
    expect(utf8.length).toBe(2 + 2 + 8);
    expect(utf8.filter(([, v]) => v !== 'FAILED')).toEqual([]);
  });

  it('fails every case where it echoes an invalid close code', () => {
    const codes = verdictsOf(/^7\.9\./);
    expect(codes).toHaveLength(9);
    expect(codes.filter(([, v]) => v !== 'FAILED')).toEqual([]);
  });

  it('reports codes above 4999 as INFORMATIONAL, as Autobahn does, saying what the peer did', () => {
    // RFC 6455 §7.4 defines no code above 4999, so 7.13.x has no right answer.
    expect(verdictsOf(/^7\.13\./)).toEqual([['7.13.1', 'INFORMATIONAL'], ['7.13.2', 'INFORMATIONAL']]);
    expect(report.results.find((r) => r.id === '7.13.1')?.reason).toMatch(/answered with close code 5000/);
  });

  it('fails the handshake cases where it upgrades a request without Host or over HTTP/1.0', () => {
    // RFC 6455 §4.2.1 requires both; upgrading such a request is FAILED, not NON-STRICT.
    expect(verdictsOf(/^0\./)).toEqual([['0.13', 'FAILED'], ['0.14', 'FAILED']]);
  });

  it('fails on a reserved opcode and passes plain echoes, so the verdicts are not blanket', () => {
    expect(verdictsOf(/^4\.1\.2$/)).toEqual([['4.1.2', 'FAILED']]);
    expect(verdictsOf(/^1\.1\./).filter(([, v]) => v !== 'OK')).toEqual([]);
    expect(hasFailures(report)).toBe(true);
  });
});
