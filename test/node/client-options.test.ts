// The client's options and arguments as `ws` reads them: what throws and with which message, what
// `url` says, ws+unix: URLs, protocolVersion, the handshake's own headers, the connection options
// passed through to node:net (lookup, localAddress, signal), generateMask and autoPong. Each runs
// on `ws`'s client and on wsmith's.
import { mkdtempSync, rmSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocket } from '../../src/index.js';
import { CLIENTS, accept, cleanups, newClient, rawServer, record, type ClientClass } from './support/client-peers.js';

/** What constructing throws: the error's class, message and code; or 'no error'. */
function thrownBy(Client: ClientClass, args: unknown[]): string {
  try {
    const ws = new Client(...(args as [string]));
    ws.on('error', () => {});
    ws.terminate();
    return 'no error';
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    return `${(error as Error).constructor.name}${code === undefined ? '' : ` [${code}]`}: ${(error as Error).message}`;
  }
}

describe('constructor arguments: the same errors as ws, thrown synchronously', () => {
  it.each<[string, unknown[]]>([
    ['an unparsable URL', ['http//nope']],
    ['another scheme', ['ftp://127.0.0.1/']],
    ['a fragment', ['ws://127.0.0.1/#top']],
    ['an empty trailing fragment', ['ws://127.0.0.1/#']],
    ['ws+unix: without a path', ['ws+unix:']],
    ['a duplicated subprotocol', ['ws://127.0.0.1:1/', ['chat', 'chat']]],
    ['an invalid subprotocol', ['ws://127.0.0.1:1/', ['a b']]],
    ['an unsupported protocolVersion', ['ws://127.0.0.1:1/', { protocolVersion: 9 }]],
    ['protocolVersion 8', ['ws://127.0.0.1:1/', { protocolVersion: 8 }]],
    ['an invalid header name', ['ws://127.0.0.1:1/', { headers: { 'a b': 'x' } }]],
    ['a header value with a newline', ['ws://127.0.0.1:1/', { headers: { 'X-A': 'a\nb' } }]],
    ['an undefined header value', ['ws://127.0.0.1:1/', { headers: { 'X-A': undefined } }]],
  ])('%s', (_name, args) => {
    const expected = thrownBy(WsClient as unknown as ClientClass, args);
    expect(thrownBy(WebSocket as unknown as ClientClass, args)).toBe(expected);
  });

  it('the expectations above are ws\'s real answers', () => {
    expect(thrownBy(WsClient as unknown as ClientClass, ['ftp://x/'])).toBe(
      'SyntaxError: The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"',
    );
    expect(thrownBy(WsClient as unknown as ClientClass, ['ws://x/', { headers: { 'a b': 'x' } }])).toBe(
      'TypeError [ERR_INVALID_HTTP_TOKEN]: Header name must be a valid HTTP token ["a b"]',
    );
  });
});

describe('url: the address normalised as ws gives it', () => {
  it.each([
    'HTTP://LocalHost:80/a b?x=1#',
    'https://127.0.0.1:443',
    'ws://[::1]:8080/p?q',
    'wss://user:pass@example.com/chat',
    new URL('ws://127.0.0.1:9/from-a-URL'),
    'ws+unix:/tmp/app.sock:/chat?room=1',
  ])('%s', (address) => {
    const read = ([, Client]: [string, ClientClass]): string => {
      const ws = new Client(address);
      ws.on('error', () => {});
      ws.terminate();
      return ws.url;
    };
    const [theirs, ours] = CLIENTS.map(read);
    expect(ours).toBe(theirs);
  });
});

