/**
 * doc/ws.md, "Class: WebSocketServer": server.handleUpgrade(request, socket, head, callback)
 * over any duplex stream, server.shouldHandle(request), `handleProtocols` and `verifyClient`,
 * and the 'connection', 'headers' and 'wsClientError' events.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from '../../../src/index.js';
import { memoryPair, openMemoryConnection, upgradeRequest } from '../../support/memory-socket.js';
import { cleanups, collect, next, startServer, until, wsClient } from './support.js';

/** A masked frame from a client (RFC 6455 §5.3), with a zero key so the payload reads as is. */
function clientFrame(opcode: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | body.length, 0, 0, 0, 0]), body]);
}

const REQUEST_HEAD =
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n';

/** Send a raw request on a new TCP connection and read what comes back until the server closes. */
async function rawExchange(port: number, request: string): Promise<string> {
  const socket = netConnect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  socket.on('error', () => {});
  socket.write(request);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString();
}

describe('server.handleUpgrade(request, socket, head, callback)', () => {
  it('works over any duplex stream: an in-memory pair carries the 101 and the frames', async () => {
    const { ws, peer } = await openMemoryConnection();
    const received = next<[Buffer, boolean]>(ws, 'message');
    peer.write(clientFrame(1, 'over memory'));
    const [data, isBinary] = await received;
    expect([data.toString(), isBinary]).toEqual(['over memory', false]);
    const fromServer: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => fromServer.push(chunk));
    ws.send('back');
    await until(() => Buffer.concat(fromServer).includes('back'));
  });

  it('the callback gets the socket and the request; head bytes are the first frames', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const [server, peer] = memoryPair();
    peer.resume();
    const request = upgradeRequest(server, '/room?id=1');
    const [ws, seenRequest] = await new Promise<[WebSocket, IncomingMessage]>((resolve) =>
      wss.handleUpgrade(request, server, clientFrame(1, 'early'), (socket, req) => {
        resolve([socket, req]);
      }),
    );
    expect(seenRequest).toBe(request);
    const [data] = await next<[Buffer]>(ws, 'message');
    expect(data.toString()).toBe('early');
  });

  it('called twice with the same socket: the Error ws throws', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const [server, peer] = memoryPair();
    peer.resume();
    wss.handleUpgrade(upgradeRequest(server), server, Buffer.alloc(0), () => {});
    expect(() => wss.handleUpgrade(upgradeRequest(server), server, Buffer.alloc(0), () => {})).toThrow(
      'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
    );
  });

  it('shouldHandle (the path option, or an override) is applied: another path gets 400', async () => {
    const wss = new WebSocketServer({ noServer: true, path: '/ws' });
    const [server, peer] = memoryPair();
    const answer: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => answer.push(chunk));
    let called = false;
    wss.handleUpgrade(upgradeRequest(server, '/other'), server, Buffer.alloc(0), () => (called = true));
    await until(() => Buffer.concat(answer).includes('\r\n\r\n'));
    expect(Buffer.concat(answer).toString()).toMatch(/^HTTP\/1\.1 400 /);
    expect(called).toBe(false);

    const custom = new WebSocketServer({ noServer: true });
    custom.shouldHandle = (request) => request.url === '/mine';
    expect(custom.shouldHandle(upgradeRequest(server, '/mine'))).toBe(true);
    expect(wss.shouldHandle(upgradeRequest(server, '/ws?x=1'))).toBe(true);
  });
});

