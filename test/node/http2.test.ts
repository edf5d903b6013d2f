/**
 * WebSockets over HTTP/2 (RFC 8441), our client and our server: over TLS with ALPN h2 (and
 * HTTP/1.1 on the same port) and over h2c; a hundred WebSockets on one HTTP/2 connection; a
 * stream reset mid-message and a GOAWAY (1006); a peer that stops reading (flow control is the
 * backpressure); a Hub holding HTTP/1.1 and HTTP/2 sockets at once; the per-connection cap.
 */
import { once } from 'node:events';
import { connect as http2Connect, createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describeWithPeers } from '../support/peers.js';
import { expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import { pooledHttp2Sessions } from '../../src/node/http2-client.js';
import { hasOpenssl } from '../support/certificates.js';
import { http2Harness } from './support/http2.js';

const harness = http2Harness();
const { cleanups, start, open, echo } = harness;

describeWithPeers({ openssl: hasOpenssl })('WebSockets over HTTP/2 (RFC 8441)', () => {
  for (const secure of [true, false]) {
    it(`${secure ? 'h2 over TLS' : 'h2c'}: echo, compression, and the close handshake both ways`, async () => {
      const running = await start(secure);
      const ws = await open(`${running.url}/chat`);
      expect(running.requests[0].httpVersion).toBe('2.0');
      expect(running.requests[0].url).toBe('/chat');
      expect(ws.extensions).toMatch(/^permessage-deflate/);
      expect(await echo(ws, 'hello'.repeat(400))).toBe('hello'.repeat(400));
      const closed = once(ws, 'close') as Promise<[number, Buffer]>;
      ws.close(4000, 'bye');
      const [code, reason] = await closed;
      expect([code, reason.toString()]).toEqual([4000, 'bye']); // the server echoes the code and reason (§5.5.1, as ws)
    });
  }

  it('the same TLS port takes HTTP/1.1 upgrades too (allowHTTP1)', async () => {
    const running = await start(true);
    const overH1 = await open(running.url, {});
    const overH2 = await open(running.url);
    expect(running.requests.map((r) => r.httpVersion)).toEqual(['1.1', '2.0']);
    expect(await echo(overH1, 'one')).toBe('one');
    expect(await echo(overH2, 'two')).toBe('two');
  });

  it('100 WebSockets share one HTTP/2 connection, each echoing and closing on its own', async () => {
    const running = await start(true);
    const sockets = await Promise.all(Array.from({ length: 100 }, () => open(running.url)));
    expect(running.sessions).toHaveLength(1);
    expect(pooledHttp2Sessions()).toBe(1);
    const replies = await Promise.all(sockets.map((ws, i) => echo(ws, `socket ${i}`)));
    expect(replies).toEqual(sockets.map((_, i) => `socket ${i}`));
    // Close the even ones; the odd ones still work on the same connection.
    await Promise.all(sockets.filter((_, i) => i % 2 === 0).map((ws) => {
      const closed = once(ws, 'close');
      ws.close(1000);
      return closed;
    }));
    const odd = sockets.filter((_, i) => i % 2 === 1);
    expect(await Promise.all(odd.map((ws, i) => echo(ws, `still ${i}`)))).toEqual(odd.map((_, i) => `still ${i}`));
    expect(running.sessions).toHaveLength(1);
  });

  it('a stream reset in the middle of a message is 1006 on the server, and the other streams live on', async () => {
    const running = await start(false);
    const session = http2Connect(running.url.replace('ws:', 'http:'));
    cleanups.push(() => session.destroy());
    await once(session, 'remoteSettings');
    const open = (path: string) =>
      session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': path, ':authority': 'localhost', 'sec-websocket-version': '13' }, { endStream: false });
    const doomed = open('/doomed');
    const survivor = open('/survivor');
    await Promise.all([once(doomed, 'response'), once(survivor, 'response')]);
    const serverSides = await new Promise<WebSocket[]>((resolve) => {
      const found = [...running.wss.clients];
      if (found.length === 2) resolve(found);
      else running.wss.on('connection', () => running.wss.clients.size === 2 && resolve([...running.wss.clients]));
    });
    const doomedServer = serverSides.find((_, i) => running.requests[i].url === '/doomed')!;
    const closed = once(doomedServer, 'close') as Promise<[number]>;
    // Half of a masked binary frame of 100 bytes, then RST_STREAM (CANCEL).
    doomed.write(Buffer.concat([Buffer.from([0x82, 0x80 | 100, 1, 2, 3, 4]), Buffer.alloc(50)]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    doomed.close(0x8);
    expect((await closed)[0]).toBe(1006);
    // The survivor echoes: a masked "ok" (key 0) comes back unmasked.
    const reply = once(survivor, 'data') as Promise<[Buffer]>;
    survivor.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x6f, 0x6b]));
    expect((await reply)[0]).toEqual(Buffer.from([0x81, 0x02, 0x6f, 0x6b]));
  });

  it('a GOAWAY from the server ends every WebSocket of that connection with 1006', async () => {
    const running = await start(true);
    const sockets = await Promise.all([open(running.url), open(running.url)]);
    const codes = sockets.map((ws) => once(ws, 'close') as Promise<[number]>);
    running.sessions[0].destroy();
    expect((await Promise.all(codes)).map(([code]) => code)).toEqual([1006, 1006]);
  });

  it('a peer that stops reading: the stream window is the backpressure, and our memory stays bounded', async () => {
    const running = await start(false, { perMessageDeflate: false });
    const session = http2Connect(running.url.replace('ws:', 'http:'), { settings: { initialWindowSize: 65_535 } });
    cleanups.push(() => session.destroy());
    await once(session, 'remoteSettings');
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/', ':authority': 'localhost', 'sec-websocket-version': '13' }, { endStream: false });
    await once(stream, 'response');
    stream.pause(); // never reads: the server's window closes
    await new Promise((resolve) => (running.wss.clients.size === 1 ? resolve(null) : running.wss.once('connection', resolve)));
    const [server] = [...running.wss.clients];
    // The peer sends 16 MiB of 64 KiB messages that the server echoes into a closed window.
    const message = Buffer.concat([Buffer.from([0x82, 0xfe, 0x00, 0x00, 0, 0, 0, 0]), Buffer.alloc(0xffff - 3)]);
    message.writeUInt16BE(0xffff - 3, 2);
    let maxBuffered = 0;
    for (let i = 0; i < 256; i++) {
      const accepted = stream.write(message);
      maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
      if (!accepted) {
        const drained = await Promise.race([once(stream, 'drain').then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 300))]);
        if (!drained) break; // our side stopped reading the peer: its writes block
      }
    }
    maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    // Read pause at 1 MiB of unsent echoes (plus what one read produces): far below 16 MiB.
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThan(2 * 1024 * 1024);
  });

  it('caps the WebSocket streams of one HTTP/2 connection (429 beyond maxStreamsPerConnection)', async () => {
    const running = await start(true, { maxStreamsPerConnection: 3 });
    await Promise.all([open(running.url), open(running.url), open(running.url)]);
    const fourth = new WebSocket(running.url, { http2: true, ca: harness.pem.cert });
    cleanups.push(() => fourth.terminate());
    const [error] = (await once(fourth, 'error')) as [Error];
    expect(error.message).toBe('Unexpected server response: 429');
  });

  it('a Hub broadcasts to HTTP/1.1 and HTTP/2 sockets alike', async () => {
    const running = await start(true);
    const hub = new Hub({ heartbeat: false });
    running.wss.on('connection', (ws) => hub.add(ws));
    cleanups.push(() => hub.close({ timeout: 100 }));
    const clients = [await open(running.url, {}), await open(running.url), await open(running.url)];
    const received = clients.map((ws) => once(ws, 'message') as Promise<[Buffer]>);
    expect(hub.broadcast('to everyone '.repeat(200))).toBe(3);
    for (const [data] of await Promise.all(received)) expect(data.toString()).toBe('to everyone '.repeat(200));
    expect(running.requests.map((r) => r.httpVersion)).toEqual(['1.1', '2.0', '2.0']);
  });

  it('a redirect answered on an HTTP/2 stream is followed, and url names where the socket opened', async () => {
    const running = await start(true);
    // Another HTTP/2 server, taking extended CONNECT, that answers every one with a redirect.
    const mover = createSecureServer({ key: harness.pem.key, cert: harness.pem.cert, settings: { enableConnectProtocol: true } });
    mover.on('stream', (stream) => stream.respond({ ':status': 302, location: `${running.url}/new` }, { endStream: true }));
    await new Promise<void>((resolve) => mover.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => mover.close(() => resolve())));
    const old = `wss://localhost:${(mover.address() as AddressInfo).port}/old`;
    const ws = await open(old, { http2: true, followRedirects: true });
    expect(running.requests.map((r) => [r.httpVersion, r.url])).toEqual([['2.0', '/new']]);
    expect(ws.url).toBe(`${running.url}/new`);
    expect(await echo(ws, 'moved')).toBe('moved');
  });

  it('the client falls back to HTTP/1.1 when the server does not take extended CONNECT', async () => {
    const { createServer: createHttpsServer } = await import('node:https');
    const https = createHttpsServer({ key: harness.pem.key, cert: harness.pem.cert });
    const wss = new WebSocketServer({ server: https });
    const versions: string[] = [];
    wss.on('connection', (ws, request) => {
      versions.push(request.httpVersion);
      ws.on('message', (data) => ws.send(data));
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => https.close(() => resolve())));
    const ws = await open(`wss://localhost:${(https.address() as AddressInfo).port}`);
    expect(await echo(ws, 'fell back')).toBe('fell back');
    expect(versions).toEqual(['1.1']);
  });
});
