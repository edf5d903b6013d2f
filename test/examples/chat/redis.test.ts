// The chat on two nodes sharing a real redis-server: presence, messages, private messages, nickname
// clashes and history cross from one node to the other. The nodes are separate processes running
// `node build/examples/chat/server.js` (built by `npm test`).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ChatClient } from './support/client.js';
import { startChatProcess, type ChatProcess } from './support/process.js';
import { REDIS_SERVER, startRedisServer as startRedis, type RedisServer as RunningRedis } from '../../support/redis-server.js';
import { RedisPresence } from '../../../examples/chat/redis-presence.js';
import { RedisHistory } from '../../../examples/chat/redis-history.js';
import { describeWithPeers } from '../../support/peers.js';

if (!REDIS_SERVER) console.warn('skipping the chat Redis tests: redis-server is missing (apt-get install redis-server)');

type ChatNode = ChatProcess;

let redis: RunningRedis;
const nodes: ChatNode[] = [];
const clients: ChatClient[] = [];

/** A chat process on the shared Redis. */
async function startNode(prefix: string, env: Record<string, string> = {}): Promise<ChatNode> {
  const node = await startChatProcess({ REDIS_URL: redis.url, CHAT_REDIS_PREFIX: prefix, ...env });
  nodes.push(node);
  return node;
}

async function connect(node: ChatNode): Promise<ChatClient> {
  const client = await ChatClient.connect(node.wsUrl);
  clients.push(client);
  return client;
}

const nicks = (message: Record<string, unknown>) => (message.members as { nick: string }[]).map((m) => m.nick);

