// History in one JSON-lines file per room under a data directory.
//
// Appends go through fs/promises (the libuv thread pool), never blocking the event loop, and are
// serialized per room. A crash mid-append leaves at most a torn last line: load skips any line that does
// not parse, and the first write to such a file rewrites it first, so the next append does not glue a new
// line onto the torn one. The file stays capped: past 2 × cap lines it is rewritten with the last `cap`
// lines into a temporary file that is renamed over the old one (rename is atomic, so a crash leaves one
// of the two whole files).
import { mkdir, readFile, appendFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { HISTORY_CAP, toHistoryEntry, type HistoryEntry, type HistoryStore } from './history.js';

/** A file name for any room name: keeps [A-Za-z0-9_-], percent-encodes every other UTF-8 byte. */
export function roomFileName(room: string): string {
  let name = '';
  for (const byte of Buffer.from(room, 'utf8')) {
    const c = String.fromCharCode(byte);
    name += /[A-Za-z0-9_-]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return name + '.jsonl';
}

/** Parses a history file, skipping lines that are torn or not chat lines. */
export function parseHistoryFile(text: string, cap: number): { lines: HistoryEntry[]; clean: boolean } {
  const lines: HistoryEntry[] = [];
  let clean = text.length === 0 || text.endsWith('\n');
  for (const raw of text.split('\n')) {
    if (raw.length === 0) continue;
    try {
      const entry = toHistoryEntry(JSON.parse(raw));
      if (entry) lines.push(entry);
      else clean = false;
    } catch {
      clean = false;
    }
  }
  return { lines: lines.slice(-cap), clean: clean && lines.length <= cap * 2 };
}

interface RoomFile {
  /** Every operation on this room's file runs after the previous one. */
  queue: Promise<unknown>;
  /** Lines in the file, once known. */
  count: number | undefined;
  pending: number;
}

export class FileHistory implements HistoryStore {
  private readonly files = new Map<string, RoomFile>();
  private ready: Promise<unknown>;

  constructor(
    private readonly dir: string,
    private readonly cap = HISTORY_CAP,
  ) {
    this.ready = mkdir(dir, { recursive: true });
  }

  load(room: string): Promise<HistoryEntry[]> {
    return this.enqueue(room, async (file) => (await this.readRepaired(room, file)).slice(-this.cap));
  }

  append(line: HistoryEntry): Promise<void> {
    return this.enqueue(line.room, async (file) => {
      if (file.count === undefined) await this.readRepaired(line.room, file);
      await appendFile(this.path(line.room), JSON.stringify(line) + '\n');
      file.count = (file.count ?? 0) + 1;
      if (file.count > this.cap * 2) {
        const lines = await this.read(line.room);
        await this.rewrite(line.room, lines.lines);
        file.count = lines.lines.length;
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((file) => file.queue));
  }

  private path(room: string): string {
    return join(this.dir, roomFileName(room));
  }

  private async read(room: string): Promise<{ lines: HistoryEntry[]; clean: boolean }> {
    let text: string;
    try {
      text = await readFile(this.path(room), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], clean: true };
      throw error;
    }
    return parseHistoryFile(text, this.cap);
  }

  /** Reads the file and, if it holds a torn line or is over its cap, rewrites it whole. */
  private async readRepaired(room: string, file: RoomFile): Promise<HistoryEntry[]> {
    const { lines, clean } = await this.read(room);
    if (!clean) await this.rewrite(room, lines);
    file.count = lines.length;
    return lines;
  }

  private async rewrite(room: string, lines: HistoryEntry[]): Promise<void> {
    const target = this.path(room);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, lines.map((line) => JSON.stringify(line) + '\n').join(''));
    await rename(temporary, target);
  }

  /** Runs `task` after every earlier operation on the room; forgets the room once idle (memory bound). */
  private enqueue<T>(room: string, task: (file: RoomFile) => Promise<T>): Promise<T> {
    let file = this.files.get(room);
    if (!file) this.files.set(room, (file = { queue: this.ready, count: undefined, pending: 0 }));
    const current = file;
    current.pending++;
    const result = current.queue.then(() => task(current));
    current.queue = result
      .catch(() => undefined)
      .finally(() => {
        if (--current.pending === 0 && this.files.get(room) === current) this.files.delete(room);
      });
    return result;
  }
}
