import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocketServer } from '../../src/node/server.js';
import type { WebSocket } from '../../src/node/websocket.js';
import { cleanups, startServer, echo, client, nextMessage, closeEvent, nextConnection, RawPeer, upgradeRequest, maskedFrame } from './support/server.js';

describe('WebSocketServer: refused handshakes (raw HTTP)', () => {
  async function refusal(request: string, port: number): Promise<{ status: number; head: string; body: string }> {
    const peer = await RawPeer.connect(port);
    peer.write(request);
    const response = await peer.readHttpResponse();
    await peer.closed;
    return response;
  }

  it('answers each bad request with the right status and a reason', async () => {
    const { port } = await startServer();
    const cases: Array<[string, number, RegExp]> = [
      [upgradeRequest('/', { 'Sec-WebSocket-Key': '' }), 400, /Sec-WebSocket-Key/],
      [upgradeRequest('/', { 'Sec-WebSocket-Key': Buffer.alloc(15).toString('base64') }), 400, /Sec-WebSocket-Key/],
      [upgradeRequest('/', { 'Sec-WebSocket-Key': 'not a key' }), 400, /Sec-WebSocket-Key/],
      [upgradeRequest('/', {}, 'POST'), 400, /method/i],
      [upgradeRequest('/', { Upgrade: 'h2c' }), 400, /Upgrade/],
      [upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'a b' }), 400, /Sec-WebSocket-Protocol/],
      [upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'x; =' }), 400, /Sec-WebSocket-Extensions/],
    ];
    for (const [request, status, reason] of cases) {
      const response = await refusal(request, port);
      expect(response.status, request).toBe(status);
      expect(response.body, request).toMatch(reason);
    }
  });

  it('HTTP/1.0 and a missing Host are refused with 400', async () => {
    const { port } = await startServer();
    const old = await refusal(upgradeRequest('/', {}, 'GET', '1.0'), port);
    expect(old.status).toBe(400);
    expect(old.body).toMatch(/HTTP version/);
    // Node's HTTP parser refuses a request without Host itself (also a 400).
    expect((await refusal(upgradeRequest('/', { Host: '' }), port)).status).toBe(400);
  });

  it('a wrong version gets 426 with Sec-WebSocket-Version: 13', async () => {
    const { port } = await startServer();
    for (const version of ['8', '14', '']) {
      const response = await refusal(upgradeRequest('/', { 'Sec-WebSocket-Version': version }), port);
      expect(response.status).toBe(426);
      expect(response.head).toMatch(/\r\nSec-WebSocket-Version: 13/i);
    }
  });

  it('a plain HTTP request (no upgrade) gets 426', async () => {
    const { port } = await startServer();
    const response = await refusal('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', port);
    expect(response.status).toBe(426);
  });

  it('the ws client sees the status of a refused handshake', async () => {
    const { url } = await startServer({ verifyClient: () => ({ status: 403, reason: 'Forbidden here' }) });
    const ws = new WsClient(url);
    ws.on('error', () => {}); // terminate() while CONNECTING reports an error
    cleanups.push(() => ws.terminate());
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(403);
    response.resume();
  });
});

