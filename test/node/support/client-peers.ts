/**
 * Helpers for the client tests: hand-written servers that answer the handshake as a test says,
 * and a recorder that writes down what a client emits — so that wsmith's client can be run side
 * by side with `ws`'s and their events compared.
 */
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { ClientRequest, IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import WsClient from 'ws';
import { WebSocket } from '../../../src/index.js';

export const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export interface RawRequest {
  socket: Socket;
  /** The request head, up to and with the blank line. */
  text: string;
  /** "GET /path HTTP/1.1" */
  requestLine: string;
  key: string;
  /** Lower-cased names. */
  headers: Map<string, string>;
}

/** Start a server that calls `respond` with each request once its head is in: TCP on 127.0.0.1, or a Unix socket at `path`. */
export async function rawServer(
  respond: (request: RawRequest) => void,
  path?: string,
): Promise<{ server: Server; port: number; url: string; requests: RawRequest[] }> {
  const sockets = new Set<Socket>();
  const requests: RawRequest[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const lines = text.slice(0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      const request = { socket, text: text.slice(0, end + 4), requestLine: lines[0], key: headers.get('sec-websocket-key') ?? '', headers };
      requests.push(request);
      respond(request);
      // Bytes that came with the head go to whatever `respond` set listening.
      const rest = Buffer.from(text.slice(end + 4), 'latin1');
      if (rest.length > 0) socket.emit('data', rest);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => (path === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const port = path === undefined ? (server.address() as AddressInfo).port : 0;
  return { server, port, url: `ws://127.0.0.1:${port}`, requests };
}

export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A 101 that accepts `key`, with extra header lines. */
export function accept(key: string, extra: string[] = []): string {
  return ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`, ...extra].join('\r\n') + '\r\n\r\n';
}

/** What the tests need of either client (ws's or wsmith's). */
export type AnyClient = EventEmitter & {
  readonly readyState: number;
  readonly url: string;
  close(code?: number): void;
  terminate(): void;
  send(data: string): void;
};
export type ClientClass = new (url: string | URL, protocols?: string | string[], options?: object) => AnyClient;

/** Both clients, to run one scenario against each. */
export const CLIENTS: Array<[name: string, Client: ClientClass]> = [
  ['ws', WsClient as unknown as ClientClass],
  ['wsmith', WebSocket as unknown as ClientClass],
];

export function newClient(Client: ClientClass, url: string | URL, protocols?: string | string[], options?: object): AnyClient {
  const ws = new Client(url, protocols, options);
  cleanups.push(() => {
    // ws reports a handshake abandoned by terminate() as an error, and throws it if nobody listens.
    ws.on('error', () => {});
    ws.terminate();
  });
  return ws;
}

export interface Recording {
  log: string[];
  /** Add an entry (with readyState), e.g. from a test's own listener. */
  note(entry: string): void;
  /** Resolves with the log at 'close'. */
  closed: Promise<string[]>;
}

/**
 * Write down the client's events as text, with readyState at each: the record two clients must
 * share. 'open', 'error' and 'close' always; 'upgrade' and 'redirect' only when asked, since a
 * listener changes what a client does ('unexpected-response' listeners are the test's own).
 */
export function record(ws: AnyClient, events: Array<'upgrade' | 'redirect'> = []): Recording {
  const log: string[] = [];
  const note = (entry: string): void => {
    log.push(`${entry} [${ws.readyState}]`);
  };
  if (events.includes('upgrade')) {
    ws.on('upgrade', (response: IncomingMessage) => note(`upgrade ${response.statusCode} ${response instanceof IncomingMessage}`));
  }
  if (events.includes('redirect')) {
    ws.on('redirect', (url: string, request: ClientRequest) => note(`redirect ${url} ${request instanceof ClientRequest} sent=${request.headersSent}`));
  }
  ws.on('open', () => note(`open ${ws.url}`));
  ws.on('error', (error: Error) => note(`error ${error.constructor.name}: ${error.message}`));
  const closed = new Promise<string[]>((resolve) => {
    ws.on('close', (code: number) => {
      note(`close ${code}`);
      resolve(log);
    });
  });
  return { log, note, closed };
}
