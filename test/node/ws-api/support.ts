/**
 * Shared by the test/node/ws-api tests, which check each class, option, event, method and
 * property `ws` documents (doc/ws.md) on real sockets: a wsmith server on a free port, and
 * wsmith or `ws` clients.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import WsClient from 'ws';
import { WebSocket, WebSocketServer } from '../../../src/index.js';
import type { ClientOptions, WebSocketServerOptions } from '../../../src/index.js';

export const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A wsmith server on a free local port, closed (with its clients) after the test. */
export async function startServer(
  options: Omit<WebSocketServerOptions, 'port' | 'host'> = {},
): Promise<{ wss: WebSocketServer; url: string; port: number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  cleanups.push(() => {
    for (const ws of wss.clients ?? []) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const port = (wss.address() as AddressInfo).port;
  return { wss, url: `ws://127.0.0.1:${port}`, port };
}

/** The server-side WebSocket of the next connection. */
export function nextConnection(wss: WebSocketServer): Promise<[WebSocket, IncomingMessage]> {
  return once(wss, 'connection') as Promise<[WebSocket, IncomingMessage]>;
}

/** A wsmith client, terminated after the test. */
export function wsmithClient(url: string, options: ClientOptions = {}, protocols?: string | string[]): WebSocket {
  const ws = protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options);
  ws.on('error', () => {});
  cleanups.push(() => ws.terminate());
  return ws;
}

/** A `ws` client, terminated after the test. */
export function wsClient(url: string, options: WsClient.ClientOptions = {}): WsClient {
  const ws = new WsClient(url, options);
  ws.on('error', () => {});
  cleanups.push(() => ws.terminate());
  return ws;
}

/** A server and an open wsmith client: both ends of one connection. */
export async function openPair(
  serverOptions: Omit<WebSocketServerOptions, 'port' | 'host'> = {},
  clientOptions: ClientOptions = {},
): Promise<{ wss: WebSocketServer; server: WebSocket; client: WebSocket; url: string }> {
  const { wss, url } = await startServer(serverOptions);
  const connection = nextConnection(wss);
  const client = wsmithClient(url, clientOptions);
  await once(client, 'open');
  const [server] = await connection;
  return { wss, server, client, url };
}

/** A server and an open `ws` client. */
export async function openWithWs(
  serverOptions: Omit<WebSocketServerOptions, 'port' | 'host'> = {},
  clientOptions: WsClient.ClientOptions = {},
): Promise<{ wss: WebSocketServer; server: WebSocket; peer: WsClient; url: string }> {
  const { wss, url } = await startServer(serverOptions);
  const connection = nextConnection(wss);
  const peer = wsClient(url, clientOptions);
  await once(peer, 'open');
  const [server] = await connection;
  return { wss, server, peer, url };
}

/** Resolve with the arguments of the next `event` (without rejecting on 'error', unlike events.once). */
export function next<T extends unknown[] = unknown[]>(emitter: { once(event: string, listener: (...args: never[]) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, ((...args: unknown[]) => resolve(args as T)) as (...args: never[]) => void));
}

/** Collect every `event`'s first argument. */
export function collect<T>(emitter: { on(event: string, listener: (...args: never[]) => void): unknown }, event: string): T[] {
  const seen: T[] = [];
  emitter.on(event, ((value: T) => seen.push(value)) as (...args: never[]) => void);
  return seen;
}

export { until } from '../../support/until.js';

export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
