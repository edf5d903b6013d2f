/**
 * Issue 8: every module of the protocol core, and of frame inspection which explains it, opens
 * with a comment naming the RFC sections it implements, so that a reader can go from any file
 * to the part of RFC 6455 it encodes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const folders: Array<[string, string[]]> = [
  ['protocol', ['frame.ts', 'parser.ts', 'protocol.ts', 'server-protocol.ts', 'client-protocol.ts', 'extensions/message-codec.ts']],
  ['inspect', ['decoder.ts', 'format.ts', 'tracer.ts', 'receiver-actions.ts']],
];

for (const [folder, expected] of folders) {
  const dir = new URL(`../../src/${folder}/`, import.meta.url);
  const modules = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));

  describe(`src/${folder} modules`, () => {
    it('are all checked', () => {
      expect(modules).toEqual(expect.arrayContaining(expected));
    });
    for (const name of modules) {
      it(`${name} opens with a comment naming RFC sections`, () => {
        const source = readFileSync(new URL(name, dir), 'utf8');
        expect(source.startsWith('/**')).toBe(true);
        const opening = source.slice(0, source.indexOf('*/'));
        expect(opening).toMatch(/RFC \d+/);
        expect(opening).toMatch(/§\d+(\.\d+)*/);
      });
    }
  });
}
