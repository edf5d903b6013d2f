// Helpers for the hub tests: a wsmith server with a hub on 127.0.0.1:0, and a raw TCP client that
// completes the handshake by hand and then reads (or refuses to read) frames byte by byte.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, Hub, type HubOptions, type WebSocket } from '../../src/index.js';

export interface HubServer {
  wss: WebSocketServer;
  hub: Hub;
  port: number;
  url: string;
  /** Server-side sockets, in connection order. */
  sockets: WebSocket[];
  /** Resolves with the next server-side socket. */
  nextConnection(): Promise<WebSocket>;
  close(): Promise<void>;
}

export async function startHubServer(options: HubOptions = {}, autoAdd = true): Promise<HubServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const hub = new Hub(options);
  const sockets: WebSocket[] = [];
  const waiters: ((ws: WebSocket) => void)[] = [];
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    if (autoAdd) hub.add(ws);
    sockets.push(ws);
    waiters.shift()?.(ws);
  });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return {
    wss,
    hub,
    port,
    url: `ws://127.0.0.1:${port}`,
    sockets,
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      await hub.close({ timeout: 200 });
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export interface Frame {
  opcode: number;
  fin: boolean;
  payload: Buffer;
}

/** An incremental reader of unmasked frames (what a server sends). */
export class FrameReader {
  private buffer = Buffer.alloc(0);
  readonly frames: Frame[] = [];
  onFrame: ((frame: Frame) => void) | null = null;

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const frame: Frame = {
        fin: (this.buffer[0] & 0x80) !== 0,
        opcode: this.buffer[0] & 0x0f,
        payload: Buffer.from(this.buffer.subarray(offset, offset + length)),
      };
      this.buffer = this.buffer.subarray(offset + length);
      if (this.onFrame !== null) this.onFrame(frame);
      else this.frames.push(frame);
    }
  }
}

/** A masked client frame (RFC 6455 §5.3), for raw clients. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const key = randomBytes(4);
  const lengthBytes = payload.length < 126 ? 0 : payload.length <= 0xffff ? 2 : 8;
  const frame = Buffer.alloc(2 + lengthBytes + 4 + payload.length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | payload.length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  key.copy(frame, 2 + lengthBytes);
  for (let i = 0; i < payload.length; i++) frame[2 + lengthBytes + 4 + i] = payload[i] ^ key[i & 3];
  return frame;
}

export interface RawClient {
  socket: net.Socket;
  reader: FrameReader;
  closed: Promise<void>;
}

/**
 * Open a TCP connection and complete the opening handshake by hand. With `read: false` the
 * socket stops reading right after the 101 response and never answers anything (a half-open or
 * stuck peer); otherwise incoming frames go to `reader`.
 */
export async function rawClient(port: number, path = '/', read = true): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const reader = new FrameReader();
  let head = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.removeListener('data', onData);
      if (!head.subarray(0, 12).toString('latin1').includes('101')) {
        reject(new Error(`handshake refused: ${head.toString('latin1', 0, end)}`));
        return;
      }
      const rest = head.subarray(end + 4);
      if (read) {
        if (rest.length > 0) reader.push(rest);
        socket.on('data', (data: Buffer) => reader.push(data));
      } else {
        socket.pause();
      }
      resolve();
    };
    socket.on('data', onData);
  });
  return { socket, reader, closed };
}

/** Poll `condition` on each macrotask until it holds (no fixed sleeps). */
export async function until(condition: () => boolean, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
