// The chat itself: one instance per process, fed every accepted socket. It validates and rate-limits
// input, keeps nicknames unique per room, records history, and leaves all fan-out to the hub.
import { createHash } from 'node:crypto';
import {
  encode,
  isStrike,
  parseClientMessage,
  Limits,
  type ClientMessage,
  type ErrorCode,
  type LogEntry,
  type ServerMessage,
} from './protocol.js';
import { TokenBucket } from './rate-limit.js';
import { visibleTo, type HistoryEntry, type HistoryStore } from './history.js';
import type { PresenceStore } from './presence.js';

/** Close code for a client that breaks the rules (RFC 6455 §7.4.1: 1008 policy violation). */
export const POLICY_VIOLATION = 1008;
/** Close code asking a client to come back (IANA registry: 1012 Service Restart). */
export const SERVICE_RESTART = 1012;

/** The stored form of a join's key: its hash, so history and presence never hold the secret itself. */
export function ownerOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** The part of a wsmith WebSocket the chat uses. */
export interface ChatSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of wsmith's Hub the chat uses. */
export interface ChatHub<S extends ChatSocket> {
  add(socket: S, options?: { id?: string; data?: unknown }): string;
  join(socket: S, room: string): void;
  leave(socket: S, room: string): void;
  broadcast(data: string, options?: { room?: string; except?: S | string }): void;
  sendTo(id: string, data: string): void;
  /** Resolves once room subscriptions on other nodes' channels are active (multi-process hubs). */
  ready?(): Promise<void>;
}

export interface ChatOptions<S extends ChatSocket> {
  hub: ChatHub<S>;
  presence: PresenceStore;
  history: HistoryStore;
  /** How long a typing indicator lasts on the receiving page without another keystroke. */
  typingTimeoutMs?: number;
  /** Token bucket: messages per second and burst. */
  rate?: number;
  burst?: number;
  /** Malformed messages tolerated before close 1008. */
  maxStrikes?: number;
  /** Messages refused by the rate limit, in a row, before close 1008. */
  maxRateLimited?: number;
  maxRoomsPerConnection?: number;
  /** How often to look for users of crashed processes (multi-process presence). 0 turns it off. */
  sweepIntervalMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

/** Who a connection is in one room: its nickname, and the owner (key hash) it joined with. */
interface Membership {
  nick: string;
  owner?: string;
}

interface Connection<S> {
  socket: S;
  id: string;
  rooms: Map<string, Membership>;
  bucket: TokenBucket;
  strikes: number;
  rateLimited: number;
  /** Closing for a policy violation: no more input is read. */
  ending: boolean;
  /** Messages are handled one after another, so a join completes before the next message. */
  queue: Promise<void>;
  closed: boolean;
}

export class Chat<S extends ChatSocket> {
  private readonly hub: ChatHub<S>;
  private readonly presence: PresenceStore;
  private readonly history: HistoryStore;
  private readonly typingTimeoutMs: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxStrikes: number;
  private readonly maxRateLimited: number;
  private readonly maxRooms: number;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly connections = new Set<Connection<S>>();
  private roomsUpdateScheduled = false;
  private readonly sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: ChatOptions<S>) {
    this.hub = options.hub;
    this.presence = options.presence;
    this.history = options.history;
    this.typingTimeoutMs = options.typingTimeoutMs ?? 3000;
    this.rate = options.rate ?? 20;
    this.burst = options.burst ?? 40;
    this.maxStrikes = options.maxStrikes ?? 5;
    this.maxRateLimited = options.maxRateLimited ?? 20;
    this.maxRooms = options.maxRoomsPerConnection ?? 10;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    const sweepMs = options.sweepIntervalMs ?? 5000;
    if (sweepMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), sweepMs);
      this.sweepTimer.unref();
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Takes over an accepted socket. */
  accept(socket: S): void {
    const id = this.hub.add(socket);
    const conn: Connection<S> = {
      socket,
      id,
      rooms: new Map(),
      bucket: new TokenBucket({ rate: this.rate, burst: this.burst, now: this.now }),
      strikes: 0,
      rateLimited: 0,
      ending: false,
      queue: Promise.resolve(),
      closed: false,
    };
    this.connections.add(conn);
    socket.on('message', (data, isBinary) => this.receive(conn, data, isBinary));
    // The library closes the connection on protocol errors (1002, 1009 ...); the chat only notes them.
    socket.on('error', (error) => this.log(`socket: ${error.message}`));
    socket.on('close', () => {
      conn.closed = true;
      // Kept in `connections` until presence is updated, so close() can wait for it.
      conn.queue = conn.queue
        .then(() => this.disconnect(conn))
        .catch((error: unknown) => this.log(`chat: ${String(error)}`))
        .finally(() => this.connections.delete(conn));
    });
    this.send(conn, { type: 'welcome', id, typingTimeoutMs: this.typingTimeoutMs, limits: Limits });
    void this.sendRooms(conn);
  }

