/**
 * doc/ws.md, "websocket.send(data[, options][, callback])" and "websocket.bufferedAmount": every
 * data form ws takes, the errors it throws or reports, and what a send does once the
 * connection is no longer open.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocket } from '../../../src/index.js';
import { collect, next, openPair, openWithWs, startServer, until, wsmithClient } from './support.js';

type Received = [hex: string, isBinary: boolean];

function received(peer: WsClient): Received[] {
  const seen: Received[] = [];
  peer.on('message', (data: Buffer, isBinary: boolean) => seen.push([data.toString('hex'), isBinary]));
  return seen;
}

const hex = (text: string): string => Buffer.from(text).toString('hex');

describe('send(data): the data forms', () => {
  it('no data, undefined or null: an empty binary message; an empty string: an empty text message', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    server.send(undefined);
    server.send(null);
    (server.send as (data?: unknown) => void)();
    server.send('');
    await until(() => seen.length === 4);
    expect(seen).toEqual([
      ['', true],
      ['', true],
      ['', true],
      ['', false],
    ]);
  });

  it('a number is sent as its decimal string, as text', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    server.send(42);
    server.send(0);
    server.send(-1.5);
    await until(() => seen.length === 3);
    expect(seen).toEqual([
      [hex('42'), false],
      [hex('0'), false],
      [hex('-1.5'), false],
    ]);
  });

  it('arrays of byte values, SharedArrayBuffers and objects Buffer.from takes are binary', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    const shared = new SharedArrayBuffer(3);
    new Uint8Array(shared).set([7, 8, 9]);
    server.send([1, 2, 3]);
    server.send(shared);
    server.send({ valueOf: () => Buffer.from([4, 5]) });
    server.send(new Float32Array([1]));
    await until(() => seen.length === 4);
    expect(seen).toEqual([
      ['010203', true],
      ['070809', true],
      ['0405', true],
      [Buffer.from(new Float32Array([1]).buffer).toString('hex'), true],
    ]);
  });

  it('data Buffer.from refuses throws the TypeError ws throws, and nothing is sent', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    let expected: unknown;
    try {
      Buffer.from({} as string);
    } catch (error) {
      expected = error;
    }
    expect(() => server.send({} as unknown as string)).toThrow(TypeError);
    expect(() => server.send({} as unknown as string)).toThrow((expected as Error).message);
    server.send('after');
    await until(() => seen.length === 1);
    expect(seen).toEqual([[hex('after'), false]]);
  });

  it('options.binary turns text into binary and bytes into text; fin: false sends fragments', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    server.send('as binary', { binary: true });
    server.send(Buffer.from('as text'), { binary: false });
    server.send('frag', { fin: false });
    server.send('ment', { fin: true });
    await until(() => seen.length === 3);
    expect(seen).toEqual([
      [hex('as binary'), true],
      [hex('as text'), false],
      [hex('fragment'), false],
    ]);
  });

  it("a message's fragments (binaryType 'fragments') are sent joined", async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    server.send([Buffer.from('ab'), Buffer.from('cd')]);
    await until(() => seen.length === 1);
    expect(seen).toEqual([[hex('abcd'), true]]);
  });
});

describe('send(blob)', () => {
  it('a Blob is binary, a File too; with binary: false it is text', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    server.send(new Blob(['ab', 'c']));
    server.send(new File(['file'], 'name.txt'));
    server.send(new Blob(['text']), { binary: false });
    await until(() => seen.length === 3);
    expect(seen).toEqual([
      [hex('abc'), true],
      [hex('file'), true],
      [hex('text'), false],
    ]);
  });

  it('what is sent after a Blob leaves after it, in order; its size counts in bufferedAmount while it is read', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    const pongs = collect<Buffer>(peer, 'ping');
    const order: string[] = [];
    server.send('one', () => order.push('one'));
    server.send(new Blob([Buffer.alloc(1000, 1)]), () => order.push('blob'));
    server.send('three', () => order.push('three'));
    server.ping('p');
    expect(server.bufferedAmount).toBeGreaterThanOrEqual(1000);
    await until(() => seen.length === 3 && pongs.length === 1);
    expect(seen.map(([data, isBinary]) => [data.length / 2, isBinary])).toEqual([
      [3, false],
      [1000, true],
      [5, false],
    ]);
    await until(() => order.length === 3);
    expect(order).toEqual(['one', 'blob', 'three']);
    expect(server.bufferedAmount).toBe(0);
  });

  it('a Blob that cannot be read: its callback and an error event get the error, and the connection closes with 1011', async () => {
    const { server, peer } = await openWithWs();
    const failure = new Error('unreadable');
    const blob = new Blob(['x']);
    blob.arrayBuffer = () => Promise.reject(failure);
    const errors = collect<Error>(server, 'error');
    const callbackError = new Promise<Error | undefined>((resolve) => server.send(blob, resolve));
    const [code] = (await once(peer, 'close')) as [number];
    expect(code).toBe(1011);
    expect(await callbackError).toBe(failure);
    expect(errors).toEqual([failure]);
  });
});

describe('send() when the connection is not open', () => {
  it('while CONNECTING it throws, with the words ws uses', async () => {
    const { url } = await startServer();
    const client = wsmithClient(url);
    const ws = new WsClient(url);
    ws.on('error', () => {});
    let wsError: unknown;
    try {
      ws.send('x');
    } catch (error) {
      wsError = error;
    }
    ws.terminate();
    expect(() => client.send('x')).toThrow(new Error('WebSocket is not open: readyState 0 (CONNECTING)'));
    expect(() => client.send('x')).toThrow((wsError as Error).message);
    expect(() => client.ping()).toThrow('WebSocket is not open: readyState 0 (CONNECTING)');
    expect(() => client.pong()).toThrow('WebSocket is not open: readyState 0 (CONNECTING)');
    await once(client, 'open');
  });

  it('while CLOSING and once CLOSED: no throw, no error event; the callback gets the error on a later tick', async () => {
    const { server } = await openPair();
    const errors = collect<Error>(server, 'error');
    server.close();
    let called = false;
    const closing = new Promise<Error | undefined>((resolve) =>
      server.send('late', (error) => {
        called = true;
        resolve(error);
      }),
    );
    expect(called).toBe(false);
    expect((await closing)?.message).toBe('WebSocket is not open: readyState 2 (CLOSING)');
    await once(server, 'close');
    const closed = await new Promise<Error | undefined>((resolve) => server.send('later', resolve));
    expect(closed?.message).toBe('WebSocket is not open: readyState 3 (CLOSED)');
    expect(errors).toEqual([]);
  });

  it('bufferedAmount grows by the byte length of each send after close (strings as UTF-8, numbers as strings, Blobs by size)', async () => {
    const { server } = await openPair();
    server.terminate();
    await once(server, 'close');
    const before = server.bufferedAmount;
    server.send('héllo'); // 6 bytes
    server.send(1234); // 4
    server.send(Buffer.alloc(10));
    server.send(new Blob(['abc']));
    server.send(undefined); // nothing
    server.ping('pi'); // 2
    server.pong(); // nothing
    expect(server.bufferedAmount - before).toBe(6 + 4 + 10 + 3 + 2);
  });

  it('a client whose handshake failed counts them too (it never had a connection)', async () => {
    const { url } = await startServer({ verifyClient: () => false });
    const client = wsmithClient(url);
    await next(client, 'close');
    expect(client.readyState).toBe(WebSocket.CLOSED);
    client.send('abc');
    expect(client.bufferedAmount).toBe(3);
  });
});

describe('bufferedAmount', () => {
  it('is 0 once sent; counts queued bytes, framing included, before they are written', async () => {
    const { server, peer } = await openWithWs();
    const seen = received(peer);
    server.send('x'.repeat(100));
    // 2 bytes of header + 100 of payload, queued until this tick's flush.
    expect(server.bufferedAmount).toBe(102);
    await until(() => seen.length === 1);
    expect(server.bufferedAmount).toBe(0);
  });
});
