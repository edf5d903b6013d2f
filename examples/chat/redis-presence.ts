// Presence shared by every chat process through Redis, so a user on process A sees users on process B.
//
//   <prefix>presence:<room>   hash  nickKey -> {"id","nick","node","owner"?}  (HSETNX claims a nickname)
//   <prefix>rooms             set   rooms that may have members
//   <prefix>node:<node>       the node's lease: a key with a TTL, renewed every third of the TTL
//
// Presence changes reach the other processes as ordinary room broadcasts through the hub's Redis adapter.
// A process that dies stops renewing its lease, which expires within the TTL; the next sweep of a
// surviving process then removes that node's entries. Each removal is a compare-and-delete, so when
// several survivors sweep at once exactly one of them reports each departed user, and its "left" line
// is said once. A process that was only paused (or cut off from Redis) past the TTL finds its lease gone
// when it renews it: its users may already have been announced as gone, so it calls onLeaseLost.
import type { Redis } from 'ioredis';
import type { Member, RoomCount } from './protocol.js';
import { byCount, byNick, nickKey, type Departure, type JoinResult, type Occupant, type PresenceStore } from './presence.js';

interface Entry extends Occupant {
  node: string;
}

export interface RedisPresenceOptions {
  redis: Redis;
  node: string;
  prefix?: string;
  /** How long a node counts as alive after its last lease renewal. */
  nodeTtlMs?: number;
  /** Called when a renewal finds the lease expired: other nodes may have removed our users. */
  onLeaseLost?: () => void;
}

