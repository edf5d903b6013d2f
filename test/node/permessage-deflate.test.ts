/**
 * permessage-deflate (RFC 7692) over real sockets: the option as ws names it, the default
 * negotiation (no context takeover both ways), context takeover as an opt-in, what goes on the
 * wire, and the Hub's compress-once broadcast.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { WebSocket, WebSocketServer, type ClientOptions, type WebSocketServerOptions } from '../../src/index.js';
import { transportOf } from '../../src/node/websocket.js';
import { openMemoryConnection } from '../support/memory-socket.js';
import { RawPeer, maskedFrame, upgradeRequest } from './support/server.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(options: Partial<WebSocketServerOptions> = {}): Promise<{ url: string; port: number; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}`, port, wss };
}

async function openClient(url: string, options: ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  cleanups.push(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

function echo(ws: WebSocket, data: string | Buffer): Promise<Buffer> {
  const reply = once(ws, 'message') as Promise<[Buffer]>;
  ws.send(data);
  return reply.then(([message]) => message);
}

const JSON_TEXT = JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ id: i, user: `user-${i}`, text: 'hello there' })));

describe('perMessageDeflate: negotiation (RFC 7692 §5, §7.1)', () => {
  it('is off on a server by default (as ws) and offered by a client by default', async () => {
    const off = await echoServer();
    const client = await openClient(off.url);
    expect(client.extensions).toBe('');
    const on = await echoServer({ perMessageDeflate: true });
    const connection = once(on.wss, 'connection') as Promise<[WebSocket]>;
    const compressing = await openClient(on.url);
    const [serverSide] = await connection;
    // As ws, `extensions` names the extensions agreed (the parameters are not shown).
    expect(compressing.extensions).toBe('permessage-deflate');
    expect(serverSide.extensions).toBe('permessage-deflate');
    const declined = await openClient(on.url, { perMessageDeflate: false });
    expect(declined.extensions).toBe('');
  });

  it('round trips large and small messages, text and binary, in both default and context-takeover modes', async () => {
    for (const perMessageDeflate of [true, { serverNoContextTakeover: false, clientNoContextTakeover: false }] as const) {
      const { url } = await echoServer({ perMessageDeflate });
      const client = await openClient(url);
      expect(client.extensions).toBe('permessage-deflate');
      for (let round = 0; round < 5; round++) {
        expect((await echo(client, JSON_TEXT)).toString()).toBe(JSON_TEXT);
        expect((await echo(client, 'small')).toString()).toBe('small');
        const binary = Buffer.alloc(200_000, round);
        expect((await echo(client, binary)).equals(binary)).toBe(true);
      }
    }
  });

  it('refuses invalid options as ws does: TypeError for a wrong type, RangeError out of range', () => {
    expect(() => new WebSocketServer({ noServer: true, perMessageDeflate: { serverMaxWindowBits: 16 } })).toThrow(RangeError);
    expect(() => new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: 'big' as unknown as number } })).toThrow(TypeError);
    expect(() => new WebSocket('ws://127.0.0.1:1', { perMessageDeflate: { clientMaxWindowBits: 3 } })).toThrow(RangeError);
  });
});

describe('perMessageDeflate on the wire (RFC 7692 §6, §7.2.1)', () => {
  async function rawPeer(port: number, offer: string): Promise<RawPeer> {
    const peer = await RawPeer.connect(port);
    cleanups.push(() => peer.socket.destroy());
    peer.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': offer }));
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(101);
    return peer;
  }

  it('RSV1 on compressed messages only: under the threshold and with compress: false the frame is plain', async () => {
    const { port, wss } = await echoServer({ perMessageDeflate: { threshold: 100 } });
    const connection = once(wss, 'connection') as Promise<[WebSocket]>;
    const peer = await rawPeer(port, 'permessage-deflate');
    const [server] = await connection;
    server.send(JSON_TEXT);
    server.send('tiny');
    server.send(JSON_TEXT, { compress: false });
    const first = await peer.readFrame();
    expect(first.rsv1).toBe(true);
    expect(inflateRawSync(Buffer.concat([first.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: 2 }).toString()).toBe(JSON_TEXT);
    expect(first.payload.length).toBeLessThan(JSON_TEXT.length / 3);
    const second = await peer.readFrame();
    expect([second.rsv1, second.payload.toString()]).toEqual([false, 'tiny']);
    const third = await peer.readFrame();
    expect([third.rsv1, third.payload.toString()]).toEqual([false, JSON_TEXT]);
  });

  it('without negotiation, a frame with RSV1 fails the connection with 1002', async () => {
    const { port } = await echoServer({ perMessageDeflate: true });
    const peer = await rawPeer(port, 'x-unknown');
    peer.write(maskedFrame(0x1, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), true, 0x40));
    const close = await peer.readFrame();
    expect(close.opcode).toBe(0x8);
    expect(close.payload.readUInt16BE(0)).toBe(1002);
  });
});

describe('Hub: a broadcast compressed once for every receiver (RFC 7692 §7.1.1.1)', () => {
  it('1,000 compressing subscribers cost one compression, and each inflates the same bytes', async () => {
    const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: true });
    const hub = new Hub({ heartbeat: false });
    const received: Buffer[][] = [];
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 1000; i++) {
      const { ws, peer } = await openMemoryConnection(wss, { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' });
      const chunks: Buffer[] = [];
      received.push(chunks);
      peer.on('data', (chunk: Buffer) => chunks.push(chunk));
      hub.add(ws);
      sockets.push(ws);
    }
    const compressor = transportOf(sockets[0])!.broadcastCompressor!;
    expect(sockets.every((ws) => transportOf(ws)!.broadcastCompressor === compressor)).toBe(true);
    const compress = vi.spyOn(compressor.codec, 'compress');
    const message = JSON_TEXT.slice(0, 1100);
    expect(hub.broadcast(message)).toBe(1000);
    expect(compress).toHaveBeenCalledTimes(1);
    compress.mockRestore();
    await new Promise((resolve) => setImmediate(resolve));
    const frames = received.map((chunks) => {
      const bytes = Buffer.concat(chunks);
      return bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    });
    expect(new Set(frames.map((f) => f.toString('hex'))).size).toBe(1); // the same bytes for all
    const frame = frames[0];
    expect(frame[0]).toBe(0x80 | 0x40 | 0x1); // FIN, RSV1, text
    const payload = frame.subarray(frame[1] === 126 ? 4 : 2);
    expect(inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: 2 }).toString()).toBe(message);
    for (const ws of sockets) ws.terminate();
  });
});
