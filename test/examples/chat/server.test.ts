// The chat server end to end over real sockets: every rule of the protocol, the handshake checks,
// history on disk across a restart, presence and private messages.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { ChatClient, handshakeStatus } from './support/client.js';
import { startTestChat, tempDir, type TestChat } from './support/server.js';
import type { ChatConfig } from '../../../examples/chat/config.js';
import type { ChatTuning } from '../../../examples/chat/app.js';

const servers: TestChat[] = [];
const clients: ChatClient[] = [];

async function start(overrides: Partial<ChatConfig> = {}, tuning: ChatTuning = {}): Promise<TestChat> {
  const chat = await startTestChat(overrides, tuning);
  servers.push(chat);
  return chat;
}

async function connect(chat: TestChat, options: { protocols?: string[]; origin?: string } = {}): Promise<ChatClient> {
  const client = await ChatClient.connect(chat.wsUrl, options);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('chat server: HTTP', () => {
  it('serves the page with a strict CSP, the script, and /stats as JSON', async () => {
    const chat = await start();
    const page = await fetch(`http://127.0.0.1:${chat.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('<script src="/app.js"');
    for (const name of ['app.js', 'render.js', 'session.js']) {
      const script = await fetch(`http://127.0.0.1:${chat.port}/${name}`);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      expect(await script.text()).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
    // The icon, also where browsers look without reading the page's <link rel="icon">: no 404 in the console.
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const icon = await fetch(`http://127.0.0.1:${chat.port}${path}`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toBe('image/svg+xml');
      expect(await icon.text()).toMatch(/^<svg /);
    }

    const client = await connect(chat);
    await client.join('lobby', 'ann');
    const stats = await fetch(`http://127.0.0.1:${chat.port}/stats`);
    expect(stats.headers.get('content-type')).toBe('application/json');
    const body = (await stats.json()) as Record<string, unknown>;
    expect(typeof body).toBe('object');
    expect(Object.values(body).every((v) => typeof v === 'number')).toBe(true);
  });

  it('answers 404 for unknown paths and 426 for a plain GET of /ws', async () => {
    const chat = await start();
    expect((await fetch(`http://127.0.0.1:${chat.port}/../../package.json`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${chat.port}/nope`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${chat.port}/ws`)).status).toBe(426);
  });
});

describe('chat server: handshake checks', () => {
  it('refuses a foreign Origin with 403 and accepts its own', async () => {
    const chat = await start();
    const own = `http://127.0.0.1:${chat.port}`;
    expect(await handshakeStatus(chat.wsUrl, { origin: 'http://evil.example' })).toBe(403);
    expect(await handshakeStatus(chat.wsUrl, { origin: `http://127.0.0.1:${chat.port + 1}` })).toBe(403);
    expect(await handshakeStatus(chat.wsUrl, { origin: own })).toBe(101);
  });

  it('accepts origins listed in CHAT_ORIGINS', async () => {
    const chat = await start({ origins: ['http://app.example:3000'] });
    expect(await handshakeStatus(chat.wsUrl, { origin: 'http://app.example:3000' })).toBe(101);
    expect(await handshakeStatus(chat.wsUrl, { origin: 'http://app.example:3001' })).toBe(403);
  });

  it('with CHAT_TOKEN, refuses a missing or wrong token with 401', async () => {
    const chat = await start({ token: 's3cret' });
    expect(await handshakeStatus(chat.wsUrl)).toBe(401);
    expect(await handshakeStatus(`${chat.wsUrl}?token=wrong`)).toBe(401);
    expect(await handshakeStatus(chat.wsUrl, { protocols: ['wsmith-chat', 'bearer.wrong'] })).toBe(401);
  });

  it('with CHAT_TOKEN, accepts it in the query or as a bearer subprotocol, which is never echoed', async () => {
    const chat = await start({ token: 's3cret' });
    const byQuery = await ChatClient.connect(`${chat.wsUrl}?token=s3cret`);
    clients.push(byQuery);
    const byProtocol = await connect(chat, { protocols: ['wsmith-chat', 'bearer.s3cret'] });
    expect(byProtocol.socket.protocol).toBe('wsmith-chat');
  });
});

describe('chat server: bad input', () => {
  it('answers each malformed message with an error and keeps the connection', async () => {
    const chat = await start();
    const client = await connect(chat);
    client.send('{oops');
    expect(await client.next('error')).toMatchObject({ code: 'bad_json' });
    client.send({ type: 'dance' });
    expect(await client.next('error')).toMatchObject({ code: 'unknown_type' });
    client.send({ type: 'join', room: 'lobby' });
    expect(await client.next('error')).toMatchObject({ code: 'invalid_field' });
    client.send({ type: 'join', room: 'lobby', nick: 'x'.repeat(33) });
    expect(await client.next('error')).toMatchObject({ code: 'invalid_field' });
    // Still served:
    expect(await client.join('lobby', 'ann')).toMatchObject({ nick: 'ann' });
  });

  it('refuses binary frames and actions in rooms not joined', async () => {
    const chat = await start();
    const client = await connect(chat);
    client.socket.send(Buffer.from([1, 2, 3]));
    expect(await client.next('error')).toMatchObject({ code: 'binary_unsupported' });
    client.send({ type: 'message', room: 'elsewhere', text: 'hi' });
    expect(await client.next('error')).toMatchObject({ code: 'not_in_room' });
  });

  it('closes with 1008 after repeated abuse', async () => {
    const chat = await start({}, { maxStrikes: 5 });
    const client = await connect(chat);
    for (let i = 0; i < 5; i++) client.send('garbage');
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(client.all('error')).toHaveLength(5);
  });

  it('rate limits: the burst passes, then an error, then 1008 if it goes on', async () => {
    const now = 0; // a frozen clock: the bucket never refills during the test
    const chat = await start({}, { rate: 20, burst: 40, maxRateLimited: 20, now: () => now });
    const client = await connect(chat);
    await client.next('rooms'); // sent on welcome
    for (let i = 0; i < 40; i++) client.send({ type: 'rooms' });
    for (let i = 0; i < 40; i++) await client.next('rooms');
    expect(client.all('error')).toEqual([]);

    client.send({ type: 'rooms' }); // the 41st
    expect(await client.next('error')).toMatchObject({ code: 'rate_limited' });
    for (let i = 0; i < 19; i++) client.send({ type: 'rooms' });
    client.send({ type: 'join', room: 'r', nick: 'n' }); // the 20th refusal in a row is still tolerated
    client.send({ type: 'rooms' }); // and the 21st closes
    expect((await client.closed).code).toBe(1008);
    // One error for the whole run of refusals, one with the close; nothing else was served.
    expect(client.all('error').map((e) => e.code)).toEqual(['rate_limited', 'rate_limited']);
    expect(client.all('joined')).toEqual([]);
  });

  it('a client that keeps to 20 messages a second is never refused', async () => {
    // The server reads this clock once per message it takes in: each message arrives 50 ms after the
    // one before, 20 a second, for 10 seconds of the injected clock.
    let now = 0;
    const chat = await start({}, { rate: 20, burst: 40, now: () => (now += 50) });
    const client = await connect(chat);
    await client.join('lobby', 'ann');
    for (let i = 0; i < 200; i++) client.send({ type: 'typing', room: 'lobby' });
    client.send({ type: 'message', room: 'lobby', text: 'last' });
    await client.next('message', (m) => m.text === 'last');
    expect(client.all('error')).toEqual([]);
  });

  it('closes with 1009 when a message exceeds maxPayload (64 KiB)', async () => {
    const chat = await start();
    const client = await connect(chat);
    client.send(JSON.stringify({ type: 'message', room: 'lobby', text: 'x'.repeat(64 * 1024) }));
    expect((await client.closed).code).toBe(1009);
  });
});

describe('chat server: rooms, presence, messages', () => {
  it('keeps nicknames unique per room, case-insensitively, but not across rooms', async () => {
    const chat = await start();
    const ann = await connect(chat);
    const other = await connect(chat);
    await ann.join('lobby', 'Ann');
    other.send({ type: 'join', room: 'lobby', nick: 'ann' });
    expect(await other.next('error')).toMatchObject({ code: 'nick_taken' });
    expect(await other.join('kitchen', 'ann')).toMatchObject({ room: 'kitchen', nick: 'ann' });
    // Once Ann leaves, the nickname is free in the lobby.
    ann.send({ type: 'leave', room: 'lobby' });
    await ann.next('left');
    expect(await other.join('lobby', 'ann')).toMatchObject({ room: 'lobby' });
  });

  it('updates presence live on join, leave and disconnect, with system lines', async () => {
    const chat = await start();
    const ann = await connect(chat);
    const bob = await connect(chat);
    const cy = await connect(chat);
    expect((await ann.join('lobby', 'ann')).members).toEqual([expect.objectContaining({ nick: 'ann' })]);
    const joined = await bob.join('lobby', 'bob');
    expect((joined.members as { nick: string }[]).map((m) => m.nick)).toEqual(['ann', 'bob']);
    expect(await ann.next('system')).toMatchObject({ room: 'lobby', text: 'bob joined' });
    expect(((await ann.next('presence')).members as { nick: string }[]).map((m) => m.nick)).toEqual(['ann', 'bob']);
    await cy.join('lobby', 'cy');
    await ann.next('presence', (m) => (m.members as unknown[]).length === 3);

    bob.send({ type: 'leave', room: 'lobby' });
    expect(await ann.next('system')).toMatchObject({ text: 'bob left' });
    await ann.next('presence', (m) => (m.members as unknown[]).length === 2);

    cy.socket.terminate(); // a dropped connection, no close handshake
    expect(await ann.next('system', (m) => m.text === 'cy left')).toBeTruthy();
    const presence = await ann.next('presence', (m) => (m.members as unknown[]).length === 1);
    expect(presence.members).toEqual([expect.objectContaining({ nick: 'ann' })]);
  });

  it("drops a half-open peer by the hub's heartbeat, and updates presence", async () => {
    const chat = await start({ heartbeat: { interval: 100, timeout: 100 } });
    const ann = await connect(chat);
    await ann.join('lobby', 'ann');
    // A raw client that joins, then goes silent: it never reads again, so it never answers a ping.
    const silent = await rawJoin(chat.port, 'lobby', 'ghost');
    await ann.next('presence', (m) => (m.members as unknown[]).length === 2);
    silent.pause();
    const presence = await ann.next('presence', (m) => (m.members as unknown[]).length === 1, 5000);
    expect(presence.members).toEqual([expect.objectContaining({ nick: 'ann' })]);
    const stats = (await (await fetch(`http://127.0.0.1:${chat.port}/stats`)).json()) as Record<string, number>;
    expect(stats.heartbeatTerminations).toBe(1);
    silent.destroy();
  });

  it('lists rooms with member counts for everyone', async () => {
    const chat = await start();
    const ann = await connect(chat);
    const bob = await connect(chat);
    await ann.join('lobby', 'ann');
    await bob.join('lobby', 'bob');
    await bob.join('kitchen', 'bob');
    const rooms = await ann.next('rooms', (m) => (m.rooms as unknown[]).length === 2);
    expect(rooms.rooms).toEqual([
      { name: 'lobby', count: 2 },
      { name: 'kitchen', count: 1 },
    ]);
  });

  it('sends a message to everyone in the room (sender included) and nobody outside it', async () => {
    const chat = await start();
    const ann = await connect(chat);
    const bob = await connect(chat);
    const outsider = await connect(chat);
    await ann.join('lobby', 'ann');
    await bob.join('lobby', 'bob');
    await outsider.join('kitchen', 'cy');
    ann.send({ type: 'message', room: 'lobby', text: '<img src=x onerror=alert(1)>' });
    const got = await bob.next('message');
    expect(got).toMatchObject({ room: 'lobby', from: 'ann', text: '<img src=x onerror=alert(1)>' });
    expect(typeof got.ts).toBe('number');
    await ann.next('message');
    // A later message in the outsider's own room arrives; the lobby's never did.
    bob.send({ type: 'join', room: 'kitchen', nick: 'bob' });
    await bob.next('joined', (m) => m.room === 'kitchen');
    bob.send({ type: 'message', room: 'kitchen', text: 'marker' });
    await outsider.next('message', (m) => m.text === 'marker');
    expect(outsider.all('message').map((m) => m.text)).toEqual(['marker']);
  });

  it('shows typing to the others only', async () => {
    const chat = await start();
    const ann = await connect(chat);
    const bob = await connect(chat);
    await ann.join('lobby', 'ann');
    await bob.join('lobby', 'bob');
    ann.send({ type: 'typing', room: 'lobby' });
    expect(await bob.next('typing')).toEqual({ type: 'typing', room: 'lobby', nick: 'ann' });
    ann.send({ type: 'message', room: 'lobby', text: 'done' });
    await ann.next('message');
    expect(ann.all('typing')).toEqual([]);
  });

  it('tells the page how long a typing indicator lasts', async () => {
    const chat = await start({ typingTimeoutMs: 700 });
    const client = await ChatClient.open(chat.wsUrl);
    clients.push(client);
    expect(await client.next('welcome')).toMatchObject({ typingTimeoutMs: 700 });
  });

  it('delivers a private message to its target only (and a copy to the sender)', async () => {
    const chat = await start();
    const ann = await connect(chat);
    const bob = await connect(chat);
    const cy = await connect(chat);
    await ann.join('lobby', 'ann');
    await bob.join('lobby', 'bob');
    await cy.join('lobby', 'cy');
    ann.send({ type: 'private', room: 'lobby', to: 'BOB', text: 'just for you' });
    expect(await bob.next('private')).toMatchObject({ from: 'ann', to: 'bob', text: 'just for you' });
    expect(await ann.next('private')).toMatchObject({ from: 'ann', to: 'bob' });
    // Everything ann sends after the whisper reaches cy after it would have; cy never saw it.
    ann.send({ type: 'message', room: 'lobby', text: 'public' });
    await cy.next('message', (m) => m.text === 'public');
    expect(cy.all('private')).toEqual([]);
    expect(JSON.stringify(cy.messages)).not.toContain('just for you');

    ann.send({ type: 'private', room: 'lobby', to: 'nobody', text: 'hello?' });
    expect(await ann.next('error')).toMatchObject({ code: 'no_such_user' });
  });
});

/** Opens /ws over a bare TCP socket, sends one masked join frame (RFC 6455 §5.2), and returns the socket. */
async function rawJoin(port: number, room: string, nick: string): Promise<Socket> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const [head] = (await once(socket, 'data')) as [Buffer];
  expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101/);
  const payload = Buffer.from(JSON.stringify({ type: 'join', room, nick }));
  expect(payload.length).toBeLessThan(126);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
  socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  return socket;
}

