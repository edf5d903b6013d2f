// Wires the chat together: an HTTP server for the page and /stats, the WebSocket endpoint /ws with its
// handshake checks, the hub, and the stores (files, or Redis when REDIS_URL is set).
//
// The WebSocket server and hub come in through a small Transport (wsmith's in wsmith-transport.ts), so
// this file holds the chat's wiring and nothing about how a library spells its options.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { Chat, type ChatHub, type ChatOptions, type ChatSocket } from './chat.js';
import type { ChatConfig } from './config.js';
import { CHAT_SUBPROTOCOL, isAuthorized } from './auth.js';
import { FileHistory } from './file-history.js';
import { RedisHistory } from './redis-history.js';
import type { HistoryStore } from './history.js';
import { LocalPresence, type PresenceStore } from './presence.js';
import { RedisPresence } from './redis-presence.js';
import { findPublicDir, serveStatic } from './static.js';

export const WS_PATH = '/ws';

/** A handshake check's answer: accept, or refuse with an HTTP status. */
export type Verdict = true | { status: number; reason: string };

export interface EndpointOptions<S> {
  server: Server;
  path: string;
  maxPayload: number;
  /** The pages that may connect (CSWSH): exact origins, `scheme://*.domain` patterns, or 'self'. */
  allowedOrigins: string[];
  verify(request: IncomingMessage): Verdict;
  selectProtocol(protocols: Set<string>): string | false;
  onConnection(socket: S): void;
}

export interface Endpoint {
  /** Stops accepting handshakes. */
  close(): Promise<void>;
}

export interface FullHub<S extends ChatSocket> extends ChatHub<S> {
  stats(): object;
  close(options?: { code?: number; reason?: string; timeout?: number }): Promise<void>;
}

export interface HubSettings {
  heartbeat: { interval: number; timeout: number };
  redis?: { publisher: Redis; subscriber: Redis; prefix: string };
  log: (message: string) => void;
}

export interface Transport<S extends ChatSocket> {
  endpoint(options: EndpointOptions<S>): Endpoint;
  hub(settings: HubSettings): FullHub<S>;
}

export interface RunningChat<S extends ChatSocket> {
  url: string;
  port: number;
  server: Server;
  hub: FullHub<S>;
  chat: Chat<S>;
  close(): Promise<void>;
}

export type ChatTuning = Omit<ChatOptions<ChatSocket>, 'hub' | 'presence' | 'history'>;

/**
 * The pages that may open /ws (Cross-Site WebSocket Hijacking: another site's page would ride on the
 * user's session): the page this server served ('self': the Origin's host:port is the Host header, as
 * gorilla/websocket checks) and those listed in CHAT_ORIGINS. The WebSocket server refuses the rest
 * with 403 before any of the checks below run.
 */
export function allowedOrigins(config: Pick<ChatConfig, 'origins'>): string[] {
  return ['self', ...config.origins];
}

/** The handshake check of /ws once the Origin has passed: the token (401). */
export function verifyHandshake(config: Pick<ChatConfig, 'token'>, request: IncomingMessage): Verdict {
  if (!isAuthorized(config.token, request.url, request.headers['sec-websocket-protocol'])) {
    return { status: 401, reason: 'Unauthorized' };
  }
  return true;
}

/** Picks the chat's subprotocol when offered; never the bearer token. */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(CHAT_SUBPROTOCOL) ? CHAT_SUBPROTOCOL : false;
}

async function connectRedis(url: string): Promise<Redis[]> {
  // Imported only when asked for, so `npm start` needs no Redis at all.
  const { Redis: RedisClient } = await import('ioredis');
  const clients = [0, 1, 2].map(() => new RedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 3 }));
  await Promise.all(clients.map((client) => client.connect()));
  return clients;
}

export async function startChatServer<S extends ChatSocket>(
  config: ChatConfig,
  transport: Transport<S>,
  tuning: ChatTuning = {},
): Promise<RunningChat<S>> {
  const log = tuning.log ?? ((message: string) => console.error(message));
  let redis: Redis[] = [];
  let history: HistoryStore;
  let presence: PresenceStore;
  let hub: FullHub<S>;
  if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl);
    const [publisher, subscriber, data] = redis;
    const prefix = config.redisPrefix;
    hub = transport.hub({ heartbeat: config.heartbeat, redis: { publisher, subscriber, prefix: `${prefix}hub:` }, log });
    history = new RedisHistory(data, prefix);
    presence = new RedisPresence({
      redis: data,
      node: randomUUID(),
      prefix,
      nodeTtlMs: config.nodeTtlMs,
      // Paused or cut off past the TTL: other processes may have said our users left. Their pages
      // reconnect and join again, so presence and the rooms' logs tell the truth again.
      onLeaseLost: () => {
        log('presence: lease lost, closing connections so they join again');
        chat.restartConnections();
      },
    });
    // Look for users of dead processes as often as a process refreshes its own liveness.
    tuning = { sweepIntervalMs: Math.max(50, Math.round(config.nodeTtlMs / 3)), ...tuning };
  } else {
    hub = transport.hub({ heartbeat: config.heartbeat, log });
    history = new FileHistory(config.dataDir);
    presence = new LocalPresence();
  }
  const chat = new Chat<S>({ ...tuning, typingTimeoutMs: config.typingTimeoutMs, hub, history, presence, log });
  const publicDir = findPublicDir();

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log(`http: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/stats' && req.method === 'GET') {
      const body = JSON.stringify(hub.stats());
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
    } else if (path === WS_PATH) {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end('Upgrade Required: connect with WebSocket\n');
    } else if (!(await serveStatic(publicDir, req, res))) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found\n');
    }
  }

  const endpoint = transport.endpoint({
    server,
    path: WS_PATH,
    maxPayload: config.maxPayload,
    allowedOrigins: allowedOrigins(config),
    verify: (request) => verifyHandshake(config, request),
    selectProtocol,
    onConnection: (socket) => chat.accept(socket),
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = !config.host || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`,
    port,
    server,
    hub,
    chat,
    close: () =>
      (closing ??= (async () => {
        // Stop taking handshakes; a server may wait for its sockets to go before it reports closed.
        const stopped = endpoint.close();
        // 1001 Going Away (RFC 6455 §7.4.1): the pages reconnect, to this process or another.
        await hub.close({ code: 1001, reason: 'server shutting down', timeout: 2000 });
        await chat.close();
        await stopped;
        await Promise.all(redis.map((client) => client.quit().catch(() => undefined)));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}