describe('handleProtocols and verifyClient', () => {
  it('verifyClient runs first, then handleProtocols (as in ws)', async () => {
    const order: string[] = [];
    const { url, wss } = await startServer({
      verifyClient: () => (order.push('verifyClient'), true),
      handleProtocols: (protocols) => (order.push('handleProtocols'), [...protocols][1]),
    });
    const connection = next<[WebSocket]>(wss, 'connection');
    wsClient(url, {}).terminate();
    const peer = new (await import('ws')).default(url, ['a', 'b']);
    peer.on('error', () => {});
    cleanups.push(() => peer.terminate());
    const [server] = await connection;
    await once(peer, 'open');
    expect(order.slice(-2)).toEqual(['verifyClient', 'handleProtocols']);
    expect([server.protocol, peer.protocol]).toEqual(['b', 'b']);
  });

  it('a falsy handleProtocols answer (false, undefined, null, "") chooses none', async () => {
    for (const answer of [false, undefined, null, '']) {
      const { url } = await startServer({ handleProtocols: () => answer as false });
      const WsClient = (await import('ws')).default;
      const peer = new WsClient(url, ['a']);
      peer.on('error', () => {});
      cleanups.push(() => peer.terminate());
      // ws's client refuses a handshake without the subprotocol it asked for: that is the proof.
      const [error] = (await once(peer, 'error').catch((e: unknown) => [e])) as [Error];
      expect(error.message).toBe('Server sent no subprotocol');
    }
  });

  it('verifyClient: a truthy answer accepts, a falsy one refuses with 401; the callback form takes code, message, headers', async () => {
    const accept = await startServer({ verifyClient: () => 1 as unknown as boolean });
    const accepted = wsClient(accept.url);
    await once(accepted, 'open');
    const refuse = await startServer({ verifyClient: () => 0 as unknown as boolean });
    expect(await rawExchange(refuse.port, `${REQUEST_HEAD}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`)).toMatch(/^HTTP\/1\.1 401 /);
    const callback = await startServer({ verifyClient: (_info, done) => done(false, 403, 'Go away', { 'X-Why': 'because' }) });
    const answer = await rawExchange(callback.port, `${REQUEST_HEAD}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toMatch(/\r\nX-Why: because\r\n/);
    expect(answer).toMatch(/Go away/);
  });
});

describe("'headers'", () => {
  it('gets the response lines and the request before they are written; lines pushed or changed are sent', async () => {
    const { wss, url } = await startServer();
    const seen: Array<[string[], string | undefined]> = [];
    wss.on('headers', (headers, request) => {
      seen.push([[...headers], request.url]);
      headers.push('Set-Cookie: session=abc');
      headers[2] = 'Connection: upgrade';
    });
    const WsClient = (await import('ws')).default;
    const peer = new WsClient(`${url}/chat`);
    peer.on('error', () => {});
    cleanups.push(() => peer.terminate());
    const opened = once(peer, 'open');
    const [response] = (await once(peer, 'upgrade')) as [IncomingMessage];
    expect(seen).toHaveLength(1);
    expect(seen[0][0].slice(0, 3)).toEqual(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade']);
    expect(seen[0][0][3]).toMatch(/^Sec-WebSocket-Accept: /);
    expect(seen[0][1]).toBe('/chat');
    expect(response.headers['set-cookie']).toEqual(['session=abc']);
    expect(response.headers.connection).toBe('upgrade');
    await opened;
  });

  it('a line with CR, LF or NUL is never written: the client gets a bare 500 and hookError says why', async () => {
    for (const bad of ['X-A: 1\r\nX-Injected: 2', 'X-A: 1\nX-B: 2', 'X-A: \0']) {
      const { wss, port } = await startServer();
      wss.on('headers', (headers) => headers.push(bad));
      const hookErrors = collect<Error>(wss, 'hookError');
      const hooks: string[] = [];
      wss.on('hookError', (_error, hook) => hooks.push(hook));
      const connections = collect<WebSocket>(wss, 'connection');
      const answer = await rawExchange(port, `${REQUEST_HEAD}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
      expect(answer).not.toContain('X-Injected');
      expect(answer).not.toContain('Sec-WebSocket-Accept');
      expect(hookErrors[0]).toBeInstanceOf(TypeError);
      expect(hooks).toEqual(['headers']);
      expect(connections).toEqual([]);
    }
  });

  it('a listener that throws: a bare 500 and hookError, never an exception out of the server', async () => {
    const { wss, port } = await startServer();
    const boom = new Error('listener bug');
    wss.on('headers', () => {
      throw boom;
    });
    const hookErrors = collect<Error>(wss, 'hookError');
    const answer = await rawExchange(port, `${REQUEST_HEAD}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 500 /);
    expect(hookErrors).toEqual([boom]);
  });
});

describe("'wsClientError'", () => {
  it('with a listener, an invalid request is its to answer: it gets the error, the socket and the request', async () => {
    const { wss, port } = await startServer();
    const seen: Array<[string, string | undefined]> = [];
    wss.on('wsClientError', (error, socket: Duplex, request) => {
      seen.push([error.message, request.headers.host as string | undefined]);
      socket.end('HTTP/1.1 418 I\'m a teapot\r\nContent-Length: 0\r\n\r\n');
    });
    const answer = await rawExchange(port, `${REQUEST_HEAD}Sec-WebSocket-Key: not-a-key\r\n\r\n`);
    expect(answer).toBe("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toMatch(/Sec-WebSocket-Key/);
    expect(seen[0][1]).toBe('x');
  });

  it('on an HTTP server too (the request node:http read)', async () => {
    const http = createServer();
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    cleanups.push(() => new Promise((resolve) => http.close(resolve)));
    const wss = new WebSocketServer({ server: http });
    const errors: Error[] = [];
    wss.on('wsClientError', (error, socket: Duplex) => {
      errors.push(error);
      (socket as Socket).destroy();
    });
    const answer = await rawExchange((http.address() as AddressInfo).port, `${REQUEST_HEAD.replace('Version: 13', 'Version: 99')}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    expect(answer).toBe('');
    expect(errors).toHaveLength(1);
  });

  it('without a listener the server answers: 400 with the reason (426 for a version it does not speak)', async () => {
    const { port } = await startServer();
    expect(await rawExchange(port, `${REQUEST_HEAD}Sec-WebSocket-Key: not-a-key\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 [^]*Sec-WebSocket-Key/);
    expect(await rawExchange(port, `${REQUEST_HEAD.replace('Version: 13', 'Version: 8')}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 426 /,
    );
  });

  it('is not emitted for a request that is valid but refused (a path this server does not take)', async () => {
    const { wss, port } = await startServer({ path: '/ws' });
    const seen = collect<Error>(wss, 'wsClientError');
    wss.on('wsClientError', (_error, socket: Duplex) => (socket as Socket).destroy());
    const answer = await rawExchange(port, `${REQUEST_HEAD.replace('GET / ', 'GET /elsewhere ')}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen).toEqual([]);
  });
});

describe("'connection'", () => {
  it('gets the socket and the HTTP GET request (headers readable)', async () => {
    const { wss, url } = await startServer();
    const connection = next<[WebSocket, IncomingMessage]>(wss, 'connection');
    const WsClient = (await import('ws')).default;
    const peer = new WsClient(`${url}/path?x=1`, { headers: { Cookie: 'a=b' } });
    peer.on('error', () => {});
    cleanups.push(() => peer.terminate());
    const [ws, request] = await connection;
    expect(ws).toBeInstanceOf(WebSocket);
    expect(request.url).toBe('/path?x=1');
    expect(request.headers.cookie).toBe('a=b');
  });
});
