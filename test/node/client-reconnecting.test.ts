import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingWebSocket, WebSocket, WebSocketServer } from '../../src/index.js';
import { backoffDelay } from '../../src/node/reconnecting.js';
import { until } from '../support/until.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A server that records what it receives; it can be stopped and started again on the same port. */
class RestartableServer {
  received: string[] = [];
  connections = 0;
  port = 0;
  private wss: WebSocketServer | null = null;

  async start(): Promise<void> {
    const wss = new WebSocketServer({ port: this.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => {
      this.connections++;
      ws.on('message', (data) => this.received.push(data.toString()));
    });
    this.wss = wss;
  }

  /** Stop as a crashing server would: connections cut without a closing handshake. */
  async stop(): Promise<void> {
    const wss = this.wss;
    if (wss === null) return;
    this.wss = null;
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  get clients(): Set<WebSocket> {
    return this.wss?.clients ?? new Set();
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
}

async function server(): Promise<RestartableServer> {
  const s = new RestartableServer();
  await s.start();
  cleanups.push(() => s.stop());
  return s;
}

function reconnecting(url: string, options: ConstructorParameters<typeof ReconnectingWebSocket>[2] = {}): ReconnectingWebSocket {
  const rws = new ReconnectingWebSocket(url, undefined, { minDelay: 5, maxDelay: 40, ...options });
  rws.on('error', () => {}); // refused attempts are expected here
  cleanups.push(() => rws.close());
  return rws;
}

function once<T extends unknown[]>(emitter: { once(event: string, listener: (...args: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}


describe('backoffDelay (full jitter above a floor)', () => {
  it('lies between minDelay and min(maxDelay, minDelay * 2^attempt)', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(100);
    expect(backoffDelay(1, 100, 10_000, () => 0.999_999)).toBe(200);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(450);
    expect(backoffDelay(30, 100, 10_000, () => 0.999_999)).toBe(10_000);
    expect(backoffDelay(2000, 100, 10_000, () => 0)).toBe(100);
  });

  it('never leaves [minDelay, maxDelay], and spreads its delays', () => {
    const seen = new Set<number>();
    for (let attempt = 1; attempt < 40; attempt++) {
      for (let i = 0; i < 20; i++) {
        const delay = backoffDelay(attempt, 50, 5_000);
        expect(delay).toBeGreaterThanOrEqual(50);
        expect(delay).toBeLessThanOrEqual(5_000);
        seen.add(delay);
      }
    }
    expect(seen.size).toBeGreaterThan(100);
  });

  it('stays within maxDelay when minDelay is larger', () => {
    expect(backoffDelay(1, 500, 100, () => 0.7)).toBe(100);
  });
});

describe('ReconnectingWebSocket', () => {
  it('reconnects after the server is stopped and restarted, and flushes the queue in order', async () => {
    const s = await server();
    const random = () => 0.5;
    const rws = reconnecting(s.url, { random });
    const events: string[] = [];
    rws.on('open', () => events.push('open'));
    rws.on('close', (code, _reason, willReconnect) => events.push(`close ${code} ${willReconnect}`));
    rws.on('reconnecting', (attempt, delay) => events.push(`reconnecting ${attempt} ${delay}`));
    rws.on('reconnected', () => events.push('reconnected'));
    await once(rws, 'open');
    rws.send('before');
    await until(() => s.received.length === 1);

    await s.stop();
    await until(() => rws.readyState === WebSocket.CONNECTING);
    // While the server is down: queued, not lost.
    rws.send('queued 1');
    rws.send(Buffer.from('queued 2'));
    expect(rws.bufferedAmount).toBe(16);
    await until(() => events.filter((e) => e.startsWith('reconnecting')).length >= 2);

    await s.start();
    await once(rws, 'reconnected');
    rws.send('after');
    await until(() => s.received.length === 4);
    expect(s.received).toEqual(['before', 'queued 1', 'queued 2', 'after']);
    expect(s.connections).toBe(2); // one before the stop, one after the restart
    expect(rws.readyState).toBe(WebSocket.OPEN);
    expect(rws.bufferedAmount).toBeLessThan(16);

    // The first loss is a 1006; each refused attempt closes too; delays follow the backoff.
    expect(events[0]).toBe('open');
    expect(events[1]).toBe('close 1006 true');
    expect(events[2]).toBe(`reconnecting 1 ${backoffDelay(1, 5, 40, random)}`);
    expect(events).toContain(`reconnecting 2 ${backoffDelay(2, 5, 40, random)}`);
    expect(events.slice(-2)).toEqual(['open', 'reconnected']);
  });

  it('resets the attempt count once connected again', async () => {
    const s = await server();
    const rws = reconnecting(s.url);
    const attempts: number[] = [];
    rws.on('reconnecting', (attempt) => attempts.push(attempt));
    await once(rws, 'open');
    for (const client of s.clients) client.terminate();
    await once(rws, 'reconnected');
    for (const client of s.clients) client.terminate();
    await once(rws, 'reconnected');
    expect(attempts).toEqual([1, 1]);
  });

  it('reconnects after a close the server starts, even a normal one', async () => {
    const s = await server();
    const rws = reconnecting(s.url);
    await once(rws, 'open');
    for (const client of s.clients) client.close(1000, 'restart');
    const [code, reason, willReconnect] = await once<[number, Buffer, boolean]>(rws, 'close');
    expect([code, reason.toString(), willReconnect]).toEqual([1000, 'restart', true]);
    await once(rws, 'reconnected');
  });

  it('does not reconnect after the user closes with 1000', async () => {
    const s = await server();
    const rws = reconnecting(s.url);
    let reconnectingEvents = 0;
    rws.on('reconnecting', () => reconnectingEvents++);
    await once(rws, 'open');
    await until(() => s.clients.size === 1);
    const [serverSide] = s.clients;
    const serverSaw = once<[number, Buffer]>(serverSide, 'close');
    rws.close(1000, 'done');
    const [code, , willReconnect] = await once<[number, Buffer, boolean]>(rws, 'close');
    expect(code).toBe(1000);
    expect(willReconnect).toBe(false);
    expect((await serverSaw)[0]).toBe(1000);
    await new Promise((resolve) => setTimeout(resolve, 60)); // longer than maxDelay
    expect(reconnectingEvents).toBe(0);
    expect(s.connections).toBe(1);
    expect(rws.readyState).toBe(WebSocket.CLOSED);
    expect(() => rws.send('late')).toThrow(/closed/);
  });

  it('stops after maxRetries failed attempts', async () => {
    const s = await server();
    await s.stop(); // nothing listens there any more
    const rws = reconnecting(s.url, { maxRetries: 3 });
    const attempts: number[] = [];
    rws.on('reconnecting', (attempt) => attempts.push(attempt));
    let lastClose: [number, Buffer, boolean] | null = null;
    rws.on('close', (...args) => (lastClose = args));
    rws.send('never sent', (error) => attempts.push(error === undefined ? -1 : -2));
    await until(() => rws.readyState === WebSocket.CLOSED);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(attempts).toEqual([1, 2, 3, -2]);
    expect(lastClose![2]).toBe(false);
  });

  it('bounds the queue: a send past maxQueuedBytes fails, to the callback or as a throw', async () => {
    const s = await server();
    await s.stop();
    const rws = reconnecting(s.url, { maxQueuedBytes: 10 });
    rws.send('12345678');
    const error = await new Promise<Error | undefined>((resolve) => rws.send('abc', resolve));
    expect(error?.message).toMatch(/Send queue full: 8 bytes waiting, 3 more would exceed maxQueuedBytes \(10\)/);
    expect((error as Error & { code?: string }).code).toBe('WS_ERR_QUEUE_FULL');
    expect(() => rws.send(Buffer.alloc(3))).toThrow(RangeError);
    rws.send('90'); // exactly at the limit
    expect(rws.bufferedAmount).toBe(10);
  });

  it('user close while waiting to retry: final, and queued callbacks get an error', async () => {
    const s = await server();
    await s.stop();
    const rws = reconnecting(s.url, { minDelay: 1000, maxDelay: 1000 });
    await once(rws, 'reconnecting');
    const dropped = new Promise<Error | undefined>((resolve) => rws.send('x', resolve));
    const closing = once<[number, Buffer, boolean]>(rws, 'close');
    rws.close();
    expect((await dropped)?.message).toMatch(/closed before the message could be sent/);
    expect((await closing)[2]).toBe(false);
    expect(rws.readyState).toBe(WebSocket.CLOSED);
  });

  it('forwards messages and the negotiated subprotocol', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'v1' });
    await once(wss, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (ws) => ws.send('welcome'));
    const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, ['v1'], { minDelay: 5 });
    cleanups.push(() => rws.close());
    const [data, isBinary] = await once<[Buffer, boolean]>(rws, 'message');
    expect([data.toString(), isBinary, rws.protocol]).toEqual(['welcome', false, 'v1']);
  });
});
