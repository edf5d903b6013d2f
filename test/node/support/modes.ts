// A WebSocketServer in each of the ways it can serve, so that every limit is tested in all of
// them: its own port (ws://, and wss:// with `tls`), and attached to an existing node:http or
// node:https server (`server`).
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WsClient from 'ws';
import { WebSocketServer, type WebSocketServerOptions } from '../../../src/node/server.js';
import type { WebSocket } from '../../../src/node/websocket.js';
import { hasOpenssl, localhostCertificate } from '../../support/certificates.js';
import { REQUIRE_PEERS } from '../../support/peers.js';
import { RawPeer, upgradeRequest } from './server.js';

export type Mode = 'own port' | 'own port over TLS' | 'attached to http' | 'attached to https';
export const MODES: readonly Mode[] = ['own port', 'own port over TLS', 'attached to http', 'attached to https'];
/**
 * The modes to test: all of them, except that a developer's machine without openssl (needed to
 * make a certificate) leaves out the TLS ones, with a warning. Under CI=true or
 * WSMITH_REQUIRE_PEERS=1 all are tested, and the TLS ones fail for want of a certificate.
 */
export const TESTED_MODES: readonly Mode[] = hasOpenssl || REQUIRE_PEERS ? MODES : ['own port', 'attached to http'];
if (TESTED_MODES !== MODES) console.warn('SKIPPED: the TLS modes (own port over TLS, attached to https): openssl is missing');

export const isTls = (mode: Mode): boolean => mode === 'own port over TLS' || mode === 'attached to https';

export interface ModeServer {
  mode: Mode;
  wss: WebSocketServer;
  port: number;
  url: string;
  /** The user's HTTP(S) server in the attached modes. */
  httpServer: HttpServer | null;
  /** A raw TCP (or TLS) connection to the server, optionally from another loopback address. */
  connect(localAddress?: string): Promise<RawPeer>;
  /** A raw connection that has completed the opening handshake (101). */
  open(localAddress?: string, headers?: Record<string, string>): Promise<RawPeer>;
  /** Send a handshake request and read the answer's status and body (the peer stays open). */
  request(headers?: Record<string, string>, path?: string): Promise<{ status: number; head: string; body: string; peer: RawPeer }>;
  /** A `ws` client (it answers pings, as browsers do). */
  client(): Promise<WsClient>;
  close(): Promise<void>;
}

/** Start a server in `mode`; `onConnection` gets each WebSocket (default: echo). */
export async function startIn(
  mode: Mode,
  options: Omit<WebSocketServerOptions, 'port' | 'host' | 'server' | 'noServer'> = {},
  onConnection: (ws: WebSocket, request: IncomingMessage) => void = (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })),
): Promise<ModeServer> {
  const tls = isTls(mode) ? localhostCertificate() : undefined;
  let wss: WebSocketServer;
  let httpServer: HttpServer | null = null;
  if (mode === 'own port' || mode === 'own port over TLS') {
    wss = new WebSocketServer({ ...options, port: 0, host: '127.0.0.1', tls });
    await once(wss, 'listening');
  } else {
    httpServer = tls === undefined ? createHttpServer() : createHttpsServer({ ...tls });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    wss = new WebSocketServer({ ...options, server: httpServer });
  }
  wss.on('connection', onConnection);
  const port = (wss.address() as AddressInfo).port;
  const peers: RawPeer[] = [];
  const clients: WsClient[] = [];
  const connect = async (localAddress?: string): Promise<RawPeer> => {
    const tcp = netConnect({ port, host: '127.0.0.1', localAddress });
    const socket: Socket = tls === undefined ? tcp : tlsConnect({ socket: tcp, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    socket.on('error', () => {});
    await once(socket, tls === undefined ? 'connect' : 'secureConnect');
    const peer = new RawPeer(socket);
    peers.push(peer);
    return peer;
  };
  const server: ModeServer = {
    mode,
    wss,
    port,
    url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}`,
    httpServer,
    connect,
    async request(headers = {}, path = '/') {
      const peer = await connect();
      peer.write(upgradeRequest(path, headers));
      return { ...(await peer.readHttpResponse()), peer };
    },
    async open(localAddress, headers = {}) {
      const peer = await connect(localAddress);
      peer.write(upgradeRequest('/', headers));
      const response = await peer.readHttpResponse();
      if (response.status !== 101) throw new Error(`expected 101, got ${response.status} ${response.body}`);
      return peer;
    },
    async client() {
      const ws = new WsClient(server.url, { rejectUnauthorized: false });
      clients.push(ws);
      await once(ws, 'open');
      return ws;
    },
    async close() {
      for (const ws of clients) ws.terminate();
      for (const peer of peers) peer.socket.destroy();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (httpServer !== null) {
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer!.close(() => resolve()));
      }
    },
  };
  return server;
}
