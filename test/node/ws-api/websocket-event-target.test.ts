/**
 * doc/ws.md: "websocket.addEventListener(type, listener[, options])",
 * "websocket.removeEventListener(type, listener)", `onopen`, `onmessage`, `onerror`, `onclose`,
 * and the events they receive (type, target, data, code, reason, wasClean, error, message).
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CloseEvent, ErrorEvent, Event, MessageEvent } from '../../../src/index.js';
import { next, openPair, openWithWs, startServer, until, wsmithClient } from './support.js';

describe('addEventListener / removeEventListener', () => {
  it("'open' on a client: an Event with type and target, `this` the WebSocket", async () => {
    const { url } = await startServer();
    const client = wsmithClient(url);
    const seen = new Promise<[Event, unknown]>((resolve) =>
      client.addEventListener('open', function (this: unknown, event) {
        resolve([event, this]);
      }),
    );
    const [event, self] = await seen;
    expect(event.type).toBe('open');
    expect(event.target).toBe(client);
    expect(self).toBe(client);
  });

  it("'message': text as a string, binary as binaryType says", async () => {
    const { server, peer } = await openWithWs();
    const events: MessageEvent[] = [];
    server.addEventListener('message', (event) => events.push(event));
    peer.send('text');
    peer.send(Buffer.from([1, 2]));
    await until(() => events.length === 2);
    server.binaryType = 'arraybuffer';
    peer.send(Buffer.from([3]));
    await until(() => events.length === 3);
    expect(events.map((event) => event.type)).toEqual(['message', 'message', 'message']);
    expect(events[0].data).toBe('text');
    expect(Buffer.isBuffer(events[1].data)).toBe(true);
    expect([...(events[1].data as Buffer)]).toEqual([1, 2]);
    expect(events[2].data).toBeInstanceOf(ArrayBuffer);
    expect(events.every((event) => event.target === server)).toBe(true);
  });

  it("'close': code, reason as a string, and wasClean — true after a closing handshake, false after terminate()", async () => {
    const clean = await openPair();
    const closed = new Promise<CloseEvent>((resolve) => clean.server.addEventListener('close', resolve));
    clean.client.close(4000, 'done');
    const event = await closed;
    expect([event.type, event.code, event.reason, event.wasClean]).toEqual(['close', 4000, 'done', true]);

    const cut = await openPair();
    const cutClosed = new Promise<CloseEvent>((resolve) => cut.server.addEventListener('close', resolve));
    cut.client.terminate();
    const cutEvent = await cutClosed;
    expect([cutEvent.code, cutEvent.reason, cutEvent.wasClean]).toEqual([1006, '', false]);
  });

  it("'error': the error and its message", async () => {
    const { url } = await startServer({ verifyClient: () => false });
    const client = wsmithClient(url);
    const event = await new Promise<ErrorEvent>((resolve) => client.addEventListener('error', resolve));
    expect(event.type).toBe('error');
    expect(event.error).toBeInstanceOf(Error);
    expect(event.message).toBe((event.error as Error).message);
    expect(event.target).toBe(client);
  });

  it('an object with handleEvent is called as handleEvent (with itself as this)', async () => {
    const { server, peer } = await openWithWs();
    const handler = {
      seen: [] as unknown[],
      handleEvent(event: MessageEvent) {
        this.seen.push([event.data, this === handler]);
      },
    };
    server.addEventListener('message', handler);
    peer.send('hi');
    await until(() => handler.seen.length === 1);
    expect(handler.seen).toEqual([['hi', true]]);
  });

  it('the same listener is added once; once: true removes it after its first call', async () => {
    const { server, peer } = await openWithWs();
    const calls: string[] = [];
    const twice = (event: MessageEvent): void => void calls.push(`twice:${String(event.data)}`);
    server.addEventListener('message', twice);
    server.addEventListener('message', twice);
    server.addEventListener('message', (event) => calls.push(`once:${String(event.data)}`), { once: true });
    peer.send('a');
    peer.send('b');
    await until(() => calls.length === 3);
    expect(calls).toEqual(['twice:a', 'once:a', 'twice:b']);
    expect(server.listenerCount('message')).toBe(1);
  });

  it('removeEventListener removes the listener addEventListener added, not an attribute handler nor an on() listener', async () => {
    const { server, peer } = await openWithWs();
    const calls: string[] = [];
    const listener = (): void => void calls.push('listener');
    const attribute = (): void => void calls.push('attribute');
    const plain = (): void => void calls.push('on');
    server.addEventListener('message', listener);
    server.onmessage = attribute;
    server.on('message', plain);
    server.removeEventListener('message', attribute);
    server.removeEventListener('message', plain as never);
    server.removeEventListener('message', listener);
    peer.send('x');
    await until(() => calls.length === 2);
    expect(calls).toEqual(['attribute', 'on']);
  });

  it('types other than open, message, error and close are ignored, as in ws', async () => {
    const { server } = await openPair();
    server.addEventListener('ping' as 'message', () => {});
    server.addEventListener('drain' as 'message', () => {});
    expect(server.listenerCount('ping')).toBe(0);
    expect(server.listenerCount('drain')).toBe(0);
  });

  it("listeners of both kinds hear the same events, in the order they were added", async () => {
    const { server, peer } = await openWithWs();
    const order: string[] = [];
    server.on('message', () => order.push('on-1'));
    server.addEventListener('message', () => order.push('event-1'));
    server.onmessage = () => order.push('attribute');
    server.on('message', () => order.push('on-2'));
    peer.send('x');
    await until(() => order.length === 4);
    expect(order).toEqual(['on-1', 'event-1', 'attribute', 'on-2']);
  });
});

describe('onopen, onmessage, onerror, onclose', () => {
  it('are null until set; setting one replaces the previous handler; a non-function clears it', async () => {
    const { server, peer } = await openWithWs();
    expect([server.onopen, server.onmessage, server.onerror, server.onclose]).toEqual([null, null, null, null]);
    const calls: string[] = [];
    const first = (): void => void calls.push('first');
    const second = (event: MessageEvent): void => void calls.push(`second:${String(event.data)}`);
    server.onmessage = first;
    expect(server.onmessage).toBe(first);
    server.onmessage = second;
    expect(server.onmessage).toBe(second);
    expect(server.listenerCount('message')).toBe(1);
    peer.send('a');
    await until(() => calls.length === 1);
    server.onmessage = 'not a function' as never;
    expect(server.onmessage).toBeNull();
    expect(server.listenerCount('message')).toBe(0);
    expect(calls).toEqual(['second:a']);
  });

  it('onopen, onclose and onerror on a client get their events', async () => {
    const { url } = await startServer({ verifyClient: () => false });
    const client = wsmithClient(url);
    const seen: string[] = [];
    client.onopen = () => seen.push('open');
    client.onerror = (event) => seen.push(`error:${event.message}`);
    client.onclose = (event) => seen.push(`close:${event.code}`);
    await next(client, 'close');
    expect(seen).toEqual(['error:Unexpected server response: 401', 'close:1006']);

    const ok = await startServer();
    const opened = wsmithClient(ok.url);
    const openEvent = new Promise<Event>((resolve) => {
      opened.onopen = resolve;
    });
    expect((await openEvent).type).toBe('open');
    const closing = once(opened, 'close');
    opened.close();
    await closing;
  });
});
