// Helpers for the hub tests: a wsmith server with a hub on 127.0.0.1:0, and a raw TCP client that
// completes the handshake by hand and then reads (or refuses to read) frames byte by byte.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from '../../src/index.js';
import { Hub, type HubOptions } from '../../src/hub/index.js';

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
  private buffer: Buffer = Buffer.alloc(0);
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

export { until } from '../support/until.js';

/**
 * Reads a stream of binary frames of `size` bytes whose payloads start with a 32-bit sequence
 * number, and checks that they come complete and in order — without copying the payloads, so one
 * test process can keep up with 99 sockets at loopback speed.
 */
export class SequenceScanner {
  received = 0;
  error: string | null = null;
  private readonly header = Buffer.alloc(10);
  private headerHave = 0;
  private remaining = 0;
  private inPayload = false;
  private readonly seqBytes = Buffer.alloc(4);
  private seqHave = 0;

  constructor(readonly size: number) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && this.error === null) {
      if (!this.inPayload) {
        this.header[this.headerHave++] = chunk[i++];
        if (this.headerHave < 2) continue;
        const length7 = this.header[1] & 0x7f;
        const headerLength = length7 === 126 ? 4 : length7 === 127 ? 10 : 2;
        if (this.headerHave < headerLength) continue;
        if (this.header[0] !== 0x82 || (this.header[1] & 0x80) !== 0) {
          this.error = `unexpected frame header 0x${this.header[0].toString(16)} at message ${this.received}`;
          return;
        }
        const length =
          length7 === 126 ? this.header.readUInt16BE(2) : length7 === 127 ? this.header.readUInt32BE(6) : length7;
        if (length !== this.size) {
          this.error = `message ${this.received} has ${length} bytes, not ${this.size}`;
          return;
        }
        this.headerHave = 0;
        this.remaining = length;
        this.seqHave = 0;
        this.inPayload = true;
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      if (this.seqHave < 4) {
        const copy = Math.min(4 - this.seqHave, take);
        chunk.copy(this.seqBytes, this.seqHave, i, i + copy);
        this.seqHave += copy;
        if (this.seqHave === 4 && this.seqBytes.readUInt32BE(0) !== this.received) {
          this.error = `message ${this.received} carries sequence number ${this.seqBytes.readUInt32BE(0)}`;
          return;
        }
      }
      this.remaining -= take;
      i += take;
      if (this.remaining === 0) {
        this.inPayload = false;
        this.received++;
      }
    }
  }
}
