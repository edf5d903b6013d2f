import { afterEach, describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, connect } from '../../src/index.js';
import { Hub } from '../../src/hub/index.js';
import { SocketTransport } from '../../src/node/socket-transport.js';
import { openMemoryConnection } from '../support/memory-socket.js';
import { startHubServer, until, type HubServer } from './helpers.js';

interface Peer {
  client: WsClient;
  server: WebSocket;
  received: { text: string; binary: boolean }[];
}

async function connectPeer(server: HubServer): Promise<Peer> {
  const connected = server.nextConnection();
  const client = new WsClient(server.url);
  const received: Peer['received'] = [];
  client.on('message', (data: Buffer, binary: boolean) => received.push({ text: data.toString(), binary }));
  await once(client, 'open');
  return { client, server: await connected, received };
}

const texts = (peer: Peer): string[] => peer.received.map((m) => m.text);

describe('Hub over real sockets', () => {
  let server: HubServer | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await server?.close();
    server = undefined;
  });

  async function peers(count: number): Promise<Peer[]> {
    const list: Peer[] = [];
    for (let i = 0; i < count; i++) {
      const peer = await connectPeer(server!);
      clients.push(peer.client);
      list.push(peer);
    }
    return list;
  }

  it('registers sockets with ids and data, and forgets them when they close', async () => {
    server = await startHubServer({ heartbeat: false }, false);
    const [a, b, c] = await peers(3);
    const { hub } = server;
    const idA = hub.add(a.server, { id: 'alice', data: { nick: 'alice' } });
    const idB = hub.add(b.server);
    expect(idA).toBe('alice');
    expect(idB).toMatch(/^[0-9a-f-]{36}$/);
    expect(hub.add(a.server)).toBe('alice'); // adding twice keeps the first id
    expect(() => hub.add(c.server, { id: 'alice' })).toThrow(/already/);
    expect(hub.size).toBe(2);
    expect(hub.get('alice')).toBe(a.server);
    expect(hub.idOf(b.server)).toBe(idB);
    expect(hub.data(a.server)).toEqual({ nick: 'alice' });
    hub.join(a.server, 'lobby');
    expect(hub.stats()).toMatchObject({ sockets: 2, rooms: 1 });
    a.client.close();
    await once(a.server, 'close');
    expect(hub.size).toBe(1);
    expect(hub.get('alice')).toBeUndefined();
    expect(hub.members('lobby')).toEqual([]);
    expect(hub.stats()).toMatchObject({ sockets: 1, rooms: 0 });
    expect(hub.join(a.server, 'lobby')).toBe(false); // closed sockets cannot join
  });

  it('broadcasts to everyone, to a room, and except one socket (by socket or by id)', async () => {
    server = await startHubServer({ heartbeat: false });
    const [a, b, c] = await peers(3);
    const { hub } = server;
    hub.join(a.server, 'red');
    hub.join(b.server, 'red');
    hub.join(b.server, 'blue');
    expect(hub.rooms(b.server).sort()).toEqual(['blue', 'red']);
    expect(hub.members('red')).toEqual([a.server, b.server]);
    expect(hub.broadcast('all')).toBe(3);
    expect(hub.broadcast('red only', { room: 'red' })).toBe(2);
    expect(hub.broadcast('red but a', { room: 'red', except: a.server })).toBe(1);
    expect(hub.broadcast('all but b', { except: hub.idOf(b.server)! })).toBe(2);
    expect(hub.broadcast('nobody', { room: 'green' })).toBe(0);
    expect(hub.leave(b.server, 'red')).toBe(true);
    expect(hub.leave(b.server, 'red')).toBe(false);
    hub.broadcast('red after b left', { room: 'red' });
    hub.broadcast('end');
    await until(() => texts(c).includes('end') && texts(b).includes('end') && texts(a).includes('end'));
    expect(texts(a)).toEqual(['all', 'red only', 'all but b', 'red after b left', 'end']);
    expect(texts(b)).toEqual(['all', 'red only', 'red but a', 'end']);
    expect(texts(c)).toEqual(['all', 'all but b', 'end']);
  });

  it('encodes a broadcast once: every receiver is handed the same Buffer', async () => {
    server = await startHubServer({ heartbeat: false });
    const list = await peers(4);
    const frames: Buffer[] = [];
    const original = SocketTransport.prototype.sendEncoded;
    const spy = vi.spyOn(SocketTransport.prototype, 'sendEncoded').mockImplementation(function (this: SocketTransport, frame) {
      frames.push(frame as Buffer);
      return original.call(this, frame);
    });
    server.hub.broadcast(Buffer.from('shared bytes'));
    spy.mockRestore();
    expect(frames).toHaveLength(4);
    for (const frame of frames) expect(frame).toBe(frames[0]);
    await until(() => list.every((peer) => peer.received.length === 1));
    for (const peer of list) expect(peer.received[0]).toEqual({ text: 'shared bytes', binary: true });
  });

  it('keeps text and binary apart, with the binary option overriding the data type', async () => {
    server = await startHubServer({ heartbeat: false });
    const [a] = await peers(1);
    server.hub.broadcast('text');
    server.hub.broadcast(Buffer.from('bytes'));
    server.hub.broadcast('text as binary', { binary: true });
    server.hub.broadcast(Buffer.from('bytes as text'), { binary: false });
    server.hub.broadcast('é€😀 UTF-8');
    await until(() => a.received.length === 5);
    expect(a.received).toEqual([
      { text: 'text', binary: false },
      { text: 'bytes', binary: true },
      { text: 'text as binary', binary: true },
      { text: 'bytes as text', binary: false },
      { text: 'é€😀 UTF-8', binary: false },
    ]);
  });

  it('sends to one socket by id', async () => {
    server = await startHubServer({ heartbeat: false });
    const [a, b] = await peers(2);
    const id = server.hub.idOf(b.server)!;
    expect(server.hub.sendTo(id, 'just you')).toBe(true);
    expect(server.hub.sendTo(id, Buffer.from([1, 2, 3]))).toBe(true);
    expect(server.hub.sendTo('nobody', 'lost')).toBe(false);
    await until(() => b.received.length === 2);
    expect(b.received[0]).toEqual({ text: 'just you', binary: false });
    expect(b.received[1].binary).toBe(true);
    expect(a.received).toEqual([]);
  });

  it('counts messages and bytes in and out, broadcasts and direct messages', async () => {
    server = await startHubServer({ heartbeat: false });
    const [a, b] = await peers(2);
    a.client.send('hello');
    b.client.send(Buffer.alloc(300));
    await until(() => server!.hub.stats().messagesIn === 2);
    server.hub.broadcast('x'); // 2 receivers, 3 bytes on the wire each
    server.hub.sendTo(server.hub.idOf(a.server)!, 'y');
    expect(server.hub.stats()).toMatchObject({
      sockets: 2,
      messagesIn: 2,
      bytesIn: 305,
      messagesOut: 3,
      bytesOut: 9,
      broadcasts: 1,
      directMessages: 1,
      drops: 0,
      slowConsumerCloses: 0,
      heartbeatTerminations: 0,
    });
    for (const value of Object.values(server.hub.stats())) expect(typeof value).toBe('number');
  });
});

