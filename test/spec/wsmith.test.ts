// The bar of issue 4: wsmith's echo server passes the suite with no FAILED and no NON-STRICT
// case (fail fast on UTF-8, close 1002 before dropping TCP, 426 on a bad version); with
// compression on, sections 12 and 13 (RFC 7692) are all OK.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'wsmith';
import { runServerSuite } from '../../spec/server-mode.js';
import { TEST_TIMING, describeResults, notOk } from './helpers.js';

describe('wsmith echo server', () => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  it('has no FAILED and no NON-STRICT case', async () => {
    // Every case, 16 MiB messages included; sections 12 and 13 with 5 messages per case.
    const report = await runServerSuite({ url, agent: 'wsmith', timing: TEST_TIMING, deflateMessages: 5 });
    expect(report.results.length).toBe(317 + 216);
    const bad = notOk(report);
    expect(bad, describeResults(bad)).toEqual([]);
    // Sections 12 and 13 (permessage-deflate): every case negotiated, compressed and OK.
    const deflate = report.results.filter((r) => /^1[23]\./.test(r.id));
    expect(deflate).toHaveLength(216);
    const notDone = deflate.filter((r) => r.verdict !== 'OK');
    expect(notDone, describeResults(notDone)).toEqual([]);
    expect(report.results.filter((r) => r.verdict === 'UNIMPLEMENTED')).toEqual([]);
  }, 120_000);
});

// wsmith's client runs through client mode in test/interop/client-conformance.test.ts.
