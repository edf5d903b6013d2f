// Our client through the conformance suite in client mode (issue 4's fuzzing server, speaking
// Autobahn's /getCaseCount, /runCase, /updateReports): every case, large messages included, and
// the permessage-deflate sections 12 and 13 (our client offers it by default, as browsers do).
import { describe, expect, it } from 'vitest';
import { runClientSuite, type OpenClient } from '../../spec/client-mode.js';
import { formatSummary, summarize } from '../../spec/report.js';
import { WebSocket } from '../../src/index.js';

/** The harness's view of a client: open, echo every message, resolve once closed. */
const openWsmith: OpenClient = (url, onMessage) =>
  new Promise<void>((resolve) => {
    const ws = new WebSocket(url);
    const socket = { send: (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }) };
    ws.on('message', (data, isBinary) => onMessage(data as Buffer, isBinary, socket));
    ws.on('error', () => undefined);
    ws.on('close', () => resolve());
  });

describe('wsmith client conformance (client mode)', () => {
  it('passes every case with no FAILED and no NON-STRICT', async () => {
    const report = await runClientSuite({
      open: openWsmith,
      agent: 'wsmith-client',
      deflateMessages: 5,
      timing: { waitMs: 500, replyTimeoutMs: 2000, closeTimeoutMs: 1000, chopDelayMs: 0 },
    });
    const { total } = summarize(report);
    console.log(formatSummary(report));
    const bad = report.results.filter((r) => r.verdict === 'FAILED' || r.verdict === 'NON-STRICT');
    expect(bad.map((r) => `${r.id} ${r.verdict}: ${r.reason}`)).toEqual([]);
    expect(total.OK).toBeGreaterThan(270 + 216);
    const deflate = report.results.filter((r) => /^1[23]\./.test(r.id));
    expect(deflate.filter((r) => r.verdict !== 'OK').map((r) => `${r.id} ${r.verdict}: ${r.reason}`)).toEqual([]);
    expect(deflate).toHaveLength(216);
  }, 240_000);
});
