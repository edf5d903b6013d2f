// The chat on two nodes sharing a real redis-server: presence, messages, private messages, nickname
// clashes and history cross from one node to the other. The nodes are separate processes running
// `node build/examples/chat/server.js` (built by `npm test`).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ChatClient } from './support/client.js';
import { REDIS_SERVER, startRedisServer as startRedis, type RedisServer as RunningRedis } from '../../support/redis-server.js';
import { RedisPresence } from '../../../examples/chat/redis-presence.js';
import { RedisHistory } from '../../../examples/chat/redis-history.js';

const SERVER_JS = 'build/examples/chat/server.js';
if (!REDIS_SERVER) console.warn('skipping the chat Redis tests: redis-server is missing (apt-get install redis-server)');

interface ChatNode {
  wsUrl: string;
  close(): Promise<void>;
  /** A crash: SIGKILL, no cleanup. */
  kill(): Promise<void>;
}

let redis: RunningRedis;
const nodes: ChatNode[] = [];
const clients: ChatClient[] = [];

/** A chat process on the shared Redis. */
async function startNode(prefix: string, env: Record<string, string> = {}): Promise<ChatNode> {
  if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run npm run build (npm test does)`);
  const child = spawn(process.execPath, [SERVER_JS], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', REDIS_URL: redis.url, CHAT_REDIS_PREFIX: prefix, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`chat process did not start:\n${output}`)), 10_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /chat: http:\/\/[^\s]+?:(\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`chat process exited with ${code}:\n${output}`)));
  });
  const stop = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  const node: ChatNode = {
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    // SIGTERM: the chat closes its hub (1001) and removes its users from presence, then exits.
    close: () => stop('SIGTERM'),
    kill: () => stop('SIGKILL'),
  };
  nodes.push(node);
  return node;
}

async function connect(node: ChatNode): Promise<ChatClient> {
  const client = await ChatClient.connect(node.wsUrl);
  clients.push(client);
  return client;
}

const nicks = (message: Record<string, unknown>) => (message.members as { nick: string }[]).map((m) => m.nick);

describe.skipIf(!REDIS_SERVER)('chat on two nodes with Redis', () => {
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
    bob.send({ type: 'message', room: 'lobby', text: 'hello from B' });
    expect(await ann.next('message', (m) => m.text === 'hello from B')).toMatchObject({ from: 'bob' });
    expect(bob.all('typing')).toEqual([]); // typing goes to the others only, on every node

    // A whisper from A reaches bob on B, and not cy, who sits beside bob on B.
    ann.send({ type: 'private', room: 'lobby', to: 'bob', text: 'across nodes' });
    expect(await bob.next('private')).toMatchObject({ from: 'ann', to: 'bob', text: 'across nodes' });
    ann.send({ type: 'message', room: 'lobby', text: 'marker' });
    await cy.next('message', (m) => m.text === 'marker');
    expect(cy.all('private')).toEqual([]);

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
    expect(((await bob.join('lobby', 'bob')).history as { text: string }[]).map((l) => l.text)).toEqual(['one', 'two']);

    for (const client of clients.splice(0)) client.socket.terminate();
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    const c = await startNode(prefix);
    const cy = await connect(c);
    const joined = await cy.join('lobby', 'cy');
    expect((joined.history as { text: string }[]).map((l) => l.text)).toEqual(['one', 'two']);
    // A clean shutdown removed the old nodes' users from presence.
    expect(nicks(joined)).toEqual(['cy']);
  });
});

describe.skipIf(!REDIS_SERVER)('chat on two nodes with Redis: a node crashes', () => {
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

  it("removes a crashed node's users from presence on the survivors, and frees their nicknames", async () => {
    const prefix = `t${randomUUID()}:`;
    const short = { CHAT_NODE_TTL_MS: '600' }; // dead after 0.6 s of silence, checked every 0.2 s
    const [a, b] = [await startNode(prefix, short), await startNode(prefix, short)];
    const ann = await connect(a);
    const bob = await connect(b);
    await ann.join('lobby', 'ann');
    await bob.join('lobby', 'bob');
    await bob.next('rooms', (m) => (m.rooms as { count: number }[])[0]?.count === 2);

    await a.kill(); // no 1001, no cleanup: only its liveness key stops being refreshed
    expect(nicks(await bob.next('presence', (m) => nicks(m).length === 1, 5000))).toEqual(['bob']);
    expect(await bob.next('rooms', (m) => (m.rooms as { count: number }[])[0]?.count === 1)).toMatchObject({
      rooms: [{ name: 'lobby', count: 1 }],
    });
    const again = await connect(b);
    expect(await again.join('lobby', 'ann')).toMatchObject({ nick: 'ann' });
  });
});

describe.skipIf(!REDIS_SERVER)('chat Redis stores against redis-server', () => {
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
    for (let i = 0; i < 130; i++) await history.append({ room: 'r', from: 'a', text: `m${i}`, ts: i });
    const lines = await history.load('r');
    expect(lines).toHaveLength(100);
    expect(lines[0].text).toBe('m30');
    expect(await connection.llen('h:history:r')).toBe(100);
  });

  it('drops users of a node that died, and frees their nicknames', async () => {
    const dying = client();
    const a = new RedisPresence({ redis: dying, node: 'node-a', prefix: 'p:', nodeTtlMs: 300 });
    const survivor = client();
    const b = new RedisPresence({ redis: survivor, node: 'node-b', prefix: 'p:', nodeTtlMs: 300 });
    expect(await a.join('lobby', { id: '1', nick: 'ann' })).toBe(true);
    expect(await b.join('lobby', { id: '2', nick: 'Ann' })).toBe(false);
    expect(await b.join('lobby', { id: '2', nick: 'bob' })).toBe(true);
    expect((await b.members('lobby')).map((m) => m.nick)).toEqual(['ann', 'bob']);

    // Node A's process dies: no more refreshes, its liveness key expires.
    dying.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await b.sweep()).toEqual(['lobby']);
    expect((await b.members('lobby')).map((m) => m.nick)).toEqual(['bob']);
    expect(await b.join('lobby', { id: '3', nick: 'ann' })).toBe(true);
    await b.close();
    expect(await survivor.hlen('p:presence:lobby')).toBe(0);
    await a.close().catch(() => undefined);
  });
});
