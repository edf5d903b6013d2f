// permessage-deflate (RFC 7692) against real peers, both directions, compression checked as
// negotiated AND used: the frame trace of our end must show RSV1 frames going both ways.
// Peers: ws with perMessageDeflate (its defaults keep context takeover), Python's websockets
// (compresses by default), and headless Chromium against our server.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describeWithPeers } from '../support/peers.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer, WebSocket as WsClient } from 'ws';
import { WebSocket, WebSocketServer } from '../../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const MESSAGE = JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ id: i, text: `message number ${i}` })));
const BINARY = Buffer.alloc(100_000, 7);

/** Trace lines of our end, and whether compressed frames went each way. */
function tracer(): { lines: string[]; sink: (line: string) => void; compressedBothWays: () => boolean } {
  const lines: string[] = [];
  return {
    lines,
    sink: (line) => lines.push(line),
    compressedBothWays: () => lines.some((l) => / <- .*RSV1/.test(l)) && lines.some((l) => / -> .*RSV1/.test(l)),
  };
}

async function ourEchoServer(trace: (line: string) => void): Promise<{ url: string; port: number; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true, trace });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}`, port, wss };
}

/** Echo both messages through `ws` (an open client of either library) and check them. */
async function exchange(ws: WebSocket | WsClient): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const text = once(ws as WebSocket, 'message') as Promise<[Buffer, boolean]>;
    ws.send(MESSAGE);
    const [data, isBinary] = await text;
    expect([Buffer.from(data).toString(), isBinary]).toEqual([MESSAGE, false]);
    const binary = once(ws as WebSocket, 'message') as Promise<[Buffer, boolean]>;
    ws.send(BINARY);
    const [bytes, binaryFlag] = await binary;
    expect(Buffer.from(bytes).equals(BINARY) && binaryFlag).toBe(true);
  }
}

describe('permessage-deflate with ws', () => {
  it('our client -> ws server (its defaults: context takeover both ways)', async () => {
    const server = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    await once(server, 'listening');
    server.on('connection', (peer) => peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary })));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const trace = tracer();
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { trace: trace.sink });
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    await exchange(ws);
    expect(trace.compressedBothWays()).toBe(true);
  });

  it('ws client -> our server (our default: no context takeover, answered to ws)', async () => {
    const trace = tracer();
    const { url } = await ourEchoServer(trace.sink);
    const ws = new WsClient(url, { perMessageDeflate: { threshold: 0 } });
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    await exchange(ws);
    expect(trace.compressedBothWays()).toBe(true);
  });
});

const PYTHON = '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'import websockets'], { encoding: 'utf8' }).status === 0;
if (!hasPython) console.warn(`SKIPPED: Python compression interop: ${PYTHON} cannot import websockets`);
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));

describeWithPeers({ 'python3-websockets': hasPython })('permessage-deflate with Python websockets (it compresses by default)', () => {
  it('Python client -> our server: messages compressed both ways', async () => {
    const trace = tracer();
    const { url } = await ourEchoServer(trace.sink);
    const child = spawn(PYTHON, [`${SCRIPTS}compress_client.py`, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [status] = (await once(child, 'close')) as [number];
    expect(status).toBe(0);
    expect(JSON.parse(output)).toEqual({ extensions: ['permessage-deflate'], ok: true });
    expect(trace.compressedBothWays()).toBe(true);
  }, 60_000);

  it('our client -> Python server: messages compressed both ways', async () => {
    const child = spawn(PYTHON, [`${SCRIPTS}echo_server.py`], { stdio: ['pipe', 'pipe', 'inherit'] });
    cleanups.push(() => child.stdin.end());
    const port = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`echo_server.py exited with ${code}`)));
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const match = /PORT (\d+)/.exec(chunk);
        if (match !== null) resolve(match[1]);
      });
    });
    const trace = tracer();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { trace: trace.sink });
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    await exchange(ws);
    expect(trace.compressedBothWays()).toBe(true);
  }, 60_000);
});

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED: Chromium compression interop: ${CHROMIUM} is missing`);

describeWithPeers({ chromium: hasChromium })('permessage-deflate with Chromium', () => {
  it('Chromium -> our server: the browser negotiates it, and messages are compressed both ways', async () => {
    const trace = tracer();
    const http = createServer((_request, response) => response.end('<!doctype html><title>compression</title>'));
    const wss = new WebSocketServer({ server: http, perMessageDeflate: true, trace: trace.sink });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
    });
    const base = `127.0.0.1:${(http.address() as AddressInfo).port}`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`http://${base}/`);
    const result = await page.evaluate(
      ({ url, message }) =>
        new Promise<{ extensions: string; echoed: boolean }>((resolve, reject) => {
          const ws = new globalThis.WebSocket(url);
          ws.onerror = () => reject(new Error('WebSocket error'));
          ws.onopen = () => ws.send(message);
          ws.onmessage = (event) => {
            resolve({ extensions: ws.extensions, echoed: event.data === message });
            ws.close(1000);
          };
        }),
      { url: `ws://${base}/`, message: MESSAGE },
    );
    expect(result.echoed).toBe(true);
    expect(result.extensions).toMatch(/^permessage-deflate/);
    expect([...wss.clients].every((ws) => ws.extensions.startsWith('permessage-deflate'))).toBe(true);
    expect(trace.compressedBothWays()).toBe(true);
  }, 60_000);
});
