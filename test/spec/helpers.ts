// Shared pieces of the spec tests: quick timings, echo servers, and a client adapter.
import { WebSocketServer as WsServer } from 'ws';
import type { AddressInfo } from 'node:net';
import type { OpenClient } from '../../spec/client-mode.js';
import type { Report, CaseResult } from '../../spec/report.js';
import type { Timing } from '../../spec/case.js';

/** Shorter waits than the defaults, with room for a loaded CI machine (6.4.x needs the peer to answer within waitMs). */
export const TEST_TIMING: Partial<Timing> = { waitMs: 500, replyTimeoutMs: 2000, closeTimeoutMs: 2000, chopDelayMs: 0 };

/**
 * Every case but the 4 MiB+ messages of section 9, with 5 messages per case in sections 12 and 13
 * instead of Autobahn's 1000 (the full count takes minutes: see spec/README.md).
 */
export const QUICK = { maxMessageSize: 1024 * 1024, deflateMessages: 5 };

/** ws as an echo server; `perMessageDeflate: true` turns on its permessage-deflate (off by default). */
export async function startWsEcho(options: { perMessageDeflate?: boolean } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', ...options });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}

/** What the harness needs from a client with the `ws` API (ws, or wsmith's WebSocket). */
export interface WsLikeClient {
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', cb: () => void): unknown;
  on(event: 'error', cb: (err: Error) => void): unknown;
  send(data: Buffer, opts: { binary: boolean }): void;
}

/** Adapt any `ws`-compatible client class to the Autobahn harness of client mode. */
export function wsLikeOpenClient(create: (url: string) => WsLikeClient): OpenClient {
  return (url, onMessage) =>
    new Promise<void>((resolve) => {
      const ws = create(url);
      const socket = { send: (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }) };
      ws.on('message', (data, isBinary) => onMessage(Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer), isBinary, socket));
      ws.on('close', () => resolve());
      ws.on('error', () => undefined);
    });
}

export function notOk(report: Report): CaseResult[] {
  return report.results.filter((r) => r.verdict === 'FAILED' || r.verdict === 'NON-STRICT');
}

export const describeResults = (rs: CaseResult[]): string => rs.map((r) => `${r.id} ${r.verdict}: ${r.reason}`).join('\n');
