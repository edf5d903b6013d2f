// The bar of issue 4: wsmith's echo server passes the suite with no FAILED and no NON-STRICT
// case (fail fast on UTF-8, close 1002 before dropping TCP, 426 on a bad version).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'wsmith';
import { runServerSuite } from '../../spec/server-mode.js';
import { TEST_TIMING, describeResults, notOk } from './helpers.js';

describe('wsmith echo server', () => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  it('has no FAILED and no NON-STRICT case', async () => {
    // Every case, 16 MiB messages included; only the deflate sections are left out.
    const report = await runServerSuite({ url, agent: 'wsmith', timing: TEST_TIMING, exclude: ['12.*', '13.*'] });
    expect(report.results.length).toBe(317);
    const bad = notOk(report);
    expect(bad, describeResults(bad)).toEqual([]);
  }, 90_000);
});

// wsmith's client runs through client mode in test/interop/client-conformance.test.ts.