  /**
   * Closes every connection with 1012 so its page reconnects and joins again. For when presence lost
   * this process's users (its lease expired while it was paused or cut off from Redis).
   */
  restartConnections(reason = 'presence lost: join again'): void {
    for (const conn of this.connections) if (!conn.closed) conn.socket.close(SERVICE_RESTART, reason);
  }

  /** Stops the sweep timer and removes every local user from presence. */
  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.all([...this.connections].map((conn) => conn.queue));
    await this.history.close();
    await this.presence.close();
  }

  private receive(conn: Connection<S>, data: Buffer, isBinary: boolean): void {
    if (conn.closed || conn.ending) return;
    if (!conn.bucket.take()) {
      conn.rateLimited++;
      if (conn.rateLimited > this.maxRateLimited) {
        this.closeForPolicy(conn, 'rate_limited', 'rate limit exceeded');
      } else if (conn.rateLimited === 1) {
        this.error(conn, 'rate_limited', `slow down: at most ${this.rate} messages a second`);
      }
      return;
    }
    conn.rateLimited = 0;

    const parsed = isBinary
      ? ({ ok: false, code: 'binary_unsupported', message: 'send JSON text frames' } as const)
      : parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      if (isStrike(parsed.code) && ++conn.strikes >= this.maxStrikes) {
        this.closeForPolicy(conn, parsed.code, 'too many invalid messages');
      } else {
        this.error(conn, parsed.code, parsed.message);
      }
      return;
    }
    const message = parsed.message;
    conn.queue = conn.queue
      .then(() => (conn.closed ? undefined : this.handle(conn, message)))
      .catch((error: unknown) => this.log(`chat: ${String(error)}`));
  }

  private async handle(conn: Connection<S>, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'join':
        return this.join(conn, message.room, message.nick, message.key);
      case 'leave':
        return this.leave(conn, message.room);
      case 'message':
        return this.say(conn, message.room, message.text);
      case 'typing':
        return this.typing(conn, message.room, message.to);
      case 'private':
        return this.whisper(conn, message.room, message.to, message.text);
      case 'rooms':
        return this.sendRooms(conn);
    }
  }

  private async join(conn: Connection<S>, room: string, nick: string, key: string | undefined): Promise<void> {
    const current = conn.rooms.get(room);
    if (current !== undefined && current.nick !== nick) {
      return this.error(conn, 'invalid_field', `already in "${room}" as "${current.nick}"; leave first`);
    }
    if (current === undefined && conn.rooms.size >= this.maxRooms) {
      return this.error(conn, 'too_many_rooms', `at most ${this.maxRooms} rooms per connection`);
    }
    const owner = current?.owner ?? (key === undefined ? undefined : ownerOf(key));
    const claim = await this.presence.join(room, { id: conn.id, nick, owner });
    if (!claim.ok) return this.error(conn, 'nick_taken', `the nickname "${nick}" is taken in "${room}"`);
    // Join the hub's room before reading history: a line said meanwhile then reaches the client live
    // (and maybe also in the history; the page drops the duplicate) instead of falling in between.
    // If the socket closes while we wait, the disconnect queued behind this join parts the room.
    this.hub.join(conn.socket, room);
    conn.rooms.set(room, { nick, owner });
    const [history, members] = await Promise.all([
      this.history.load(room),
      this.presence.members(room),
      this.hub.ready?.(),
    ]);
    this.send(conn, { type: 'joined', room, nick, members, history: visibleTo(history, nick, owner) });
    if (current !== undefined) return;
    // The nickname was held by a user of a process that died and no sweep has reported it yet.
    if (claim.replaced) this.post({ type: 'system', room, text: `${claim.replaced.nick} left`, ts: this.now() }, conn.socket);
    this.post({ type: 'system', room, text: `${nick} joined`, ts: this.now() }, conn.socket);
    this.hub.broadcast(encode({ type: 'presence', room, members }), { room, except: conn.socket });
    this.scheduleRoomsUpdate();
  }

  private async leave(conn: Connection<S>, room: string): Promise<void> {
    const membership = conn.rooms.get(room);
    if (membership === undefined) return this.error(conn, 'not_in_room', `not in "${room}"`);
    await this.part(conn, room, membership.nick);
    this.send(conn, { type: 'left', room });
  }

  private async disconnect(conn: Connection<S>): Promise<void> {
    for (const [room, { nick }] of conn.rooms) await this.part(conn, room, nick);
  }

  /** Removes a user from a room and tells the room, unless a sweep already did (see RedisPresence). */
  private async part(conn: Connection<S>, room: string, nick: string): Promise<void> {
    conn.rooms.delete(room);
    if (!conn.closed) this.hub.leave(conn.socket, room);
    if (await this.presence.leave(room, { id: conn.id, nick })) await this.announceLeft(room, [nick]);
  }

  /** "ann left" for each nickname, then the room's presence and the rooms list. */
  private async announceLeft(room: string, nicks: string[]): Promise<void> {
    const members = await this.presence.members(room);
    for (const nick of nicks) this.post({ type: 'system', room, text: `${nick} left`, ts: this.now() });
    this.hub.broadcast(encode({ type: 'presence', room, members }), { room });
    this.scheduleRoomsUpdate();
  }

  /** A line of the room's log: said to the room now (but to `except`) and recorded in its history. */
  private post(entry: Exclude<LogEntry, { type: 'private' }>, except?: S): void {
    this.record(entry);
    this.hub.broadcast(encode(entry), { room: entry.room, except });
  }

  /** The write completes in the background: the room does not wait on the disk or on Redis. */
  private record(entry: HistoryEntry): void {
    this.history.append(entry).catch((error: unknown) => this.log(`history: ${String(error)}`));
  }

  private async say(conn: Connection<S>, room: string, text: string): Promise<void> {
    const from = conn.rooms.get(room)?.nick;
    if (from === undefined) return this.error(conn, 'not_in_room', `join "${room}" first`);
    this.post({ type: 'message', room, from, text, ts: this.now() });
  }

  /** To the room but the typist or, with `to`, to that one user: a private message shows no one else. */
  private async typing(conn: Connection<S>, room: string, to: string | undefined): Promise<void> {
    const nick = conn.rooms.get(room)?.nick;
    if (nick === undefined) return this.error(conn, 'not_in_room', `join "${room}" first`);
    if (to === undefined) {
      this.hub.broadcast(encode({ type: 'typing', room, nick }), { room, except: conn.socket });
      return;
    }
    // No error when the recipient is gone: typing is a hint the page sends every second or so.
    const target = await this.presence.find(room, to);
    if (target && target.id !== conn.id) this.hub.sendTo(target.id, encode({ type: 'typing', room, nick, to: target.nick }));
  }

  private async whisper(conn: Connection<S>, room: string, to: string, text: string): Promise<void> {
    const me = conn.rooms.get(room);
    if (me === undefined) return this.error(conn, 'not_in_room', `join "${room}" first`);
    const target = await this.presence.find(room, to);
    if (!target) return this.error(conn, 'no_such_user', `nobody called "${to}" in "${room}"`);
    const line = { type: 'private', room, from: me.nick, to: target.nick, text, ts: this.now() } as const;
    this.record({ ...line, fromOwner: me.owner, toOwner: target.owner });
    const payload = encode(line);
    // sendTo finds the target on this process or, through the hub's adapter, on another one.
    this.hub.sendTo(target.id, payload);
    if (target.id !== conn.id && !conn.ending) conn.socket.send(payload);
  }

  private async sendRooms(conn: Connection<S>): Promise<void> {
    this.send(conn, { type: 'rooms', rooms: await this.presence.rooms() });
  }

  /** Room counts change in bursts (a page reload is a leave and a join): send one update per tick. */
  private scheduleRoomsUpdate(): void {
    if (this.roomsUpdateScheduled) return;
    this.roomsUpdateScheduled = true;
    setImmediate(() => {
      this.roomsUpdateScheduled = false;
      this.presence
        .rooms()
        .then((rooms) => this.hub.broadcast(encode({ type: 'rooms', rooms })))
        .catch((error: unknown) => this.log(`rooms: ${String(error)}`));
    });
  }

  /** Says "left" for the users of crashed processes this process removed from presence. */
  private async sweep(): Promise<void> {
    try {
      const byRoom = new Map<string, string[]>();
      for (const { room, member } of await this.presence.sweep()) {
        byRoom.set(room, [...(byRoom.get(room) ?? []), member.nick]);
      }
      for (const [room, nicks] of byRoom) await this.announceLeft(room, nicks);
    } catch (error) {
      this.log(`sweep: ${String(error)}`);
    }
  }

  private send(conn: Connection<S>, message: ServerMessage): void {
    if (!conn.closed && !conn.ending) conn.socket.send(encode(message));
  }

  private error(conn: Connection<S>, code: ErrorCode, message: string): void {
    this.send(conn, { type: 'error', code, message });
  }

  private closeForPolicy(conn: Connection<S>, code: ErrorCode, reason: string): void {
    this.error(conn, code, reason);
    conn.ending = true;
    conn.socket.close(POLICY_VIOLATION, reason);
  }
}
