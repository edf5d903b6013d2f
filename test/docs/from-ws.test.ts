// docs/from-ws-to-wsmith.md's claim, checked: real `ws` programs (examples/from-ws/, an echo server
// with verifyClient and the heartbeat, a client with binaryType and createWebSocketStream) run
// unchanged on wsmith. Each program runs as written (on ws) and with `import ... from 'ws'`
// redirected to wsmith (examples/from-ws/use-wsmith.mjs): every pairing must print what ws and ws print.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = path.join(ROOT, 'examples', 'from-ws');
const ON_WSMITH = ['--import', path.join(EXAMPLES, 'use-wsmith.mjs')];
const run = promisify(execFile);
const servers: ChildProcess[] = [];

type Library = 'ws' | 'wsmith';

beforeAll(async () => {
  // The redirect loads the built package (`npm test` builds first).
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) await run('npm', ['run', 'build'], { cwd: ROOT });
}, 240_000);

afterEach(() => {
  for (const server of servers.splice(0)) server.kill('SIGTERM');
});

/** Start examples/from-ws/server.mjs on `library`, on a free port; resolves with the port. */
function startServer(library: Library): Promise<number> {
  const child = spawn(process.execPath, [...(library === 'wsmith' ? ON_WSMITH : []), path.join(EXAMPLES, 'server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HEARTBEAT_MS: '100' },
  });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /^listening (\d+)$/m.exec(output);
      if (listening !== null) resolve(Number(listening[1]));
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`server.mjs on ${library} exited (${code}): ${output}`)));
  });
}

/** Run examples/from-ws/client.mjs on `library` against the server on `port`; its one JSON line. */
async function runClient(library: Library, port: number): Promise<unknown> {
  const args = [...(library === 'wsmith' ? ON_WSMITH : []), path.join(EXAMPLES, 'client.mjs')];
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, timeout: 20_000, env: { ...process.env, URL: `ws://127.0.0.1:${port}` } });
  return JSON.parse(stdout);
}

/** What the programs print on ws (checked below on ws itself, then on every pairing with wsmith). */
const EXPECTED = {
  binary: { isBinary: true, type: 'ArrayBuffer', bytes: [1, 2, 3, 250], close: { code: 1000, reason: 'done' } },
  stream: { chunk: 'through a stream', close: 1005 },
  refused: { error: 'Unexpected server response: 401', close: 1006 },
  heartbeat: { pingsHeard: true, close: 1006 },
};

describe('a ws program runs unchanged on wsmith', () => {
  it.each<[client: Library, server: Library]>([
    ['ws', 'ws'],
    ['ws', 'wsmith'],
    ['wsmith', 'ws'],
    ['wsmith', 'wsmith'],
  ])('client.mjs on %s against server.mjs on %s', async (client, server) => {
    const port = await startServer(server);
    expect(await runClient(client, port)).toEqual(EXPECTED);
  }, 30_000);
});

describe('docs/from-ws-to-wsmith.md', () => {
  const guide = readFileSync(path.join(ROOT, 'docs', 'from-ws-to-wsmith.md'), 'utf8');

  it.each(['server.mjs', 'client.mjs'])('shows examples/from-ws/%s as it is', (name) => {
    const block = new RegExp(`<!-- file: examples/from-ws/${name.replace('.', '\\.')} -->\n\`\`\`js\n([\\s\\S]*?)\`\`\`\n`).exec(guide);
    expect(block?.[1]).toBe(readFileSync(path.join(EXAMPLES, name), 'utf8'));
  });

  it('shows the output the programs print', () => {
    expect(guide).toContain(`\`\`\`json\n${JSON.stringify(EXPECTED)}\n\`\`\``);
  });

  it('lists the deliberate differences, with no placeholder left', () => {
    const section = /## Deliberate differences\n([\s\S]*?)\n## /.exec(guide)?.[1] ?? '';
    expect(section.match(/^- \*\*/gm)?.length ?? 0).toBeGreaterThanOrEqual(5);
    expect(guide).not.toMatch(/<!-- (LEAD|TODO)/);
  });
});
