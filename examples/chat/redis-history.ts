// History in Redis: one capped list per room, shared by every chat process.
import type { Redis } from 'ioredis';
import { HISTORY_CAP, toHistoryEntry, type HistoryEntry, type HistoryStore } from './history.js';

export class RedisHistory implements HistoryStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'chat:',
    private readonly cap = HISTORY_CAP,
  ) {}

  private key(room: string): string {
    return `${this.prefix}history:${room}`;
  }

  async load(room: string): Promise<HistoryEntry[]> {
    const raw = await this.redis.lrange(this.key(room), -this.cap, -1);
    const lines: HistoryEntry[] = [];
    for (const entry of raw) {
      try {
        const line = toHistoryEntry(JSON.parse(entry));
        if (line) lines.push(line);
      } catch {
        // Skip entries written by something else.
      }
    }
    return lines;
  }

  async append(line: HistoryEntry): Promise<void> {
    const key = this.key(line.room);
    // One MULTI so the list never holds more than cap entries between the push and the trim.
    await this.redis.multi().rpush(key, JSON.stringify(line)).ltrim(key, -this.cap, -1).exec();
  }

  async close(): Promise<void> {}
}
