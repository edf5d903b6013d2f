/**
 * doc/ws.md: "createWebSocketStream(websocket[, options])", a Duplex over a WebSocket:
 * reading messages (object mode for text), writing binary messages, backpressure through
 * pause()/resume(), ending with a closing handshake, errors, and destroy.
 */
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as wsmith from '../../../src/index.js';
import { createWebSocketStream } from '../../../src/index.js';
import { collect, next, openPair, openWithWs, startServer, until, wsmithClient } from './support.js';

function chunks(duplex: Duplex): unknown[] {
  const seen: unknown[] = [];
  duplex.on('data', (chunk: unknown) => seen.push(chunk));
  return seen;
}

describe('createWebSocketStream', () => {
  it('is exported from the main entry, as in ws', () => {
    expect(typeof wsmith.createWebSocketStream).toBe('function');
  });

  it('reads messages as Buffers; with readableObjectMode, text as strings and binary as Buffers', async () => {
    const plain = await openWithWs();
    const duplex = createWebSocketStream(plain.server);
    const seen = chunks(duplex);
    plain.peer.send('text');
    plain.peer.send(Buffer.from([1, 2]));
    await until(() => seen.length === 2);
    expect(seen.every((chunk) => Buffer.isBuffer(chunk))).toBe(true);
    expect(seen.map(String)).toEqual(['text', '\u0001\u0002']);

    const objects = await openWithWs();
    const objectDuplex = createWebSocketStream(objects.server, { readableObjectMode: true });
    const objectSeen = chunks(objectDuplex);
    objects.peer.send('text');
    objects.peer.send(Buffer.from([3]));
    await until(() => objectSeen.length === 2);
    expect(objectSeen[0]).toBe('text');
    expect(Buffer.isBuffer(objectSeen[1])).toBe(true);
  });

  it('objectMode and writableObjectMode are overridden: the stream is in byte mode, as ws makes it', async () => {
    const { server } = await openPair();
    const duplex = createWebSocketStream(server, { objectMode: true, writableObjectMode: true });
    expect(duplex.readableObjectMode).toBe(false);
    expect(duplex.writableObjectMode).toBe(false);
  });

  it('writes each chunk as a binary message, and calls the write callback once it is sent', async () => {
    const { server, peer } = await openWithWs();
    const duplex = createWebSocketStream(server);
    const received: Array<[string, boolean]> = [];
    peer.on('message', (data: Buffer, isBinary: boolean) => received.push([data.toString(), isBinary]));
    await new Promise<void>((resolve, reject) => duplex.write('hello', (error) => (error ? reject(error) : resolve())));
    duplex.write(Buffer.from('world'));
    await until(() => received.length === 2);
    expect(received).toEqual([
      ['hello', true],
      ['world', true],
    ]);
  });

  it('backpressure: a full readable buffer pauses the WebSocket; reading resumes it, and nothing is lost', async () => {
    const { server, peer } = await openWithWs();
    const duplex = createWebSocketStream(server, { readableHighWaterMark: 16 });
    for (let i = 0; i < 50; i++) peer.send(`message ${i}`);
    await until(() => server.isPaused);
    const read: string[] = [];
    duplex.on('data', (chunk: Buffer) => read.push(chunk.toString()));
    await until(() => read.length === 50);
    expect(read).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i}`));
    expect(server.isPaused).toBe(false);
  });

  it('end(): a closing handshake; finish once our side is done; the readable side ends with the close; then close', async () => {
    const { server, peer } = await openWithWs();
    const duplex = createWebSocketStream(server);
    duplex.resume();
    const events: string[] = [];
    for (const event of ['finish', 'end', 'close']) duplex.on(event, () => events.push(event));
    const peerClosed = once(peer, 'close');
    duplex.end();
    expect((await peerClosed)[0]).toBe(1005);
    await until(() => events.includes('close'));
    expect(events).toEqual(['finish', 'end', 'close']);
    expect(server.readyState).toBe(wsmith.WebSocket.CLOSED);
  });

  it("the peer closing ends the readable side ('end'); the writable side stays until ended", async () => {
    const { server, peer } = await openWithWs();
    const duplex = createWebSocketStream(server);
    const ended = once(duplex, 'end');
    duplex.resume();
    peer.close(1000);
    await ended;
    expect(duplex.destroyed).toBe(false);
  });

  it('destroy() terminates the WebSocket; close follows the WebSocket close', async () => {
    const { server, peer } = await openWithWs();
    const duplex = createWebSocketStream(server);
    const peerClosed = once(peer, 'close');
    const closed = once(duplex, 'close');
    duplex.destroy();
    expect((await peerClosed)[0]).toBe(1006);
    await closed;
    expect(server.readyState).toBe(wsmith.WebSocket.CLOSED);
  });

  it('destroy() after the WebSocket closed: close on the next tick', async () => {
    const { server } = await openPair();
    const duplex = createWebSocketStream(server);
    server.terminate();
    await once(server, 'close');
    const closed = once(duplex, 'close');
    duplex.destroy();
    await closed;
  });

  it("a WebSocket error destroys the stream with it, and the WebSocket's own Close frame still goes out", async () => {
    const { server, peer } = await openWithWs();
    const duplex = createWebSocketStream(server);
    const failed = next<[Error & { code?: string }]>(duplex, 'error');
    const peerClosed = once(peer, 'close');
    peer.send(Buffer.from([0xff]), { binary: false }); // not UTF-8
    const [error] = await failed;
    expect(error.code).toBe('WS_ERR_INVALID_UTF8');
    expect((await peerClosed)[0]).toBe(1007); // closed with a Close frame, not cut
    expect(duplex.destroyed).toBe(true);
  });

  it('on a connecting client, writes and end() wait for the open', async () => {
    const { wss, url } = await startServer();
    const atServer = next<[wsmith.WebSocket]>(wss, 'connection');
    const client = wsmithClient(url);
    const duplex = createWebSocketStream(client);
    duplex.write('early');
    duplex.end();
    const [server] = await atServer;
    const received = collect<Buffer>(server, 'message');
    const closed = next<[number]>(server, 'close');
    expect((await closed)[0]).toBe(1005);
    expect(received.map(String)).toEqual(['early']);
  });

  it("a client whose handshake fails: the stream gets the handshake's error", async () => {
    const { url } = await startServer({ verifyClient: () => false });
    const client = wsmithClient(url);
    const duplex = createWebSocketStream(client);
    const [error] = await next<[Error]>(duplex, 'error');
    expect(error.message).toBe('Unexpected server response: 401');
  });
});
