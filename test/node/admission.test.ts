// Who gets in, in every mode the server runs in (own port, own port over TLS, attached to an
// http and an https server): maxConnections (503), maxConnectionsPerIp (429), the bound on
// verifyClient calls waiting at once (503), allowedOrigins (403), and hooks that fail (500).
import { once } from 'node:events';
import { Server as NetServer, connect as netConnect } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { addressKey } from '../../src/node/admission.js';
import type { ServerLimit } from '../../src/node/admission.js';
import { WebSocketServer } from '../../src/node/server.js';
import type { VerifyClientCallback } from '../../src/node/upgrade-decision.js';
import { hasOpenssl } from '../support/certificates.js';
import { itWithPeers } from '../support/peers.js';
import { until } from '../support/until.js';
import { TESTED_MODES, isTls, startIn, type ModeServer } from './support/modes.js';



let server: ModeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe.each(TESTED_MODES)('connection limits (%s)', (mode) => {
  it('maxConnections: one over the limit gets 503 before any state of its own; a freed place is taken again', async () => {
    server = await startIn(mode, { maxConnections: 3 });
    const limits: ServerLimit[] = [];
    server.wss.on('limit', (limit) => limits.push(limit));
    const peers = [await server.open(), await server.open(), await server.open()];
    const refused = await server.request();
    expect(refused.status).toBe(503);
    expect(refused.head).toMatch(/\r\nRetry-After: 5/i);
    await refused.peer.closed; // and the server closes it
    expect(limits).toEqual(['maxConnections']);
    expect(server.wss.clients.size).toBe(3);
    peers[0].socket.destroy();
    await until(() => server!.wss.clients.size === 2);
    const again = await server.open();
    again.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69])); // "hi", masked with a zero key
    expect((await again.readFrame()).payload.toString()).toBe('hi');
  });

  it('maxConnectionsPerIp: a third connection from one address gets 429; another address still gets in', async () => {
    server = await startIn(mode, { maxConnectionsPerIp: 2 });
    const limits: Array<[ServerLimit, string | undefined]> = [];
    server.wss.on('limit', (limit, address) => limits.push([limit, address]));
    await server.open();
    await server.open();
    const peer = await server.connect();
    peer.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect((await peer.readHttpResponse()).status).toBe(429);
    expect(limits).toEqual([['maxConnectionsPerIp', '127.0.0.1']]);
    await server.open('127.0.0.2'); // Linux routes all of 127/8 to loopback
  });

  it('maxPendingVerifications: verifyClient calls waiting at once are bounded (503), and the waiting ones go on', async () => {
    const waiting: VerifyClientCallback[] = [];
    server = await startIn(mode, {
      maxPendingVerifications: 2,
      verifyClient: (_info, callback) => {
        waiting.push(callback);
      },
    });
    const limits: ServerLimit[] = [];
    server.wss.on('limit', (limit) => limits.push(limit));
    const first = server.request();
    const second = server.request();
    await until(() => waiting.length === 2);
    const third = await server.request();
    expect(third.status).toBe(503);
    expect(third.body).toBe('Too many handshakes waiting to be verified\n');
    expect(limits).toEqual(['maxPendingVerifications']);
    for (const callback of waiting) callback(true);
    expect((await first).status).toBe(101);
    expect((await second).status).toBe(101);
    // Answered: the places are free again.
    const fourth = server.request();
    await until(() => waiting.length === 3);
    waiting[2](false, 403, 'no');
    expect((await fourth).status).toBe(403);
  });
});

