// Who is in which room under which nickname. Nicknames are unique within a room, compared after Unicode
// compatibility normalization and case folding, so "Alice" and "ａｌｉｃｅ" clash.
import type { Member, RoomCount } from './protocol.js';

export interface PresenceStore {
  /** Claims `member.nick` in `room`; false when someone else holds it. */
  join(room: string, member: Member): Promise<boolean>;
  leave(room: string, member: Member): Promise<void>;
  members(room: string): Promise<Member[]>;
  find(room: string, nick: string): Promise<Member | undefined>;
  rooms(): Promise<RoomCount[]>;
  /** Rooms whose membership changed without a leave here (another process died); [] for one process. */
  sweep(): Promise<string[]>;
  close(): Promise<void>;
}

export function nickKey(nick: string): string {
  return nick.normalize('NFKC').toLowerCase();
}

export const byNick = (a: Member, b: Member): number => a.nick.localeCompare(b.nick);

export const byCount = (a: RoomCount, b: RoomCount): number => b.count - a.count || a.name.localeCompare(b.name);

/** Presence for a single process. */
export class LocalPresence implements PresenceStore {
  private readonly byRoom = new Map<string, Map<string, Member>>();

  async join(room: string, member: Member): Promise<boolean> {
    let members = this.byRoom.get(room);
    if (!members) this.byRoom.set(room, (members = new Map()));
    const key = nickKey(member.nick);
    const holder = members.get(key);
    if (holder && holder.id !== member.id) return false;
    members.set(key, { id: member.id, nick: member.nick });
    return true;
  }

  async leave(room: string, member: Member): Promise<void> {
    const members = this.byRoom.get(room);
    if (!members) return;
    const key = nickKey(member.nick);
    if (members.get(key)?.id === member.id) members.delete(key);
    if (members.size === 0) this.byRoom.delete(room);
  }

  async members(room: string): Promise<Member[]> {
    return [...(this.byRoom.get(room)?.values() ?? [])].sort(byNick);
  }

  async find(room: string, nick: string): Promise<Member | undefined> {
    return this.byRoom.get(room)?.get(nickKey(nick));
  }

  async rooms(): Promise<RoomCount[]> {
    return [...this.byRoom].map(([name, members]) => ({ name, count: members.size })).sort(byCount);
  }

  async sweep(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    this.byRoom.clear();
  }
}
