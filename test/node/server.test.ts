/**
 * WebSocketServer against real peers: the `ws` client for what it can send, and raw TCP sockets
 * for what it cannot (bad handshakes, invalid frames, silent peers).
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocketServer, type WebSocketServerOptions } from '../../src/node/server.js';
import { READ_PAUSE_THRESHOLD } from '../../src/node/socket-transport.js';
import type { WebSocket } from '../../src/node/websocket.js';
import { ProtocolError } from '../../src/protocol/errors.js';

// --- fixtures --------------------------------------------------------------------------------

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startServer(
  options: Omit<WebSocketServerOptions, 'port' | 'host'> = {},
  onConnection: (ws: WebSocket, request: IncomingMessage) => void = echo,
): Promise<{ wss: WebSocketServer; port: number; url: string }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  wss.on('connection', onConnection);
  await once(wss, 'listening');
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const port = (wss.address() as AddressInfo).port;
  return { wss, port, url: `ws://127.0.0.1:${port}` };
}

function echo(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

async function client(url: string, protocols?: string | string[], options?: WsClient.ClientOptions): Promise<WsClient> {
  const ws = new WsClient(url, protocols, options);
  cleanups.push(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

function nextMessage(ws: WsClient): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

function closeEvent(ws: WsClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

/** The server-side WebSocket of the next connection. */
function nextConnection(wss: WebSocketServer): Promise<[WebSocket, IncomingMessage]> {
  return once(wss, 'connection') as Promise<[WebSocket, IncomingMessage]>;
}

