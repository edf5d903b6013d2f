import { describe, expect, it } from 'vitest';
import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileHistory, parseHistoryFile, roomFileName } from '../../../examples/chat/file-history.js';
import { tempDir } from './support/server.js';

const line = (room: string, i: number) => ({ type: 'message' as const, room, from: 'ann', text: `m${i}`, ts: 1000 + i });

describe('chat FileHistory', () => {
  it('names files safely for any room name', () => {
    expect(roomFileName('lobby')).toBe('lobby.jsonl');
    expect(roomFileName('../etc/passwd')).toBe('%2E%2E%2Fetc%2Fpasswd.jsonl');
    expect(roomFileName('café')).toBe('caf%C3%A9.jsonl');
  });

  it('keeps the last 100 lines of a room across instances (a restart)', async () => {
    const dir = await tempDir();
    const first = new FileHistory(dir);
    for (let i = 0; i < 250; i++) void first.append(line('r', i));
    await first.close();
    const second = new FileHistory(dir);
    const lines = await second.load('r');
    expect(lines).toHaveLength(100);
    expect(lines[0].text).toBe('m150');
    expect(lines[99].text).toBe('m249');
    // The file itself is capped (rewritten past 2 × 100 lines), not only what load returns.
    const onDisk = (await readFile(join(dir, 'r.jsonl'), 'utf8')).trim().split('\n');
    expect(onDisk.length).toBeLessThanOrEqual(200);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('skips a torn last line and repairs the file before the next append', async () => {
    const dir = await tempDir();
    const file = join(dir, 'r.jsonl');
    await writeFile(file, JSON.stringify(line('r', 1)) + '\n' + JSON.stringify(line('r', 2)) + '\n');
    await appendFile(file, '{"room":"r","from":"ann","te'); // a crash mid-write
    const history = new FileHistory(dir);
    expect((await history.load('r')).map((l) => l.text)).toEqual(['m1', 'm2']);
    await history.append(line('r', 3));
    await history.close();
    const text = await readFile(file, 'utf8');
    expect(parseHistoryFile(text, 100)).toEqual({ lines: [line('r', 1), line('r', 2), line('r', 3)], clean: true });
  });

  it('skips lines that parse but are not chat lines, and reads lines without a type as messages', () => {
    const text = '{"room":"r","from":"a","text":"ok","ts":1}\n{"hello":1}\n42\n{"type":"shout","room":"r","text":"x","ts":2}\n';
    expect(parseHistoryFile(text, 100)).toEqual({
      lines: [{ type: 'message', room: 'r', from: 'a', text: 'ok', ts: 1 }],
      clean: false,
    });
  });

  it('keeps join/leave lines and private lines with their owners, in order', async () => {
    const dir = await tempDir();
    const first = new FileHistory(dir);
    const entries = [
      { type: 'system' as const, room: 'r', text: 'ann joined', ts: 1 },
      { type: 'private' as const, room: 'r', from: 'ann', to: 'bob', text: 'psst', ts: 2, fromOwner: 'A', toOwner: 'B' },
      line('r', 3),
      { type: 'system' as const, room: 'r', text: 'ann left', ts: 4 },
    ];
    for (const entry of entries) void first.append(entry);
    await first.close();
    expect(await new FileHistory(dir).load('r')).toEqual(entries);
  });

  it('keeps rooms apart', async () => {
    const history = new FileHistory(await tempDir());
    await history.append(line('a', 1));
    await history.append(line('b', 2));
    expect((await history.load('a')).map((l) => l.text)).toEqual(['m1']);
    expect((await history.load('b')).map((l) => l.text)).toEqual(['m2']);
    expect(await history.load('empty')).toEqual([]);
  });
});
