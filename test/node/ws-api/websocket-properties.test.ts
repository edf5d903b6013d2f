/**
 * doc/ws.md, "Class: WebSocket": the ready state constants, and the attributes (`binaryType`,
 * `bufferedAmount`, `extensions`, `isPaused`, `protocol`, `readyState`, `url`) with the property
 * descriptors `ws` gives them.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocket } from '../../../src/index.js';
import { openPair, openWithWs, startServer, wsmithClient } from './support.js';

const CONSTANTS = [
  ['CONNECTING', 0],
  ['OPEN', 1],
  ['CLOSING', 2],
  ['CLOSED', 3],
] as const;

const ATTRIBUTES = ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url'];

describe('ready state constants', () => {
  it.each(CONSTANTS)('%s is %i on the class and the prototype: enumerable, read-only, as ws defines it', (name, value) => {
    for (const target of [WebSocket, WebSocket.prototype]) {
      expect(Object.getOwnPropertyDescriptor(target, name)).toEqual({
        value,
        enumerable: true,
        writable: false,
        configurable: false,
      });
      // The same descriptor as ws's own.
      const wsTarget = target === WebSocket ? WsClient : WsClient.prototype;
      expect(Object.getOwnPropertyDescriptor(target, name)).toEqual(Object.getOwnPropertyDescriptor(wsTarget, name));
    }
  });

  it('assigning a constant does not change it (a TypeError in strict mode)', async () => {
    const { server } = await openPair();
    expect(() => {
      (WebSocket as unknown as { OPEN: number }).OPEN = 5;
    }).toThrow(TypeError);
    expect(() => {
      (server as unknown as { OPEN: number }).OPEN = 5;
    }).toThrow(TypeError);
    expect([WebSocket.OPEN, server.OPEN]).toEqual([1, 1]);
  });
});

describe('attributes', () => {
  it.each(ATTRIBUTES)('%s is an enumerable accessor on the prototype, not an own property', async (name) => {
    const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
    expect(descriptor.enumerable).toBe(true);
    expect(typeof descriptor.get).toBe('function');
    const wsDescriptor = Object.getOwnPropertyDescriptor(WsClient.prototype, name)!;
    expect(descriptor.enumerable).toBe(wsDescriptor.enumerable);
    expect(typeof descriptor.set).toBe(typeof wsDescriptor.set); // only binaryType has a setter
    const { server } = await openPair();
    expect(Object.keys(server)).not.toContain(name);
  });

  it.each(['onopen', 'onmessage', 'onerror', 'onclose'])('%s is an enumerable accessor pair on the prototype', (name) => {
    const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
    expect(descriptor.enumerable).toBe(true);
    expect(typeof descriptor.get).toBe('function');
    expect(typeof descriptor.set).toBe('function');
  });

  it('a server-side socket: OPEN, no url (undefined), no protocol or extensions, nodebuffer, not paused', async () => {
    const { server } = await openPair();
    expect(server.readyState).toBe(WebSocket.OPEN);
    expect(server.url).toBeUndefined();
    expect(server.protocol).toBe('');
    expect(server.extensions).toBe('');
    expect(server.binaryType).toBe('nodebuffer');
    expect(server.isPaused).toBe(false);
    expect(server.bufferedAmount).toBe(0);
  });

  it('a client: CONNECTING with its url until open, then OPEN with the subprotocol the server chose', async () => {
    const { url, wss } = await startServer({ handleProtocols: (offered) => (offered.has('b') ? 'b' : false) });
    const client = wsmithClient(`${url}/path?q=1`, {}, ['a', 'b']);
    expect(client.readyState).toBe(WebSocket.CONNECTING);
    expect(client.url).toBe(`${url}/path?q=1`);
    expect(client.protocol).toBe('');
    expect(client.bufferedAmount).toBe(0);
    const [[server]] = await Promise.all([once(wss, 'connection'), once(client, 'open')]);
    expect(client.readyState).toBe(WebSocket.OPEN);
    expect(client.protocol).toBe('b');
    expect((server as WebSocket).protocol).toBe('b');
  });

  it('url reads http: and https: as ws: and wss:, normalised as ws does', async () => {
    const { port } = await startServer();
    const client = wsmithClient(`http://127.0.0.1:${port}`);
    expect(client.url).toBe(`ws://127.0.0.1:${port}/`);
    const ws = new WsClient(`http://127.0.0.1:${port}`);
    ws.on('error', () => {});
    expect(client.url).toBe(ws.url);
    ws.terminate();
    await once(client, 'open');
  });

  it('readyState: CLOSING after close() and after terminate() until the close event, CLOSED from then on', async () => {
    const { server, client } = await openPair();
    const states: number[] = [];
    server.on('close', () => states.push(server.readyState));
    client.on('close', () => states.push(client.readyState));
    const closed = Promise.all([once(server, 'close'), once(client, 'close')]);
    server.close(1000);
    expect(server.readyState).toBe(WebSocket.CLOSING);
    await closed;
    expect(states).toEqual([WebSocket.CLOSED, WebSocket.CLOSED]);

    const other = await openPair();
    const terminated = once(other.client, 'close');
    other.client.terminate();
    expect(other.client.readyState).toBe(WebSocket.CLOSING);
    await terminated;
    expect(other.client.readyState).toBe(WebSocket.CLOSED);
  });

  it('readyState agrees with ws at every step of a closing handshake the peer starts', async () => {
    const { server, peer } = await openWithWs();
    const seen: number[] = [];
    server.on('close', () => seen.push(server.readyState));
    peer.close(4000);
    await once(server, 'close');
    expect(seen).toEqual([WebSocket.CLOSED]);
  });
});