describeWithPeers({ 'redis-server': Boolean(REDIS_SERVER) })('chat on two nodes with Redis', () => {
  beforeAll(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await Promise.all(nodes.splice(0).map((node) => node.close()));
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('users on different nodes see each other, chat, and whisper', async () => {
    const prefix = `t${randomUUID()}:`;
    const [a, b] = [await startNode(prefix), await startNode(prefix)];
    const ann = await connect(a);
    const bob = await connect(b);
    const cy = await connect(b);
    await ann.join('lobby', 'ann');
    expect(nicks(await bob.join('lobby', 'bob'))).toEqual(['ann', 'bob']);
    // Presence crosses from B to A through the hub's adapter.
    expect(await ann.next('system')).toMatchObject({ text: 'bob joined' });
    expect(nicks(await ann.next('presence', (m) => nicks(m).length === 2))).toEqual(['ann', 'bob']);

    // A nickname held on A is taken on B too.
    cy.send({ type: 'join', room: 'lobby', nick: 'ANN' });
    expect(await cy.next('error')).toMatchObject({ code: 'nick_taken' });
    await cy.join('lobby', 'cy');

    ann.send({ type: 'message', room: 'lobby', text: 'hello from A' });
    expect(await bob.next('message')).toMatchObject({ from: 'ann', text: 'hello from A' });
    bob.send({ type: 'typing', room: 'lobby' });
    expect(await ann.next('typing')).toMatchObject({ nick: 'bob' });
    // Typing a private message from B: shown on A to its recipient only, not to cy beside bob on B.
    bob.send({ type: 'typing', room: 'lobby', to: 'ann' });
    expect(await ann.next('typing')).toEqual({ type: 'typing', room: 'lobby', nick: 'bob', to: 'ann' });
    bob.send({ type: 'message', room: 'lobby', text: 'hello from B' });
    expect(await ann.next('message', (m) => m.text === 'hello from B')).toMatchObject({ from: 'bob' });
    expect(bob.all('typing')).toEqual([]); // typing goes to the others only, on every node

    // A whisper from A reaches bob on B, and not cy, who sits beside bob on B.
    ann.send({ type: 'private', room: 'lobby', to: 'bob', text: 'across nodes' });
    expect(await bob.next('private')).toMatchObject({ from: 'ann', to: 'bob', text: 'across nodes' });
    ann.send({ type: 'message', room: 'lobby', text: 'marker' });
    await cy.next('message', (m) => m.text === 'marker');
    expect(cy.all('private')).toEqual([]);
    expect(cy.all('typing').filter((m) => m.to !== undefined)).toEqual([]);

    // The rooms list counts users of both nodes.
    ann.send({ type: 'rooms' });
    expect(await ann.next('rooms', (m) => (m.rooms as { count: number }[])[0]?.count === 3)).toMatchObject({
      rooms: [{ name: 'lobby', count: 3 }],
    });

    // Leaving on B updates presence on A.
    bob.socket.terminate();
    expect(nicks(await ann.next('presence', (m) => nicks(m).length === 2))).toEqual(['ann', 'cy']);
  });

  it('keeps history in Redis, shared by the nodes and kept across restarts', async () => {
    const prefix = `t${randomUUID()}:`;
    const a = await startNode(prefix);
    const ann = await connect(a);
    await ann.join('lobby', 'ann');
    ann.send({ type: 'message', room: 'lobby', text: 'one' });
    ann.send({ type: 'message', room: 'lobby', text: 'two' });
    await ann.next('message', (m) => m.text === 'two');

    const b = await startNode(prefix);
    const bob = await connect(b);
    expect(((await bob.join('lobby', 'bob')).history as { text: string }[]).map((l) => l.text)).toEqual(['ann joined', 'one', 'two']);

    ann.socket.terminate();
    await bob.next('system', (m) => m.text === 'ann left');
    bob.socket.terminate();
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    const c = await startNode(prefix);
    const cy = await connect(c);
    const joined = await cy.join('lobby', 'cy');
    const texts = (joined.history as { text: string }[]).map((l) => l.text);
    expect(texts).toEqual(['ann joined', 'one', 'two', 'bob joined', 'ann left', 'bob left']);
    // A clean shutdown removed the old nodes' users from presence.
    expect(nicks(joined)).toEqual(['cy']);
  });
});

describeWithPeers({ 'redis-server': Boolean(REDIS_SERVER) })('chat on two nodes with Redis: a node crashes', () => {
  beforeAll(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await Promise.all(nodes.splice(0).map((node) => node.close()));
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it("says a crashed node's users left, once, on the survivors, and frees their nicknames", async () => {
    const prefix = `t${randomUUID()}:`;
    const short = { CHAT_NODE_TTL_MS: '600' }; // dead after 0.6 s of silence, checked every 0.2 s
    const [a, b, c] = [await startNode(prefix, short), await startNode(prefix, short), await startNode(prefix, short)];
    const ann = await connect(a);
    const bob = await connect(b);
    const cy = await connect(c);
    await ann.join('lobby', 'ann');
    await bob.join('lobby', 'bob');
    await cy.join('lobby', 'cy');
    await bob.next('rooms', (m) => (m.rooms as { count: number }[])[0]?.count === 3);

    await a.kill(); // no 1001, no cleanup: only its lease stops being renewed
    // Both survivors sweep; the first to remove ann says she left. Bounded: lease TTL + a sweep period.
    expect(await bob.next('system', (m) => m.text === 'ann left', 5000)).toMatchObject({ room: 'lobby' });
    expect(nicks(await bob.next('presence', (m) => nicks(m).length === 2))).toEqual(['bob', 'cy']);
    expect(await cy.next('system', (m) => m.text === 'ann left')).toMatchObject({ room: 'lobby' });
    expect(await bob.next('rooms', (m) => (m.rooms as { count: number }[])[0]?.count === 2)).toMatchObject({
      rooms: [{ name: 'lobby', count: 2 }],
    });
    // The line is in the room's history, once, although two nodes swept for it.
    const dee = await connect(c);
    const history = ((await dee.join('lobby', 'dee')).history as { text: string }[]).map((l) => l.text);
    expect(history.filter((text) => text === 'ann left')).toEqual(['ann left']);
    const again = await connect(b);
    expect(await again.join('lobby', 'ann')).toMatchObject({ nick: 'ann' });
    expect(bob.all('system').filter((m) => m.text === 'ann left')).toHaveLength(1);
  });

  it('closes the sockets of a node that was paused past its lease with 1012, and they can join again', async () => {
    const prefix = `t${randomUUID()}:`;
    const short = { CHAT_NODE_TTL_MS: '600' };
    const [a, b] = [await startNode(prefix, short), await startNode(prefix, short)];
    const ann = await connect(a);
    const bob = await connect(b);
    await ann.join('lobby', 'ann');
    await bob.join('lobby', 'bob');
    a.pause(); // frozen: no renewals, but its sockets stay open
    await bob.next('system', (m) => m.text === 'ann left', 5000);
    a.resume();
    // A finds its lease expired: ann was announced gone, so her page must reconnect and join again.
    expect(await ann.closed).toMatchObject({ code: 1012 });
    const back = await connect(a);
    expect(await back.join('lobby', 'ann')).toMatchObject({ nick: 'ann' });
    expect(await bob.next('system', (m) => m.text === 'ann joined')).toBeTruthy();
    // Closing ann's old connection did not say she left a second time.
    bob.send({ type: 'message', room: 'lobby', text: 'marker' });
    await back.next('message', (m) => m.text === 'marker');
    expect(bob.all('system').filter((m) => m.text === 'ann left')).toHaveLength(1);
  });
});

describeWithPeers({ 'redis-server': Boolean(REDIS_SERVER) })('chat Redis stores against redis-server', () => {
  let server: RunningRedis;
  const connections: Redis[] = [];
  const client = () => {
    const connection = new Redis(server.url);
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(async () => {
    for (const connection of connections) connection.disconnect();
    await server?.stop();
  });

  it('caps the history list at 100 per room', async () => {
    const connection = client();
    const history = new RedisHistory(connection, 'h:');
    for (let i = 0; i < 130; i++) await history.append({ type: 'message', room: 'r', from: 'a', text: `m${i}`, ts: i });
    const lines = await history.load('r');
    expect(lines).toHaveLength(100);
    expect(lines[0].text).toBe('m30');
    expect(await connection.llen('h:history:r')).toBe(100);
  });

  it('reports the users of a node that died once, however many nodes sweep, and frees their nicknames', async () => {
    const dying = client();
    const a = new RedisPresence({ redis: dying, node: 'node-a', prefix: 'p:', nodeTtlMs: 300 });
    const survivor = client();
    const b = new RedisPresence({ redis: survivor, node: 'node-b', prefix: 'p:', nodeTtlMs: 300 });
    const c = new RedisPresence({ redis: client(), node: 'node-c', prefix: 'p:', nodeTtlMs: 300 });
    expect(await a.join('lobby', { id: '1', nick: 'ann' })).toEqual({ ok: true });
    expect(await a.join('kitchen', { id: '1', nick: 'ann' })).toEqual({ ok: true });
    expect(await b.join('lobby', { id: '2', nick: 'Ann' })).toEqual({ ok: false });
    expect(await b.join('lobby', { id: '2', nick: 'bob' })).toEqual({ ok: true });
    expect((await b.members('lobby')).map((m) => m.nick)).toEqual(['ann', 'bob']);

    // Node A's process dies: no more renewals, its lease expires.
    dying.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await b.members('lobby')).map((m) => m.nick)).toEqual(['bob']); // reading does not remove
    const swept = (await Promise.all([b.sweep(), c.sweep(), b.sweep(), c.sweep()])).flat();
    expect(swept.sort((x, y) => x.room.localeCompare(y.room))).toEqual([
      { room: 'kitchen', member: { id: '1', nick: 'ann' } },
      { room: 'lobby', member: { id: '1', nick: 'ann' } },
    ]);
    expect(await b.sweep()).toEqual([]);
    expect(await b.rooms()).toEqual([{ name: 'lobby', count: 1 }]);
    expect(await b.join('lobby', { id: '3', nick: 'ann' })).toEqual({ ok: true });
    await b.close();
    await c.close();
    expect(await survivor.hlen('p:presence:lobby')).toBe(0);
    expect(await survivor.smembers('p:rooms')).toEqual([]);
    await a.close().catch(() => undefined);
  });

  it("takes over a dead user's nickname at once, saying whom it replaced", async () => {
    const dying = client();
    const a = new RedisPresence({ redis: dying, node: 'node-a', prefix: 'q:', nodeTtlMs: 300 });
    const b = new RedisPresence({ redis: client(), node: 'node-b', prefix: 'q:', nodeTtlMs: 300 });
    await a.join('lobby', { id: '1', nick: 'ann' });
    dying.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Before any sweep: the join itself finds the holder dead, and a later sweep reports nothing more.
    expect(await b.join('lobby', { id: '2', nick: 'ANN' })).toEqual({ ok: true, replaced: { id: '1', nick: 'ann' } });
    expect(await b.sweep()).toEqual([]);
    expect(await b.members('lobby')).toEqual([{ id: '2', nick: 'ANN' }]);
    expect(await b.leave('lobby', { id: '2', nick: 'ann' })).toBe(true);
    expect(await b.leave('lobby', { id: '2', nick: 'ann' })).toBe(false);
    await b.close();
  });

  it('tells a node whose lease expired while it was cut off', async () => {
    const redisClient = client();
    let lost = 0;
    const a = new RedisPresence({ redis: redisClient, node: 'node-l', prefix: 'l:', nodeTtlMs: 150, onLeaseLost: () => lost++ });
    expect(await a.join('lobby', { id: '1', nick: 'ann', owner: 'hash' })).toEqual({ ok: true });
    expect(await a.find('lobby', 'ANN')).toEqual({ id: '1', nick: 'ann', owner: 'hash' });
    expect(await a.members('lobby')).toEqual([{ id: '1', nick: 'ann' }]); // never the owner
    await new Promise((resolve) => setTimeout(resolve, 200)); // a few renewals: the lease holds
    expect(lost).toBe(0);
    await redisClient.del('l:node:node-l'); // as if it had expired while we were away
    await expect.poll(() => lost, { timeout: 2000 }).toBe(1);
    expect(await redisClient.exists('l:node:node-l')).toBe(1); // and it holds a new one
    await a.close();
  });
});
