// Interop: the `ws` client (a peer no one here wrote) against our server.
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocketServer, type WebSocket } from '../../src/index.js';

const LARGE = 16 * 1024 * 1024;

let wss: WebSocketServer;
let url: string;
let latest: Promise<WebSocket>;
let resolveLatest: ((ws: WebSocket) => void) | undefined;

function expectConnection(): void {
  latest = new Promise((resolve) => (resolveLatest = resolve));
}

beforeAll(async () => {
  wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
    verifyClient: (info) => (info.req.url === '/forbidden' ? { status: 403, reason: 'no' } : true),
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    resolveLatest?.(ws);
  });
});

afterAll(async () => {
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

function open(address: string, protocols?: string[]): Promise<WsClient> {
  const ws = new WsClient(address, protocols);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WsClient): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closeOf(ws: { once(event: 'close', cb: (code: number, reason: Buffer) => void): unknown }): Promise<[number, string]> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
}

describe('ws client -> our server', () => {
  it('echoes text and binary', async () => {
    const ws = await open(url);
    ws.send('hello from ws — ünïcödé 🎉');
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('hello from ws — ünïcödé 🎉'), isBinary: false });
    const bytes = randomBytes(70_000);
    ws.send(bytes);
    expect(await nextMessage(ws)).toEqual({ data: bytes, isBinary: true });
    ws.terminate();
  });

  it('echoes a 16 MiB binary message', async () => {
    const ws = await open(url);
    const big = randomBytes(LARGE);
    ws.send(big);
    const { data, isBinary } = await nextMessage(ws);
    expect(isBinary).toBe(true);
    expect(data.equals(big)).toBe(true);
    ws.terminate();
  });

  it('assembles a message ws sends in fragments', async () => {
    const ws = await open(url);
    ws.send('frag', { fin: false });
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
    expect((await nextMessage(ws)).data.toString()).toBe('fragmented');
    ws.terminate();
  });

  it('close code and reason, client first: 4000', async () => {
    expectConnection();
    const ws = await open(url);
    const server = await latest;
    const serverSaw = closeOf(server);
    const clientSaw = closeOf(ws);
    ws.close(4000, 'client says bye');
    expect(await serverSaw).toEqual([4000, 'client says bye']);
    expect((await clientSaw)[0]).toBe(4000);
  });

  it('close code and reason, server first: 4001 and 1001', async () => {
    for (const [code, reason] of [
      [4001, 'server says bye'],
      [1001, 'going away'],
    ] as const) {
      expectConnection();
      const ws = await open(url);
      const server = await latest;
      const clientSaw = closeOf(ws);
      const serverSaw = closeOf(server);
      server.close(code, reason);
      expect(await clientSaw).toEqual([code, reason]);
      expect(await serverSaw).toEqual([code, reason]); // ws echoes code and reason
    }
  });

  it('negotiates a subprotocol', async () => {
    expectConnection();
    const ws = await open(url, ['chat.v1', 'chat.v2']);
    const server = await latest;
    expect(ws.protocol).toBe('chat.v2');
    expect(server.protocol).toBe('chat.v2');
    ws.terminate();
  });

  it('answers pings and gets pongs', async () => {
    expectConnection();
    const ws = await open(url);
    const server = await latest;
    const pong = new Promise<string>((resolve) => server.once('pong', (data) => resolve(data.toString())));
    server.ping('are you there');
    expect(await pong).toBe('are you there');
    const theirPong = new Promise<string>((resolve) => ws.once('pong', (data) => resolve(data.toString())));
    ws.ping('and you?');
    expect(await theirPong).toBe('and you?');
    ws.terminate();
  });

  it('sees our refusal as an unexpected response', async () => {
    const ws = new WsClient(`${url}/forbidden`);
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
    expect(status).toBe(403);
    ws.on('error', () => {}); // ws reports the abandoned handshake as an error
    ws.terminate();
  });
});
