/**
 * The layout rules of ../shared/CONVENTIONS.md, checked on the source itself: files and
 * functions stay short, imports only run downward (protocol <- node <- hub; inspect <- protocol),
 * the protocol core touches no sockets or timers, and there are no import circles.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../src/', import.meta.url));
const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts'))
  .map((name) => name.split('\\').join('/'));
const sources = new Map(files.map((name) => [name, readFileSync(join(root, name), 'utf8')]));

/** Relative imports of a file, resolved to paths under src/; and its bare (package) imports. */
function importsOf(name: string): { local: string[]; bare: string[] } {
  const local: string[] = [];
  const bare: string[] = [];
  const source = ts.createSourceFile(name, sources.get(name)!, ts.ScriptTarget.ES2022);
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier === undefined || !ts.isStringLiteral(specifier)) continue;
    const text = specifier.text;
    if (!text.startsWith('.')) {
      bare.push(text);
      continue;
    }
    const target = relative(root, resolve(dirname(join(root, name)), text)).split('\\').join('/').replace(/\.js$/, '.ts');
    local.push(target);
  }
  return { local, bare };
}

/** Functions, methods, accessors and arrow functions longer than `limit` lines. */
function longFunctions(name: string, limit: number): string[] {
  const source = ts.createSourceFile(name, sources.get(name)!, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > limit) found.push(`${name}:${start + 1} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const layerOf = (name: string): string => (name.includes('/') ? name.slice(0, name.indexOf('/')) : 'root');

/** Which layers each layer may import (CONVENTIONS.md, "Layers"). */
const ALLOWED: Record<string, string[]> = {
  protocol: ['protocol'],
  inspect: ['inspect', 'protocol'],
  node: ['node', 'protocol', 'inspect'],
  hub: ['hub', 'node', 'protocol'],
  root: ['node', 'protocol', 'hub', 'inspect'],
};

describe('source layout (CONVENTIONS.md)', () => {
  it('no source file is over 400 lines', () => {
    const long = files.filter((name) => sources.get(name)!.replace(/\n$/, '').split('\n').length > 400);
    expect(long).toEqual([]);
  });

  it('no function is over 80 lines', () => {
    expect(files.flatMap((name) => longFunctions(name, 80))).toEqual([]);
  });

  it('imports run downward only', () => {
    const upward: string[] = [];
    for (const name of files) {
      for (const target of importsOf(name).local) {
        if (!ALLOWED[layerOf(name)].includes(layerOf(target))) upward.push(`${name} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('the protocol core opens no socket, starts no timer and reads no clock', () => {
    const io = /^node:(net|tls|http|https|http2|dgram|fs|timers|worker_threads|child_process|zlib)$/;
    const offending: string[] = [];
    for (const name of files.filter((file) => layerOf(file) === 'protocol')) {
      for (const bare of importsOf(name).bare) if (io.test(bare)) offending.push(`${name} imports ${bare}`);
      if (/\b(setTimeout|setInterval|setImmediate|Date\.now|performance\.now)\s*\(/.test(sources.get(name)!)) {
        offending.push(`${name} uses a timer or clock`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('has no import circle', () => {
    const graph = new Map(files.map((name) => [name, importsOf(name).local]));
    const state = new Map<string, 'visiting' | 'done'>();
    const circles: string[] = [];
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        circles.push([...path.slice(path.indexOf(name)), name].join(' -> '));
        return;
      }
      state.set(name, 'visiting');
      for (const next of graph.get(name) ?? []) visit(next, [...path, name]);
      state.set(name, 'done');
    };
    for (const name of files) visit(name, []);
    expect(circles).toEqual([]);
  });

  it('the checks see real violations (a circle, an upward import, a long function)', () => {
    const fake = 'protocol/fake.ts';
    sources.set(fake, `import '../node/websocket.js';\nfunction f() {\n${'  x();\n'.repeat(90)}}\n`);
    try {
      expect(importsOf(fake).local).toEqual(['node/websocket.ts']);
      expect(ALLOWED[layerOf(fake)].includes(layerOf('node/websocket.ts'))).toBe(false);
      expect(longFunctions(fake, 80)).toHaveLength(1);
    } finally {
      sources.delete(fake);
    }
  });
});
