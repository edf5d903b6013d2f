// Private messages beyond their delivery: typing shown to the recipient alone, and the history a user
// gets back (after a reconnect or a reload) holding its own private messages, sent and received, and
// nobody else's: a party is the same nickname joined with the same key.
import { afterEach, describe, expect, it } from 'vitest';
import { ChatClient, type Json } from './support/client.js';
import { startTestChat, type TestChat } from './support/server.js';
import { visibleTo, toHistoryEntry, type HistoryEntry } from '../../../examples/chat/history.js';
import { ownerOf } from '../../../examples/chat/chat.js';

const servers: TestChat[] = [];
const clients: ChatClient[] = [];
const KEYS = { ann: 'ann-key-0123456789', bob: 'bob-key-0123456789', cy: 'cy-key-01234567890', thief: 'thief-key-01234567' };

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(): Promise<TestChat> {
  const chat = await startTestChat();
  servers.push(chat);
  return chat;
}

/** Connects and joins `room` as `nick`, with `key` when given. */
async function joined(chat: TestChat, nick: string, key?: string, room = 'lobby'): Promise<[ChatClient, Json]> {
  const client = await ChatClient.connect(chat.wsUrl);
  clients.push(client);
  client.send(key === undefined ? { type: 'join', room, nick } : { type: 'join', room, nick, key });
  return [client, await client.next('joined')];
}

const lines = (joinedMessage: Json) =>
  (joinedMessage.history as { type: string; from?: string; to?: string; text: string }[]).map((e) =>
    e.type === 'private' ? `${e.from}→${e.to}: ${e.text}` : e.type === 'message' ? `${e.from}: ${e.text}` : e.text,
  );

describe('chat: typing while writing a private message', () => {
  it('reaches the recipient only, marked as private', async () => {
    const chat = await start();
    const [ann] = await joined(chat, 'ann');
    const [bob] = await joined(chat, 'bob');
    const [cy] = await joined(chat, 'cy');
    ann.send({ type: 'typing', room: 'lobby', to: 'BOB' });
    expect(await bob.next('typing')).toEqual({ type: 'typing', room: 'lobby', nick: 'ann', to: 'bob' });
    // To nobody, or to oneself: nothing, and no error either (typing is a hint).
    ann.send({ type: 'typing', room: 'lobby', to: 'nobody' });
    ann.send({ type: 'typing', room: 'lobby', to: 'ann' });
    // ann's next message reaches cy after the typing would have; cy and ann saw no typing at all.
    ann.send({ type: 'message', room: 'lobby', text: 'marker' });
    await cy.next('message', (m) => m.text === 'marker');
    await ann.next('message', (m) => m.text === 'marker');
    expect(cy.all('typing')).toEqual([]);
    expect(ann.all('typing')).toEqual([]);
    expect(ann.all('error')).toEqual([]);
    expect(bob.all('typing')).toHaveLength(1);
  });
});

