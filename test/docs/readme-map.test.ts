/**
 * The README's map of the source lists every file under src/, in the folder it is in, so that
 * a newcomer can find any file from it (RFC-numbered or not).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Map of the source'));
const map = /```\n([\s\S]*?)```/.exec(section)![1];

/** The files the map names, as paths under src/ (from its indentation). */
function mappedFiles(text: string): string[] {
  const files: string[] = [];
  const folders: Array<{ indent: number; name: string }> = [];
  for (const line of text.split('\n')) {
    const match = /^( *)(\S+)/.exec(line);
    if (match === null) continue;
    const indent = match[1].length;
    while (folders.length > 0 && folders[folders.length - 1].indent >= indent) folders.pop();
    const name = match[2];
    if (name.endsWith('/')) folders.push({ indent, name: name.slice(0, -1) });
    else if (name.endsWith('.ts')) files.push([...folders.map((f) => f.name), name].join('/'));
  }
  return files.filter((file) => file.startsWith('src/')).map((file) => file.slice('src/'.length));
}

describe('README map of the source', () => {
  it('lists every file under src/, and nothing that does not exist', () => {
    const actual = readdirSync(new URL('../../src/', import.meta.url), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => name.split('\\').join('/'))
      .sort();
    expect(mappedFiles(map).sort()).toEqual(actual);
  });

  it('the reader of the map sees nesting', () => {
    expect(mappedFiles('src/\n  a/\n    b.ts\n  c.ts\n')).toEqual(['a/b.ts', 'c.ts']);
  });
});
