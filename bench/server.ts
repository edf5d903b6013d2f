// One benchmark server in its own process: `node build/bench/server.js <target> <role>`.
// It listens on 127.0.0.1, port 0, reports { type: 'ready', port } over IPC, answers
// { type: 'memory' } with its memory after a forced GC, and exits when the parent says stop or
// goes away. The WebSocket servers are written the way a user of each library would write them.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TLS_CERT_ENV, TLS_KEY_ENV } from './certificate.js';
import { isTargetName, TARGETS, type TargetName } from './targets.js';

export type ServerRole = 'echo' | 'broadcast' | 'idle';

const MAX_PAYLOAD = 4 * 1024 * 1024; // above the 1 MiB echo-large message, same for every target

// The part of the ws-compatible API the bench uses; both ws and wsmith provide it.
interface BenchSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  send(data: Buffer, options?: { binary?: boolean }): void;
}
interface BenchServer {
  on(event: 'connection', listener: (socket: BenchSocket, request: IncomingMessage) => void): unknown;
  on(event: 'listening', listener: () => void): unknown;
  address(): AddressInfo | string | null;
  clients?: Set<BenchSocket>;
}
interface BenchHub {
  add(socket: BenchSocket): unknown;
  broadcast(data: Buffer, options?: { binary?: boolean }): unknown;
}
interface BenchServerOptions {
  port?: number;
  host?: string;
  /** An HTTP server to attach to (the HTTP/2 scenarios) instead of a port of its own. */
  server?: http2.Http2SecureServer;
  maxPayload: number;
  perMessageDeflate?: boolean;
}
interface WsLikeModule {
  WebSocketServer: new (options: BenchServerOptions) => BenchServer;
  Hub?: new () => BenchHub;
}

type ReadyInfo = { port: number; notes: string[] };

async function loadLibrary(target: TargetName): Promise<WsLikeModule> {
  // Variable specifiers keep the bench compiling before dist/ exists.
  if (TARGETS[target].library !== 'wsmith') return (await import('ws' as string)) as WsLikeModule;
  const library = (await import('wsmith' as string)) as WsLikeModule;
  // The Hub lives in its own entry point, `wsmith/hub`.
  const hub = (await import('wsmith/hub' as string).catch(() => ({}))) as Pick<WsLikeModule, 'Hub'>;
  return { WebSocketServer: library.WebSocketServer, Hub: hub.Hub ?? library.Hub };
}

/**
 * The HTTP/2 scenarios' server, written as the README shows it: a node:http2 secure server
 * with allowHTTP1, so that one port takes HTTP/2 (extended CONNECT, RFC 8441) and HTTP/1.1
 * upgrades alike, chosen by ALPN; node's defaults otherwise.
 */
function http2Server(): http2.Http2SecureServer {
  const keyFile = process.env[TLS_KEY_ENV];
  const certFile = process.env[TLS_CERT_ENV];
  if (!keyFile || !certFile) throw new Error(`${TLS_KEY_ENV} and ${TLS_CERT_ENV} must name the TLS key and certificate`);
  const server = http2.createSecureServer({ key: readFileSync(keyFile), cert: readFileSync(certFile), allowHTTP1: true });
  server.on('sessionError', () => {});
  return server;
}