describe('chat server: history', () => {
  it('sends the last 100 messages of a room on join', async () => {
    const chat = await start({}, { rate: 1000, burst: 1000 });
    const ann = await connect(chat);
    await ann.join('lobby', 'ann');
    for (let i = 0; i < 105; i++) ann.send({ type: 'message', room: 'lobby', text: `m${i}` });
    await ann.next('message', (m) => m.text === 'm104');
    const bob = await connect(chat);
    const joined = await bob.join('lobby', 'bob');
    const texts = (joined.history as { text: string }[]).map((l) => l.text);
    expect(texts).toHaveLength(100);
    expect(texts[0]).toBe('m5');
    expect(texts[99]).toBe('m104');
  });

  it('survives a restart, skipping a torn last line', async () => {
    const dataDir = await tempDir();
    const first = await start({ dataDir });
    const ann = await connect(first);
    await ann.join('lobby', 'ann');
    ann.send({ type: 'message', room: 'lobby', text: 'before restart' });
    await ann.next('message');
    await first.close();
    // A crash in the middle of a write leaves half a line at the end of the file.
    await appendFile(join(dataDir, 'lobby.jsonl'), '{"room":"lobby","from":"ann","text":"torn');

    const second = await start({ dataDir });
    const bob = await connect(second);
    const joined = await bob.join('lobby', 'bob');
    // The shutdown said "ann left" (to the room, and into its history) as it closed her connection.
    expect((joined.history as { text: string }[]).map((l) => l.text)).toEqual(['ann joined', 'before restart', 'ann left']);
    bob.send({ type: 'message', room: 'lobby', text: 'after restart' });
    await bob.next('message');
    const cy = await connect(second);
    const again = await cy.join('lobby', 'cy');
    expect((again.history as { text: string }[]).map((l) => l.text)).toEqual([
      'ann joined',
      'before restart',
      'ann left',
      'bob joined',
      'after restart',
    ]);
  });

  it('starts from a file with garbage lines without failing', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'lobby.jsonl'), 'garbage\n{"room":"lobby","from":"x","text":"ok","ts":1}\n');
    const chat = await start({ dataDir });
    const client = await connect(chat);
    expect((await client.join('lobby', 'ann')).history).toEqual([{ type: 'message', room: 'lobby', from: 'x', text: 'ok', ts: 1 }]);
  });
});
