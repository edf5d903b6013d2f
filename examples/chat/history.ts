// Message history: the last `cap` chat lines of each room, sent to a client when it joins.
import type { ChatLine } from './protocol.js';

export const HISTORY_CAP = 100;

export interface HistoryStore {
  /** The last lines of a room, oldest first. */
  load(room: string): Promise<ChatLine[]>;
  /** Records a line; resolves once stored (callers need not wait). */
  append(line: ChatLine): Promise<void>;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** History kept in memory only: lost on restart; used when persistence is turned off. */
export class MemoryHistory implements HistoryStore {
  private readonly rooms = new Map<string, ChatLine[]>();
  constructor(private readonly cap = HISTORY_CAP) {}

  async load(room: string): Promise<ChatLine[]> {
    return [...(this.rooms.get(room) ?? [])];
  }

  async append(line: ChatLine): Promise<void> {
    let lines = this.rooms.get(line.room);
    if (!lines) this.rooms.set(line.room, (lines = []));
    lines.push(line);
    if (lines.length > this.cap) lines.splice(0, lines.length - this.cap);
  }

  async close(): Promise<void> {}
}

/** True for a parsed JSON value that has the shape of a ChatLine (files and Redis are untrusted). */
export function isChatLine(value: unknown): value is ChatLine {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as Record<string, unknown>;
  return (
    typeof line.room === 'string' &&
    typeof line.from === 'string' &&
    typeof line.text === 'string' &&
    typeof line.ts === 'number'
  );
}
