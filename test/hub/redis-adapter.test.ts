// Three hub processes sharing rooms through a real redis-server (started on a free port here and
// stopped after), with WebSocket clients on each.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { WebSocket as WsClient } from 'ws';
import { Redis } from 'ioredis';
import { Hub, RedisAdapter, type NodeRedisSubscriber } from '../../src/hub/index.js';
import { FixtureProcess } from '../support/fixture-process.js';
import { REDIS_SERVER, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { until } from './helpers.js';
import { openMemoryConnection } from '../support/memory-socket.js';
import { describeWithPeers } from '../support/peers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/redis-node.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
if (!REDIS_SERVER) console.warn('skipping the RedisAdapter tests: redis-server is missing (apt-get install redis-server)');

/** A hub process and the name it reports its clients under. */
type HubNode = FixtureProcess & { readonly name: string };

async function startHubNode(redisPort: number, name: string): Promise<HubNode> {
  return Object.assign(await FixtureProcess.start(FIXTURE, [String(redisPort), name]), { name });
}

interface Client {
  id: string;
  node: string;
  socket: WsClient;
  texts: string[];
  binaries: Buffer[];
}

describeWithPeers({ 'redis-server': Boolean(REDIS_SERVER), 'dist/ (npm run build)': existsSync(DIST) })('RedisAdapter: three hub processes on a real Redis', () => {
  let redis: RedisServer;
  let nodes: HubNode[] = [];
  let clients: Client[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = [];
    clients = [];
  });

  async function connect(node: HubNode, id: string, rooms: string[]): Promise<Client> {
    const socket = new WsClient(`ws://127.0.0.1:${node.port}/?id=${id}&rooms=${rooms.join(',')}`);
    const client: Client = { id, node: node.name, socket, texts: [], binaries: [] };
    socket.on('message', (data: Buffer, binary: boolean) => {
      if (binary) client.binaries.push(data);
      else client.texts.push(data.toString());
    });
    await once(socket, 'open');
    clients.push(client);
    return client;
  }

  /** Three nodes, three clients each: x in red, y in red and blue, z in no room. */
  async function cluster(): Promise<Map<string, Client>> {
    nodes = await Promise.all(['A', 'B', 'C'].map((name) => startHubNode(redis.port, name)));
    const byId = new Map<string, Client>();
    for (const node of nodes) {
      byId.set(`${node.name}x`, await connect(node, `${node.name}x`, ['red']));
      byId.set(`${node.name}y`, await connect(node, `${node.name}y`, ['red', 'blue']));
      byId.set(`${node.name}z`, await connect(node, `${node.name}z`, []));
    }
    await Promise.all(nodes.map((node) => node.request({ type: 'sync' }, 'synced')));
    return byId;
  }

  const settle = async (): Promise<void> => {
    // Let in-flight pub/sub traffic land before checking that nothing extra arrived.
    await Promise.all(nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((node) => node.request({ type: 'sync' }, 'synced')));
    await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('delivers room broadcasts from every node to every member exactly once, in order per publisher', async () => {
    const byId = await cluster();
    const count = 300;
    await Promise.all(nodes.map((node) => node.request({ type: 'broadcast', room: 'red', count }, 'broadcasted')));
    const members = [...byId.values()].filter((c) => !c.id.endsWith('z'));
    await until(() => members.every((c) => c.texts.length >= 3 * count));
    await settle();
    for (const client of members) {
      expect(client.texts).toHaveLength(3 * count);
      for (const publisher of ['A', 'B', 'C']) {
        const fromPublisher = client.texts.filter((t) => t.startsWith(`${publisher}:`));
        expect(fromPublisher).toEqual(Array.from({ length: count }, (_, i) => `${publisher}:${i}`));
      }
    }
    for (const outsider of ['Az', 'Bz', 'Cz']) expect(byId.get(outsider)!.texts).toEqual([]);
    const stats = await nodes[0].request<{ stats: Record<string, number>; errors: string[] }>({ type: 'stats' }, 'stats');
    expect(stats.stats.broadcasts).toBe(count);
    expect(stats.stats.remoteBroadcasts).toBe(2 * count);
    expect(stats.errors).toEqual([]);
  });

  it('broadcasts to all sockets on all nodes, binary-safe, and to a room only where it has members', async () => {
    const byId = await cluster();
    await nodes[1].request({ type: 'broadcast', count: 3, binary: true }, 'broadcasted');
    await nodes[2].request({ type: 'broadcast', room: 'blue', count: 2, text: 'blue' }, 'broadcasted');
    await until(() => [...byId.values()].every((c) => c.binaries.length === 3));
    await settle();
    for (const client of byId.values()) {
      expect(client.binaries.map((b) => b.readUInt32BE(260))).toEqual([0, 1, 2]);
      for (const payload of client.binaries) {
        expect(payload.subarray(0, 256)).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
        expect(payload.toString('latin1', 256, 260)).toBe('B   ');
      }
      expect(client.texts).toEqual(client.id.endsWith('y') ? ['blue:0', 'blue:1'] : []);
    }
  });

  it('honours except across nodes, by socket id', async () => {
    const byId = await cluster();
    await nodes[0].request({ type: 'broadcast', room: 'red', except: 'Cy', count: 1, text: 'not for Cy' }, 'broadcasted');
    await nodes[0].request({ type: 'broadcast', except: 'Ax', count: 1, text: 'not for Ax' }, 'broadcasted');
    await until(() => byId.get('Bz')!.texts.length === 1 && byId.get('Cx')!.texts.length === 2);
    await settle();
    expect(byId.get('Cy')!.texts).toEqual(['not for Ax:0']);
    expect(byId.get('Ax')!.texts).toEqual(['not for Cy:0']);
    expect(byId.get('By')!.texts).toEqual(['not for Cy:0', 'not for Ax:0']);
    expect(byId.get('Az')!.texts).toEqual(['not for Ax:0']);
  });

  it('sends to a socket id on another node, once, to that socket only', async () => {
    const byId = await cluster();
    const answer = await nodes[0].request<{ local: boolean }>({ type: 'sendTo', id: 'Cz', text: 'psst' }, 'sent');
    expect(answer.local).toBe(false);
    await nodes[2].request({ type: 'sendTo', id: 'Cz', text: 'local' }, 'sent');
    await until(() => byId.get('Cz')!.texts.length === 2);
    await settle();
    for (const client of byId.values()) if (client.id !== 'Cz') expect(client.texts).toEqual([]);
    expect(byId.get('Cz')!.texts.sort()).toEqual(['local', 'psst']);
  });

  it('a node that dies does not disturb the others', async () => {
    const byId = await cluster();
    nodes[2].child.kill('SIGKILL');
    await once(nodes[2].child, 'exit');
    await nodes[0].request({ type: 'broadcast', room: 'red', count: 5 }, 'broadcasted');
    await nodes[1].request({ type: 'sendTo', id: 'Ax', text: 'still here' }, 'sent');
    const survivors = ['Ax', 'Ay', 'Bx', 'By'].map((id) => byId.get(id)!);
    await until(() => survivors.every((c) => c.texts.filter((t) => t.startsWith('A:')).length === 5));
    await until(() => byId.get('Ax')!.texts.includes('still here'));
    await settle();
    for (const client of survivors) expect(client.texts.filter((t) => t.startsWith('A:'))).toEqual(['A:0', 'A:1', 'A:2', 'A:3', 'A:4']);
    for (const node of nodes.slice(0, 2)) {
      const { errors } = await node.request<{ errors: string[] }>({ type: 'stats' }, 'stats');
      expect(errors).toEqual([]);
    }
  });

  it('works with node-redis style clients too (subscribe with a buffer-mode listener)', async () => {
    // A node-redis v4 subscriber, imitated over ioredis: subscribe(channel, listener, true).
    const io = new Redis({ port: redis.port, host: '127.0.0.1' });
    const publisher = new Redis({ port: redis.port, host: '127.0.0.1' });
    const listeners = new Map<string, (message: Buffer, channel: Buffer) => void>();
    io.on('messageBuffer', (channel: Buffer, message: Buffer) => listeners.get(channel.toString())?.(message, channel));
    const nodeRedisLike: NodeRedisSubscriber = {
      isOpen: true,
      async subscribe(channel, listener, bufferMode) {
        expect(bufferMode).toBe(true);
        listeners.set(channel, listener);
        await io.subscribe(channel);
      },
      async unsubscribe(channel) {
        listeners.delete(channel);
        await io.unsubscribe(channel);
      },
    };
    const received: Buffer[] = [];
    const hub = new Hub({ heartbeat: false, adapter: new RedisAdapter({ publisher, subscriber: nodeRedisLike, prefix: 'hubtest:' }) });
    await hub.ready();
    // Another "node" publishes a broadcast envelope the way a hub would.
    const otherSubscriber = new Redis({ port: redis.port, host: '127.0.0.1' });
    const other = new Hub({ heartbeat: false, adapter: new RedisAdapter({ publisher, subscriber: otherSubscriber, prefix: 'hubtest:' }) });
    await other.ready();
    // The target: a real server-side socket over memory; its peer collects what it is sent.
    const { ws, peer } = await openMemoryConnection();
    peer.on('data', (chunk: Buffer) => received.push(chunk));
    hub.add(ws, { id: 'target' });
    other.sendTo('target', 'via node-redis');
    const frame = Buffer.concat([0x81, 14].map((b) => Buffer.of(b)).concat(Buffer.from('via node-redis')));
    await until(() => Buffer.concat(received).includes(frame));
    hub.remove(ws);
    ws.terminate();
    await hub.close();
    await other.close();
    expect(listeners.size).toBe(0); // close() unsubscribed its channels
    otherSubscriber.disconnect();
    io.disconnect();
    publisher.disconnect();
  });
});
