// Interop with a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) opens a page whose own WebSocket talks to our server.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../src/index.js';
import { describeWithPeers } from '../support/peers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED: browser interop: ${CHROMIUM} is missing (apt-get install chromium)`);

interface ServerEvent {
  path: string;
  origin: string | undefined;
  protocol: string;
  close?: [number, string];
}

describeWithPeers({ [`Chromium (${CHROMIUM})`]: hasChromium })('Chromium WebSocket -> our server', () => {
  let http: Server;
  let wss: WebSocketServer;
  let browser: Browser;
  let page: Page;
  let base = '';
  const events: ServerEvent[] = [];
  const waiters: Array<() => void> = [];

  beforeAll(async () => {
    http = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>wsmith interop</title><p>wsmith interop page</p>');
    });
    wss = new WebSocketServer({ server: http, handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false) });
    wss.on('connection', (ws, request) => {
      const event: ServerEvent = { path: request.url ?? '', origin: request.headers.origin, protocol: ws.protocol };
      events.push(event);
      ws.on('close', (code, reason) => {
        event.close = [code, reason.toString()];
        waiters.splice(0).forEach((wake) => wake());
      });
      if (event.path === '/server-closes') {
        ws.close(4001, 'server says bye');
        return;
      }
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.goto(`http://${base}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const client of wss?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  async function serverClose(path: string): Promise<[number, string]> {
    for (;;) {
      const close = events.find((e) => e.path === path)?.close;
      if (close !== undefined) return close;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }

  it('echoes text and binary', async () => {
    const result = await page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      const replies: unknown[] = [];
      await new Promise((resolve, reject) => {
        ws.onopen = () => {
          ws.send('hello from chromium — ünïcödé 🎉');
          ws.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
          ws.send(new Uint8Array(100_000).fill(7));
        };
        ws.onmessage = (event) => {
          replies.push(typeof event.data === 'string' ? event.data : Array.from(new Uint8Array(event.data as ArrayBuffer).slice(0, 8)).concat((event.data as ArrayBuffer).byteLength));
          if (replies.length === 3) resolve(null);
        };
        ws.onerror = () => reject(new Error('WebSocket error'));
      });
      ws.close(1000);
      return replies;
    }, `ws://${base}/echo`);
    expect(result).toEqual(['hello from chromium — ünïcödé 🎉', [0, 1, 2, 253, 254, 255, 6], [7, 7, 7, 7, 7, 7, 7, 7, 100_000]]);
    expect(events.find((e) => e.path === '/echo')?.origin).toBe(`http://${base}`);
    expect(await serverClose('/echo')).toEqual([1000, '']);
  });

  it('negotiates a subprotocol', async () => {
    const protocol = await page.evaluate(async (url) => {
      const ws = new WebSocket(url, ['chat.v1', 'chat.v2']);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('WebSocket error'));
      });
      ws.close();
      return ws.protocol;
    }, `ws://${base}/protocols`);
    expect(protocol).toBe('chat.v2');
    expect(events.find((e) => e.path === '/protocols')?.protocol).toBe('chat.v2');
  });

  it('close 4000 with a reason from the browser: both sides see it', async () => {
    const browserSaw = await page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      await new Promise((resolve) => (ws.onopen = resolve));
      const closed = new Promise<[number, string, boolean]>((resolve) => {
        ws.onclose = (event) => resolve([event.code, event.reason, event.wasClean]);
      });
      ws.close(4000, 'browser says bye');
      return closed;
    }, `ws://${base}/browser-closes`);
    expect(await serverClose('/browser-closes')).toEqual([4000, 'browser says bye']);
    expect(browserSaw).toEqual([4000, 'browser says bye', true]); // our server echoes code and reason, as ws does
  });

  it('close 4001 with a reason from the server: both sides see it', async () => {
    const browserSaw = await page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      return new Promise<[number, string, boolean]>((resolve) => {
        ws.onclose = (event) => resolve([event.code, event.reason, event.wasClean]);
      });
    }, `ws://${base}/server-closes`);
    expect(browserSaw).toEqual([4001, 'server says bye', true]);
    expect((await serverClose('/server-closes'))[0]).toBe(4001);
  });
});
