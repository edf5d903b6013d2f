import { once } from 'node:events';
import { type IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { READ_PAUSE_THRESHOLD } from '../../src/node/socket-transport.js';
import type { WebSocket } from '../../src/node/websocket.js';
import { cleanups, startServer, client, nextConnection, RawPeer, upgradeRequest, maskedFrame, rawWebSocket } from './support/server.js';

describe('own port: the request head read from raw TCP', () => {
  it('a request head split across many packets, with frames right behind it, upgrades', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    const bytes = Buffer.concat([Buffer.from(upgradeRequest('/chat?x=1')), maskedFrame(0x1, 'right behind')]);
    for (let i = 0; i < bytes.length; i += 7) {
      peer.write(bytes.subarray(i, i + 7));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect((await peer.readFrame()).payload.toString()).toBe('right behind');
  });

  it('the connection handler gets an IncomingMessage with method, url, headers and rawHeaders', async () => {
    let seen: IncomingMessage | undefined;
    const { port } = await startServer({}, (_ws, request) => (seen = request));
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/room/1?token=abc', { Origin: 'http://example.test', 'X-Twice': 'a' }).replace('\r\n\r\n', '\r\nX-Twice: b\r\n\r\n'));
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect(seen?.method).toBe('GET');
    expect(seen?.url).toBe('/room/1?token=abc');
    expect(seen?.httpVersion).toBe('1.1');
    expect(seen?.headers.origin).toBe('http://example.test');
    expect(seen?.headers['x-twice']).toBe('a, b'); // joined as node:http joins them
    expect(seen?.rawHeaders).toContain('Origin');
    expect(seen?.socket.remoteAddress).toBe('127.0.0.1');
  });

  it('a malformed request line gets 400, a header line without a colon gets 400', async () => {
    const { port } = await startServer();
    const first = await RawPeer.connect(port);
    first.write('GET  HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await first.readHttpResponse()).status).toBe(400);
    const second = await RawPeer.connect(port);
    second.write('GET / HTTP/1.1\r\nHost x\r\nUpgrade: websocket\r\n\r\n');
    const response = await second.readHttpResponse();
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/malformed header line/);
  });

  it('a request head over 16 KiB gets 431 without waiting for its end', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write(`GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(20 * 1024)}`);
    expect((await peer.readHttpResponse()).status).toBe(431);
  });

  it('a client that never finishes its request head gets 408 after handshakeTimeout', async () => {
    const { port } = await startServer({ handshakeTimeout: 50 });
    const peer = await RawPeer.connect(port);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n');
    expect((await peer.readHttpResponse()).status).toBe(408);
    await peer.closed;
  });

  it('plain HTTP/1.1 requests get 426 on a kept-alive connection (pipelined too); "Connection: close" ends it', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const first = await peer.readHttpResponse();
    expect(first.status).toBe(426);
    expect(first.head).toMatch(/\r\nSec-WebSocket-Version: 13/);
    expect(first.head).not.toMatch(/Connection: close/);
    peer.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await peer.readHttpResponse()).status).toBe(426);
    const last = await peer.readHttpResponse();
    expect(last.status).toBe(426);
    expect(last.head).toMatch(/Connection: close/);
    await peer.closed;
  });

  it('stops reading pipelined plain requests while the client reads none of the answers, then goes on', async () => {
    // Without this, a peer that only sends would make the server queue 426s without limit.
    const { port } = await startServer();
    const socket = netConnect({ port, host: '127.0.0.1' });
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');
    socket.pause(); // read none of the answers
    const request = `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(1000)}\r\n\r\n`;
    const block = Buffer.from(request.repeat(64));
    let requests = 0;
    let blocked = false;
    while (!blocked && requests * request.length < 96 * 1024 * 1024) {
      requests += 64;
      if (socket.write(block)) continue;
      // The server stopped reading once its answers backed up: our writes back up in turn.
      const drained = once(socket, 'drain').then(() => false);
      blocked = await Promise.race([drained, new Promise<boolean>((resolve) => setTimeout(resolve, 1000, true))]);
    }
    expect(blocked).toBe(true);

    // Reading again, every request gets its answer, and the connection is still usable.
    let received = 0;
    let answerLength = 0;
    let first = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (answerLength === 0) {
        first = Buffer.concat([first, chunk]);
        const end = first.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(first.toString('latin1', 0, Math.max(end, 0)));
        if (end !== -1 && length !== null) answerLength = end + 4 + Number(length[1]);
      }
      received += chunk.length;
    });
    socket.resume();
    await expect.poll(() => answerLength > 0 && received >= requests * answerLength, { timeout: 20_000 }).toBe(true);
    expect(first.toString('latin1')).toMatch(/^HTTP\/1\.1 426 /);
    expect(received).toBe(requests * answerLength);
    socket.write(upgradeRequest());
    await expect.poll(() => received > requests * answerLength, { timeout: 5000 }).toBe(true);
  }, 60_000);

  it('answers bytes that cannot be HTTP with 400 at once, not at the handshake timeout', async () => {
    const { port } = await startServer({ handshakeTimeout: 20_000 });
    const tls = await RawPeer.connect(port);
    tls.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    const response = await tls.readHttpResponse();
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/not an HTTP message/);
    const bareLf = await RawPeer.connect(port);
    bareLf.write('GET / HTTP/1.1\nHost: x\n\n');
    expect((await bareLf.readHttpResponse()).status).toBe(400);
  });

  it('an upgrade may follow a plain request on the same connection', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await peer.readHttpResponse()).status).toBe(426);
    peer.write(Buffer.concat([Buffer.from(upgradeRequest()), maskedFrame(0x1, 'after a 426')]));
    expect((await peer.readHttpResponse()).status).toBe(101);
    expect((await peer.readFrame()).payload.toString()).toBe('after a 426');
  });

  it('a path that is not ours gets 400 on our own port', async () => {
    const { port } = await startServer({ path: '/ws' });
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest('/other'));
    expect((await peer.readHttpResponse()).status).toBe(400);
  });
});

describe('a peer that does not read what its frames make us send (§10.4)', () => {
  it('a ping flood from a non-reading peer leaves bounded memory on our side, and every pong comes once it reads', async () => {
    const { port, wss } = await startServer();
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    let maxBuffered = 0;
    let pings = 0;
    server.on('ping', () => {
      pings++;
      maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    });
    peer.socket.pause(); // the peer stops reading: our pongs pile up in the kernel, then with us
    const ping = maskedFrame(0x9, Buffer.alloc(125, 0x70));
    const count = 100_000; // about 12.5 MiB of pongs: far more than loopback's socket buffers hold
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    // Written without waiting for 'drain': once we stop reading, the peer's own writes back up.
    for (let i = 0; i < count / 1000; i++) peer.socket.write(batch);
    // Our side stops reading the peer once READ_PAUSE_THRESHOLD bytes of pongs are waiting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pings).toBeLessThan(count);
    // READ_PAUSE_THRESHOLD (1 MiB) plus what one read can produce: far below the 12.7 MB sent.
    expect(maxBuffered).toBeLessThan(READ_PAUSE_THRESHOLD + 256 * 1024);
    // Now the peer reads: every ping gets its pong, in order.
    let pongs = 0;
    let pending = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      peer.socket.removeAllListeners('data');
      peer.socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 127) {
          expect(pending[0]).toBe(0x8a);
          expect(pending[1]).toBe(125);
          pending = pending.subarray(127);
          if (++pongs === count) resolve();
        }
      });
      peer.socket.resume();
    });
    await done;
    expect(pings).toBe(count);
  }, 60_000);
});