describe.each(TESTED_MODES)('allowedOrigins: Cross-Site WebSocket Hijacking (%s)', (mode) => {
  it('lets in the listed origins, host patterns and the page of this host; refuses the rest with 403', async () => {
    server = await startIn(mode, { allowedOrigins: ['https://app.example.com', 'https://*.example.org:8443', 'self'] });
    const rejections: Array<[number, string]> = [];
    server.wss.on('rejection', (status, reason) => rejections.push([status, reason]));
    const host = `127.0.0.1:${server.port}`;
    const self = `${isTls(mode) ? 'https' : 'http'}://${host}`;
    const cases: Array<[Record<string, string>, number]> = [
      [{ Origin: 'https://app.example.com' }, 101],
      [{ Origin: 'HTTPS://APP.EXAMPLE.COM:443' }, 101],
      [{ Origin: 'https://a.b.example.org:8443' }, 101],
      [{ Origin: 'https://example.org:8443' }, 403],
      [{ Origin: 'https://a.example.org' }, 403], // wrong port
      [{ Origin: 'http://app.example.com' }, 403], // wrong scheme
      [{ Origin: 'https://app.example.com.evil.test' }, 403],
      [{ Origin: 'https://evil.test' }, 403],
      [{ Origin: 'null' }, 403],
      [{ Origin: self, Host: host }, 101],
      [{ Origin: self, Host: 'evil.test' }, 403],
      [{}, 101], // no Origin: not a browser, no cookies to ride on
    ];
    for (const [headers, status] of cases) {
      const response = await server.request(headers);
      expect(response.status, JSON.stringify(headers)).toBe(status);
      if (status === 403) expect(response.body).toBe('Origin not allowed\n');
      response.peer.socket.destroy();
    }
    expect(rejections.filter(([status]) => status === 403)).toHaveLength(7);
  });

  it('refuses a forbidden origin before verifyClient and handleProtocols run', async () => {
    const calls: string[] = [];
    server = await startIn(mode, {
      allowedOrigins: ['https://app.example.com'],
      verifyClient: () => (calls.push('verifyClient'), true),
      handleProtocols: (protocols) => (calls.push('handleProtocols'), protocols.values().next().value ?? false),
    });
    expect((await server.request({ Origin: 'https://evil.test', 'Sec-WebSocket-Protocol': 'chat' })).status).toBe(403);
    expect(calls).toEqual([]);
    expect((await server.request({ Origin: 'https://app.example.com', 'Sec-WebSocket-Protocol': 'chat' })).status).toBe(101);
    expect(calls).toEqual(['verifyClient', 'handleProtocols']); // ws's order
  });
});

describe('allowedOrigins: the list is checked when the server is made', () => {
  it('throws a TypeError for an entry that is neither an origin, a pattern nor self', () => {
    for (const bad of ['example.com', 'https://example.com/path', 'https://*', 'https://a.*.com', 'ftp://x.test', '*', 'https://x.test?q', 5]) {
      expect(() => new WebSocketServer({ noServer: true, allowedOrigins: [bad as string] }), String(bad)).toThrow(TypeError);
    }
    expect(() => new WebSocketServer({ noServer: true, allowedOrigins: ['https://x.test/', 'http://*.x.test', 'self'] })).not.toThrow();
  });
});

describe.each(TESTED_MODES)('hooks that fail give a bare 500 and a hookError event, never a crash (%s)', (mode) => {
  const secret = 'db password is hunter2';
  const failing: Array<[string, Partial<Parameters<typeof startIn>[1]>, 'verifyClient' | 'handleProtocols']> = [
    ['verifyClient throws', { verifyClient: () => { throw new Error(secret); } }, 'verifyClient'],
    ['verifyClient rejects', { verifyClient: () => Promise.reject(new Error(secret)) }, 'verifyClient'],
    ['verifyClient throws a non-Error', { verifyClient: () => { throw secret; } }, 'verifyClient'],
    ['verifyClient answers headers with CR LF', { verifyClient: (_i, cb) => cb(false, 401, 'no', { 'WWW-Authenticate': `x\r\nSet-Cookie: ${secret}` }) }, 'verifyClient'],
    ['verifyClient answers a header that latin1 turns into CR LF', { verifyClient: () => ({ status: 403, headers: { 'X-A': `\u010d\u010aSet-Cookie: ${secret}` } }) }, 'verifyClient'],
    ['verifyClient answers an invalid header name', { verifyClient: () => ({ status: 403, headers: { 'Bad Name': 'x' } }) }, 'verifyClient'],
    ['verifyClient answers nonsense', { verifyClient: () => ({ status: 42 }) as never }, 'verifyClient'],
    ['handleProtocols throws', { handleProtocols: () => { throw new Error(secret); } }, 'handleProtocols'],
    ['handleProtocols picks a protocol not offered', { handleProtocols: () => `x\r\n${secret}` }, 'handleProtocols'],
  ];
  it.each(failing)('%s', async (_name, options, hook) => {
    server = await startIn(mode, options);
    const errors: Array<[Error, string]> = [];
    server.wss.on('hookError', (error, which) => errors.push([error, which]));
    const response = await server.request({ 'Sec-WebSocket-Protocol': 'chat' });
    expect(response.status).toBe(500);
    expect(response.body).toBe('Internal Server Error\n');
    expect(response.head).not.toContain(secret);
    expect(response.head).not.toMatch(/set-cookie/i);
    expect(errors.map(([, which]) => which)).toEqual([hook]);
    expect(errors[0][0]).toBeInstanceOf(Error);
  });

  it('a refusal with a reason that is not a string still gets a valid answer', async () => {
    server = await startIn(mode, { verifyClient: (_info, cb) => cb(false, 403, 42 as unknown as string) });
    const response = await server.request();
    expect(response.status).toBe(403);
    expect(response.body).toBe('Forbidden\n');
  });

  it('a verifyClient that throws after answering: the answer stands, the error is reported', async () => {
    server = await startIn(mode, { verifyClient: (_i, cb) => { cb(false, 403); throw new Error(secret); } });
    const errors: Error[] = [];
    server.wss.on('hookError', (error) => errors.push(error));
    expect((await server.request()).status).toBe(403);
    expect(errors.map((error) => error.message)).toEqual([secret]);
  });

  it('a verifyClient that answers twice is heard once', async () => {
    server = await startIn(mode, { verifyClient: (_info, cb) => { cb(true); cb(false, 401); } });
    const response = await server.request();
    expect(response.status).toBe(101);
  });
});

