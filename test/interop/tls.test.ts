// wss://: our client over node:tls to our server and to `ws`, with self-signed certificates made
// here by Debian's openssl (the server's, for localhost and 127.0.0.1, and a client certificate).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import WsClient from 'ws';
import { WebSocket, WebSocketServer, connect } from '../../src/index.js';
import { describeWithPeers } from '../support/peers.js';

const OPENSSL = '/usr/bin/openssl';
const hasOpenssl = existsSync(OPENSSL);
if (!hasOpenssl) console.warn(`SKIPPED: wss:// interop: ${OPENSSL} is missing (apt-get install openssl)`);

interface Pem {
  key: Buffer;
  cert: Buffer;
}

function selfSigned(dir: string, name: string, subject: string, altNames?: string): Pem {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync(OPENSSL, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', subject,
    ...(altNames === undefined ? [] : ['-addext', `subjectAltName=${altNames}`]),
  ], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closeOf(ws: WebSocket): Promise<[number, string]> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
}

describeWithPeers({ openssl: hasOpenssl })('wss:// with self-signed certificates', () => {
  let dir: string;
  let server: Pem;
  let client: Pem;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wsmith-tls-'));
    server = selfSigned(dir, 'server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
    client = selfSigned(dir, 'client', '/CN=wsmith test client');
  });

  afterAll(async () => {
    for (const close of closers) await close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Our WebSocketServer on an https server; records SNI and the client certificate's CN. */
  async function ourTlsServer(options: { requestCert?: boolean } = {}) {
    const https = createServer({
      key: server.key,
      cert: server.cert,
      ...(options.requestCert === true ? { requestCert: true, rejectUnauthorized: true, ca: client.cert } : {}),
    });
    const wss = new WebSocketServer({ server: https });
    const seen: Array<{ servername: string | false | null; clientCN: string | string[] | undefined }> = [];
    wss.on('connection', (ws, request) => {
      const socket = request.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      seen.push({ servername: socket.servername, clientCN: peer?.subject?.CN });
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const port = await listen(https);
    closers.push(() => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      https.close(() => resolve());
    }));
    return { port, seen };
  }

  it('our client -> our server: echo, SNI from the host name, close', async () => {
    const { port, seen } = await ourTlsServer();
    const ws = await connect(`wss://localhost:${port}/secure?x=1`, { ca: server.cert });
    ws.send('over tls');
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('over tls'), isBinary: false });
    ws.send(Buffer.alloc(300_000, 9));
    const big = await nextMessage(ws);
    expect(big.data.equals(Buffer.alloc(300_000, 9))).toBe(true);
    expect(seen[0].servername).toBe('localhost');
    const closed = closeOf(ws);
    ws.close(4000, 'tls bye');
    expect((await closed)[0]).toBe(4000);
  });

  it('sends no SNI for an IP address', async () => {
    const { port, seen } = await ourTlsServer();
    const ws = await connect(`wss://127.0.0.1:${port}/`, { ca: server.cert });
    expect(seen[0].servername).toBe(false);
    ws.terminate();
  });

  it('rejects an untrusted certificate by default, with the reason', async () => {
    const { port } = await ourTlsServer();
    const ws = new WebSocket(`wss://localhost:${port}/`);
    const error = new Promise<Error>((resolve) => ws.once('error', resolve));
    const closed = closeOf(ws);
    expect((await error).message).toMatch(/self[- ]signed certificate/);
    expect((await closed)[0]).toBe(1006);
  });

  it('rejects a certificate for another name', async () => {
    const { port } = await ourTlsServer();
    const ws = new WebSocket(`wss://localhost:${port}/`, [], { ca: server.cert, servername: 'other.example' });
    const error = new Promise<Error>((resolve) => ws.once('error', resolve));
    expect((await error).message).toMatch(/other\.example/);
  });

  it('accepts it with rejectUnauthorized: false', async () => {
    const { port } = await ourTlsServer();
    const ws = await connect(`wss://localhost:${port}/`, { rejectUnauthorized: false });
    ws.send('insecure but encrypted');
    expect((await nextMessage(ws)).data.toString()).toBe('insecure but encrypted');
    ws.terminate();
  });

  it('presents a client certificate (cert/key options)', async () => {
    const { port, seen } = await ourTlsServer({ requestCert: true });
    const ws = await connect(`wss://localhost:${port}/`, { ca: server.cert, cert: client.cert, key: client.key });
    expect(seen[0].clientCN).toBe('wsmith test client');
    ws.terminate();
  });

  it('our client -> ws server over TLS: echo and close codes', async () => {
    const https = createServer({ key: server.key, cert: server.cert });
    const wss = new WsServer({ server: https, handleProtocols: () => 'v1' });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })));
    const port = await listen(https);
    closers.push(() => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      https.close(() => resolve());
    }));
    const ws = await connect(`wss://localhost:${port}/`, { ca: server.cert, protocols: ['v1'] });
    expect(ws.protocol).toBe('v1');
    ws.send('to ws over tls');
    expect((await nextMessage(ws)).data.toString()).toBe('to ws over tls');
    ws.send(Buffer.from([1, 2, 3]));
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true });
    const closed = closeOf(ws);
    ws.close(4002, 'done');
    expect(await closed).toEqual([4002, 'done']);
  });

  it('ws client -> our server over TLS', async () => {
    const { port } = await ourTlsServer();
    const ws = new WsClient(`wss://localhost:${port}/`, { ca: server.cert });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send('from ws over tls');
    const reply = await new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    expect(reply).toBe('from ws over tls');
    ws.terminate();
  });
});
