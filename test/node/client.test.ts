import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, connect } from '../../src/index.js';
import { nextMaskKey } from '../../src/node/client.js';
import { REQUIRE_PEERS, missingPeersError } from '../support/peers.js';
import { accept, cleanups, rawServer } from './support/client-peers.js';

/** Our own server on a free port, echoing every message; closed after the test. */
async function echoServer(options: Partial<ConstructorParameters<typeof WebSocketServer>[0]> = {}, host = '127.0.0.1') {
  const wss = new WebSocketServer({ port: 0, host, ...options });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const requests: Array<{ url: string; headers: Record<string, string | string[] | undefined> }> = [];
  wss.on('connection', (ws, request) => {
    requests.push({ url: request.url ?? '', headers: request.headers });
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate();
    wss.close(() => resolve());
  }));
  const port = (wss.address() as AddressInfo).port;
  return { wss, port, requests, url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

/** Resolve with the first error and the close code of a client that must fail. */
function failure(ws: WebSocket): Promise<{ error: Error; code: number; events: string[] }> {
  const events: string[] = [];
  return new Promise((resolve) => {
    let error: Error | null = null;
    ws.on('open', () => events.push('open'));
    ws.on('error', (e) => {
      events.push('error');
      error ??= e;
    });
    ws.on('close', (code) => {
      events.push('close');
      resolve({ error: error!, code, events });
    });
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('client against our server', () => {
  it('opens, echoes text and binary, and closes with a code both sides see', async () => {
    const { url, wss } = await echoServer();
    const ws = new WebSocket(`${url}/room?id=7`);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    await new Promise<void>((resolve) => ws.once('open', resolve));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send('héllo');
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('héllo'), isBinary: false });
    ws.send(Buffer.from([0, 1, 2, 255]));
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
    const [serverSide] = wss.clients;
    const serverClosed = closed(serverSide);
    const clientClosed = closed(ws);
    ws.close(4001, 'bye');
    expect(await serverClosed).toEqual({ code: 4001, reason: 'bye' });
    // The client reports the server's answering Close: the same code (§5.5.1 "typically echos").
    expect((await clientClosed).code).toBe(4001);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('sees a close the server starts', async () => {
    const { url, wss } = await echoServer();
    const ws = await connect(url);
    const clientClosed = closed(ws);
    for (const client of wss.clients) client.close(1001, 'going away');
    expect(await clientClosed).toEqual({ code: 1001, reason: 'going away' });
  });

  it('sends path, query, Host, Origin only when given, and extra headers', async () => {
    const { url, port, requests } = await echoServer();
    (await connect(`${url}/a/b?x=1&y=%20`, { origin: 'https://app.example', headers: { 'X-Token': 'secret' } })).terminate();
    (await connect(url)).terminate();
    expect(requests[0].url).toBe('/a/b?x=1&y=%20');
    expect(requests[0].headers.host).toBe(`127.0.0.1:${port}`);
    expect(requests[0].headers.origin).toBe('https://app.example');
    expect(requests[0].headers['x-token']).toBe('secret');
    expect(requests[1].url).toBe('/');
    expect(requests[1].headers.origin).toBeUndefined();
    expect(requests[1].headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('takes options as the second argument, as ws does, when no subprotocol is offered', async () => {
    const { url, requests } = await echoServer();
    const ws = new WebSocket(url, { headers: { 'X-Second': 'yes' } });
    await new Promise<void>((resolve) => ws.once('open', resolve));
    ws.terminate();
    expect(requests[0].headers['x-second']).toBe('yes');
    expect(requests[0].headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('negotiates a subprotocol', async () => {
    const { url } = await echoServer({ handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false) });
    const ws = await connect(url, { protocols: ['chat.v1', 'chat.v2'] });
    expect(ws.protocol).toBe('chat.v2');
    ws.terminate();
    const plain = new WebSocket(url, 'chat.v1');
    await new Promise<void>((resolve) => plain.once('open', resolve));
    expect(plain.protocol).toBe('');
    plain.terminate();
  });

  it('dials an IPv6 literal', async (context) => {
    let server;
    try {
      server = await echoServer({}, '::1');
    } catch (error) {
      // A missing peer of its own kind: skipped on a developer's machine, a failure in CI.
      if (REQUIRE_PEERS) throw missingPeersError(['an IPv6 loopback (::1)']);
      context.skip(`no IPv6 loopback on this machine: ${(error as Error).message}`);
      return;
    }
    const ws = await connect(`${server.url}/v6`);
    expect(server.requests[0].headers.host).toBe(`[::1]:${server.port}`);
    ws.send('six');
    expect((await nextMessage(ws)).data.toString()).toBe('six');
    ws.terminate();
  });

  it('applies maxPayload to what it receives (1009)', async () => {
    const { url } = await echoServer();
    const ws = await connect(url, { maxPayload: 1000 });
    const outcome = failure(ws);
    ws.send(Buffer.alloc(2000)); // echoed back: too large for us
    const { error, code } = await outcome;
    expect(code).toBe(1009); // we failed the connection: 'close' reports the code we sent
    expect((error as Error & { closeCode?: number }).closeCode).toBe(1009);
  });

  it('closes during CONNECTING: error, close 1006, and the socket is gone', async () => {
    let serverSocket: Socket | null = null;
    const { url } = await rawServer(({ socket }) => {
      serverSocket = socket; // never answers
    });
    const ws = new WebSocket(url);
    const outcome = failure(ws);
    await new Promise((resolve) => setTimeout(resolve, 20));
    ws.close();
    const { error, code } = await outcome;
    expect(error.message).toBe('WebSocket was closed before the connection was established');
    expect(code).toBe(1006);
    await new Promise<void>((resolve) => {
      if (serverSocket === null) resolve();
      else if (serverSocket.destroyed || serverSocket.readableEnded) resolve();
      else serverSocket.once('close', () => resolve());
    });
  });

  it('connect() resolves with an open socket and rejects with the handshake error', async () => {
    const { url } = await echoServer();
    const ws = await connect(url);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.terminate();
    await expect(connect('ws://127.0.0.1:1/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('throws synchronously for an invalid URL, subprotocol or header', () => {
    expect(() => new WebSocket('http//nope')).toThrow(SyntaxError);
    expect(() => new WebSocket('ftp://127.0.0.1/')).toThrow(SyntaxError);
    expect(() => new WebSocket('ws://127.0.0.1/#x')).toThrow(SyntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', ['a', 'a'])).toThrow(SyntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', [], { headers: { 'X-A': 'a\r\nb: c' } })).toThrow(TypeError);
  });
});

describe('client handshake failures: an error that says what was wrong, then close 1006', () => {
  it.each([
    ['a 403', () => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', 'Unexpected server response: 403'],
    ['a wrong Sec-WebSocket-Accept', () => accept('AAAAAAAAAAAAAAAAAAAAAA=='), 'Invalid Sec-WebSocket-Accept header'],
    ['no Sec-WebSocket-Accept', () => 'HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 'Invalid Sec-WebSocket-Accept header'],
    ['a wrong Upgrade', (key: string) => accept(key).replace('Upgrade: websocket', 'Upgrade: h2c'), 'Invalid Upgrade header'],
    ['a wrong Connection', (key: string) => accept(key).replace('Connection: Upgrade', 'Connection: close'), 'Invalid Connection header'],
    ['a subprotocol not offered', (key: string) => accept(key, ['Sec-WebSocket-Protocol: evil']), 'Server sent an invalid subprotocol'],
    ['an extension not offered', (key: string) => accept(key, ['Sec-WebSocket-Extensions: x-webkit-deflate-frame']), 'the server accepted the extension "x-webkit-deflate-frame", which the client did not offer'],
    ['permessage-deflate with a parameter not allowed', (key: string) => accept(key, ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16']), 'invalid permessage-deflate response: parameter "server_max_window_bits" needs an integer from 8 to 15, got value "16"'],
    ['garbage', () => 'SSH-2.0-OpenSSH\r\n\r\n', 'Invalid HTTP response: malformed status line "SSH-2.0-OpenSSH"'],
    ['headers over 16 KiB', () => 'HTTP/1.1 101 OK\r\nX: ' + 'a'.repeat(17_000), 'Invalid HTTP response: the headers exceed 16384 bytes'],
  ])('%s', async (_name, reply, message) => {
    const { url } = await rawServer(({ socket, key }) => socket.write(reply(key)));
    const ws = new WebSocket(url, ['chat']);
    const { error, code, events } = await failure(ws);
    expect(error.message).toBe(message);
    expect(code).toBe(1006);
    expect(events).toEqual(['error', 'close']);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('an error for another status says which, and carries it', async () => {
    const { url } = await rawServer(({ socket }) => socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n'));
    const { error } = await failure(new WebSocket(url));
    expect(error.message).toBe('Unexpected server response: 401');
    expect((error as Error & { statusCode?: number }).statusCode).toBe(401);
  });

  it('a server that hangs up before answering', async () => {
    const { url } = await rawServer(({ socket }) => socket.end('HTTP/1.1 101 Switching'));
    const { error, code } = await failure(new WebSocket(url));
    expect(error.message).toBe('The server closed the connection before completing the opening handshake');
    expect(code).toBe(1006);
  });

  it('handshakeTimeout', async () => {
    const { url } = await rawServer(() => {});
    const { error, code } = await failure(new WebSocket(url, [], { handshakeTimeout: 50 }));
    expect(error.message).toBe('Opening handshake has timed out');
    expect(code).toBe(1006);
  });

  it('without an error listener: no throw, still close 1006', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1/');
    expect(await closed(ws)).toEqual({ code: 1006, reason: '' });
  });

  it('a refused connection', async () => {
    const { error, code } = await failure(new WebSocket('ws://127.0.0.1:1/'));
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(code).toBe(1006);
  });
});

describe('client wire behaviour (against a hand-written server)', () => {
  it('parses frames that arrive in the same packet as the 101 (the head)', async () => {
    const { url } = await rawServer(({ socket, key }) => {
      socket.write(Buffer.concat([Buffer.from(accept(key)), Buffer.from([0x81, 0x05]), Buffer.from('early'), Buffer.from([0x82, 0x01, 0x07])]));
    });
    const ws = new WebSocket(url);
    const events: string[] = [];
    ws.on('open', () => events.push('open'));
    const messages: string[] = [];
    await new Promise<void>((resolve) =>
      ws.on('message', (data, isBinary) => {
        messages.push(isBinary ? `bin:${[...(data as Buffer)].join(',')}` : data.toString());
        if (messages.length === 2) resolve();
      }),
    );
    expect(events).toEqual(['open']);
    expect(messages).toEqual(['early', 'bin:7']);
    ws.terminate();
  });

  it('sends the §4.1 request and masks every frame with a fresh key (§5.3)', async () => {
    let request = '';
    const frames: Buffer[] = [];
    let received: () => void;
    const allIn = new Promise<void>((resolve) => (received = resolve));
    const { url, port } = await rawServer(({ socket, key, text }) => {
      request = text;
      socket.write(accept(key));
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        // Small masked frames: 2 header bytes, 4 key bytes, payload < 126.
        while (pending.length >= 2 && pending.length >= 6 + (pending[1] & 0x7f)) {
          const size = 6 + (pending[1] & 0x7f);
          frames.push(pending.subarray(0, size));
          pending = pending.subarray(size);
        }
        if (frames.length === 200) received();
      });
    });
    const ws = await connect(`${url}/path?q=1`, { protocols: ['a', 'b'] });
    for (let i = 0; i < 200; i++) ws.send('same payload');
    await allIn;
    ws.terminate();
    const lines = request.split('\r\n');
    expect(lines[0]).toBe('GET /path?q=1 HTTP/1.1');
    expect(lines).toContain(`Host: 127.0.0.1:${port}`);
    expect(lines).toContain('Upgrade: websocket');
    expect(lines).toContain('Connection: Upgrade');
    expect(lines).toContain('Sec-WebSocket-Version: 13');
    expect(lines).toContain('Sec-WebSocket-Protocol: a, b');
    expect(request).toMatch(/\r\nSec-WebSocket-Key: [A-Za-z0-9+/]{21}[AQgw]==\r\n/);
    const keys = new Set<string>();
    for (const frame of frames) {
      expect(frame[0]).toBe(0x81);
      expect(frame[1] & 0x80).toBe(0x80); // MASK bit set
      const key = frame.subarray(2, 6);
      keys.add(key.toString('hex'));
      const payload = Buffer.from(frame.subarray(6).map((byte, i) => byte ^ key[i % 4]));
      expect(payload.toString()).toBe('same payload');
    }
    // 200 random 32-bit keys: a repeat is possible but vanishingly rare.
    expect(keys.size).toBeGreaterThanOrEqual(199);
  });

  it('draws masking keys from a pool without repeating a window', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const key = nextMaskKey();
      expect(key.length).toBe(4);
      keys.add(Buffer.from(key).toString('hex'));
    }
    expect(keys.size).toBeGreaterThan(4990);
  });

  it('a new Sec-WebSocket-Key per connection', async () => {
    const keys: string[] = [];
    const { url } = await rawServer(({ socket, key }) => {
      keys.push(key);
      socket.write(accept(key));
    });
    for (let i = 0; i < 3; i++) (await connect(url)).terminate();
    expect(new Set(keys).size).toBe(3);
  });
});

describe('redirects', () => {
  function redirector(status: number, location: string) {
    return rawServer(({ socket }) => {
      socket.end(`HTTP/1.1 ${status} Moved\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`);
    });
  }

  it('are not followed by default', async () => {
    const { url: target } = await echoServer();
    const { url } = await redirector(302, `${target}/there`);
    const { error } = await failure(new WebSocket(url));
    expect(error.message).toBe('Unexpected server response: 302');
  });

  it.each([301, 302, 307, 308])('%i is followed with followRedirects, to a relative or absolute Location', async (status) => {
    const { url: target, requests } = await echoServer();
    const { url } = await redirector(status, `${target}/final?x=1`);
    const ws = await connect(url, { followRedirects: true });
    expect(requests[0].url).toBe('/final?x=1');
    ws.send('after redirect');
    expect((await nextMessage(ws)).data.toString()).toBe('after redirect');
    ws.terminate();
  });

  it('follows a relative Location on the same host', async () => {
    let hops = 0;
    const { url } = await rawServer(({ socket, key, text }) => {
      hops++;
      if (text.startsWith('GET /start ')) socket.end('HTTP/1.1 307 Temporary\r\nLocation: /end\r\n\r\n');
      else socket.write(accept(key));
    });
    const ws = await connect(`${url}/start`, { followRedirects: true });
    expect(hops).toBe(2);
    ws.terminate();
  });

  it('stops after maxRedirects', async () => {
    const { url } = await rawServer(({ socket }) => socket.end('HTTP/1.1 302 Found\r\nLocation: /again\r\n\r\n'));
    const { error, code } = await failure(new WebSocket(url, [], { followRedirects: true, maxRedirects: 3 }));
    expect(error.message).toBe('Maximum redirects exceeded');
    expect(code).toBe(1006);
  });

  it('drops credentials when the redirect goes to another host', async () => {
    const { port, requests } = await echoServer();
    const { url } = await rawServer(({ socket }) => socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://localhost:${port}/\r\n\r\n`));
    const ws = await connect(url, { followRedirects: true, headers: { Authorization: 'Bearer t', Cookie: 'c=1', 'X-Keep': 'k' } });
    expect(requests[0].headers.authorization).toBeUndefined();
    expect(requests[0].headers.cookie).toBeUndefined();
    expect(requests[0].headers['x-keep']).toBe('k');
    ws.terminate();
  });

  it('takes a redirect without a Location as an unexpected response', async () => {
    const { url } = await rawServer(({ socket }) => socket.end('HTTP/1.1 301 Moved\r\n\r\n'));
    const { error } = await failure(new WebSocket(url, [], { followRedirects: true }));
    expect(error.message).toBe('Unexpected server response: 301');
  });
});
