// Client mode: the suite as Autobahn's fuzzingserver, driven by ws's client the way the Autobahn
// client harnesses do it (getCaseCount, every runCase echoing, updateReports).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createConnection } from 'node:net';
import { FuzzingServer, runAutobahnHarness, runClientSuite } from '../../spec/client-mode.js';
import { FrameReader, Opcode, encodeFrame } from '../../spec/frame.js';
import { buildRequest, newKey, parseHttpHead } from '../../spec/handshake.js';
import type { Report } from '../../spec/report.js';
import { QUICK, TEST_TIMING, describeResults, notOk, wsLikeOpenClient } from './helpers.js';

const wsClient = wsLikeOpenClient((url) => new WebSocket(url) as unknown as import('./helpers.js').WsLikeClient);

describe('client mode with ws as the client under test', () => {
  let report: Report;

  beforeAll(async () => {
    report = await runClientSuite({ open: wsClient, agent: 'ws', timing: TEST_TIMING, ...QUICK });
  }, 120_000);

  it('runs every case of the client catalogue (no handshake section) and reports', () => {
    const ids = report.results.map((r) => r.id);
    expect(report.mode).toBe('client');
    expect(report.agent).toBe('ws');
    expect(ids.length).toBeGreaterThan(270 + 216);
    expect(ids.some((id) => id.startsWith('0.'))).toBe(false);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('finds ws\'s client conforming apart from fail-fast UTF-8', () => {
    const bad = notOk(report).filter((r) => !r.id.startsWith('6.4.'));
    expect(bad, describeResults(bad)).toEqual([]);
    expect(report.results.find((r) => r.id === '5.1')?.verdict).toBe('OK');
    expect(report.results.find((r) => r.id === '6.3.1')?.closeCode).toBe(1007);
  });

  it('finds ws\'s client (permessage-deflate on by default) conforming in sections 12 and 13', () => {
    const deflate = report.results.filter((r) => /^1[23]\./.test(r.id));
    expect(deflate).toHaveLength(216);
    const notOkDeflate = deflate.filter((r) => r.verdict !== 'OK');
    expect(notOkDeflate, describeResults(notOkDeflate)).toEqual([]);
    // 13.3: the suite answers ws's "client_max_window_bits" offer with 9 bits, as Autobahn does.
    expect(report.results.find((r) => r.id === '13.3.10')?.reason).toMatch(/the client offered "permessage-deflate; client_max_window_bits"; the suite answered "permessage-deflate; client_max_window_bits=9"/);
  });
});

describe('client mode protocol', () => {
  let server: FuzzingServer;
  beforeAll(async () => {
    server = new FuzzingServer({ cases: ['1.1.1', '1.1.2'], timing: TEST_TIMING });
    await server.listen();
  });
  afterAll(() => server.close());

  it('answers getCaseCount and getCaseInfo over WebSocket', async () => {
    const got: string[] = [];
    await wsClient(`${server.url}/getCaseCount`, (d) => got.push(d.toString()));
    await wsClient(`${server.url}/getCaseInfo?case=2`, (d) => got.push(d.toString()));
    expect(got[0]).toBe('2');
    expect(JSON.parse(got[1])).toMatchObject({ id: '1.1.2' });
  });

  it('fails a client that does not mask its frames (RFC 6455 §5.1)', async () => {
    const report = server.waitForReport('unmasked');
    // A hand-made client that echoes without masking.
    const runUnmasked = (url: string): Promise<void> => new Promise((resolve) => {
      const u = new URL(url);
      const socket = createConnection({ host: u.hostname, port: Number(u.port) }, () => {
        socket.write(buildRequest({ host: u.host, path: u.pathname + u.search, key: newKey() }));
      });
      const reader = new FrameReader();
      let buf: Buffer | null = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        if (buf) {
          buf = Buffer.concat([buf, chunk]);
          const h = parseHttpHead(buf);
          if (!h) return;
          chunk = h.rest;
          buf = null;
        }
        for (const f of reader.push(chunk)) {
          if (f.opcode === Opcode.Close) socket.end(encodeFrame({ opcode: Opcode.Close, payload: f.payload }));
          else socket.write(encodeFrame({ opcode: f.opcode, payload: f.payload, fin: f.fin }));
        }
      });
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });
    await runAutobahnHarness(server.url, 'unmasked', (url, onMessage) =>
      url.includes('/runCase') ? runUnmasked(url) : wsClient(url, onMessage));
    const r = await report;
    expect(r.results.map((c) => c.verdict)).toEqual(['FAILED', 'FAILED']);
    expect(r.results[0].reason).toMatch(/unmasked/);
  });
});

describe('client mode, permessage-deflate negotiation', () => {
  let server: FuzzingServer;
  beforeAll(async () => {
    server = new FuzzingServer({ cases: ['12.1.1', '13.3.1', '13.7.1'], timing: TEST_TIMING, deflateMessages: 3 });
    await server.listen();
  });
  afterAll(() => server.close());

  const runWith = async (agent: string, options: WebSocket.ClientOptions): Promise<string[]> => {
    const report = server.waitForReport(agent);
    await runAutobahnHarness(server.url, agent, wsLikeOpenClient((url) => new WebSocket(url, options) as unknown as import('./helpers.js').WsLikeClient));
    return (await report).results.map((r) => `${r.id} ${r.verdict}`);
  };

  it('is UNIMPLEMENTED for a client that offers no permessage-deflate, as in Autobahn', async () => {
    expect(await runWith('no-deflate', { perMessageDeflate: false })).toEqual(['12.1.1 UNIMPLEMENTED', '13.3.1 UNIMPLEMENTED', '13.7.1 UNIMPLEMENTED']);
  });

  it('declines only the groups that need client_max_window_bits when the offer lacks it (RFC 7692 §7.1.2.2)', async () => {
    // ws documents clientMaxWindowBits as Boolean|Number (false: not offered); @types/ws knows only numbers.
    const noWindowBits = { clientMaxWindowBits: false } as unknown as WebSocket.PerMessageDeflateOptions;
    expect(await runWith('no-window-bits', { perMessageDeflate: noWindowBits })).toEqual(['12.1.1 OK', '13.3.1 UNIMPLEMENTED', '13.7.1 OK']);
  });

  it('fails the handshake, and the case, on a malformed offer', async () => {
    const results = await runWith('bad-offer', { perMessageDeflate: false, headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=99' } });
    expect(results).toEqual(['12.1.1 FAILED', '13.3.1 FAILED', '13.7.1 FAILED']);
  });
});
