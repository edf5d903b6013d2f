/**
 * docs/how-websocket-works.md links every step to the file and function that implements it.
 * These tests keep the links honest as the code moves: each relative link must point at a file
 * that exists, and each name in a link's text (`FrameParser.parseHeader`) must be declared in
 * that file. RFC links must point at a section anchor that matches the section named.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const docPath = fileURLToPath(new URL('../../docs/how-websocket-works.md', import.meta.url));
const doc = readFileSync(docPath, 'utf8');

interface Link {
  text: string;
  target: string;
  line: number;
}

/** Markdown links `[text](target)` outside fenced code blocks. */
function links(markdown: string): Link[] {
  const found: Link[] = [];
  let fenced = false;
  markdown.split('\n').forEach((line, index) => {
    if (line.trimStart().startsWith('```')) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    for (const match of line.matchAll(/\[([^\]]+)\]\(([^)\s]+)\)/g)) {
      found.push({ text: match[1], target: match[2], line: index + 1 });
    }
  });
  return found;
}

function escape(name: string): string {
  return name.replace(/[$]/g, '\\$');
}

/** Is `name` declared at the top level of `source` (function, class, const, enum, type ...)? */
function declaresTopLevel(source: string, name: string): boolean {
  const declaration = new RegExp(
    `(?:function\\*?|class|const|let|var|enum|interface|type)\\s+${escape(name)}\\b`,
  );
  return declaration.test(source);
}

/** Does `source` declare a member `name` (method, getter, arrow-function field, property)? */
function declaresMember(source: string, name: string): boolean {
  const member = new RegExp(
    `^\\s*(?:(?:private|protected|public|static|readonly|async|override|get|set)\\s+)*${escape(name)}\\s*(?:\\(|=|<|:|\\?)`,
    'm',
  );
  return member.test(source);
}

const allLinks = links(doc);
const codeLinks = allLinks.filter((link) => !/^[a-z]+:/.test(link.target));
const rfcLinks = allLinks.filter((link) => link.target.startsWith('https://www.rfc-editor.org/rfc/rfc6455'));

describe('docs/how-websocket-works.md', () => {
  it('has links into the code and into the RFC', () => {
    expect(codeLinks.length).toBeGreaterThan(40);
    expect(rfcLinks.length).toBeGreaterThan(20);
    // Only the RFC and the repository are linked.
    expect(allLinks.length).toBe(codeLinks.length + rfcLinks.length);
  });

  it('every link into the repository points at a file that exists', () => {
    const missing = codeLinks.filter((link) => !existsSync(resolve(dirname(docPath), link.target.split('#')[0])));
    expect(missing).toEqual([]);
  });

  it('every code link names a function, class or member declared in the linked file', () => {
    const wrong: string[] = [];
    for (const link of codeLinks) {
      const names = /^`([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)`$/.exec(link.text);
      if (names === null) {
        wrong.push(`line ${link.line}: link text ${link.text} is not a \`Name\` or \`Class.member\``);
        continue;
      }
      const file = resolve(dirname(docPath), link.target);
      if (!existsSync(file)) continue; // reported by the test above
      const source = readFileSync(file, 'utf8');
      const [top, ...members] = names[1].split('.');
      if (!declaresTopLevel(source, top)) wrong.push(`line ${link.line}: ${top} is not declared in ${link.target}`);
      for (const member of members) {
        if (!declaresMember(source, member)) wrong.push(`line ${link.line}: ${member} is not a member in ${link.target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every RFC link points at the section its text names', () => {
    const wrong: string[] = [];
    for (const link of rfcLinks) {
      const anchor = /#section-(\d+(?:\.\d+)*)$/.exec(link.target);
      if (anchor === null) {
        if (link.target !== 'https://www.rfc-editor.org/rfc/rfc6455') wrong.push(`line ${link.line}: ${link.target}`);
        continue;
      }
      if (link.text !== `§${anchor[1]}`) wrong.push(`line ${link.line}: [${link.text}] -> section ${anchor[1]}`);
    }
    expect(wrong).toEqual([]);
  });

  it('the checker itself catches a wrong name and a missing file', () => {
    const parser = readFileSync(new URL('../../src/protocol/parser.ts', import.meta.url), 'utf8');
    expect(declaresTopLevel(parser, 'FrameParser')).toBe(true);
    expect(declaresMember(parser, 'parseHeader')).toBe(true);
    expect(declaresMember(parser, 'parseFooter')).toBe(false);
    expect(declaresTopLevel(parser, 'FrameParsers')).toBe(false);
    expect(links('see [`X`](../src/nowhere.ts)')[0]).toEqual({ text: '`X`', target: '../src/nowhere.ts', line: 1 });
  });

  it('covers every step of a connection', () => {
    for (const heading of ['handshake', 'frame', 'Masking', 'Fragmentation', 'Control frames', 'UTF-8', 'closing handshake']) {
      expect(doc).toMatch(new RegExp(`^## .*${heading}`, 'm'));
    }
    // The §5.2 diagram, redrawn.
    expect(doc).toContain('| FIN | RSV1 | RSV2 | RSV3 | opcode  | MASK | payload length      |');
  });

  it('section 10 runs as written: one connection, handshake to close, with no socket', async () => {
    const section = doc.slice(doc.indexOf('## 10.'));
    const block = /```js\n([\s\S]*?)```/.exec(section)![1];
    const importLine = /^import \{([^}]+)\} from 'wsmith\/protocol';\n/m.exec(block)!;
    const body = block.replace(importLine[0], '');
    const protocol = await import('../../src/protocol/index.js');
    const run = new Function('wsmith', 'crypto', `const {${importLine[1]}} = wsmith;\n${body}\nreturn { events, server, client };`);
    const { events, server, client } = run(protocol, globalThis.crypto) as {
      events: string[];
      server: { closeTransport: boolean; state: number };
      client: { closeTransport: boolean; state: number };
    };
    expect(events).toEqual(['client open, state 1', 'client got "echo: Hello"', 'server got Close 1000', 'client got Close 1000']);
    expect(server.closeTransport).toBe(true);
    expect(client.closeTransport).toBe(true);
    // CLOSING until the I/O layer reports TCP closed (receiveEof): then CLOSED.
    expect([server.state, client.state]).toEqual([2, 2]);
  });
});
