/** Helpers shared by the split server.test.ts files. */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocketServer, type WebSocketServerOptions } from '../../../src/node/server.js';
import { READ_PAUSE_THRESHOLD } from '../../../src/node/socket-transport.js';
import type { WebSocket } from '../../../src/node/websocket.js';
import { ProtocolError } from '../../../src/protocol/errors.js';

/**
 * WebSocketServer against real peers: the `ws` client for what it can send, and raw TCP sockets
 * for what it cannot (bad handshakes, invalid frames, silent peers).
 */










// --- fixtures --------------------------------------------------------------------------------

export const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export async function startServer(
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

export function echo(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

export async function client(url: string, protocols?: string | string[], options?: WsClient.ClientOptions): Promise<WsClient> {
  const ws = new WsClient(url, protocols, options);
  cleanups.push(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

export function nextMessage(ws: WsClient): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

export function closeEvent(ws: WsClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

/** The server-side WebSocket of the next connection. */
export function nextConnection(wss: WebSocketServer): Promise<[WebSocket, IncomingMessage]> {
  return once(wss, 'connection') as Promise<[WebSocket, IncomingMessage]>;
}

export function serverClose(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

// --- raw TCP peer ----------------------------------------------------------------------------

/** A raw TCP peer that collects everything the server sends. */
export class RawPeer {
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
  async readFrame(): Promise<{ fin: boolean; rsv1: boolean; opcode: number; payload: Buffer }> {
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
    const frame = { fin: (b[0] & 0x80) !== 0, rsv1: (b[0] & 0x40) !== 0, opcode: b[0] & 0x0f, payload: Buffer.from(b.subarray(offset, total)) };
    this.received = b.subarray(total);
    return frame;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }
}

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

export function upgradeRequest(path = '/', headers: Record<string, string> = {}, method = 'GET', version = '1.1'): string {
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
export function maskedFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0), fin = true, rsv = 0): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  opcode |= rsv;
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
export async function rawWebSocket(port: number, extra: Buffer = Buffer.alloc(0), allowHalfOpen = false): Promise<RawPeer> {
  const peer = await RawPeer.connect(port, allowHalfOpen);
  peer.write(Buffer.concat([Buffer.from(upgradeRequest()), extra]));
  const response = await peer.readHttpResponse();
  expect(response.status).toBe(101);
  const accept = createHash('sha1').update(KEY + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  expect(response.head).toContain(`Sec-WebSocket-Accept: ${accept}`);
  return peer;
}

// --- tests -----------------------------------------------------------------------------------
