/**
 * doc/ws.md, "Class: WebSocketServer": the constructor's modes and options (clientTracking,
 * WebSocket, backlog, the callback), the 'listening', 'error' and 'close' events,
 * server.address(), server.clients and server.close([callback]).
 */
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../../src/index.js';
import { cleanups, next, startServer, until, wsClient, wsmithClient } from './support.js';

async function httpServer(): Promise<{ http: HttpServer; url: string }> {
  const http = createServer();
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  cleanups.push(() => new Promise((resolve) => http.close(resolve)));
  return { http, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}

describe('new WebSocketServer(options[, callback])', () => {
  it('one and only one of port, server and noServer, else the TypeError ws throws', () => {
    const http = createServer();
    for (const options of [{}, { port: 0, noServer: true }, { server: http, noServer: true }, { port: 0, server: http }, { port: null }]) {
      const ours = errorOf(() => new WebSocketServer(options as never));
      const theirs = errorOf(() => new WsServer(options as never));
      expect([ours.constructor, ours.message]).toEqual([TypeError, theirs.message]);
    }
    expect(() => new WebSocketServer({ noServer: true, port: null as never, server: undefined })).not.toThrow();
  });

  it('options shows the defaults ws shows, and what was given', () => {
    const keys = ['allowSynchronousEvents', 'autoPong', 'clientTracking', 'closeTimeout', 'maxBufferedChunks', 'maxPayload', 'noServer', 'skipUTF8Validation'];
    const ours = new WebSocketServer({ noServer: true, path: '/x' }).options as unknown as Record<string, unknown>;
    const theirs = new WsServer({ noServer: true, path: '/x' }).options as unknown as Record<string, unknown>;
    for (const key of [...keys, 'path']) expect(ours[key], key).toEqual(theirs[key]);
    expect(ours.WebSocket).toBe(WebSocket);
    // Deliberately higher than ws's 16,384, which refuses Autobahn 9.3.1's 65,536 fragments.
    expect([ours.maxFragments, theirs.maxFragments]).toEqual([131_072, 16_384]);
    const notTracking = new WebSocketServer({ noServer: true, clientTracking: undefined });
    expect(notTracking.clients).toBeUndefined(); // ws tests the option's truth, not its presence
  });

  it('port: the callback and the listening event come once bound; backlog is given to listen', async () => {
    const listen = vi.spyOn(NetServer.prototype, 'listen');
    const listened = new Promise<void>((resolve) => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', backlog: 7 }, resolve);
      cleanups.push(() => new Promise<void>((done) => wss.close(() => done())));
    });
    expect(listen.mock.calls[0].slice(0, 3)).toEqual([0, '127.0.0.1', 7]);
    listen.mockRestore();
    await listened;
  });

  it("server: the HTTP server's 'listening' and 'error' are the WebSocket server's too", async () => {
    const { http } = await httpServer();
    const wss = new WebSocketServer({ server: http });
    const failure = new Error('underlying');
    const errored = next<[Error]>(wss, 'error');
    http.emit('error', failure);
    expect((await errored)[0]).toBe(failure);
    const listening = next(wss, 'listening');
    http.emit('listening');
    await listening;
    // After close() they are not ours any more.
    wss.close();
    const late: Error[] = [];
    wss.on('error', (error) => late.push(error));
    http.on('error', () => {});
    http.emit('error', new Error('after close'));
    expect(late).toEqual([]);
  });

  it("port: a port in use is an 'error' event", async () => {
    const { port } = await startServer();
    const wss = new WebSocketServer({ port, host: '127.0.0.1' });
    const [error] = await next<[Error & { code: string }]>(wss, 'error');
    expect(error.code).toBe('EADDRINUSE');
  });

  it('clientTracking (default): clients holds the open sockets, until each closes', async () => {
    const { wss, url } = await startServer();
    const connection = next<[WebSocket]>(wss, 'connection');
    const client = wsmithClient(url);
    const [server] = await connection;
    expect([...wss.clients]).toEqual([server]);
    const closed = next(server, 'close');
    client.close();
    await closed;
    expect(wss.clients.size).toBe(0);
  });

  it('clientTracking: false leaves clients undefined, as in ws', async () => {
    const { wss, url } = await startServer({ clientTracking: false });
    expect(wss.clients).toBeUndefined();
    expect('clients' in wss).toBe(false);
    const connection = next<[WebSocket]>(wss, 'connection');
    wsmithClient(url);
    const [server] = await connection;
    expect(server.readyState).toBe(WebSocket.OPEN);
    expect(wss.clients).toBeUndefined();
    server.terminate();
  });

  it('WebSocket: the class the server makes its sockets from, given (null, undefined, the options)', async () => {
    const made: unknown[][] = [];
    class Custom extends WebSocket {
      readonly custom = true;
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        made.push(args);
      }
    }
    const { wss, url } = await startServer({ WebSocket: Custom });
    const connection = next<[Custom]>(wss, 'connection');
    const client = wsmithClient(url);
    const [server] = await connection;
    await next(client, 'open');
    expect(server).toBeInstanceOf(Custom);
    expect(server.custom).toBe(true);
    expect(made).toHaveLength(1);
    expect(made[0][0]).toBeNull();
    expect(made[0][1]).toBeUndefined();
    expect(made[0][2]).toBe(wss.options);
    const echoed = next<[Buffer]>(client, 'message');
    server.on('message', (data) => server.send(data));
    client.send('through the subclass');
    expect(String((await echoed)[0])).toBe('through the subclass');
  });
});