describe('WebSocketServer options', () => {
  async function statusOf(url: string, protocols?: string[]): Promise<number> {
    const ws = new WsClient(url, protocols);
    cleanups.push(() => ws.terminate());
    return new Promise((resolve, reject) => {
      ws.on('open', () => resolve(101));
      ws.on('unexpected-response', (_request, response: IncomingMessage) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      ws.on('error', (error) => {
        if (!/Unexpected server response/.test(error.message)) reject(error);
      });
    });
  }

  it('verifyClient: true accepts, false refuses with 401, {status, reason} refuses with that status', async () => {
    let verdict: boolean | { status: number; reason: string } = true;
    const seen: string[] = [];
    const { url } = await startServer({
      verifyClient: (info) => {
        seen.push(info.req.url ?? '');
        return verdict;
      },
    });
    expect(await statusOf(`${url}/a`)).toBe(101);
    verdict = false;
    expect(await statusOf(`${url}/b`)).toBe(401);
    verdict = { status: 418, reason: 'teapot' };
    expect(await statusOf(`${url}/c`)).toBe(418);
    expect(seen).toEqual(['/a', '/b', '/c']);
  });

  it('verifyClient may be async; a slow one is refused after handshakeTimeout (408); a throw is 500', async () => {
    let mode = 'accept';
    const { url, port } = await startServer({
      handshakeTimeout: 50,
      verifyClient: async () => {
        if (mode === 'accept') return true;
        if (mode === 'refuse') return false;
        if (mode === 'status') return { status: 403, reason: 'no' };
        if (mode === 'throw') throw new Error('boom');
        await new Promise((resolve) => setTimeout(resolve, 500));
        return true;
      },
    });
    expect(await statusOf(url)).toBe(101);
    mode = 'refuse';
    expect(await statusOf(url)).toBe(401);
    mode = 'status';
    expect(await statusOf(url)).toBe(403);
    mode = 'throw';
    expect(await statusOf(url)).toBe(500);
    mode = 'slow';
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest());
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(408);
  });

  it('frames sent while an async verifyClient is pending are not lost', async () => {
    let release: () => void = () => {};
    const { port } = await startServer({
      verifyClient: () => new Promise<boolean>((resolve) => (release = () => resolve(true))),
    });
    const peer = await RawPeer.connect(port);
    peer.write(Buffer.concat([Buffer.from(upgradeRequest()), maskedFrame(0x1, 'in the head')]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    peer.write(maskedFrame(0x1, 'before the verdict')); // a separate packet, while verifying
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect((await peer.readFrame()).payload.toString()).toBe('in the head');
    expect((await peer.readFrame()).payload.toString()).toBe('before the verdict');
  });

  it('verifyClient refusals carry their reason in the body and their extra headers', async () => {
    let verdict: boolean | { status: number; reason?: string; headers?: Record<string, string> } = false;
    const { port } = await startServer({ verifyClient: () => verdict });
    const ask = async (): Promise<{ status: number; head: string; body: string }> => {
      const peer = await RawPeer.connect(port);
      peer.write(upgradeRequest());
      return peer.readHttpResponse();
    };
    const unauthorized = await ask();
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.head).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    verdict = { status: 403, reason: 'Origin not allowed', headers: { 'X-Why': 'origin' } };
    const forbidden = await ask();
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toBe('Origin not allowed\n');
    expect(forbidden.head).toMatch(/\r\nX-Why: origin/);
    verdict = { status: 429 };
    expect((await ask()).status).toBe(429);
  });

  it('verifyClient may return any thenable, not only a native Promise', async () => {
    let accept = true;
    // A bare `then(resolve)` object, as plain JavaScript may hand us: not a full PromiseLike.
    const bareThenable = {
      then(resolve: (value: boolean) => void) {
        setTimeout(() => resolve(accept), 5);
      },
    } as unknown as PromiseLike<boolean>;
    const { url } = await startServer({ verifyClient: () => bareThenable });
    expect(await statusOf(url)).toBe(101);
    accept = false;
    expect(await statusOf(url)).toBe(401);
  });

  it('a synchronous throw in verifyClient gives 500', async () => {
    const { url } = await startServer({
      verifyClient: () => {
        throw new Error('sync boom');
      },
    });
    expect(await statusOf(url)).toBe(500);
  });

  it('handleProtocols chooses among the offered subprotocols', async () => {
    const offered: string[][] = [];
    const { url, wss } = await startServer({
      handleProtocols: (protocols) => {
        offered.push([...protocols]);
        return protocols.has('chat.v2') ? 'chat.v2' : false;
      },
    });
    const connection = nextConnection(wss);
    const ws = await client(url, ['chat.v1', 'chat.v2']);
    const [server] = await connection;
    expect(ws.protocol).toBe('chat.v2');
    expect(server.protocol).toBe('chat.v2');
    expect(offered).toEqual([['chat.v1', 'chat.v2']]);
    // None acceptable: no Sec-WebSocket-Protocol in the response (ws as a client then gives up,
    // which RFC 6455 §4.1 allows; a raw peer shows what the server sent).
    const connection2 = nextConnection(wss);
    const peer = await RawPeer.connect((wss.address() as AddressInfo).port);
    peer.write(upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'other, another' }));
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(101);
    expect(response.head).not.toMatch(/Sec-WebSocket-Protocol/i);
    const [server2] = await connection2;
    expect(server2.protocol).toBe('');
    expect(offered).toEqual([['chat.v1', 'chat.v2'], ['other', 'another']]);
  });

  it('without handleProtocols the first subprotocol offered is chosen (as in ws)', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'chat, superchat' }));
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(101);
    expect(response.head).toMatch(/\r\nSec-WebSocket-Protocol: chat$/im);
  });

  it('handleProtocols choosing a subprotocol that was not offered is a server error (500)', async () => {
    const { url } = await startServer({ handleProtocols: () => 'never-offered' });
    expect(await statusOf(url, ['a'])).toBe(500);
  });

  it('path: only that path is upgraded (query strings allowed), others get 400', async () => {
    const { url } = await startServer({ path: '/ws' });
    expect(await statusOf(`${url}/ws`)).toBe(101);
    expect(await statusOf(`${url}/ws?token=1`)).toBe(101);
    expect(await statusOf(`${url}/other`)).toBe(400);
    expect(await statusOf(`${url}/ws/x`)).toBe(400);
  });

  it('the server option: attaches to an existing HTTP server that keeps serving plain requests', async () => {
    const http = createServer((_request, response) => response.end('plain http'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    wss.on('connection', echo);
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    const { port } = http.address() as AddressInfo;
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(body).toBe('plain http');
    const ws = await client(`ws://127.0.0.1:${port}/ws`);
    const reply = nextMessage(ws);
    ws.send('through the shared server');
    expect((await reply).data.toString()).toBe('through the shared server');
    expect(wss.clients.size).toBe(1);
  });

  it("the HTTP server's idle timeout is cleared on an upgraded socket: a quiet WebSocket stays open", async () => {
    const http = createServer();
    http.setTimeout(60); // node:http sets this on every connection it accepts
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http });
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    const connected = nextConnection(wss);
    const ws = await client(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    const [serverSide, request] = await connected;
    serverSide.on('message', (data) => serverSide.send(data));
    expect(request.socket.timeout).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // over three idle timeouts
    const reply = nextMessage(ws);
    ws.send('still here');
    expect((await reply).data.toString()).toBe('still here');
  });

  it('two servers on one HTTP server, each with its own path', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const a = new WebSocketServer({ server: http, path: '/a' });
    const b = new WebSocketServer({ server: http, path: '/b' });
    a.on('connection', (ws) => ws.send('from a'));
    b.on('connection', (ws) => ws.send('from b'));
    cleanups.push(() => {
      for (const ws of [...a.clients, ...b.clients]) ws.terminate();
      a.close();
      b.close();
    });
    const { port } = http.address() as AddressInfo;
    const wsA = new WsClient(`ws://127.0.0.1:${port}/a`);
    const wsB = new WsClient(`ws://127.0.0.1:${port}/b`);
    cleanups.push(() => wsA.terminate(), () => wsB.terminate());
    expect((await nextMessage(wsA)).data.toString()).toBe('from a');
    expect((await nextMessage(wsB)).data.toString()).toBe('from b');
    // A path neither server owns is refused (once), not left hanging.
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/c'));
    const response = await peer.readHttpResponse();
    expect(response.status).toBe(400);
    await peer.closed;
    expect(peer.received.length).toBe(0); // one response only
  });

  it('a path the servers do not own is left to the user\'s own upgrade listener', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    http.on('upgrade', (request, socket) => {
      if (request.url === '/mine') socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
    });
    cleanups.push(() => wss.close());
    const { port } = http.address() as AddressInfo;
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/mine'));
    expect((await peer.readHttpResponse()).status).toBe(418);
    await peer.closed;
    expect(peer.received.length).toBe(0);
  });

  it('noServer: handleUpgrade completes handshakes routed by the user', async () => {
    const wss = new WebSocketServer({ noServer: true });
    expect(() => wss.address()).toThrow();
    const http: HttpServer = createServer();
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/manual') {
        wss.handleUpgrade(request, socket, head, (ws) => {
          ws.send('handled manually');
          echo(ws);
        });
      } else {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const { port } = http.address() as AddressInfo;
    const ws = new WsClient(`ws://127.0.0.1:${port}/manual`);
    cleanups.push(() => ws.terminate());
    expect((await nextMessage(ws)).data.toString()).toBe('handled manually');
    const reply = nextMessage(ws);
    ws.send('and echoed');
    expect((await reply).data.toString()).toBe('and echoed');
    expect(wss.clients.size).toBe(1);
    expect(await statusOf(`ws://127.0.0.1:${port}/elsewhere`)).toBe(404);
  });

  it('exactly one of port, server and noServer', () => {
    expect(() => new WebSocketServer({})).toThrow(TypeError);
    expect(() => new WebSocketServer({ port: 0, noServer: true })).toThrow(TypeError);
  });

  it('clients tracks open connections; close() stops accepting and refuses later upgrades', async () => {
    const { url, wss } = await startServer();
    const connection = nextConnection(wss);
    const ws = await client(url);
    const [server] = await connection;
    expect([...wss.clients]).toEqual([server]);
    const closed = closeEvent(ws);
    ws.close(1000);
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(wss.clients.size).toBe(0);
    const emitted = once(wss, 'close');
    wss.close();
    await emitted;
  });

  it('emits rejection with status and reason', async () => {
    const { wss, port } = await startServer();
    const rejected = once(wss, 'rejection');
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/', { 'Sec-WebSocket-Version': '7' }));
    const [status, reason] = (await rejected) as [number, string];
    expect(status).toBe(426);
    expect(reason).toMatch(/version/i);
  });
});