describe.each(CLIENTS)('%s: connection options', (_name, Client) => {
  it('ws+unix: dials the Unix socket, sends the path after ":" and Host: localhost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsmith-unix-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'app.sock');
    const { requests } = await rawServer(({ socket, key }) => socket.write(accept(key)), path);
    const ws = newClient(Client, `ws+unix:${path}:/chat?room=1`);
    await new Promise((resolve) => ws.once('open', resolve));
    expect([requests[0].requestLine, requests[0].headers.get('host')]).toEqual(['GET /chat?room=1 HTTP/1.1', 'localhost']);
    const bare = newClient(Client, `ws+unix:${path}`);
    await new Promise((resolve) => bare.once('open', resolve));
    expect(requests[1].requestLine).toBe('GET / HTTP/1.1');
  });

  it('protocolVersion 8 sends Sec-WebSocket-Version: 8 and the origin as Sec-WebSocket-Origin', async () => {
    const { url, requests } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const ws = newClient(Client, url, [], { protocolVersion: 8, origin: 'http://app.example' });
    await new Promise((resolve) => ws.once('open', resolve));
    const headers = requests[0].headers;
    expect([headers.get('sec-websocket-version'), headers.get('sec-websocket-origin'), headers.get('origin')]).toEqual([
      '8',
      'http://app.example',
      undefined,
    ]);
  });

  it("the handshake's own headers win over the same names in headers", async () => {
    const { url, requests } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const headers = { Upgrade: 'h2c', connection: 'close', 'Sec-WebSocket-Key': 'x', 'sec-websocket-version': '7', 'X-Mine': 'kept' };
    const ws = newClient(Client, url, [], { headers });
    await new Promise((resolve) => ws.once('open', resolve));
    const seen = requests[0].headers;
    expect([seen.get('upgrade'), seen.get('connection'), seen.get('sec-websocket-version'), seen.get('x-mine')]).toEqual([
      'websocket',
      'Upgrade',
      '13',
      'kept',
    ]);
    expect(seen.get('sec-websocket-key')).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });

  it('lookup goes to the connection: a made-up name resolves where the application says', async () => {
    const { port } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const asked: string[] = [];
    const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      asked.push(hostname);
      if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    const ws = newClient(Client, `ws://wsmith.invalid:${port}/`, [], { lookup, family: 4 });
    await new Promise((resolve) => ws.once('open', resolve));
    expect(asked).toEqual(['wsmith.invalid']);
  });

  it('localAddress goes to the connection', async () => {
    const { url, requests } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const ws = newClient(Client, url, [], { localAddress: '127.0.0.1' });
    await new Promise((resolve) => ws.once('open', resolve));
    expect(requests[0].socket.remoteAddress).toBe('127.0.0.1');
  });

  it('an AbortSignal aborts the handshake: AbortError, then close 1006', async () => {
    const controller = new AbortController();
    const { url } = await rawServer(() => controller.abort());
    const ws = newClient(Client, url, [], { signal: controller.signal });
    expect(await record(ws).closed).toEqual(['error AbortError: The operation was aborted [2]', 'close 1006 [3]']);
  });
});

describe.each(CLIENTS)('%s: frames', (_name, Client) => {
  it('generateMask fills each masking key (here with zeros: the payload goes as it is)', async () => {
    let frame: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const { url } = await rawServer(({ socket, key }) => {
      frame = new Promise((resolve) => socket.once('data', resolve));
      socket.write(accept(key));
    });
    const ws = newClient(Client, url, [], { generateMask: (mask: Buffer) => mask.fill(0) });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('hi');
    // FIN + text, MASK + length 2, a zero key, "hi" unmasked.
    expect((await frame).toString('hex')).toBe('8182000000006869');
  });

  it.each([true, false])('autoPong %s: a pong answers the ping, or not, before the next message', async (autoPong) => {
    let received: Promise<string> = Promise.resolve('');
    const { url } = await rawServer(({ socket, key }) => {
      received = new Promise((resolve) => {
        let bytes = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          bytes = Buffer.concat([bytes, chunk]);
          // Stop at the client's text frame (opcode 1); the opcodes before it tell whether a pong came.
          const opcodes: number[] = [];
          for (let at = 0; at + 6 <= bytes.length; at += 6 + (bytes[at + 1] & 0x7f)) opcodes.push(bytes[at] & 0x0f);
          if (opcodes.includes(1)) resolve(opcodes.join(','));
        });
      });
      socket.write(accept(key));
      socket.write(Buffer.from([0x89, 0x00])); // an empty ping
    });
    const ws = newClient(Client, url, [], { autoPong });
    ws.on('ping', () => ws.send('x'));
    await new Promise((resolve) => ws.once('open', resolve));
    expect(await received).toBe(autoPong ? '10,1' : '1');
  });
});