describe('server.address()', () => {
  it('the bound address on a port; an error in noServer mode; null once closed', async () => {
    const { wss, port } = await startServer();
    expect(wss.address()).toMatchObject({ port, address: '127.0.0.1' });
    const noServer = new WebSocketServer({ noServer: true });
    const ours = errorOf(() => noServer.address());
    const theirs = errorOf(() => new WsServer({ noServer: true }).address());
    expect(ours.message).toBe(theirs.message);
    wss.close();
    expect(wss.address()).toBeNull();
  });
});

describe('server.close([callback])', () => {
  it('port: stops accepting at once; close (and the callback) only once every connection is closed', async () => {
    const { wss, url, port } = await startServer();
    const connection = next<[WebSocket]>(wss, 'connection');
    const client = wsmithClient(url);
    const [server] = await connection;
    const order: string[] = [];
    const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
    wss.on('close', () => order.push('server close'));
    // A new client is refused: nothing listens any more.
    const refused = wsmithClient(`ws://127.0.0.1:${port}`);
    await next(refused, 'close');
    expect(server.readyState).toBe(WebSocket.OPEN); // existing connections are left open
    setTimeout(() => {
      order.push('client closes');
      client.close();
    }, 20);
    await closed;
    // As with ws's own HTTP server: once TCP is closed, perhaps just before the socket's 'close'.
    expect(order).toEqual(['client closes', 'server close']);
    expect(server.readyState).not.toBe(WebSocket.OPEN);
  });

  it('noServer with tracked clients: close once the last client closes; none: on the next tick', async () => {
    const { http, url } = await httpServer();
    const wss = new WebSocketServer({ noServer: true });
    http.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)));
    const connection = next<[WebSocket]>(wss, 'connection');
    const client = wsmithClient(url);
    const [server] = await connection;
    const order: string[] = [];
    server.on('close', () => order.push('connection closed'));
    wss.on('close', () => order.push('server close'));
    wss.close();
    setTimeout(() => client.terminate(), 20);
    await until(() => order.length === 2);
    expect(order).toEqual(['connection closed', 'server close']);

    const empty = new WebSocketServer({ noServer: true });
    let emitted = false;
    empty.on('close', () => (emitted = true));
    empty.close();
    expect(emitted).toBe(false); // not synchronously
    await new Promise((resolve) => process.nextTick(resolve));
    expect(emitted).toBe(true);
  });

  it('server with clientTracking: false: close on the next tick, open connections or not', async () => {
    const { http, url } = await httpServer();
    const wss = new WebSocketServer({ server: http, clientTracking: false });
    const connection = next<[WebSocket]>(wss, 'connection');
    wsmithClient(url);
    const [server] = await connection;
    const closed = next(wss, 'close');
    wss.close();
    await closed;
    expect(server.readyState).toBe(WebSocket.OPEN);
    server.terminate();
  });

  it('every callback given while closing is called once; after close, a callback gets an Error and close comes again', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const calls: Array<Error | undefined> = [];
    wss.close((error) => calls.push(error));
    wss.close((error) => calls.push(error));
    await until(() => calls.length === 2);
    expect(calls).toEqual([undefined, undefined]);
    let closeEvents = 0;
    wss.on('close', () => closeEvents++);
    const late = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
    expect(late).toBeInstanceOf(Error);
    expect(late?.message).toBe('The server is not running');
    expect(closeEvents).toBe(1);
  });

  it('a handshake that completes after close() is refused with 503', async () => {
    let release: (ok: boolean) => void = () => {};
    const { wss, url } = await startServer({
      verifyClient: (_info, done) => {
        release = done;
      },
    });
    const original = release;
    const peer = wsClient(url);
    await until(() => release !== original); // verifyClient was asked
    wss.close();
    release(true);
    const [, response] = (await once(peer, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(503);
  });
});
