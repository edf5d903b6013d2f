/**
 * The server-side `WebSocket` (src/node/websocket.ts): readyState, send forms, callbacks,
 * bufferedAmount and 'drain', terminate, and what user handlers may do inside a read.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocketServer } from '../../src/node/server.js';
import { WebSocket } from '../../src/node/websocket.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A server and a connected ws client; returns both ends. */
async function pair(options: { maxPayload?: number; closeTimeout?: number } = {}): Promise<{ server: WebSocket; peer: WsClient; wss: WebSocketServer; socket: import('node:net').Socket }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const connection = once(wss, 'connection') as Promise<[WebSocket, import('node:http').IncomingMessage]>;
  const peer = new WsClient(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  peer.on('error', () => {});
  cleanups.push(() => peer.terminate());
  await once(peer, 'open');
  const [server, request] = await connection;
  // The TCP socket under the server's WebSocket: the request came over it.
  return { server, peer, wss, socket: request.socket };
}

function collect(peer: WsClient): Array<[string, boolean]> {
  const messages: Array<[string, boolean]> = [];
  peer.on('message', (data: Buffer, isBinary: boolean) => messages.push([data.toString('hex'), isBinary]));
  return messages;
}

async function untilCount<T>(list: T[], count: number): Promise<void> {
  while (list.length < count) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('WebSocket (server side)', () => {
  it('has the ws readyState constants and starts OPEN', async () => {
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([0, 1, 2, 3]);
    const { server } = await pair();
    expect(server.readyState).toBe(WebSocket.OPEN);
    expect([server.CONNECTING, server.OPEN, server.CLOSING, server.CLOSED]).toEqual([0, 1, 2, 3]);
    // Shared through the prototype, as in ws: not four more fields in every connection.
    expect(Object.keys(server)).not.toContain('OPEN');
    expect(server.protocol).toBe('');
    expect(server.extensions).toBe('');
  });

  it('sends every data form: string, Buffer, ArrayBuffer, typed arrays and views with offsets', async () => {
    const { server, peer } = await pair();
    const messages = collect(peer);
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    server.send('text');
    server.send(Buffer.from([1, 2]));
    server.send(backing.buffer.slice(2, 4));
    server.send(backing.subarray(5, 8));
    server.send(new Uint16Array(backing.buffer, 2, 2));
    server.send(new DataView(backing.buffer, 8, 2));
    server.send('text as binary', { binary: true });
    server.send(Buffer.from('bytes as text'), { binary: false });
    await untilCount(messages, 8);
    expect(messages).toEqual([
      [Buffer.from('text').toString('hex'), false],
      ['0102', true],
      ['0203', true],
      ['050607', true],
      ['02030405', true],
      ['0809', true],
      [Buffer.from('text as binary').toString('hex'), true],
      [Buffer.from('bytes as text').toString('hex'), false],
    ]);
  });

  it('does not change the caller\'s buffer; small payloads are copied at send time', async () => {
    const { server, peer } = await pair();
    const messages = collect(peer);
    const big = Buffer.alloc(100_000, 1);
    const small = Buffer.from('small');
    server.send(big);
    server.send(small);
    small.write('XXXXX'); // after send: small payloads were copied already
    await untilCount(messages, 2);
    expect(messages[0][0]).toBe(Buffer.alloc(100_000, 1).toString('hex'));
    expect(messages[1][0]).toBe(Buffer.from('small').toString('hex'));
    expect(big.every((b) => b === 1)).toBe(true);
  });

  it('sends of one tick leave in one write (batching outside reads)', async () => {
    const { server, peer, socket } = await pair();
    const messages = collect(peer);
    let writes = 0;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      writes++;
      return write(...args);
    }) as typeof socket.write;
    for (let i = 0; i < 50; i++) server.send(`m${i}`);
    expect(server.bufferedAmount).toBeGreaterThan(0); // queued, not yet written
    await untilCount(messages, 50);
    expect(writes).toBe(1);
    expect(messages.map(([hex]) => Buffer.from(hex, 'hex').toString())).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('calls every send callback once written, in order', async () => {
    const { server } = await pair();
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2].map((i) => new Promise<void>((resolve, reject) => server.send(`x${i}`, (error) => (error ? reject(error) : (order.push(i), resolve()))))),
    );
    expect(order).toEqual([0, 1, 2]);
  });

  it('emits drain after the socket buffer filled and emptied; bufferedAmount reflects queued bytes', async () => {
    const { server, peer } = await pair();
    // Stop reading on the client so the server's socket buffer fills up.
    (peer as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 32; i++) server.send(chunk);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.bufferedAmount).toBeGreaterThan(0);
    const drained = once(server, 'drain');
    (peer as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await drained;
    expect(server.bufferedAmount).toBe(0);
  });

  it('close(): CLOSING at once, CLOSED after the handshake; later sends report not open', async () => {
    const { server, peer } = await pair();
    const peerClosed = once(peer, 'close');
    const closed = once(server, 'close');
    server.close(1000, 'done');
    expect(server.readyState).toBe(WebSocket.CLOSING);
    const error = await new Promise<Error | undefined>((resolve) => server.send('after close', resolve));
    expect(error?.message).toMatch(/not open/);
    const [code, reason] = (await closed) as [number, Buffer];
    expect(code).toBe(1000);
    expect(reason).toBeInstanceOf(Buffer);
    expect(server.readyState).toBe(WebSocket.CLOSED);
    expect((await peerClosed)[0]).toBe(1000);
    server.close(); // no-op when closed
    server.terminate();
  });

  it('terminate(): the peer sees 1006, the server reports 1006', async () => {
    const { server, peer } = await pair();
    const peerClosed = once(peer, 'close');
    const closed = once(server, 'close');
    server.terminate();
    expect((await peerClosed)[0]).toBe(1006);
    expect((await closed)[0]).toBe(1006);
    expect(server.readyState).toBe(WebSocket.CLOSED);
  });

  it('a close() inside a message handler leaves with the replies of the same read, and the close event fires once', async () => {
    const { server, peer } = await pair();
    let closes = 0;
    server.on('close', () => closes++);
    server.on('message', (data) => {
      server.send(`echo ${data.toString()}`);
      if (data.toString() === 'last') server.close(4000, 'bye');
    });
    const messages = collect(peer);
    const peerClosed = once(peer, 'close');
    peer.send('first');
    peer.send('last');
    const [code, reason] = (await peerClosed) as [number, Buffer];
    expect(code).toBe(4000);
    expect(reason.toString()).toBe('bye');
    expect(messages.map(([hex]) => Buffer.from(hex, 'hex').toString())).toEqual(['echo first', 'echo last']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closes).toBe(1);
  });

  it('terminate() inside a message handler stops the rest of the read', async () => {
    const { server, peer } = await pair();
    const seen: string[] = [];
    server.on('message', (data) => {
      seen.push(data.toString());
      server.terminate();
    });
    const closed = once(server, 'close');
    // Several frames in one TCP write: only the first is delivered.
    (peer as unknown as { _socket: import('node:net').Socket })._socket.cork();
    peer.send('one');
    peer.send('two');
    peer.send('three');
    (peer as unknown as { _socket: import('node:net').Socket })._socket.uncork();
    await closed;
    expect(seen).toEqual(['one']);
  });

  it("a peer that vanishes (TCP reset) gives 'close' 1006 and fails pending send callbacks", async () => {
    const { server, peer } = await pair();
    const closed = once(server, 'close');
    (peer as unknown as { _socket: import('node:net').Socket })._socket.resetAndDestroy();
    expect((await closed)[0]).toBe(1006);
    const error = await new Promise<Error | undefined>((resolve) => server.send('x', resolve));
    expect(error).toBeInstanceOf(Error);
  });

  it('a protocol failure: one error event, CLOSING at once, then CLOSED; no message after the bad frame', async () => {
    const { server, peer } = await pair({ maxPayload: 10 });
    const errors: Error[] = [];
    const states: number[] = [];
    const messages: string[] = [];
    server.on('message', (data) => messages.push(data.toString()));
    server.on('error', (error) => {
      errors.push(error);
      states.push(server.readyState);
    });
    // (events.once would reject on the 'error' event.)
    const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    const peerClosed = once(peer, 'close');
    peer.send('ok');
    peer.send('this is more than ten bytes');
    peer.send('never');
    expect((await peerClosed)[0]).toBe(1009);
    await closed;
    expect(messages).toEqual(['ok']);
    expect(errors).toHaveLength(1);
    expect(states).toEqual([WebSocket.CLOSING]);
    expect(server.readyState).toBe(WebSocket.CLOSED);
  });

  it('ping and pong report not-open through their callbacks after close', async () => {
    const { server } = await pair();
    server.terminate();
    await once(server, 'close');
    const pingError = await new Promise<Error | undefined>((resolve) => server.ping(undefined, undefined, resolve));
    const pongError = await new Promise<Error | undefined>((resolve) => server.pong('x', resolve));
    expect(pingError).toBeInstanceOf(Error);
    expect(pongError).toBeInstanceOf(Error);
  });
});
