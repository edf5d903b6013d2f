// Interop: our client against the `ws` server (a peer no one here wrote).
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer, type WebSocket as WsSocket } from 'ws';
import { WebSocket, connect } from '../../src/index.js';

const LARGE = 16 * 1024 * 1024;

let wss: WsServer;
let url: string;
/** The server side of the latest connection. */
let latest: Promise<WsSocket>;
let resolveLatest: (ws: WsSocket) => void;

function expectConnection(): void {
  latest = new Promise((resolve) => (resolveLatest = resolve));
}

beforeAll(async () => {
  wss = new WsServer({
    port: 0,
    host: '127.0.0.1',
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
    verifyClient: (info, done) => (info.req.url === '/forbidden' ? done(false, 403) : done(true)),
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    resolveLatest?.(ws);
  });
});

afterAll(async () => {
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closeOf(ws: { once(event: 'close', cb: (code: number, reason: Buffer) => void): unknown }): Promise<[number, string]> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
}

describe('our client -> ws server', () => {
  it('echoes text and binary', async () => {
    const ws = await connect(url);
    ws.send('hello, ws — ünïcödé 🎉');
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('hello, ws — ünïcödé 🎉'), isBinary: false });
    const bytes = randomBytes(1000);
    ws.send(bytes);
    expect(await nextMessage(ws)).toEqual({ data: bytes, isBinary: true });
    ws.send(Buffer.alloc(0));
    expect((await nextMessage(ws)).data.length).toBe(0);
    ws.terminate();
  });

  it('echoes a 16 MiB binary message', async () => {
    const ws = await connect(url);
    const big = randomBytes(LARGE);
    ws.send(big);
    const { data, isBinary } = await nextMessage(ws);
    expect(isBinary).toBe(true);
    expect(data.length).toBe(LARGE);
    expect(data.equals(big)).toBe(true);
    ws.terminate();
  });

  it('receives a message ws sends in fragments', async () => {
    expectConnection();
    const ws = await connect(url);
    const server = await latest;
    server.send('frag', { fin: false });
    server.send('men', { fin: false });
    server.send('ted', { fin: true });
    expect((await nextMessage(ws)).data.toString()).toBe('fragmented');
    ws.terminate();
  });

  it('close code and reason, client first: 4000', async () => {
    expectConnection();
    const ws = await connect(url);
    const server = await latest;
    const serverSaw = closeOf(server);
    const clientSaw = closeOf(ws);
    ws.close(4000, 'client says bye');
    expect(await serverSaw).toEqual([4000, 'client says bye']);
    expect(await clientSaw).toEqual([4000, 'client says bye']); // ws echoes code and reason
  });

  it('close code and reason, server first: 4001 and 1001', async () => {
    for (const [code, reason] of [
      [4001, 'server says bye'],
      [1001, 'going away'],
    ] as const) {
      expectConnection();
      const ws = await connect(url);
      const server = await latest;
      const clientSaw = closeOf(ws);
      const serverSaw = closeOf(server);
      server.close(code, reason);
      expect(await clientSaw).toEqual([code, reason]);
      expect((await serverSaw)[0]).toBe(code);
    }
  });

  it('negotiates a subprotocol', async () => {
    expectConnection();
    const ws = await connect(url, { protocols: ['chat.v1', 'chat.v2'] });
    const server = await latest;
    expect(ws.protocol).toBe('chat.v2');
    expect(server.protocol).toBe('chat.v2');
    ws.terminate();
  });

  it('answers pings and gets pongs', async () => {
    expectConnection();
    const ws = await connect(url);
    const server = await latest;
    const pong = new Promise<string>((resolve) => server.once('pong', (data) => resolve(data.toString())));
    server.ping('are you there');
    expect(await pong).toBe('are you there');
    const ourPong = new Promise<string>((resolve) => ws.once('pong', (data) => resolve(data.toString())));
    ws.ping('and you?');
    expect(await ourPong).toBe('and you?');
    ws.terminate();
  });

  it('reports a refused handshake', async () => {
    const ws = new WebSocket(`${url}/forbidden`);
    const error = new Promise<Error>((resolve) => ws.once('error', resolve));
    const closed = closeOf(ws);
    expect((await error).message).toBe('Unexpected server response: 403');
    expect((await closed)[0]).toBe(1006);
  });
});
