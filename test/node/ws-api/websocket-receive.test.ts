/**
 * doc/ws.md: the 'message' event and `websocket.binaryType`; `isPaused`, `pause()`, `resume()`;
 * and the receiving options of both `WebSocket` and `WebSocketServer`: allowSynchronousEvents,
 * skipUTF8Validation, maxPayload, maxFragments.
 */
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from '../../../src/index.js';
import { collect, next, nextConnection, openPair, openWithWs, startServer, turn, until, wsClient, wsmithClient } from './support.js';

type Message = [data: RawData, isBinary: boolean];

function messages(ws: WebSocket): Message[] {
  const seen: Message[] = [];
  ws.on('message', (data, isBinary) => seen.push([data, isBinary]));
  return seen;
}

describe('binaryType', () => {
  it("defaults to 'nodebuffer'; ignores values it does not know, as ws does", async () => {
    const { server } = await openPair();
    expect(server.binaryType).toBe('nodebuffer');
    server.binaryType = 'text' as never;
    expect(server.binaryType).toBe('nodebuffer');
    for (const type of ['arraybuffer', 'fragments', 'blob', 'nodebuffer'] as const) {
      server.binaryType = type;
      expect(server.binaryType).toBe(type);
    }
  });

  it('gives binary messages as Buffer, ArrayBuffer, Blob or fragments; text is always a Buffer', async () => {
    const { server, peer } = await openWithWs();
    const seen = messages(server);
    const types = ['nodebuffer', 'arraybuffer', 'blob', 'fragments'] as const;
    for (const [i, type] of types.entries()) {
      server.binaryType = type;
      peer.send(Buffer.from('bin'));
      peer.send('txt');
      await until(() => seen.length === 2 * (i + 1));
    }
    const binary = seen.filter(([, isBinary]) => isBinary).map(([data]) => data);
    expect(Buffer.isBuffer(binary[0])).toBe(true);
    expect(binary[1]).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(binary[1] as ArrayBuffer).toString()).toBe('bin');
    expect(binary[2]).toBeInstanceOf(Blob);
    expect(await (binary[2] as Blob).text()).toBe('bin');
    expect(Array.isArray(binary[3])).toBe(true);
    expect(Buffer.concat(binary[3] as Buffer[]).toString()).toBe('bin');
    const text = seen.filter(([, isBinary]) => !isBinary).map(([data]) => data);
    expect(text.every((data) => Buffer.isBuffer(data) && data.toString() === 'txt')).toBe(true);
  });

  it("'fragments' gives one Buffer per non-empty frame the peer sent, without joining them", async () => {
    const { server, peer } = await openWithWs();
    server.binaryType = 'fragments';
    const seen = messages(server);
    peer.send(Buffer.from('ab'), { fin: false });
    peer.send(Buffer.alloc(0), { fin: false });
    peer.send(Buffer.from('cde'), { fin: false });
    peer.send(Buffer.from('f'), { fin: true });
    await until(() => seen.length === 1);
    const [data, isBinary] = seen[0];
    expect(isBinary).toBe(true);
    expect((data as Buffer[]).map((fragment) => fragment.toString())).toEqual(['ab', 'cde', 'f']);
  });

  it('an ArrayBuffer is the message alone, not the memory around it', async () => {
    const { server, peer } = await openWithWs();
    server.binaryType = 'arraybuffer';
    const seen = messages(server);
    peer.send(Buffer.from([1, 2, 3]));
    peer.send(Buffer.from([4, 5]));
    await until(() => seen.length === 2);
    expect(seen.map(([data]) => [...new Uint8Array(data as ArrayBuffer)])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('applies to a client too', async () => {
    const { server, client } = await openPair();
    client.binaryType = 'blob';
    const [data, isBinary] = await Promise.all([next<Message>(client, 'message'), server.send(Buffer.from('to client'))]).then(([m]) => m);
    expect(isBinary).toBe(true);
    expect(await (data as Blob).text()).toBe('to client');
  });
});

describe('pause(), resume(), isPaused', () => {
  it('pause() stops the messages; resume() brings them, in order', async () => {
    const { wss, url } = await startServer();
    const connection = nextConnection(wss);
    const peer = wsClient(url);
    await once(peer, 'open');
    const [server, request] = await connection;
    const seen = messages(server);
    server.pause();
    expect(server.isPaused).toBe(true);
    peer.send('one');
    peer.send('two');
    // The bytes reached the server's socket, and still no message came out of them.
    await until(() => request.socket.readableLength >= 2 * (2 + 4 + 3));
    expect(seen).toEqual([]);
    server.resume();
    expect(server.isPaused).toBe(false);
    await until(() => seen.length === 2);
    expect(seen.map(([data]) => data.toString())).toEqual(['one', 'two']);
  });

  it('do nothing while CONNECTING or once CLOSED', async () => {
    const { url } = await startServer();
    const client = wsmithClient(url);
    client.pause();
    expect(client.isPaused).toBe(false);
    await once(client, 'open');
    client.terminate();
    await once(client, 'close');
    client.resume();
    client.pause();
    expect(client.isPaused).toBe(false);
  });
});

describe('allowSynchronousEvents', () => {
  /** The number of the event loop turn each event came in, for four frames sent in one write. */
  async function burst(allowSynchronousEvents: boolean): Promise<{ turns: number[]; server: WebSocket }> {
    const { server, peer } = await openWithWs({ allowSynchronousEvents });
    const turns: number[] = [];
    let turnNumber = 0;
    const counter = (): void => {
      turnNumber++;
      if (turns.length < 4) setImmediate(counter);
    };
    setImmediate(counter);
    server.on('message', () => turns.push(turnNumber));
    server.on('ping', () => turns.push(turnNumber));
    // Four frames in one TCP write.
    const socket = (peer as unknown as { _socket: import('node:net').Socket })._socket;
    socket.cork();
    peer.send('a');
    peer.ping();
    peer.send('b');
    peer.send('c');
    socket.uncork();
    await until(() => turns.length === 4);
    return { turns, server };
  }

  it('true (the default): the events of one read come in the same turn', async () => {
    const { turns } = await burst(true);
    expect(new Set(turns).size).toBe(1);
  });

  it('false: each message and ping in a turn of its own, in order', async () => {
    const { turns } = await burst(false);
    expect(new Set(turns).size).toBe(4);
    expect([...turns].sort((a, b) => a - b)).toEqual(turns);
  });

  it("false: messages and the Close frame received before TCP ended come before 'close', with its code", async () => {
    const { wss, port } = await startServer({ allowSynchronousEvents: false });
    const connection = next<[WebSocket]>(wss, 'connection');
    // A raw client: the handshake, then three messages, a Close and FIN in one write.
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [server] = await connection;
    const events: string[] = [];
    server.on('message', (data) => events.push(data.toString()));
    server.on('close', (code) => events.push(`close ${code}`));
    const frame = (opcode: number, payload: Buffer): Buffer =>
      Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
    const closeBody = Buffer.from([0x0f, 0xa0]); // 4000
    socket.end(Buffer.concat([frame(1, Buffer.from('m1')), frame(1, Buffer.from('m2')), frame(1, Buffer.from('m3')), frame(8, closeBody)]));
    await until(() => events.length === 4);
    expect(events).toEqual(['m1', 'm2', 'm3', 'close 4000']);
  });

  it('false on a client', async () => {
    const { server, client } = await openPair({}, { allowSynchronousEvents: false });
    const turns: number[] = [];
    let turnNumber = 0;
    const counter = (): void => {
      turnNumber++;
      if (turns.length < 3) setImmediate(counter);
    };
    setImmediate(counter);
    client.on('message', () => turns.push(turnNumber));
    server.send('1');
    server.send('2');
    server.send('3');
    await until(() => turns.length === 3);
    expect(new Set(turns).size).toBe(3);
  });
});

describe('skipUTF8Validation', () => {
  const INVALID = Buffer.from([0xc3, 0x28]);

  it('default: text that is not UTF-8 fails the connection with 1007', async () => {
    const { server, peer } = await openWithWs();
    const errors = collect<Error & { code: string }>(server, 'error');
    const closed = once(peer, 'close');
    peer.send(INVALID, { binary: false });
    expect((await closed)[0]).toBe(1007);
    expect(errors.map((error) => error.code)).toEqual(['WS_ERR_INVALID_UTF8']);
  });

  it('true on the server and on a client: such text is delivered as it is', async () => {
    const { server, client } = await openPair({ skipUTF8Validation: true }, { skipUTF8Validation: true });
    const atServer = next<Message>(server, 'message');
    client.send(INVALID, { binary: false });
    const [data, isBinary] = await atServer;
    expect([Buffer.from(data as Buffer).equals(INVALID), isBinary]).toEqual([true, false]);
    const atClient = next<Message>(client, 'message');
    server.send(INVALID, { binary: false });
    expect(Buffer.from((await atClient)[0] as Buffer).equals(INVALID)).toBe(true);
  });
});

describe('maxPayload and maxFragments', () => {
  it('maxPayload: a larger message fails with 1009; 0 means no limit', async () => {
    const limited = await openWithWs({ maxPayload: 8 });
    const closed = once(limited.peer, 'close');
    limited.peer.send('123456789');
    expect((await closed)[0]).toBe(1009);

    const unlimited = await openWithWs({ maxPayload: 0 });
    const seen = messages(unlimited.server);
    unlimited.peer.send(Buffer.alloc(200 * 1024 * 1024 + 1));
    await until(() => seen.length === 1);
    expect((seen[0][0] as Buffer).length).toBe(200 * 1024 * 1024 + 1);
  });

  it('maxFragments: a message in more frames fails with 1008 and WS_ERR_TOO_MANY_BUFFERED_PARTS', async () => {
    const { server, peer } = await openWithWs({ maxFragments: 3 });
    const errors = collect<Error & { code: string }>(server, 'error');
    const closed = once(peer, 'close');
    for (let i = 0; i < 4; i++) peer.send('x', { fin: i === 3 });
    expect((await closed)[0]).toBe(1008);
    expect(errors.map((error) => error.code)).toEqual(['WS_ERR_TOO_MANY_BUFFERED_PARTS']);
    await turn();
  });
});