function serverClose(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

// --- raw TCP peer ----------------------------------------------------------------------------

/** A raw TCP peer that collects everything the server sends. */
class RawPeer {
  received = Buffer.alloc(0);
  dataEvents = 0;
  ended = false;
  closed: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.dataEvents++;
      this.received = Buffer.concat([this.received, chunk]);
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number, allowHalfOpen = false): Promise<RawPeer> {
    const socket = netConnect({ port, host: '127.0.0.1', allowHalfOpen });
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Wait until `predicate` holds on what was received (or the socket ended). */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) {
      if (this.ended) throw new Error(`peer ended; received ${this.received.toString('latin1').slice(0, 200)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Wait for a complete HTTP response head; returns it and keeps what follows. */
  async readHttpResponse(): Promise<{ status: number; head: string; body: string }> {
    await this.until(() => this.received.includes('\r\n\r\n') || this.ended);
    const end = this.received.indexOf('\r\n\r\n');
    const head = this.received.subarray(0, end).toString('latin1');
    this.received = this.received.subarray(end + 4);
    const length = /\r\ncontent-length: (\d+)/i.exec(head);
    if (length !== null) await this.until(() => this.received.length >= Number(length[1]) || this.ended);
    const bodyLength = length === null ? 0 : Number(length[1]);
    const body = this.received.subarray(0, bodyLength).toString();
    this.received = this.received.subarray(bodyLength);
    return { status: Number(head.split(' ')[1]), head, body };
  }

  /** Read the next complete unmasked frame from the server. */
  async readFrame(): Promise<{ fin: boolean; opcode: number; payload: Buffer }> {
    const complete = (): number => {
      const b = this.received;
      if (b.length < 2) return -1;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return -1;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return -1;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      expect(b[1] & 0x80).toBe(0); // a server never masks (§5.1)
      return b.length >= offset + length ? offset + length : -1;
    };
    await this.until(() => complete() !== -1);
    const total = complete();
    const b = this.received;
    const length7 = b[1] & 0x7f;
    const offset = length7 === 126 ? 4 : length7 === 127 ? 10 : 2;
    const frame = { fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, payload: Buffer.from(b.subarray(offset, total)) };
    this.received = b.subarray(total);
    return frame;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function upgradeRequest(path = '/', headers: Record<string, string> = {}, method = 'GET', version = '1.1'): string {
  const all: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let request = `${method} ${path} HTTP/${version}\r\n`;
  for (const [name, value] of Object.entries(all)) if (value !== '') request += `${name}: ${value}\r\n`;
  return request + '\r\n';
}

/** A client frame: masked with a random key (§5.3). */
function maskedFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0), fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const key = randomBytes(4);
  let header: Buffer;
  if (data.length < 126) header = Buffer.of((fin ? 0x80 : 0) | opcode, 0x80 | data.length);
  else if (data.length <= 0xffff) {
    header = Buffer.alloc(4);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(data.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([header, key, masked]);
}

/** Open a raw WebSocket connection (handshake done) and return the peer. */
async function rawWebSocket(port: number, extra: Buffer = Buffer.alloc(0), allowHalfOpen = false): Promise<RawPeer> {
  const peer = await RawPeer.connect(port, allowHalfOpen);
  peer.write(Buffer.concat([Buffer.from(upgradeRequest()), extra]));
  const response = await peer.readHttpResponse();
  expect(response.status).toBe(101);
  const accept = createHash('sha1').update(KEY + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  expect(response.head).toContain(`Sec-WebSocket-Accept: ${accept}`);
  return peer;
}

// --- tests -----------------------------------------------------------------------------------

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
    // With an 'error' listener and no callback, the error is emitted.
    const emitted = once(server, 'error');
    server.send('once more');
    expect((await emitted)[0]).toBeInstanceOf(Error);
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

describe('WebSocketServer with raw sockets: what ws cannot send', () => {
  it('invalid UTF-8 in a text message gets close 1007', async () => {
    const { port } = await startServer();
    const peer = await rawWebSocket(port);
    peer.write(maskedFrame(0x1, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')));
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1007);
    await peer.closed;
  });

  it('invalid UTF-8 in the middle of a fragmented message gets 1007 before the message ends', async () => {
    const { port } = await startServer();
    const peer = await rawWebSocket(port);
    peer.write(maskedFrame(0x1, Buffer.from('cebae1bdb9cf83cebcceb5', 'hex'), false));
    peer.write(maskedFrame(0x0, Buffer.from('eda080', 'hex'), false));
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1007);
  });

  it('protocol errors get close 1002 (reserved opcode, unmasked frame, RSV bits, bad close code)', async () => {
    const { port } = await startServer();
    const bad = [
      Buffer.of(0x83, 0x80, 1, 2, 3, 4),
      Buffer.of(0x81, 0x01, 0x41),
      Buffer.of(0xc1, 0x80, 1, 2, 3, 4),
      maskedFrame(0x8, Buffer.of(0x03, 0xed)), // 1005 on the wire
      maskedFrame(0x0, 'x'),
      maskedFrame(0x9, Buffer.alloc(126)),
    ];
    for (const bytes of bad) {
      const peer = await rawWebSocket(port);
      peer.write(bytes);
      const frame = await peer.readFrame();
      expect(frame.opcode, bytes.toString('hex')).toBe(0x8);
      expect(frame.payload.readUInt16BE(0)).toBe(1002);
      await peer.closed;
    }
  });

  it('maxPayload is enforced from the header: 1009 before the payload is sent', async () => {
    const { port } = await startServer({ maxPayload: 1000 });
    const peer = await rawWebSocket(port);
    // Only the header of a 1 GiB frame.
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(2 ** 30), 2);
    peer.write(header);
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1009);
  });

  it('frames that arrive together with the upgrade request (head) are not lost', async () => {
    const { port, wss } = await startServer({}, (ws) => {
      ws.on('message', (data) => ws.send(`got ${data.toString()}`));
    });
    void wss;
    const early = Buffer.concat([maskedFrame(0x1, 'first'), maskedFrame(0x9, 'p'), maskedFrame(0x1, 'second')]);
    const peer = await rawWebSocket(port, early);
    const frames = [await peer.readFrame(), await peer.readFrame(), await peer.readFrame()];
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [0x1, 'got first'],
      [0xa, 'p'],
      [0x1, 'got second'],
    ]);
  });

  it('a frame split between the head and later packets is reassembled', async () => {
    const { port } = await startServer();
    const frame = maskedFrame(0x1, 'x'.repeat(300));
    const peer = await rawWebSocket(port, frame.subarray(0, 3)); // inside the 16-bit length
    await new Promise((resolve) => setTimeout(resolve, 10));
    peer.write(frame.subarray(3, 100));
    await new Promise((resolve) => setTimeout(resolve, 10));
    peer.write(frame.subarray(100));
    const echo = await peer.readFrame();
    expect(echo.opcode).toBe(0x1);
    expect(echo.payload.toString()).toBe('x'.repeat(300));
  });

  it('several frames in one read are answered with one write', async () => {
    let writes = 0;
    let reads = 0;
    const { port } = await startServer({}, (ws, request) => {
      echo(ws);
      // The upgraded socket is the request's socket; the 101 response is already written.
      const socket = request.socket;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => {
        writes++;
        return write(...args);
      }) as typeof socket.write;
      socket.on('data', () => reads++);
    });
    const peer = await rawWebSocket(port);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const burst = Buffer.concat([
      maskedFrame(0x9, 'p1'),
      maskedFrame(0x1, 'm1'),
      maskedFrame(0x9, 'p2'),
      maskedFrame(0x2, 'm2'),
      maskedFrame(0x1, 'm3'),
    ]);
    peer.write(burst);
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await peer.readFrame());
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [0xa, 'p1'],
      [0x1, 'm1'],
      [0xa, 'p2'],
      [0x2, 'm2'],
      [0x1, 'm3'],
    ]);
    // One write per read of the burst (normally exactly one read on loopback).
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(writes).toBe(reads);
  });

  it('closeTimeout cuts a peer that never answers our Close', async () => {
    const { port, wss } = await startServer({ closeTimeout: 100 }, () => {});
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    const closed = serverClose(server);
    server.close(1000, 'bye');
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1000);
    // The peer says nothing; the server gives up after closeTimeout and reports 1006.
    expect((await closed).code).toBe(1006);
    await peer.closed;
  });

  it('closeTimeout also ends a failed connection whose peer keeps its side of TCP open', async () => {
    const { port, wss } = await startServer({ closeTimeout: 100 }, () => {});
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port, Buffer.alloc(0), true);
    const [server] = await connection;
    const closed = serverClose(server);
    peer.write(Buffer.of(0x83, 0x80, 1, 2, 3, 4)); // reserved opcode
    expect((await peer.readFrame()).payload.readUInt16BE(0)).toBe(1002);
    await peer.until(() => peer.ended); // the server closed its side ...
    expect(peer.socket.writable).toBe(true); // ... and we keep ours open, saying nothing
    // ... and after closeTimeout it gives up on ours, reporting the code it failed with (as ws does).
    expect((await closed).code).toBe(1002);
    expect(server.readyState).toBe(3);
  });

  it('after a peer Close, the server echoes and closes TCP first (§7.1.1)', async () => {
    const { port, wss } = await startServer();
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    const closed = serverClose(server);
    peer.write(maskedFrame(0x8, Buffer.concat([Buffer.of(0x0f, 0xa1), Buffer.from('done')])));
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(4001);
    await peer.until(() => peer.ended);
    peer.socket.end();
    expect(await closed).toEqual({ code: 4001, reason: 'done' });
  });

  it("a protocol error with no 'error' listener does not throw; with one, the error is emitted", async () => {
    const { port, wss } = await startServer({}, () => {});
    // No listener: the server must survive and close the connection.
    let connection = nextConnection(wss);
    let peer = await rawWebSocket(port);
    let [server] = await connection;
    let closed = serverClose(server);
    peer.write(Buffer.of(0x8f, 0x80, 1, 2, 3, 4));
    expect((await peer.readFrame()).payload.readUInt16BE(0)).toBe(1002);
    await closed;
    // With a listener.
    connection = nextConnection(wss);
    peer = await rawWebSocket(port);
    [server] = await connection;
    const errored = once(server, 'error');
    closed = serverClose(server);
    peer.write(Buffer.of(0x8f, 0x80, 1, 2, 3, 4));
    const [error] = (await errored) as [ProtocolError];
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.closeCode).toBe(1002);
    expect(error.code).toBe('WS_ERR_INVALID_OPCODE');
    await closed;
  });

  it('a peer that resets the connection gives close 1006, without an error thrown', async () => {
    const { port, wss } = await startServer({}, () => {});
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    const closed = serverClose(server);
    peer.socket.resetAndDestroy();
    expect((await closed).code).toBe(1006);
  });
});

describe('WebSocketServer: refused handshakes (raw HTTP)', () => {
  async function refusal(request: string, port: number): Promise<{ status: number; head: string; body: string }> {
    const peer = await RawPeer.connect(port);
    peer.write(request);
    const response = await peer.readHttpResponse();
    await peer.closed;
    return response;
  }

  it('answers each bad request with the right status and a reason', async () => {
    const { port } = await startServer();
    const cases: Array<[string, number, RegExp]> = [
      [upgradeRequest('/', { 'Sec-WebSocket-Key': '' }), 400, /Sec-WebSocket-Key/],
      [upgradeRequest('/', { 'Sec-WebSocket-Key': Buffer.alloc(15).toString('base64') }), 400, /Sec-WebSocket-Key/],
      [upgradeRequest('/', { 'Sec-WebSocket-Key': 'not a key' }), 400, /Sec-WebSocket-Key/],
      [upgradeRequest('/', {}, 'POST'), 400, /method/i],
      [upgradeRequest('/', { Upgrade: 'h2c' }), 400, /Upgrade/],
      [upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'a b' }), 400, /Sec-WebSocket-Protocol/],
      [upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'x; =' }), 400, /Sec-WebSocket-Extensions/],
    ];
    for (const [request, status, reason] of cases) {
      const response = await refusal(request, port);
      expect(response.status, request).toBe(status);
      expect(response.body, request).toMatch(reason);
    }
  });

  it('HTTP/1.0 and a missing Host are refused with 400', async () => {
    const { port } = await startServer();
    const old = await refusal(upgradeRequest('/', {}, 'GET', '1.0'), port);
    expect(old.status).toBe(400);
    expect(old.body).toMatch(/HTTP version/);
    // Node's HTTP parser refuses a request without Host itself (also a 400).
    expect((await refusal(upgradeRequest('/', { Host: '' }), port)).status).toBe(400);
  });

  it('a wrong version gets 426 with Sec-WebSocket-Version: 13', async () => {
    const { port } = await startServer();
    for (const version of ['8', '14', '']) {
      const response = await refusal(upgradeRequest('/', { 'Sec-WebSocket-Version': version }), port);
      expect(response.status).toBe(426);
      expect(response.head).toMatch(/\r\nSec-WebSocket-Version: 13/i);
    }
  });

  it('a plain HTTP request (no upgrade) gets 426', async () => {
    const { port } = await startServer();
    const response = await refusal('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', port);
    expect(response.status).toBe(426);
  });

  it('the ws client sees the status of a refused handshake', async () => {
    const { url } = await startServer({ verifyClient: () => ({ status: 403, reason: 'Forbidden here' }) });
    const ws = new WsClient(url);
    ws.on('error', () => {}); // terminate() while CONNECTING reports an error
    cleanups.push(() => ws.terminate());
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(403);
    response.resume();
  });
});

describe('WebSocketServer options', () => {
  async function statusOf(url: string, protocols?: string[]): Promise<number> {
    const ws = new WsClient(url, protocols);
    cleanups.push(() => ws.terminate());
    return new Promise((resolve, reject) => {
      ws.on('open', () => resolve(101));
      ws.on('unexpected-response', (_request, response: IncomingMessage) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      ws.on('error', (error) => {
        if (!/Unexpected server response/.test(error.message)) reject(error);
      });
    });
  }

  it('verifyClient: true accepts, false refuses with 401, {status, reason} refuses with that status', async () => {
    let verdict: boolean | { status: number; reason: string } = true;
    const seen: string[] = [];
    const { url } = await startServer({
      verifyClient: (info) => {
        seen.push(info.req.url ?? '');
        return verdict;
      },
    });
    expect(await statusOf(`${url}/a`)).toBe(101);
    verdict = false;
    expect(await statusOf(`${url}/b`)).toBe(401);
    verdict = { status: 418, reason: 'teapot' };
    expect(await statusOf(`${url}/c`)).toBe(418);
    expect(seen).toEqual(['/a', '/b', '/c']);
  });

  it('verifyClient may be async; a slow one is refused after handshakeTimeout (408); a throw is 500', async () => {
    let mode = 'accept';
    const { url, port } = await startServer({
      handshakeTimeout: 50,
      verifyClient: async () => {
        if (mode === 'accept') return true;
        if (mode === 'refuse') return false;
        if (mode === 'status') return { status: 403, reason: 'no' };
        if (mode === 'throw') throw new Error('boom');
        await new Promise((resolve) => setTimeout(resolve, 500));
        return true;
      },
    });
    expect(await statusOf(url)).toBe(101);
    mode = 'refuse';
    expect(await statusOf(url)).toBe(401);
    mode = 'status';
    expect(await statusOf(url)).toBe(403);
    mode = 'throw';
    expect(await statusOf(url)).toBe(500);
    mode = 'slow';
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest());
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(408);
  });

  it('frames sent while an async verifyClient is pending are not lost', async () => {
    let release: () => void = () => {};
    const { port } = await startServer({
      verifyClient: () => new Promise<boolean>((resolve) => (release = () => resolve(true))),
    });
    const peer = await RawPeer.connect(port);
    peer.write(Buffer.concat([Buffer.from(upgradeRequest()), maskedFrame(0x1, 'in the head')]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    peer.write(maskedFrame(0x1, 'before the verdict')); // a separate packet, while verifying
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect((await peer.readFrame()).payload.toString()).toBe('in the head');
    expect((await peer.readFrame()).payload.toString()).toBe('before the verdict');
  });

  it('verifyClient refusals carry their reason in the body and their extra headers', async () => {
    let verdict: boolean | { status: number; reason?: string; headers?: Record<string, string> } = false;
    const { port } = await startServer({ verifyClient: () => verdict });
    const ask = async (): Promise<{ status: number; head: string; body: string }> => {
      const peer = await RawPeer.connect(port);
      peer.write(upgradeRequest());
      return peer.readHttpResponse();
    };
    const unauthorized = await ask();
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.head).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    verdict = { status: 403, reason: 'Origin not allowed', headers: { 'X-Why': 'origin' } };
    const forbidden = await ask();
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toBe('Origin not allowed\n');
    expect(forbidden.head).toMatch(/\r\nX-Why: origin/);
    verdict = { status: 429 };
    expect((await ask()).status).toBe(429);
  });

  it('verifyClient may return any thenable, not only a native Promise', async () => {
    let accept = true;
    // A bare `then(resolve)` object, as plain JavaScript may hand us: not a full PromiseLike.
    const bareThenable = {
      then(resolve: (value: boolean) => void) {
        setTimeout(() => resolve(accept), 5);
      },
    } as unknown as PromiseLike<boolean>;
    const { url } = await startServer({ verifyClient: () => bareThenable });
    expect(await statusOf(url)).toBe(101);
    accept = false;
    expect(await statusOf(url)).toBe(401);
  });

  it('a synchronous throw in verifyClient gives 500', async () => {
    const { url } = await startServer({
      verifyClient: () => {
        throw new Error('sync boom');
      },
    });
    expect(await statusOf(url)).toBe(500);
  });

  it('handleProtocols chooses among the offered subprotocols', async () => {
    const offered: string[][] = [];
    const { url, wss } = await startServer({
      handleProtocols: (protocols) => {
        offered.push([...protocols]);
        return protocols.has('chat.v2') ? 'chat.v2' : false;
      },
    });
    const connection = nextConnection(wss);
    const ws = await client(url, ['chat.v1', 'chat.v2']);
    const [server] = await connection;
    expect(ws.protocol).toBe('chat.v2');
    expect(server.protocol).toBe('chat.v2');
    expect(offered).toEqual([['chat.v1', 'chat.v2']]);
    // None acceptable: no Sec-WebSocket-Protocol in the response (ws as a client then gives up,
    // which RFC 6455 §4.1 allows; a raw peer shows what the server sent).
    const connection2 = nextConnection(wss);
    const peer = await RawPeer.connect((wss.address() as AddressInfo).port);
    peer.write(upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'other, another' }));
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(101);
    expect(response.head).not.toMatch(/Sec-WebSocket-Protocol/i);
    const [server2] = await connection2;
    expect(server2.protocol).toBe('');
    expect(offered).toEqual([['chat.v1', 'chat.v2'], ['other', 'another']]);
  });

  it('without handleProtocols no subprotocol is chosen', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'chat' }));
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(101);
    expect(response.head).not.toMatch(/Sec-WebSocket-Protocol/i);
  });

  it('handleProtocols choosing a subprotocol that was not offered is a server error (500)', async () => {
    const { url } = await startServer({ handleProtocols: () => 'never-offered' });
    expect(await statusOf(url, ['a'])).toBe(500);
  });

  it('path: only that path is upgraded (query strings allowed), others get 400', async () => {
    const { url } = await startServer({ path: '/ws' });
    expect(await statusOf(`${url}/ws`)).toBe(101);
    expect(await statusOf(`${url}/ws?token=1`)).toBe(101);
    expect(await statusOf(`${url}/other`)).toBe(400);
    expect(await statusOf(`${url}/ws/x`)).toBe(400);
  });

  it('the server option: attaches to an existing HTTP server that keeps serving plain requests', async () => {
    const http = createServer((_request, response) => response.end('plain http'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    wss.on('connection', echo);
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    const { port } = http.address() as AddressInfo;
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(body).toBe('plain http');
    const ws = await client(`ws://127.0.0.1:${port}/ws`);
    const reply = nextMessage(ws);
    ws.send('through the shared server');
    expect((await reply).data.toString()).toBe('through the shared server');
    expect(wss.clients.size).toBe(1);
  });

  it("the HTTP server's idle timeout is cleared on an upgraded socket: a quiet WebSocket stays open", async () => {
    const http = createServer();
    http.setTimeout(60); // node:http sets this on every connection it accepts
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http });
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    const connected = nextConnection(wss);
    const ws = await client(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    const [serverSide, request] = await connected;
    serverSide.on('message', (data) => serverSide.send(data));
    expect(request.socket.timeout).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // over three idle timeouts
    const reply = nextMessage(ws);
    ws.send('still here');
    expect((await reply).data.toString()).toBe('still here');
  });

  it('two servers on one HTTP server, each with its own path', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const a = new WebSocketServer({ server: http, path: '/a' });
    const b = new WebSocketServer({ server: http, path: '/b' });
    a.on('connection', (ws) => ws.send('from a'));
    b.on('connection', (ws) => ws.send('from b'));
    cleanups.push(() => {
      for (const ws of [...a.clients, ...b.clients]) ws.terminate();
      a.close();
      b.close();
    });
    const { port } = http.address() as AddressInfo;
    const wsA = new WsClient(`ws://127.0.0.1:${port}/a`);
    const wsB = new WsClient(`ws://127.0.0.1:${port}/b`);
    cleanups.push(() => wsA.terminate(), () => wsB.terminate());
    expect((await nextMessage(wsA)).data.toString()).toBe('from a');
    expect((await nextMessage(wsB)).data.toString()).toBe('from b');
    // A path neither server owns is refused (once), not left hanging.
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/c'));
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(400);
    await peer.closed;
    expect(peer.received.length).toBe(0); // one response only
  });

  it('a path the servers do not own is left to the user\'s own upgrade listener', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    http.on('upgrade', (request, socket) => {
      if (request.url === '/mine') socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
    });
    cleanups.push(() => wss.close());
    const { port } = http.address() as AddressInfo;
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/mine'));
    expect((await peer.readHttpResponse()).status).toBe(418);
    await peer.closed;
    expect(peer.received.length).toBe(0);
  });

  it('noServer: handleUpgrade completes handshakes routed by the user', async () => {
    const wss = new WebSocketServer({ noServer: true });
    expect(() => wss.address()).toThrow();
    const http: HttpServer = createServer();
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/manual') {
        wss.handleUpgrade(request, socket, head, (ws) => {
          ws.send('handled manually');
          echo(ws);
        });
      } else {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const { port } = http.address() as AddressInfo;
    const ws = new WsClient(`ws://127.0.0.1:${port}/manual`);
    cleanups.push(() => ws.terminate());
    expect((await nextMessage(ws)).data.toString()).toBe('handled manually');
    const reply = nextMessage(ws);
    ws.send('and echoed');
    expect((await reply).data.toString()).toBe('and echoed');
    expect(wss.clients.size).toBe(1);
    expect(await statusOf(`ws://127.0.0.1:${port}/elsewhere`)).toBe(404);
  });

  it('exactly one of port, server and noServer', () => {
    expect(() => new WebSocketServer({})).toThrow(TypeError);
    expect(() => new WebSocketServer({ port: 0, noServer: true })).toThrow(TypeError);
  });

  it('clients tracks open connections; close() stops accepting and refuses later upgrades', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    expect([...wss.clients]).toEqual([server]);
    const closed = closeEvent(ws);
    ws.close(1000);
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(wss.clients.size).toBe(0);
    const emitted = once(wss, 'close');
    wss.close();
    await emitted;
  });

  it('emits rejection with status and reason', async () => {
    const { wss, port } = await startServer();
    const rejected = once(wss, 'rejection');
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/', { 'Sec-WebSocket-Version': '7' }));
    const [status, reason] = (await rejected) as [number, string];
    expect(status).toBe(426);
    expect(reason).toMatch(/version/i);
  });
});

