// Who is in which room under which nickname. Nicknames are unique within a room, compared after Unicode
// compatibility normalization and case folding, so "Alice" and "ａｌｉｃｅ" clash.
import type { Member, RoomCount } from './protocol.js';

/** A member as presence keeps it: `owner` is the hash of the key it joined with (never broadcast). */
export interface Occupant extends Member {
  owner?: string;
}

/** A join either claims the nickname, possibly from a user of a dead process, or finds it taken. */
export type JoinResult = { ok: true; replaced?: Member } | { ok: false };

/** A user removed from presence without leaving itself: its process died. */
export interface Departure {
  room: string;
  member: Member;
}

export interface PresenceStore {
  /** Claims `member.nick` in `room`. `replaced` names a user of a dead process who held it until now. */
  join(room: string, member: Occupant): Promise<JoinResult>;
  /** True when this call removed the member (false: it was gone already, e.g. swept after a crash). */
  leave(room: string, member: Member): Promise<boolean>;
  members(room: string): Promise<Member[]>;
  find(room: string, nick: string): Promise<Occupant | undefined>;
  rooms(): Promise<RoomCount[]>;
  /**
   * Removes the users of processes that died, each reported by exactly one of the processes that sweep
   * at the same time, so its "left" line is said once. [] for one process.
   */
  sweep(): Promise<Departure[]>;
  close(): Promise<void>;
}

export function nickKey(nick: string): string {
  return nick.normalize('NFKC').toLowerCase();
}

export const byNick = (a: Member, b: Member): number => a.nick.localeCompare(b.nick);

export const byCount = (a: RoomCount, b: RoomCount): number => b.count - a.count || a.name.localeCompare(b.name);

/** Presence for a single process. */
export class LocalPresence implements PresenceStore {
  private readonly byRoom = new Map<string, Map<string, Occupant>>();

  async join(room: string, member: Occupant): Promise<JoinResult> {
    let members = this.byRoom.get(room);
    if (!members) this.byRoom.set(room, (members = new Map()));
    const key = nickKey(member.nick);
    const holder = members.get(key);
    if (holder && holder.id !== member.id) return { ok: false };
    members.set(key, { ...member });
    return { ok: true };
  }

  async leave(room: string, member: Member): Promise<boolean> {
    const members = this.byRoom.get(room);
    if (!members) return false;
    const key = nickKey(member.nick);
    const removed = members.get(key)?.id === member.id && members.delete(key);
    if (members.size === 0) this.byRoom.delete(room);
    return removed;
  }

  async members(room: string): Promise<Member[]> {
    return [...(this.byRoom.get(room)?.values() ?? [])].map(({ id, nick }) => ({ id, nick })).sort(byNick);
  }

  async find(room: string, nick: string): Promise<Occupant | undefined> {
    return this.byRoom.get(room)?.get(nickKey(nick));
  }

  async rooms(): Promise<RoomCount[]> {
    return [...this.byRoom].map(([name, members]) => ({ name, count: members.size })).sort(byCount);
  }

  async sweep(): Promise<Departure[]> {
    return [];
  }

  async close(): Promise<void> {
    this.byRoom.clear();
  }
}