async function startWebSocketServer(target: TargetName, role: ServerRole): Promise<ReadyInfo> {
  const library = await loadLibrary(target);
  const notes: string[] = [];
  const overHttp2 = TARGETS[target].transport !== undefined;
  const server = overHttp2 ? http2Server() : undefined;
  const options: BenchServerOptions = server
    ? { server, maxPayload: MAX_PAYLOAD }
    : { port: 0, host: '127.0.0.1', maxPayload: MAX_PAYLOAD };
  // Each library's own defaults for permessage-deflate, as `perMessageDeflate: true` gives them.
  if (TARGETS[target].deflate) options.perMessageDeflate = true;
  const wss = new library.WebSocketServer(options);
  let messages = 0;
  const faultEvery = 50; // the broken targets misbehave on every 50th message

  if (role === 'echo') {
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      if (target === 'broken-drop') {
        ws.on('message', (data, isBinary) => {
          if (++messages % faultEvery !== 0) ws.send(data, { binary: isBinary });
        });
      } else if (target.startsWith('broken-corrupt')) {
        ws.on('message', (data, isBinary) => {
          if (++messages % faultEvery === 0) {
            data = Buffer.from(data);
            data[data.length - 1] ^= 0x01;
          }
          ws.send(data, { binary: isBinary });
        });
      } else {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      }
    });
  } else if (role === 'broadcast') {
    const Hub = TARGETS[target].library === 'wsmith' ? library.Hub : undefined;
    if (Hub) {
      // wsmith's Hub: encode once, batch per receiver (issue 5).
      notes.push('broadcast via Hub');
      const hub = new Hub();
      wss.on('connection', (ws, request) => {
        ws.on('error', () => {});
        if (request.url === '/pub') ws.on('message', (data, isBinary) => hub.broadcast(data, { binary: isBinary }));
        else hub.add(ws);
      });
    } else {
      // The naive loop every ws tutorial shows.
      notes.push('broadcast via naive loop');
      const own = new Set<BenchSocket>();
      wss.on('connection', (ws, request) => {
        ws.on('error', () => {});
        const clients = wss.clients ?? own;
        if (!wss.clients) {
          own.add(ws);
          ws.on('close', () => own.delete(ws));
        }
        if (request.url === '/pub') {
          ws.on('message', (data, isBinary) => {
            for (const client of clients) if (client !== ws) client.send(data, { binary: isBinary });
          });
        }
      });
    }
  } else {
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
    });
  }

  if (server) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    notes.push('http2.createSecureServer({ allowHTTP1: true })');
  } else {
    await new Promise<void>((resolve) => wss.on('listening', resolve));
  }
  const address = server ? server.address() : wss.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  if (TARGETS[target].column === 'ws-native') notes.push(await nativeAddonNote());
  if (TARGETS[target].deflate) notes.push('perMessageDeflate: true');
  return { port: address.port, notes };
}

async function nativeAddonNote(): Promise<string> {
  try {
    await import('bufferutil' as string);
    return 'bufferutil loaded';
  } catch {
    return 'bufferutil NOT available';
  }
}

/** The ceiling: plain TCP that echoes (or fans out) bytes without looking at them. */
async function startRawServer(role: ServerRole): Promise<ReadyInfo> {
  const subscribers = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    // The first chunk stands in for the handshake: echo it back (the client waits for it).
    socket.once('data', (request) => {
      socket.write(request);
      if (role === 'echo') {
        socket.on('data', (chunk) => socket.write(chunk));
      } else if (role === 'broadcast') {
        if (request.toString('latin1', 0, 8) === 'GET /pub') {
          socket.on('data', (chunk) => {
            for (const subscriber of subscribers) subscriber.write(chunk);
          });
        } else {
          subscribers.add(socket);
          socket.on('close', () => subscribers.delete(socket));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, notes: [] };
}

type ParentMessage = { type: 'memory' } | { type: 'stop' };

async function main(): Promise<void> {
  const [targetArg, roleArg] = process.argv.slice(2);
  if (!isTargetName(targetArg) || !['echo', 'broadcast', 'idle'].includes(roleArg)) {
    throw new Error(`usage: server.js <target> <echo|broadcast|idle>, got ${targetArg} ${roleArg}`);
  }
  const role = roleArg as ServerRole;
  const ready = TARGETS[targetArg].library === 'raw' ? await startRawServer(role) : await startWebSocketServer(targetArg, role);
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') {
      gc?.();
      gc?.();
      process.send?.({ type: 'memory', usage: process.memoryUsage(), gc: gc !== undefined });
    } else if (message.type === 'stop') {
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port: ready.port, notes: ready.notes });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', error: String(error instanceof Error ? error.stack : error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
