// WebSockets over HTTP/2 (RFC 8441) with real peers: headless Chromium, which opens a
// WebSocket as a stream of the HTTP/2 connection its page came over, and undici's WebSocket
// with allowH2. The server side proves the socket came over HTTP/2 (the request's httpVersion).
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { Agent, WebSocket as UndiciWebSocket } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { WebSocketServer } from '../../src/index.js';
import { hasOpenssl, localhostCertificate } from '../support/certificates.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED: Chromium over HTTP/2: ${CHROMIUM} is missing`);
if (!hasOpenssl) console.warn('SKIPPED: HTTP/2 interop: /usr/bin/openssl is missing');

describeWithPeers({ openssl: hasOpenssl, chromium: hasChromium })('WebSockets over HTTP/2 with real peers', () => {
  let server: Http2SecureServer;
  let wss: WebSocketServer;
  let port = 0;
  let ca: Buffer;
  const requests: IncomingMessage[] = [];
  const sessions: ServerHttp2Session[] = [];

  beforeAll(async () => {
    const pem = localhostCertificate();
    ca = pem.cert;
    server = createSecureServer({ key: pem.key, cert: pem.cert, allowHTTP1: true }, (request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(`<!doctype html><title>h2</title><p>page over HTTP/${request.httpVersion}</p>`);
    });
    server.on('session', (session) => sessions.push(session));
    // undici 7 does not end its side of the stream after the closing handshake (RFC 8441 §5 asks
    // for END_STREAM, as TCP's FIN): our end waits closeTimeout, then resets the stream.
    wss = new WebSocketServer({ server, perMessageDeflate: true, closeTimeout: 500 });
    wss.on('connection', (ws, request) => {
      requests.push(request);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('Chromium opens its WebSockets as streams of the page\'s HTTP/2 connection', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      // A self-signed certificate: the browser is told to accept it. Chromium has taken
      // WebSockets over HTTP/2 by default since version 91 (it needs the server's SETTINGS).
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--ignore-certificate-errors'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`https://localhost:${port}/`);
      expect(await page.textContent('p')).toBe('page over HTTP/2.0');
      const before = requests.length;
      const sessionsBefore = sessions.length;
      const results = await page.evaluate(
        (url) =>
          Promise.all(
            [1, 2, 3].map(
              (n) =>
                new Promise<string>((resolve, reject) => {
                  const ws = new WebSocket(`${url}/socket-${n}`);
                  ws.onerror = () => reject(new Error('WebSocket error'));
                  ws.onopen = () => ws.send(`hello ${n} `.repeat(200));
                  ws.onmessage = (event) => {
                    resolve(`${(event.data as string).slice(0, 7)}|${ws.extensions}`);
                    ws.close(1000);
                  };
                }),
            ),
          ),
        `wss://localhost:${port}`,
      );
      expect(results).toEqual([1, 2, 3].map((n) => `hello ${n}|permessage-deflate; server_no_context_takeover; client_no_context_takeover`));
      const ours = requests.slice(before);
      expect(ours.map((r) => [r.httpVersion, r.method])).toEqual([
        ['2.0', 'CONNECT'],
        ['2.0', 'CONNECT'],
        ['2.0', 'CONNECT'],
      ]);
      expect(sessions.length).toBe(sessionsBefore); // no new connection: the page's own
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('undici\'s WebSocket with allowH2', async () => {
    const before = requests.length;
    const dispatcher = new Agent({ allowH2: true, connect: { ca } });
    // 127.0.0.1, not localhost: undici does not try IPv4 after ::1 is refused.
    const ws = new UndiciWebSocket(`wss://127.0.0.1:${port}/undici`, { dispatcher });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', (event) => reject(new Error(`undici: ${String((event as { message?: string }).message)}`)), { once: true });
    });
    const reply = new Promise<string>((resolve) => ws.addEventListener('message', (event) => resolve(String(event.data)), { once: true }));
    ws.send('hello from undici');
    expect(await reply).toBe('hello from undici');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const closed = new Promise<number>((resolve) => ws.addEventListener('close', (event) => resolve(event.code), { once: true }));
    ws.close(1000);
    expect(await closed).toBe(1000);
    expect(requests.slice(before).map((r) => r.httpVersion)).toEqual(['2.0']);
    await dispatcher.close();
  }, 30_000);
});
