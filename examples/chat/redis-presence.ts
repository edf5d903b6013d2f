// Presence shared by every chat process through Redis, so a user on process A sees users on process B.
//
//   <prefix>presence:<room>   hash  nickKey -> {"id","nick","node"}   (HSETNX claims a nickname atomically)
//   <prefix>rooms             set   rooms that may have members
//   <prefix>node:<node>       string with a TTL, refreshed while the process lives
//
// Presence changes themselves reach the other processes as ordinary room broadcasts through the hub's
// Redis adapter. If a process dies without cleaning up, its node key expires and sweep() removes its
// entries, so the survivors can broadcast corrected presence.
import type { Redis } from 'ioredis';
import type { Member, RoomCount } from './protocol.js';
import { byCount, byNick, nickKey, type PresenceStore } from './presence.js';

interface Entry extends Member {
  node: string;
}

export interface RedisPresenceOptions {
  redis: Redis;
  node: string;
  prefix?: string;
  /** How long a node counts as alive after its last refresh. */
  nodeTtlMs?: number;
}

export class RedisPresence implements PresenceStore {
  private readonly redis: Redis;
  private readonly node: string;
  private readonly prefix: string;
  private readonly nodeTtlMs: number;
  private readonly timer: NodeJS.Timeout;
  /** Entries this process added, removed on close. */
  private readonly own = new Map<string, Set<string>>();

  constructor({ redis, node, prefix = 'chat:', nodeTtlMs = 15_000 }: RedisPresenceOptions) {
    this.redis = redis;
    this.node = node;
    this.prefix = prefix;
    this.nodeTtlMs = nodeTtlMs;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), Math.max(50, nodeTtlMs / 3));
    this.timer.unref();
  }

  private roomKey(room: string): string {
    return `${this.prefix}presence:${room}`;
  }

  private nodeKey(node: string): string {
    return `${this.prefix}node:${node}`;
  }

  private async refresh(): Promise<void> {
    try {
      await this.redis.set(this.nodeKey(this.node), '1', 'PX', this.nodeTtlMs);
    } catch {
      // Redis down: the entries age out on the other nodes; we retry on the next tick.
    }
  }

  async join(room: string, member: Member): Promise<boolean> {
    const key = nickKey(member.nick);
    const value = JSON.stringify({ id: member.id, nick: member.nick, node: this.node });
    let claimed = (await this.redis.hsetnx(this.roomKey(room), key, value)) === 1;
    if (!claimed) {
      const holder = parseEntry(await this.redis.hget(this.roomKey(room), key));
      if (holder?.id === member.id) claimed = true;
      else if (!holder || !(await this.alive([holder.node])).has(holder.node)) {
        // The holder's process is gone; take the nickname over.
        await this.redis.hset(this.roomKey(room), key, value);
        claimed = true;
      }
    }
    if (!claimed) return false;
    await this.redis.sadd(`${this.prefix}rooms`, room);
    let keys = this.own.get(room);
    if (!keys) this.own.set(room, (keys = new Set()));
    keys.add(key);
    return true;
  }

  async leave(room: string, member: Member): Promise<void> {
    const key = nickKey(member.nick);
    const holder = parseEntry(await this.redis.hget(this.roomKey(room), key));
    if (holder?.id === member.id) await this.redis.hdel(this.roomKey(room), key);
    this.own.get(room)?.delete(key);
    if (this.own.get(room)?.size === 0) this.own.delete(room);
  }

  async members(room: string): Promise<Member[]> {
    const entries = await this.liveEntries(room);
    return entries.map(({ id, nick }) => ({ id, nick })).sort(byNick);
  }

  async find(room: string, nick: string): Promise<Member | undefined> {
    const entry = parseEntry(await this.redis.hget(this.roomKey(room), nickKey(nick)));
    if (!entry || !(await this.alive([entry.node])).has(entry.node)) return undefined;
    return { id: entry.id, nick: entry.nick };
  }

  async rooms(): Promise<RoomCount[]> {
    const names = await this.redis.smembers(`${this.prefix}rooms`);
    const counts: RoomCount[] = [];
    for (const name of names) {
      const count = (await this.liveEntries(name)).length;
      if (count > 0) counts.push({ name, count });
      else await this.redis.srem(`${this.prefix}rooms`, name);
    }
    return counts.sort(byCount);
  }

  async sweep(): Promise<string[]> {
    const changed: string[] = [];
    for (const room of await this.redis.smembers(`${this.prefix}rooms`)) {
      const all = await this.redis.hlen(this.roomKey(room));
      if ((await this.liveEntries(room)).length !== all) changed.push(room);
    }
    return changed;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const batch = this.redis.multi();
    for (const [room, keys] of this.own) if (keys.size > 0) batch.hdel(this.roomKey(room), ...keys);
    batch.del(this.nodeKey(this.node));
    await batch.exec();
    this.own.clear();
  }

  /** The room's entries whose process is alive; entries of dead processes are deleted on the way. */
  private async liveEntries(room: string): Promise<Entry[]> {
    const hash = await this.redis.hgetall(this.roomKey(room));
    const entries: [string, Entry][] = [];
    const dead: string[] = [];
    for (const [key, raw] of Object.entries(hash)) {
      const entry = parseEntry(raw);
      if (entry) entries.push([key, entry]);
      else dead.push(key);
    }
    const alive = await this.alive(entries.map(([, entry]) => entry.node));
    const live: Entry[] = [];
    for (const [key, entry] of entries) {
      if (alive.has(entry.node)) live.push(entry);
      else dead.push(key);
    }
    if (dead.length > 0) await this.redis.hdel(this.roomKey(room), ...dead);
    return live;
  }

  private async alive(nodes: string[]): Promise<Set<string>> {
    const unique = [...new Set(nodes)];
    if (unique.length === 0) return new Set();
    const flags = await this.redis.mget(...unique.map((node) => this.nodeKey(node)));
    return new Set(unique.filter((_, i) => flags[i] !== null));
  }
}

function parseEntry(raw: string | null | undefined): Entry | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Entry>;
    if (typeof value.id === 'string' && typeof value.nick === 'string' && typeof value.node === 'string') {
      return { id: value.id, nick: value.nick, node: value.node };
    }
  } catch {
    // fall through
  }
  return undefined;
}
