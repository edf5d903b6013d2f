/**
 * Server-side WebSockets over in-memory streams: `WebSocketServer.handleUpgrade` takes any duplex
 * stream, so a test can open thousands of real connections without a port, and read exactly
 * what the server wrote from the other end.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from '../../src/index.js';

/** One end of an in-memory connection: what it writes, the other end reads. */
export class MemoryEnd extends Duplex {
  other: MemoryEnd | null = null;
  /** Everything written to this end (what the other side will read), when `recording`. */
  readonly written: Buffer[] = [];
  recording = false;

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.recording) this.written.push(Buffer.from(chunk));
    this.other?.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.other?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    const other = this.other;
    this.other = null;
    if (other !== null && !other.destroyed) {
      other.other = null;
      other.push(null);
      other.destroy();
    }
    callback(error);
  }
}

/** Two linked ends: [a, b]. */
export function memoryPair(): [MemoryEnd, MemoryEnd] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A valid opening handshake request, as node:http would hand it to an 'upgrade' listener. */
export function upgradeRequest(socket: Duplex, url = '/', extra: Record<string, string> = {}): IncomingMessage {
  const headers: Record<string, string> = {
    host: 'memory.test',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    ...extra,
  };
  const rawHeaders = Object.entries(headers).flat();
  return { method: 'GET', url, httpVersion: '1.1', headers, rawHeaders, socket } as unknown as IncomingMessage;
}

export interface MemoryConnection {
  /** The server-side WebSocket. */
  ws: WebSocket;
  /** The client's end: what the server sent arrives here (101 response first). */
  peer: MemoryEnd;
  /** The server's end (its writes are recorded in `server.written`). */
  server: MemoryEnd;
}

/** Open one server-side WebSocket over memory; `wss` defaults to a fresh noServer server. */
export function openMemoryConnection(
  wss = new WebSocketServer({ noServer: true }),
  extraHeaders: Record<string, string> = {},
): Promise<MemoryConnection> {
  const [server, peer] = memoryPair();
  peer.resume(); // a peer that reads (and drops) everything, unless the test reads it itself
  return new Promise((resolve) => {
    wss.handleUpgrade(upgradeRequest(server, '/', extraHeaders), server, Buffer.alloc(0), (ws) => resolve({ ws, peer, server }));
  });
}
