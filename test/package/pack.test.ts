// The package as a user gets it: `npm pack`, installed offline into a scratch project, then used
// both ways — `import WebSocket, { WebSocketServer } from 'wsmith'` and `require('wsmith')` — with
// a real connection each way, the commands it installs, and its types checked by tsc for an ES
// module and a CommonJS consumer.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), 'wsmith-pack-'));
const app = path.join(scratch, 'app');
let tarball = '';
let packedFiles: string[] = [];

/** Run `node <file>` in the scratch project; its last stdout line is JSON. */
async function node(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, args, { cwd: app, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

function write(name: string, text: string): void {
  writeFileSync(path.join(app, name), text);
}

beforeAll(async () => {
  // `npm test` builds first; a bare `vitest run test/package` may not have.
  if (!existsSync(path.join(ROOT, 'dist', 'cjs', 'wsmith.cjs')) || !existsSync(path.join(ROOT, 'build', 'bin', 'wsmith.js'))) {
    await run('npm', ['run', 'build'], { cwd: ROOT });
  }
  // --ignore-scripts: what was just built is packed ("prepare" would build it again).
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(scratch, packed.filename);
  packedFiles = packed.files.map((file) => file.path);
  mkdirSync(app);
  write('package.json', JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
  // Offline: wsmith has no dependencies, so the tarball is all npm needs.
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: app });
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ECHO_ROUND_TRIP = `
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise((resolve) => wss.once('listening', resolve));
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
const client = new WebSocket('ws://127.0.0.1:' + wss.address().port + '/');
const echoed = await new Promise((resolve, reject) => {
  client.once('open', () => client.send('hello from ' + format));
  client.once('message', (data) => resolve(String(data)));
  client.once('error', reject);
});
client.terminate();
await new Promise((resolve) => wss.close(resolve));
`;

describe('npm pack', () => {
  it('ships the builds, the commands and their launchers, and no sources or tests', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/cjs/wsmith.cjs', 'dist/cjs/wsmith.d.cts', 'dist/cjs/package.json', 'dist/cjs/hub/index.d.ts', 'bin/wsmith.mjs', 'bin/wsmith-spec.mjs', 'build/bin/wsmith.js', 'build/spec/cli.js']) {
      expect(packedFiles).toContain(file);
    }
    expect(packedFiles.filter((file) => /^(src|test|scripts|bench|examples)\//.test(file))).toEqual([]);
  });
});

describe('the installed package', () => {
  it("import WebSocket, { WebSocketServer } from 'wsmith': the class with ws's statics, and a connection", async () => {
    write('esm.mjs', `
import WebSocket, { WebSocketServer, WebSocket as Named } from 'wsmith';
import { Hub } from 'wsmith/hub';
import { ClientProtocol } from 'wsmith/protocol';
import { describeFrames } from 'wsmith/inspect';
const format = 'esm';
${ECHO_ROUND_TRIP}
console.log(JSON.stringify({
  echoed,
  sameClass: WebSocket === Named && WebSocket.WebSocket === WebSocket,
  server: WebSocket.WebSocketServer === WebSocketServer && WebSocket.Server === WebSocketServer,
  subpaths: [typeof Hub, typeof ClientProtocol, typeof describeFrames],
}));
`);
    expect(await node(['esm.mjs'])).toEqual({
      echoed: 'hello from esm',
      sameClass: true,
      server: true,
      subpaths: ['function', 'function', 'function'],
    });
  });

  it("const WebSocket = require('wsmith'): the class itself, as require('ws') gives it, without require(esm)", async () => {
    write('cjs.cjs', `
const WebSocket = require('wsmith');
const { WebSocketServer } = require('wsmith');
const { Hub } = require('wsmith/hub');
const { ClientProtocol } = require('wsmith/protocol');
const { describeFrames } = require('wsmith/inspect');
const format = 'cjs';
(async () => {
${ECHO_ROUND_TRIP}
  console.log(JSON.stringify({
    echoed,
    isClass: typeof WebSocket === 'function' && WebSocket.name === 'WebSocket' && WebSocket.OPEN === 1,
    server: WebSocket.WebSocketServer === WebSocketServer && WebSocket.Server === WebSocketServer && WebSocket.WebSocket === WebSocket,
    subpaths: [typeof Hub, typeof ClientProtocol, typeof describeFrames],
  }));
})();
`);
    // Node 20.19+ can require() ES modules; turning that off proves the CommonJS build stands alone.
    const flags = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];
    expect(await node([...flags, 'cjs.cjs'])).toEqual({
      echoed: 'hello from cjs',
      isClass: true,
      server: true,
      subpaths: ['function', 'function', 'function'],
    });
  });

  it('import and require give the same classes: one implementation, so a socket from one works with a Hub from the other', async () => {
    write('mixed.mjs', `
import { createRequire } from 'node:module';
import { WebSocketServer, WebSocket } from 'wsmith';
const require = createRequire(import.meta.url);
const { Hub } = require('wsmith/hub');
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise((resolve) => wss.once('listening', resolve));
const hub = new Hub();
wss.on('connection', (ws) => { hub.add(ws); hub.broadcast('to everyone'); });
const client = new WebSocket('ws://127.0.0.1:' + wss.address().port + '/');
const got = await new Promise((resolve) => client.once('message', (data) => resolve(String(data))));
client.terminate();
await hub.close();
await new Promise((resolve) => wss.close(resolve));
console.log(JSON.stringify({ got, same: require('wsmith') === WebSocket }));
`);
    expect(await node(['mixed.mjs'])).toEqual({ got: 'to everyone', same: true });
  });

  it('installs the commands: wsmith decode and wsmith-spec run from node_modules/.bin', async () => {
    const bin = path.join(app, 'node_modules', '.bin');
    const decoded = await run(path.join(bin, 'wsmith'), ['decode', '81', '05', '48', '65', '6c', '6c', '6f'], { cwd: app });
    expect(decoded.stdout).toContain('"Hello"');
    const cases = await run(path.join(bin, 'wsmith-spec'), ['list', '--cases', '1.1.1'], { cwd: app });
    expect(cases.stdout).toContain('1.1.1');
  });

  it.each([
    ['an ES module (nodenext)', 'types.mts', ['--module', 'nodenext', '--moduleResolution', 'nodenext']],
    ['CommonJS (nodenext)', 'types.cts', ['--module', 'nodenext', '--moduleResolution', 'nodenext']],
    ['CommonJS (node16)', 'types.cts', ['--module', 'node16', '--moduleResolution', 'node16']],
    ['CommonJS (node10, "main" and "types")', 'types-node10.ts', ['--module', 'commonjs', '--moduleResolution', 'node10', '--target', 'es2022']],
  ])('its types resolve for %s', async (_name, file, flags) => {
    write('types.mts', `
import WebSocket, { WebSocketServer, type ClientOptions } from 'wsmith';
import { Hub } from 'wsmith/hub';
import { ClientProtocol } from 'wsmith/protocol';
import { describeFrames } from 'wsmith/inspect';
const options: ClientOptions = { handshakeTimeout: 1000, finishRequest: (request, websocket) => { void websocket.url; request.end(); } };
const ws: WebSocket = new WebSocket('ws://127.0.0.1:1/', options);
const wss: WebSocketServer = new WebSocket.WebSocketServer({ noServer: true });
wss.on('connection', (socket: WebSocket) => socket.send('hi'));
const old: typeof WebSocketServer = WebSocket.Server;
const typed: WebSocket.ClientOptions = options;
const server: WebSocket.Server | undefined = undefined;
void [typed, server];
// @ts-expect-error: real types, not any: a close code is a number
ws.close('bye');
void [old, Hub, ClientProtocol, describeFrames];
`);
    const cjs = `
import WebSocket = require('wsmith');
import { WebSocketServer } from 'wsmith';
import hub = require('wsmith/hub');
import protocol = require('wsmith/protocol');
import inspect = require('wsmith/inspect');
import { type ClientOptions } from 'wsmith';
const options: WebSocket.ClientOptions = { handshakeTimeout: 1000 };
const alike: ClientOptions = options;
const ws: WebSocket = new WebSocket('ws://127.0.0.1:1/', options);
const wss = new WebSocket.WebSocketServer({ noServer: true });
wss.on('connection', (socket: WebSocket) => socket.send('hi'));
const same: typeof WebSocketServer = WebSocket.Server;
// @ts-expect-error: real types, not any: a close code is a number
ws.close('bye');
void [same, alike, hub.Hub, protocol.ClientProtocol, inspect.describeFrames];
`;
    write('types.cts', cjs);
    write('types-node10.ts', cjs.replace(/^import (\w+) = require\('wsmith\/\w+'\);\n/gm, '').replace('void [same, alike, hub.Hub, protocol.ClientProtocol, inspect.describeFrames];', 'void [same, alike];'));
    const types = path.join(ROOT, 'node_modules', '@types');
    const args = [TSC, '--noEmit', '--strict', '--types', 'node', '--typeRoots', types, ...flags, file];
    const result = await run(process.execPath, args, { cwd: app }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).toBe('');
  });
});

describe('the package.json of the clone', () => {
  it('every export has an import and a require entry, each with its types', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      const conditions = target as Record<string, { types: string; default: string }>;
      expect(Object.keys(conditions).sort()).toEqual(['import', 'require']);
      for (const condition of Object.values(conditions)) {
        expect(packedFiles).toContain(condition.types.slice(2));
        expect(packedFiles).toContain(condition.default.slice(2));
      }
    }
  });
});

