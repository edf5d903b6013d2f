// Message history: the last `cap` entries of each room's log (messages, joins and leaves, private
// messages), sent to a client when it joins. A private entry keeps who may see it again: the sender
// and the recipient, each as a nickname plus the hash of the key that user joined with.
import type { LogEntry, PrivateLine } from './protocol.js';
import { nickKey } from './presence.js';

export const HISTORY_CAP = 100;

/** A private line as stored: with the owners (key hashes) of both parties, never sent to clients. */
export type StoredPrivate = { type: 'private' } & PrivateLine & { fromOwner?: string; toOwner?: string };

export type HistoryEntry = Exclude<LogEntry, { type: 'private' }> | StoredPrivate;

export interface HistoryStore {
  /** The last entries of a room, oldest first. */
  load(room: string): Promise<HistoryEntry[]>;
  /** Records an entry; resolves once stored (callers need not wait). */
  append(entry: HistoryEntry): Promise<void>;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** History kept in memory only: lost on restart; used when persistence is turned off. */
export class MemoryHistory implements HistoryStore {
  private readonly rooms = new Map<string, HistoryEntry[]>();
  constructor(private readonly cap = HISTORY_CAP) {}

  async load(room: string): Promise<HistoryEntry[]> {
    return [...(this.rooms.get(room) ?? [])];
  }

  async append(entry: HistoryEntry): Promise<void> {
    let entries = this.rooms.get(entry.room);
    if (!entries) this.rooms.set(entry.room, (entries = []));
    entries.push(entry);
    if (entries.length > this.cap) entries.splice(0, entries.length - this.cap);
  }

  async close(): Promise<void> {}
}

/**
 * What one user may see of a room's history: everything but the private entries it is not a party to.
 * A party is the same nickname joined with the same key, so whoever takes a nickname after its owner
 * left does not read the owner's private messages. A user without a key sees no private entries.
 */
export function visibleTo(entries: HistoryEntry[], nick: string, owner: string | undefined): LogEntry[] {
  const me = nickKey(nick);
  const visible: LogEntry[] = [];
  for (const entry of entries) {
    if (entry.type !== 'private') {
      visible.push(entry);
      continue;
    }
    const { fromOwner, toOwner, ...line } = entry;
    const sent = fromOwner !== undefined && fromOwner === owner && nickKey(entry.from) === me;
    const received = toOwner !== undefined && toOwner === owner && nickKey(entry.to) === me;
    if (owner !== undefined && (sent || received)) visible.push(line);
  }
  return visible;
}

/** A parsed JSON value as a history entry, or undefined (files and Redis are untrusted). Lines written
 * before entries had a `type` are messages. */
export function toHistoryEntry(value: unknown): HistoryEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.room !== 'string' || typeof v.text !== 'string' || typeof v.ts !== 'number') return undefined;
  const base = { room: v.room, text: v.text, ts: v.ts };
  const type = v.type ?? 'message';
  if (type === 'system') return { type, ...base };
  if (typeof v.from !== 'string') return undefined;
  if (type === 'message') return { type, ...base, from: v.from };
  if (type !== 'private' || typeof v.to !== 'string') return undefined;
  const entry: StoredPrivate = { type, ...base, from: v.from, to: v.to };
  if (typeof v.fromOwner === 'string') entry.fromOwner = v.fromOwner;
  if (typeof v.toOwner === 'string') entry.toOwner = v.toOwner;
  return entry;
}