describe.each(TESTED_MODES)('the server that listens is reachable (%s)', (mode) => {
  it('netServer is our net.Server (tls.Server over TLS) or the http(s) server given', async () => {
    server = await startIn(mode);
    const listener = server.wss.netServer;
    if (server.httpServer !== null) expect(listener).toBe(server.httpServer);
    else expect(listener).toBeInstanceOf(isTls(mode) ? TlsServer : NetServer);
    // An operator's setting on it applies: node's own hard cap on TCP connections.
    expect(typeof listener!.maxConnections === 'number' || listener!.maxConnections === undefined).toBe(true);
  });
});

describe('netServer and accept errors', () => {
  it('is null in noServer mode', () => {
    expect(new WebSocketServer({ noServer: true }).netServer).toBeNull();
  });

  it('an accept error (out of file descriptors) does not crash a server without an error listener', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    expect(() => wss.netServer!.emit('error', emfile)).not.toThrow();
    const heard: Error[] = [];
    wss.on('error', (error) => heard.push(error));
    wss.netServer!.emit('error', emfile);
    expect(heard).toEqual([emfile]);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});

describe('own port: one deadline in all for a connection that does not upgrade', () => {
  for (const mode of TESTED_MODES.filter((m) => m.startsWith('own port'))) {
    it(`answers plain keep-alive requests with 426, and closes at the one handshake deadline (${mode})`, async () => {
      const handshakeTimeout = 300;
      server = await startIn(mode, { handshakeTimeout });
      const peer = await server.connect();
      const start = Date.now();
      let answered = 0;
      const ask = setInterval(() => peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 40);
      try {
        while (!peer.ended) {
          const response = await peer.readHttpResponse().catch(() => null);
          if (response === null || Number.isNaN(response.status)) break;
          if (response.status === 426) answered++;
          else expect(response.status).toBe(408);
        }
        await peer.closed;
      } finally {
        clearInterval(ask);
      }
      const elapsed = Date.now() - start;
      expect(answered).toBeGreaterThan(2);
      expect(elapsed).toBeGreaterThanOrEqual(handshakeTimeout - 20); // never before the deadline
      expect(elapsed).toBeLessThan(handshakeTimeout + 5_000);
    });
  }

  itWithPeers({ openssl: hasOpenssl })('cuts a TLS handshake that does not finish within tlsHandshakeTimeout', async () => {
    server = await startIn('own port over TLS', { tlsHandshakeTimeout: 200 });
    const socket = netConnect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await once(socket, 'connect');
    const start = Date.now();
    socket.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, then nothing
    await once(socket, 'close');
    expect(Date.now() - start).toBeGreaterThanOrEqual(180);
  });
});

describe('addressKey: one key per IPv4 address, per /64 for IPv6', () => {
  it('groups as documented', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