describe('own port: the request head read from raw TCP', () => {
  it('a request head split across many packets, with frames right behind it, upgrades', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    const bytes = Buffer.concat([Buffer.from(upgradeRequest('/chat?x=1')), maskedFrame(0x1, 'right behind')]);
    for (let i = 0; i < bytes.length; i += 7) {
      peer.write(bytes.subarray(i, i + 7));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect((await peer.readFrame()).payload.toString()).toBe('right behind');
  });

  it('the connection handler gets an IncomingMessage with method, url, headers and rawHeaders', async () => {
    let seen: IncomingMessage | undefined;
    const { port } = await startServer({}, (_ws, request) => (seen = request));
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/room/1?token=abc', { Origin: 'http://example.test', 'X-Twice': 'a' }).replace('\r\n\r\n', '\r\nX-Twice: b\r\n\r\n'));
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect(seen?.method).toBe('GET');
    expect(seen?.url).toBe('/room/1?token=abc');
    expect(seen?.httpVersion).toBe('1.1');
    expect(seen?.headers.origin).toBe('http://example.test');
    expect(seen?.headers['x-twice']).toBe('a, b'); // joined as node:http joins them
    expect(seen?.rawHeaders).toContain('Origin');
    expect(seen?.socket.remoteAddress).toBe('127.0.0.1');
  });

  it('a malformed request line gets 400, a header line without a colon gets 400', async () => {
    const { port } = await startServer();
    const first = await RawPeer.connect(port);
    first.write('GET  HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await first.readHttpResponse()).status).toBe(400);
    const second = await RawPeer.connect(port);
    second.write('GET / HTTP/1.1\r\nHost x\r\nUpgrade: websocket\r\n\r\n');
    const response = await second.readHttpResponse();
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/malformed header line/);
  });

  it('a request head over 16 KiB gets 431 without waiting for its end', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write(`GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(20 * 1024)}`);
    expect((await peer.readHttpResponse()).status).toBe(431);
  });

  it('a client that never finishes its request head gets 408 after handshakeTimeout', async () => {
    const { port } = await startServer({ handshakeTimeout: 50 });
    const peer = await RawPeer.connect(port);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n');
    expect((await peer.readHttpResponse()).status).toBe(408);
    await peer.closed;
  });

  it('plain HTTP/1.1 requests get 426 on a kept-alive connection (pipelined too); "Connection: close" ends it', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const first = await peer.readHttpResponse();
    expect(first.status).toBe(426);
    expect(first.head).toMatch(/\r\nSec-WebSocket-Version: 13/);
    expect(first.head).not.toMatch(/Connection: close/);
    peer.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await peer.readHttpResponse()).status).toBe(426);
    const last = await peer.readHttpResponse();
    expect(last.status).toBe(426);
    expect(last.head).toMatch(/Connection: close/);
    await peer.closed;
  });

  it('stops reading pipelined plain requests while the client reads none of the answers, then goes on', async () => {
    // Without this, a peer that only sends would make the server queue 426s without limit.
    const { port } = await startServer();
    const socket = netConnect({ port, host: '127.0.0.1' });
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');
    socket.pause(); // read none of the answers
    const request = `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(1000)}\r\n\r\n`;
    const block = Buffer.from(request.repeat(64));
    let requests = 0;
    let blocked = false;
    while (!blocked && requests * request.length < 96 * 1024 * 1024) {
      requests += 64;
      if (socket.write(block)) continue;
      // The server stopped reading once its answers backed up: our writes back up in turn.
      const drained = once(socket, 'drain').then(() => false);
      blocked = await Promise.race([drained, new Promise<boolean>((resolve) => setTimeout(resolve, 1000, true))]);
    }
    expect(blocked).toBe(true);

    // Reading again, every request gets its answer, and the connection is still usable.
    let received = 0;
    let answerLength = 0;
    let first = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (answerLength === 0) {
        first = Buffer.concat([first, chunk]);
        const end = first.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(first.toString('latin1', 0, Math.max(end, 0)));
        if (end !== -1 && length !== null) answerLength = end + 4 + Number(length[1]);
      }
      received += chunk.length;
    });
    socket.resume();
    await expect.poll(() => answerLength > 0 && received >= requests * answerLength, { timeout: 20_000 }).toBe(true);
    expect(first.toString('latin1')).toMatch(/^HTTP\/1\.1 426 /);
    expect(received).toBe(requests * answerLength);
    socket.write(upgradeRequest());
    await expect.poll(() => received > requests * answerLength, { timeout: 5000 }).toBe(true);
  }, 60_000);

  it('answers bytes that cannot be HTTP with 400 at once, not at the handshake timeout', async () => {
    const { port } = await startServer({ handshakeTimeout: 20_000 });
    const tls = await RawPeer.connect(port);
    tls.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    const response = await tls.readHttpResponse();
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/not an HTTP message/);
    const bareLf = await RawPeer.connect(port);
    bareLf.write('GET / HTTP/1.1\nHost: x\n\n');
    expect((await bareLf.readHttpResponse()).status).toBe(400);
  });

  it('an upgrade may follow a plain request on the same connection', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await peer.readHttpResponse()).status).toBe(426);
    peer.write(Buffer.concat([Buffer.from(upgradeRequest()), maskedFrame(0x1, 'after a 426')]));
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect((await peer.readFrame()).payload.toString()).toBe('after a 426');
  });

  it('a path that is not ours gets 400 on our own port', async () => {
    const { port } = await startServer({ path: '/ws' });
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/other'));
    expect((await peer.readHttpResponse()).status).toBe(400);
  });
});