// Lua runs atomically in Redis: the value is compared and changed in one step, so two processes that
// saw the same dead entry cannot both take it over or both report it.
const REPLACE_IF_SAME = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;
const DELETE_IF_SAME = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[3]) end
return 1`;
const FORGET_IF_EMPTY = `if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 0`;

/** Tries to claim a nickname this many times when its entry changes under us (leaves, takeovers). */
const CLAIM_ATTEMPTS = 3;

export class RedisPresence implements PresenceStore {
  private readonly redis: Redis;
  private readonly node: string;
  private readonly prefix: string;
  private readonly nodeTtlMs: number;
  private readonly onLeaseLost: () => void;
  private readonly timer: NodeJS.Timeout;
  /** The first lease: a join waits for it, or another node's sweep could take our entry for dead. */
  private readonly leased: Promise<void>;
  /** Entries this process wrote: room -> nickKey -> the stored value, removed on leave and close. */
  private readonly own = new Map<string, Map<string, string>>();

  constructor({ redis, node, prefix = 'chat:', nodeTtlMs = 15_000, onLeaseLost = () => {} }: RedisPresenceOptions) {
    this.redis = redis;
    this.node = node;
    this.prefix = prefix;
    this.nodeTtlMs = nodeTtlMs;
    this.onLeaseLost = onLeaseLost;
    this.leased = this.redis.set(this.nodeKey(node), '1', 'PX', nodeTtlMs).then(
      () => undefined,
      () => undefined, // Redis down: joins fail on their own commands; the renewals retry.
    );
    this.timer = setInterval(() => void this.renew(), Math.max(50, nodeTtlMs / 3));
    this.timer.unref();
  }

  private roomKey(room: string): string {
    return `${this.prefix}presence:${room}`;
  }

  private get roomsKey(): string {
    return `${this.prefix}rooms`;
  }

  private nodeKey(node: string): string {
    return `${this.prefix}node:${node}`;
  }

  private async renew(): Promise<void> {
    try {
      // XX: renew only a lease we still hold. null: it expired, and survivors may have swept our users.
      if ((await this.redis.set(this.nodeKey(this.node), '1', 'PX', this.nodeTtlMs, 'XX')) !== null) return;
      await this.redis.set(this.nodeKey(this.node), '1', 'PX', this.nodeTtlMs);
      this.onLeaseLost();
    } catch {
      // Redis unreachable: retried on the next tick; if the lease expires meanwhile, that renewal says so.
    }
  }

  async join(room: string, member: Occupant): Promise<JoinResult> {
    await this.leased;
    const hash = this.roomKey(room);
    const key = nickKey(member.nick);
    const entry: Entry = { id: member.id, nick: member.nick, node: this.node };
    if (member.owner !== undefined) entry.owner = member.owner;
    const value = JSON.stringify(entry);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      let stored = value;
      let replaced: Member | undefined;
      if ((await this.redis.hsetnx(hash, key, value)) !== 1) {
        const raw = await this.redis.hget(hash, key);
        if (raw === null) continue; // its holder left meanwhile: claim it again
        const holder = parseEntry(raw);
        if (holder?.id === member.id) stored = raw; // this very connection holds it already
        else if (holder && (await this.alive([holder.node])).has(holder.node)) return { ok: false };
        else if ((await this.redis.eval(REPLACE_IF_SAME, 1, hash, key, raw, value)) !== 1) continue;
        else if (holder) replaced = { id: holder.id, nick: holder.nick };
      }
      await this.redis.sadd(this.roomsKey, room);
      let keys = this.own.get(room);
      if (!keys) this.own.set(room, (keys = new Map()));
      keys.set(key, stored);
      return replaced ? { ok: true, replaced } : { ok: true };
    }
    return { ok: false };
  }

  async leave(room: string, member: Member): Promise<boolean> {
    const key = nickKey(member.nick);
    const keys = this.own.get(room);
    const stored = keys?.get(key);
    if (stored === undefined || parseEntry(stored)?.id !== member.id) return false;
    keys!.delete(key);
    if (keys!.size === 0) this.own.delete(room);
    return (await this.redis.eval(DELETE_IF_SAME, 2, this.roomKey(room), this.roomsKey, key, stored, room)) === 1;
  }

  async members(room: string): Promise<Member[]> {
    const entries = await this.liveEntries(room);
    return entries.map(({ id, nick }) => ({ id, nick })).sort(byNick);
  }

  async find(room: string, nick: string): Promise<Occupant | undefined> {
    const entry = parseEntry(await this.redis.hget(this.roomKey(room), nickKey(nick)));
    if (!entry || !(await this.alive([entry.node])).has(entry.node)) return undefined;
    const { node: _node, ...occupant } = entry;
    return occupant;
  }

  async rooms(): Promise<RoomCount[]> {
    const counts: RoomCount[] = [];
    for (const name of await this.redis.smembers(this.roomsKey)) {
      const count = (await this.liveEntries(name)).length;
      if (count > 0) counts.push({ name, count });
    }
    return counts.sort(byCount);
  }

  async sweep(): Promise<Departure[]> {
    const departures: Departure[] = [];
    for (const room of await this.redis.smembers(this.roomsKey)) {
      const hash = this.roomKey(room);
      const fields = Object.entries(await this.redis.hgetall(hash)).map(([key, raw]) => ({ key, raw, entry: parseEntry(raw) }));
      if (fields.length === 0) {
        await this.redis.eval(FORGET_IF_EMPTY, 2, hash, this.roomsKey, room);
        continue;
      }
      const alive = await this.alive(fields.flatMap(({ entry }) => (entry ? [entry.node] : [])));
      for (const { key, raw, entry } of fields) {
        if (entry && alive.has(entry.node)) continue;
        const removed = (await this.redis.eval(DELETE_IF_SAME, 2, hash, this.roomsKey, key, raw, room)) === 1;
        if (removed && entry) departures.push({ room, member: { id: entry.id, nick: entry.nick } });
      }
    }
    return departures;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const batch = this.redis.pipeline();
    for (const [room, keys] of this.own) {
      for (const [key, stored] of keys) batch.eval(DELETE_IF_SAME, 2, this.roomKey(room), this.roomsKey, key, stored, room);
    }
    batch.del(this.nodeKey(this.node));
    await batch.exec();
    this.own.clear();
  }

  /** The room's entries whose process is alive (dead ones are left for sweep() to report). */
  private async liveEntries(room: string): Promise<Entry[]> {
    const entries: Entry[] = [];
    for (const raw of Object.values(await this.redis.hgetall(this.roomKey(room)))) {
      const entry = parseEntry(raw);
      if (entry) entries.push(entry);
    }
    const alive = await this.alive(entries.map((entry) => entry.node));
    return entries.filter((entry) => alive.has(entry.node));
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
      const entry: Entry = { id: value.id, nick: value.nick, node: value.node };
      if (typeof value.owner === 'string') entry.owner = value.owner;
      return entry;
    }
  } catch {
    // fall through
  }
  return undefined;
}
