/**
 * The limits of HTTP/1.1 apply to WebSockets over HTTP/2 streams too (RFC 8441): a stream counts
 * as a connection for maxConnections and maxConnectionsPerIp, and allowedOrigins, maxPayload and
 * keepalive act on it as on a TCP connection.
 */
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { WebSocket } from '../../src/index.js';
import { hasOpenssl } from '../support/certificates.js';
import { describeWithPeers } from '../support/peers.js';
import { http2Harness } from './support/http2.js';

const harness = http2Harness();
const { cleanups, start, open } = harness;

/** Dial over HTTP/2 and wait for the handshake's failure. */
async function refusal(url: string, options: { origin?: string } = {}): Promise<string> {
  const ws = new WebSocket(url, { http2: true, ca: harness.pem.cert, ...options });
  cleanups.push(() => ws.terminate());
  const [error] = (await once(ws, 'error')) as [Error];
  return error.message;
}

describeWithPeers({ openssl: hasOpenssl })('HTTP/1.1 limits on HTTP/2 streams', () => {
  it('maxConnections counts each WebSocket stream: 503 beyond it, and a closed one frees its place', async () => {
    const running = await start(true, { maxConnections: 2 });
    const limits: string[] = [];
    running.wss.on('limit', (limit: string) => limits.push(limit));
    const first = await open(running.url);
    await open(running.url);
    expect(await refusal(running.url)).toBe('Unexpected server response: 503');
    expect(limits).toEqual(['maxConnections']);
    first.close();
    await once(first, 'close');
    await open(running.url); // its place is free again, on the same HTTP/2 connection
    expect(running.sessions.length).toBe(1);
  });

  it('maxConnectionsPerIp counts streams from one address: 429 beyond it', async () => {
    const running = await start(false, { maxConnectionsPerIp: 1 });
    await open(running.url);
    expect(await refusal(running.url)).toBe('Unexpected server response: 429');
  });

  it('allowedOrigins refuses another origin with 403 before any hook', async () => {
    let verified = 0;
    const verifyClient = (): boolean => {
      verified++;
      return true;
    };
    const running = await start(true, { allowedOrigins: ['https://good.example'], verifyClient });
    expect(await refusal(running.url, { origin: 'https://evil.example' })).toBe('Unexpected server response: 403');
    expect(verified).toBe(0);
    await open(running.url, { http2: true, origin: 'https://good.example' });
    expect(verified).toBe(1);
  });

  it('maxPayload: a message over it is failed with 1009', async () => {
    const running = await start(false, { maxPayload: 1024 });
    const ws = await open(running.url);
    const closed = once(ws, 'close') as Promise<[number]>;
    ws.send('x'.repeat(2048), { compress: false });
    expect((await closed)[0]).toBe(1009);
  });

  it('keepalive cuts a stream whose peer never answers pings (1011), and keeps one that does', async () => {
    const running = await start(true, { keepalive: { interval: 40, timeout: 40 } });
    const silent = await open(running.url, { http2: true, autoPong: false, keepalive: false });
    const answering = await open(running.url, { http2: true, keepalive: false });
    let pings = 0;
    answering.on('ping', () => pings++);
    const [code] = (await once(silent, 'close')) as [number];
    expect(code).toBe(1011);
    while (pings < 3) await once(answering, 'ping');
    expect(answering.readyState).toBe(WebSocket.OPEN);
  });
});