describe('a peer that does not read what its frames make us send (§10.4)', () => {
  it('a ping flood from a non-reading peer leaves bounded memory on our side, and every pong comes once it reads', async () => {
    const { port, wss } = await startServer();
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    let maxBuffered = 0;
    let pings = 0;
    server.on('ping', () => {
      pings++;
      maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    });
    peer.socket.pause(); // the peer stops reading: our pongs pile up in the kernel, then with us
    const ping = maskedFrame(0x9, Buffer.alloc(125, 0x70));
    const count = 100_000; // about 12.5 MiB of pongs: far more than loopback's socket buffers hold
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    // Written without waiting for 'drain': once we stop reading, the peer's own writes back up.
    for (let i = 0; i < count / 1000; i++) peer.socket.write(batch);
    // Our side stops reading the peer once READ_PAUSE_THRESHOLD bytes of pongs are waiting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pings).toBeLessThan(count);
    // READ_PAUSE_THRESHOLD (1 MiB) plus what one read can produce: far below the 12.7 MB sent.
    expect(maxBuffered).toBeLessThan(READ_PAUSE_THRESHOLD + 256 * 1024);
    // Now the peer reads: every ping gets its pong, in order.
    let pongs = 0;
    let pending = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      peer.socket.removeAllListeners('data');
      peer.socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 127) {
          expect(pending[0]).toBe(0x8a);
          expect(pending[1]).toBe(125);
          pending = pending.subarray(127);
          if (++pongs === count) resolve();
        }
      });
      peer.socket.resume();
    });
    await done;
    expect(pings).toBe(count);
  }, 60_000);
});
