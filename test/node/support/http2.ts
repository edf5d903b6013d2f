// A WebSocketServer on a node:http2 server (TLS with allowHTTP1, or h2c) and wsmith clients
// dialing it over HTTP/2, closed after each test: shared by the HTTP/2 tests.
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll } from 'vitest';
import { WebSocket, WebSocketServer, type ClientOptions, type WebSocketServerOptions } from '../../../src/index.js';
import { hasOpenssl, localhostCertificate, type Pem } from '../../support/certificates.js';

export interface Running {
  server: Http2SecureServer | Http2Server;
  wss: WebSocketServer;
  url: string;
  /** The request of each WebSocket the server accepted, in order. */
  requests: IncomingMessage[];
  /** HTTP/2 sessions (connections) the server has seen. */
  sessions: ServerHttp2Session[];
}

export interface Http2Harness {
  /** Run after the test, last added first. */
  cleanups: Array<() => unknown>;
  /** The certificate of `localhost` (with openssl). */
  readonly pem: Pem;
  /** An echo WebSocketServer (compression on) attached to a new HTTP/2 server. */
  start(secure: boolean, options?: Partial<WebSocketServerOptions>): Promise<Running>;
  /** A client that has opened (over HTTP/2 unless `options` say otherwise). */
  open(url: string, options?: ClientOptions): Promise<WebSocket>;
  /** Send `data` and wait for the next message. */
  echo(ws: WebSocket, data: string): Promise<string>;
}

export function http2Harness(): Http2Harness {
  const cleanups: Array<() => unknown> = [];
  let pem: Pem | undefined;
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  beforeAll(() => {
    if (hasOpenssl) pem = localhostCertificate();
  });

  async function start(secure: boolean, options: Partial<WebSocketServerOptions> = {}): Promise<Running> {
    const server = secure ? createSecureServer({ key: pem!.key, cert: pem!.cert, allowHTTP1: true }) : createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: true, ...options });
    const requests: IncomingMessage[] = [];
    const sessions: ServerHttp2Session[] = [];
    server.on('session', (session) => sessions.push(session));
    wss.on('connection', (ws, request) => {
      requests.push(request);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const session of sessions) session.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const port = (server.address() as AddressInfo).port;
    return { server, wss, url: `${secure ? 'wss' : 'ws'}://localhost:${port}`, requests, sessions };
  }

  async function open(url: string, options: ClientOptions = { http2: true }): Promise<WebSocket> {
    const ws = new WebSocket(url, { ...options, ca: pem?.cert });
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    return ws;
  }

  function echo(ws: WebSocket, data: string): Promise<string> {
    const reply = once(ws, 'message') as Promise<[Buffer]>;
    ws.send(data);
    return reply.then(([message]) => message.toString());
  }

  return {
    cleanups,
    get pem() {
      return pem!;
    },
    start,
    open,
    echo,
  };
}
