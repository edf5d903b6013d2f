// Interop with Python's `websockets` (Debian's python3-websockets, run by /usr/bin/python3, not a
// pyenv python on PATH): our client -> its server, and its client -> our server. The peers are the
// small scripts in test/interop/python/.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, connect } from '../../src/index.js';
import { describeWithPeers } from '../support/peers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));

function pythonWebsocketsVersion(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

const version = pythonWebsocketsVersion();
if (version === null) {
  console.warn(`SKIPPED: Python websockets interop: ${PYTHON} cannot import websockets (apt-get install python3-websockets)`);
}
const describePython = describeWithPeers({ 'Python websockets (python3-websockets)': version !== null });

/** Run a Python script to its end; its output and exit status. */
function runPython(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface ServerEnd {
  path: string;
  code: number | null;
  reason: string;
  subprotocol: string | null;
}

describePython(`our client -> Python websockets ${version ?? ''} server`, () => {
  let child: ChildProcessWithoutNullStreams;
  let url = '';
  const ended: ServerEnd[] = [];
  const endWaiters: Array<() => void> = [];

  beforeAll(async () => {
    child = spawn(PYTHON, [`${SCRIPTS}echo_server.py`], { stdio: 'pipe' });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const lines = createInterface({ input: child.stdout });
    url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`echo_server.py exited with ${code}`)));
      lines.on('line', (line) => {
        if (line.startsWith('PORT ')) resolve(`ws://127.0.0.1:${line.slice(5)}`);
        else if (line.startsWith('{')) {
          ended.push(JSON.parse(line) as ServerEnd);
          endWaiters.splice(0).forEach((wake) => wake());
        }
      });
    });
  });

  afterAll(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    child.kill();
    await exited;
  });

  async function serverEnd(path: string): Promise<ServerEnd> {
    for (;;) {
      const found = ended.find((e) => e.path === path);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => endWaiters.push(resolve));
    }
  }

  function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
    return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
  }

  function closeOf(ws: WebSocket): Promise<[number, string]> {
    return new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
  }

  it('echoes text, binary and a 16 MiB message', async () => {
    const ws = await connect(`${url}/echo`);
    ws.send('hello, python — ünïcödé 🎉');
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('hello, python — ünïcödé 🎉'), isBinary: false });
    const bytes = randomBytes(5000);
    ws.send(bytes);
    expect(await nextMessage(ws)).toEqual({ data: bytes, isBinary: true });
    const big = randomBytes(16 * 1024 * 1024);
    ws.send(big);
    const reply = await nextMessage(ws);
    expect(reply.isBinary).toBe(true);
    expect(reply.data.equals(big)).toBe(true);
    ws.close();
    await closeOf(ws);
  });

  it('close code and reason, client first: 4000', async () => {
    const ws = await connect(`${url}/client-first`);
    const closed = closeOf(ws);
    ws.close(4000, 'client says bye');
    expect(await closed).toEqual([4000, 'client says bye']);
    expect(await serverEnd('/client-first')).toMatchObject({ code: 4000, reason: 'client says bye' });
  });

  it('close code and reason, server first: 4001', async () => {
    const ws = new WebSocket(`${url}/close/4001/server%20says%20bye`);
    expect(await closeOf(ws)).toEqual([4001, 'server says bye']);
  });

  it('negotiates a subprotocol', async () => {
    const ws = await connect(`${url}/protocols`, { protocols: ['chat.v1', 'chat.v2'] });
    expect(ws.protocol).toBe('chat.v2');
    ws.close(1000);
    expect(await serverEnd('/protocols')).toMatchObject({ subprotocol: 'chat.v2', code: 1000 });
  });

  it('answers its ping', async () => {
    const ws = await connect(`${url}/ping`);
    expect((await nextMessage(ws)).data.toString()).toBe('pong received');
    ws.close();
  });
});

describePython(`Python websockets ${version ?? ''} client -> our server`, () => {
  let wss: WebSocketServer;
  let url = '';
  const serverSaw: Array<{ path: string; code: number; reason: string }> = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false) });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (ws, request) => {
      const path = request.url ?? '';
      ws.on('close', (code, reason) => serverSaw.push({ path, code, reason: reason.toString() }));
      if (path === '/close-first') {
        ws.close(4001, 'server says bye');
        return;
      }
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });

  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  it('echoes, negotiates, and sees close codes both ways', async () => {
    // Not spawnSync: our server runs on this very event loop.
    const run = await runPython([`${SCRIPTS}client.py`, url]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toEqual({
      text: 'hello from python — ünïcödé 🎉',
      binary_ok: true,
      large_ok: true,
      pong_ok: true,
      subprotocol: 'chat.v2',
      client_close: [4000, 'client says bye'], // our server echoes code and reason, as ws does
      server_close: [4001, 'server says bye'],
    });
    expect(serverSaw).toContainEqual({ path: '/client-closes', code: 4000, reason: 'client says bye' });
    expect(serverSaw).toContainEqual({ path: '/close-first', code: 4001, reason: 'server says bye' }); // Python echoes both
  });
});