describe('chat: history holds private messages for their parties, and join/leave lines', () => {
  it('gives a user back its private messages, sent and received, in order with everything else', async () => {
    const chat = await start();
    const [ann] = await joined(chat, 'ann', KEYS.ann);
    const [bob] = await joined(chat, 'bob', KEYS.bob);
    const [cy] = await joined(chat, 'cy', KEYS.cy);
    ann.send({ type: 'private', room: 'lobby', to: 'bob', text: 'ann to bob' });
    await bob.next('private');
    bob.send({ type: 'private', room: 'lobby', to: 'ann', text: 'bob to ann' });
    await ann.next('private', (m) => m.text === 'bob to ann');
    cy.send({ type: 'private', room: 'lobby', to: 'bob', text: 'cy to bob' });
    await bob.next('private', (m) => m.text === 'cy to bob');
    bob.send({ type: 'message', room: 'lobby', text: 'public' });
    await ann.next('message');
    cy.socket.terminate();
    await ann.next('system', (m) => m.text === 'cy left');

    // ann's connection drops; she comes back under the same name with the same key.
    ann.socket.terminate();
    await bob.next('system', (m) => m.text === 'ann left');
    const [, back] = await joined(chat, 'ann', KEYS.ann);
    expect(lines(back)).toEqual([
      'ann joined',
      'bob joined',
      'cy joined',
      'ann→bob: ann to bob',
      'bob→ann: bob to ann',
      'bob: public',
      'cy left',
      'ann left',
    ]);
    // The server keeps the keys' hashes, and sends neither keys nor hashes to anyone.
    expect(JSON.stringify(back)).not.toMatch(/Owner|key/);
  });

  it('shows nothing private to someone who takes a nickname after its owner left, nor to a user without a key', async () => {
    const chat = await start();
    const [ann] = await joined(chat, 'ann', KEYS.ann);
    const [bob] = await joined(chat, 'bob', KEYS.bob);
    const [dee] = await joined(chat, 'dee'); // a client that sends no key
    ann.send({ type: 'private', room: 'lobby', to: 'bob', text: 'secret' });
    await bob.next('private');
    bob.send({ type: 'private', room: 'lobby', to: 'dee', text: 'to dee' });
    await dee.next('private');
    ann.socket.terminate();
    await bob.next('system', (m) => m.text === 'ann left');
    dee.socket.terminate();
    await bob.next('system', (m) => m.text === 'dee left');

    const [, thief] = await joined(chat, 'Ann', KEYS.thief);
    expect(lines(thief)).toEqual(['ann joined', 'bob joined', 'dee joined', 'ann left', 'dee left']);
    const [, deeAgain] = await joined(chat, 'dee');
    expect(lines(deeAgain)).toEqual(['ann joined', 'bob joined', 'dee joined', 'ann left', 'dee left', 'Ann joined']);
  });
});

describe('chat history: what a user may see', () => {
  const owner = ownerOf(KEYS.ann);
  const entries: HistoryEntry[] = [
    { type: 'system', room: 'r', text: 'ann joined', ts: 1 },
    { type: 'private', room: 'r', from: 'ann', to: 'bob', text: 'sent', ts: 2, fromOwner: owner, toOwner: 'B' },
    { type: 'private', room: 'r', from: 'bob', to: 'ANN', text: 'received', ts: 3, fromOwner: 'B', toOwner: owner },
    { type: 'private', room: 'r', from: 'bob', to: 'cy', text: 'not ours', ts: 4, fromOwner: 'B', toOwner: owner },
    { type: 'private', room: 'r', from: 'bob', to: 'ann', text: 'to a keyless ann', ts: 5, fromOwner: 'B' },
    { type: 'message', room: 'r', from: 'bob', text: 'public', ts: 6 },
  ];

  it('keeps private lines whose nickname and key are ours, and strips the owners', () => {
    expect(visibleTo(entries, 'ann', owner)).toEqual([
      { type: 'system', room: 'r', text: 'ann joined', ts: 1 },
      { type: 'private', room: 'r', from: 'ann', to: 'bob', text: 'sent', ts: 2 },
      { type: 'private', room: 'r', from: 'bob', to: 'ANN', text: 'received', ts: 3 },
      { type: 'message', room: 'r', from: 'bob', text: 'public', ts: 6 },
    ]);
    expect(visibleTo(entries, 'ann', undefined).map((e) => e.text)).toEqual(['ann joined', 'public']);
    expect(visibleTo(entries, 'ann', ownerOf(KEYS.thief)).map((e) => e.text)).toEqual(['ann joined', 'public']);
    // The same browser (key) under another nickname sees that nickname's private lines, not ann's.
    expect(visibleTo(entries, 'cy', owner).map((e) => e.text)).toEqual(['ann joined', 'not ours', 'public']);
  });

  it('reads stored entries, old ones without a type as messages, and refuses malformed ones', () => {
    expect(toHistoryEntry({ room: 'r', from: 'a', text: 't', ts: 1 })).toEqual({ type: 'message', room: 'r', from: 'a', text: 't', ts: 1 });
    expect(toHistoryEntry(entries[1])).toEqual(entries[1]);
    expect(toHistoryEntry({ type: 'private', room: 'r', from: 'a', text: 't', ts: 1 })).toBeUndefined(); // no `to`
    expect(toHistoryEntry({ type: 'system', room: 'r', text: 't', ts: '1' })).toBeUndefined();
    expect(toHistoryEntry({ type: 'message', room: 'r', text: 't', ts: 1 })).toBeUndefined(); // no `from`
    expect(toHistoryEntry(null)).toBeUndefined();
  });
});