describe('Hub fan-out cost', () => {
  it('a room broadcast touches the room members only: O(members), not O(rooms) or O(sockets)', async () => {
    const hub = new Hub({ heartbeat: false });
    const wss = new WebSocketServer({ noServer: true, clientTracking: false });
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 20_000; i++) {
      const { ws } = await openMemoryConnection(wss);
      sockets.push(ws);
      hub.add(ws);
      hub.join(ws, `room-${i % 2000}`);
    }
    expect(hub.stats()).toMatchObject({ sockets: 20_000, rooms: 2000 });
    // Count how often the hub looks at a socket and queues on one while it broadcasts.
    const looks = vi.spyOn(WebSocket.prototype, 'bufferedAmount', 'get');
    const sends = vi.spyOn(SocketTransport.prototype, 'sendEncoded');
    expect(hub.broadcast('hello', { room: 'room-7' })).toBe(10);
    expect({ looks: looks.mock.calls.length, sends: sends.mock.calls.length }).toEqual({ looks: 10, sends: 10 });
    looks.mockRestore();
    sends.mockRestore();
    expect(hub.broadcast('hello', { room: 'room-7', except: sockets[7] })).toBe(9);
    expect(hub.broadcast('everyone')).toBe(20_000);
    for (const ws of sockets) ws.terminate();
    await until(() => hub.size === 0);
  });
});

describe('Hub with client-role sockets', () => {
  it('gives a socket this process dialed its own masked encoding (§5.3), so a strict server accepts it', async () => {
    // A ws server stands for the remote peer: it fails any unmasked client frame with 1002.
    const remote = new WsServer({ port: 0, host: '127.0.0.1' });
    await once(remote, 'listening');
    const got: string[] = [];
    const errors: Error[] = [];
    remote.on('connection', (peer) => {
      peer.on('message', (data: Buffer) => got.push(data.toString()));
      peer.on('error', (error) => errors.push(error));
    });
    const url = `ws://127.0.0.1:${(remote.address() as AddressInfo).port}`;
    const hub = new Hub({ heartbeat: false });
    const dialed = [await connect(url), await connect(url)];
    for (const ws of dialed) hub.add(ws);
    hub.broadcast('masked for you');
    hub.sendTo(hub.idOf(dialed[1])!, 'and you');
    await until(() => got.length === 3);
    expect(got.sort()).toEqual(['and you', 'masked for you', 'masked for you']);
    expect(errors).toEqual([]);
    await hub.close({ timeout: 500 });
    await new Promise<void>((resolve) => remote.close(() => resolve()));
  });
});
