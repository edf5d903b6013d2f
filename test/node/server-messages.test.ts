import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../src/node/server.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { startServer, echo, client, nextMessage, closeEvent, nextConnection, serverClose } from './support/server.js';

describe('WebSocketServer with the ws client: messages', () => {
  it('echoes text, binary and empty messages with their type', async () => {
    const { url } = await startServer();
    const ws = await client(url);
    const cases: Array<[string | Buffer, boolean]> = [
      ['hello', false],
      ['κόσμε 𝄞', false],
      [Buffer.from([0, 1, 2, 255]), true],
      ['', false],
      [Buffer.alloc(0), true],
    ];
    for (const [data, binary] of cases) {
      const reply = nextMessage(ws);
      ws.send(data, { binary });
      const { data: got, isBinary } = await reply;
      expect(isBinary).toBe(binary);
      expect(got.equals(Buffer.from(data))).toBe(true);
    }
  });

  it('echoes messages of 125, 126, 65535, 65536 bytes and 16 MiB (each length form, both ways)', async () => {
    const { url } = await startServer();
    const ws = await client(url);
    for (const size of [125, 126, 127, 65535, 65536, 16 * 1024 * 1024]) {
      const payload = randomBytes(size);
      const reply = nextMessage(ws);
      ws.send(payload);
      const { data, isBinary } = await reply;
      expect(isBinary).toBe(true);
      expect(data.length).toBe(size);
      expect(data.equals(payload), `size ${size}`).toBe(true);
      // And as text.
      const text = 'x'.repeat(size);
      const textReply = nextMessage(ws);
      ws.send(text);
      const gotText = await textReply;
      expect(gotText.isBinary).toBe(false);
      expect(gotText.data.length).toBe(size);
    }
  });

  it('receives fragmented messages from ws (fin: false)', async () => {
    const { url } = await startServer();
    const ws = await client(url);
    const reply = nextMessage(ws);
    ws.send('frag', { fin: false });
    ws.send('ment', { fin: false });
    ws.send('ed', { fin: true });
    expect((await reply).data.toString()).toBe('fragmented');
  });

  it('the server sends text, binary and fragments to ws', async () => {
    const { url, wss } = await startServer({}, () => {});
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const messages: Array<[string, boolean]> = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => messages.push([data.toString(), isBinary]));
    const done = new Promise<void>((resolve) => ws.on('message', () => messages.length === 4 && resolve()));
    server.send('text');
    server.send(Buffer.from('bytes'));
    server.send('as binary', { binary: true });
    server.send(new Uint8Array([0x61, 0x62]), { fin: false });
    server.send(new Uint8Array([0x63]), { fin: true });
    await done;
    expect(messages).toEqual([['text', false], ['bytes', true], ['as binary', true], ['abc', true]]);
  });
});

describe('WebSocketServer with the ws client: ping/pong', () => {
  it('answers a client ping with a pong carrying the same payload and reports the ping', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const serverPing = once(server, 'ping');
    const pong = once(ws, 'pong');
    ws.ping(Buffer.from('are you there'));
    expect(((await pong)[0] as Buffer).toString()).toBe('are you there');
    expect(((await serverPing)[0] as Buffer).toString()).toBe('are you there');
  });

  it('sends pings the ws client answers, and unsolicited pongs', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const pong = once(server, 'pong');
    const clientPing = once(ws, 'ping');
    server.ping('hb');
    expect(((await clientPing)[0] as Buffer).toString()).toBe('hb');
    expect(((await pong)[0] as Buffer).toString()).toBe('hb');
    const clientPong = once(ws, 'pong');
    server.pong(Buffer.from('unsolicited'));
    expect(((await clientPong)[0] as Buffer).toString()).toBe('unsolicited');
    const empty = once(server, 'pong');
    server.ping();
    expect(((await empty)[0] as Buffer).length).toBe(0);
    expect(() => server.ping(Buffer.alloc(126))).toThrow(RangeError);
  });
});

describe('WebSocketServer with the ws client: closing', () => {
  it('client-initiated close: code and reason reach the server, the echo reaches the client', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const serverClosed = serverClose(server);
    const clientClosed = closeEvent(ws);
    ws.close(4001, 'client says bye');
    expect(await serverClosed).toEqual({ code: 4001, reason: 'client says bye' });
    expect((await clientClosed).code).toBe(4001);
    expect(server.readyState).toBe(3);
    expect(wss.clients.size).toBe(0);
  });

  it('server-initiated close: code and reason reach the client, TCP closes after the answer', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const serverClosed = serverClose(server);
    const clientClosed = closeEvent(ws);
    server.close(4002, 'server says bye');
    expect(server.readyState).toBe(2);
    expect(await clientClosed).toEqual({ code: 4002, reason: 'server says bye' });
    // The server's close event reports the code of the Close frame it received (the echo).
    expect((await serverClosed).code).toBe(4002);
    expect(server.readyState).toBe(3);
  });

  it('close codes without reasons, and an empty close (1005)', async () => {
    const { url, wss } = await startServer();
    for (const code of [1000, 1001, 1003, 1011, 3000, 4999]) {
      const connection = nextConnection(wss);
      const ws = await client(url);
      const [server] = await connection;
      const closed = closeEvent(ws);
      server.close(code);
      expect((await closed).code).toBe(code);
    }
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const closed = serverClose(server);
    ws.close();
    expect((await closed).code).toBe(1005);
  });

  it('refuses invalid close codes and long reasons from the caller', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    await client(url);
    const [server] = await connection;
    expect(() => server.close(1005)).toThrow(TypeError);
    expect(() => server.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(server.readyState).toBe(1);
  });

  it('maxPayload: a larger message gets close 1009', async () => {
    const { url, wss } = await startServer({ maxPayload: 1000 });
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const reply = nextMessage(ws);
    ws.send(Buffer.alloc(1000));
    expect((await reply).data.length).toBe(1000);
    const closed = closeEvent(ws);
    ws.send(Buffer.alloc(1001));
    expect((await closed).code).toBe(1009);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect((errors[0] as ProtocolError).closeCode).toBe(1009);
  });

  it('sending on a closed socket reports an error through the callback, never a throw', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const closed = serverClose(server);
    ws.close();
    await closed;
    const error = await new Promise<Error | undefined>((resolve) => server.send('too late', resolve));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error & { code?: string }).code).toBe('WS_ERR_NOT_OPEN');
    const pingError = await new Promise<Error | undefined>((resolve) => server.ping('x', undefined, resolve));
    expect(pingError).toBeInstanceOf(Error);
    // Without a callback and without an 'error' listener: nothing thrown, nothing emitted.
    expect(() => server.send('still too late')).not.toThrow();
    // As in ws: even with an 'error' listener nothing is emitted; the bytes count in bufferedAmount.
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const before = server.bufferedAmount;
    server.send('once more');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]);
    expect(server.bufferedAmount).toBe(before + 'once more'.length);
  });

  it('a send callback is called once the data is written', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    const received = nextMessage(ws);
    const error = await new Promise<Error | undefined>((resolve) => server.send('with callback', resolve));
    expect(error).toBeUndefined();
    expect((await received).data.toString()).toBe('with callback');
  });
});
