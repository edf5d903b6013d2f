// wsmith's echo server over HTTP/2 (RFC 8441), on a TLS server (the self-signed certificate of
// test/support/certificates.ts, made with Debian's openssl) and on an h2c server, judged by
// the suite next to the same server over HTTP/1.1: sections 1–13 must come out the same.
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'wsmith';
import { section } from '../../spec/case.js';
import { summarize, type Report } from '../../spec/report.js';
import { runServerSuite } from '../../spec/server-mode.js';
import { hasOpenssl, localhostCertificate } from '../support/certificates.js';
import { describeWithPeers } from '../support/peers.js';
import { TEST_TIMING, describeResults, notOk } from './helpers.js';

/** The same option the HTTP/1.1 run uses (test/spec/wsmith.test.ts). */
const DEFLATE_MESSAGES = 5;

/** An echo WebSocketServer with compression on; over HTTP/2 the application answers other requests with 404. */
function echo(wss: WebSocketServer): WebSocketServer {
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => undefined);
  });
  return wss;
}

async function listenH2(server: Http2Server | Http2SecureServer): Promise<number> {
  server.on('request', (_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  echo(new WebSocketServer({ server, perMessageDeflate: true }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** Verdict counts per section, sections 1–13 only (0 and h2 are each transport's own). */
function countsBySection(report: Report): Record<string, Record<string, number>> {
  return Object.fromEntries(summarize(report).sections.filter(([s]) => /^\d+$/.test(s) && s !== '0'));
}

describeWithPeers({ openssl: hasOpenssl })('wsmith echo server over HTTP/2, next to HTTP/1.1', () => {
  let pem: { key: Buffer; cert: Buffer };
  let h1: WebSocketServer;
  let tls: Http2SecureServer;
  let h2c: Http2Server;
  let tlsUrl: string;
  let reports: { h1: Report; tls: Report; h2c: Report };

  beforeAll(async () => {
    pem = localhostCertificate();
    h1 = echo(new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true }));
    await new Promise<void>((resolve) => h1.on('listening', () => resolve()));
    tls = createSecureServer({ ...pem, allowHTTP1: true });
    h2c = createServer();
    tlsUrl = `https://localhost:${await listenH2(tls)}`;
    const h2cUrl = `http://127.0.0.1:${await listenH2(h2c)}`;
    const common = { timing: TEST_TIMING, deflateMessages: DEFLATE_MESSAGES };
    // The three runs at once: most of a run is waiting (6.4.x, section 9's round trips).
    const [r1, r2, r3] = await Promise.all([
      runServerSuite({ ...common, url: `ws://127.0.0.1:${(h1.address() as AddressInfo).port}`, agent: 'wsmith' }),
      runServerSuite({ ...common, url: tlsUrl, h2: true, ca: pem.cert, agent: 'wsmith over HTTP/2' }),
      runServerSuite({ ...common, url: h2cUrl, h2: true, agent: 'wsmith over h2c' }),
    ]);
    reports = { h1: r1, tls: r2, h2c: r3 };
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => h1.close(() => resolve()));
    await new Promise<void>((resolve) => tls.close(() => resolve()));
    await new Promise<void>((resolve) => h2c.close(() => resolve()));
  });

  for (const carrier of ['tls', 'h2c'] as const) {
    it(`${carrier}: sections 1–13 as over HTTP/1.1, with no FAILED and no NON-STRICT`, () => {
      const report = reports[carrier];
      const bad = notOk(report).filter((r) => section(r.id) !== 'h2');
      expect(bad, describeResults(bad)).toEqual([]);
      expect(countsBySection(report)).toEqual(countsBySection(reports.h1));
      // Every compression case negotiated, compressed and OK over the stream too.
      const deflate = report.results.filter((r) => /^1[23]\./.test(r.id));
      expect(deflate).toHaveLength(216);
      expect(deflate.filter((r) => r.verdict !== 'OK')).toEqual([]);
    });

    it(`${carrier}: every case on a stream of the same HTTP/2 connection, which wsmith never had to drop`, () => {
      const onStreams = reports[carrier].results.filter((r) => section(r.id) !== 'h2');
      expect(onStreams.length).toBe(reports.h1.results.length - 16); // all but section 0
      for (const r of onStreams) expect(r.wire[0]?.text, r.id).toMatch(/^HTTP\/2 stream \d+ on connection 1 /);
    });

    it(`${carrier}: section h2, the RFC 8441 handshake: accepted and refused as it should`, () => {
      const h2 = reports[carrier].results.filter((r) => section(r.id) === 'h2');
      expect(h2.map((r) => r.id)).toEqual(Array.from({ length: 14 }, (_, i) => `h2.${i + 1}`));
      const bad = h2.filter((r) => r.verdict !== 'OK');
      // wsmith's own refusals (h2.13, h2.14: a 400) end their stream before any reset.
      expect(bad.map((r) => `${r.id} ${r.verdict}`), describeResults(bad)).toEqual([]);
      expect(h2.find((r) => r.id === 'h2.13')?.reason).toMatch(/^refused with status 400/);
      // The refusals node:http2 answers for wsmith (405) or resets as malformed are complete.
      expect(h2.find((r) => r.id === 'h2.6')?.reason).toBe('refused with status 405');
      expect(h2.find((r) => r.id === 'h2.10')?.reason).toBe('refused as malformed (RST_STREAM PROTOCOL_ERROR)');
    });
  }

  it('h2c with no request handler of the application: wsmith answers every CONNECT itself', async () => {
    const bare = createServer();
    echo(new WebSocketServer({ server: bare }));
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', () => resolve()));
    try {
      const cases = Array.from({ length: 14 }, (_, i) => `h2.${i + 1}`);
      const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
      const report = await runServerSuite({ url, h2: true, cases, timing: TEST_TIMING, agent: 'bare h2c' });
      const bad = report.results.filter((r) => r.verdict !== 'OK');
      expect(bad, describeResults(bad)).toEqual([]);
      expect(report.results.find((r) => r.id === 'h2.6')?.reason).toBe('refused with status 405');
      expect(report.results.find((r) => r.id === 'h2.7')?.reason).toBe('refused with status 501');
    } finally {
      bare.close();
    }
  }, 60_000);

  it('TLS: a self-signed server needs --ca or --insecure', async () => {
    const opts = { url: tlsUrl, h2: true, cases: ['h2.1', '1.1.1'], timing: TEST_TIMING };
    const untrusted = await runServerSuite(opts);
    for (const r of untrusted.results) {
      expect(r.verdict).toBe('FAILED');
      expect(r.reason).toMatch(/self-signed certificate \(trust the server's certificate with --ca FILE, or skip the check with --insecure\)/);
    }
    const insecure = await runServerSuite({ ...opts, insecure: true });
    expect(insecure.results.map((r) => r.verdict)).toEqual(['OK', 'OK']);
  });
});
