import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadyState } from '../../src/protocol/protocol.js';
import { computeAcceptKey } from '../../src/protocol/server-handshake.js';
import {
  ServerProtocol,
  type HandshakeOffer,
  type HandshakeRequest,
  type ServerProtocolHandler,
} from '../../src/protocol/server-protocol.js';
import { parseFrames } from './support/frames.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const REQUEST =
  'GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n`;
/** "Hello" in a masked text frame (RFC 6455 §5.7). */
const MASKED_HELLO = Buffer.from('818537fa213d7f9f4d5158', 'hex');

interface Recorded {
  requests: Array<{ request: HandshakeRequest; offer: HandshakeOffer; head: Buffer }>;
  rejections: Array<{ status: number; reason: string; url: string | null }>;
  messages: string[];
}

function server(decide?: (protocol: ServerProtocol, offer: HandshakeOffer) => void): { protocol: ServerProtocol; seen: Recorded } {
  const seen: Recorded = { requests: [], rejections: [], messages: [] };
  const handler: ServerProtocolHandler = {
    onRequest: (request, offer, head) => {
      seen.requests.push({ request, offer, head });
      decide?.(protocol, offer);
    },
    onReject: (status, reason, request) => seen.rejections.push({ status, reason, url: request?.url ?? null }),
    onMessage: (data) => seen.messages.push(data.toString()),
    onPing() {},
    onPong() {},
    onCloseFrame() {},
    onProtocolError() {},
    onReady() {},
  };
  const protocol = new ServerProtocol(handler);
  return { protocol, seen };
}

const output = (protocol: ServerProtocol): string => Buffer.concat(protocol.dataToSend()).toString('latin1');
const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);

describe('ServerProtocol: the opening handshake from bytes (RFC 6455 §4.2)', () => {
  it('reads the request, lets the application accept it, and answers 101 with the accept key (§4.2.2)', () => {
    const { protocol, seen } = server((p, offer) => p.accept({ protocol: offer.protocols[0] }));
    expect(protocol.state).toBe(ReadyState.Connecting);
    protocol.receiveData(Buffer.from(REQUEST, 'latin1'));
    expect(seen.requests).toHaveLength(1);
    expect(seen.requests[0].request).toMatchObject({ method: 'GET', url: '/chat?x=1', httpVersion: '1.1' });
    expect(seen.requests[0].offer).toEqual({ key: KEY, protocols: ['chat', 'superchat'], extensions: [] });
    expect(protocol.state).toBe(ReadyState.Open);
    const response = output(protocol);
    expect(response).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${computeAcceptKey(KEY)}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
    );
    expect(protocol.closeTransport).toBe(false);
  });

  it('hands the bytes after the request back as `head`, and parses them once fed after accept', () => {
    const { protocol, seen } = server();
    protocol.receiveData(Buffer.concat([Buffer.from(REQUEST, 'latin1'), MASKED_HELLO]));
    expect(seen.messages).toEqual([]); // nothing is parsed before the decision
    expect(protocol.awaitingDecision).toBe(true);
    expect(protocol.isReadPaused).toBe(true);
    protocol.accept();
    expect(protocol.isReadPaused).toBe(false);
    protocol.receiveData(seen.requests[0].head);
    expect(seen.messages).toEqual(['Hello']);
  });

  it('the same request in any chunking gives the same request and the same answer (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: REQUEST.length - 1 }), { maxLength: 8 }), (cuts) => {
        const { protocol, seen } = server((p) => p.accept());
        const bytes = Buffer.from(REQUEST, 'latin1');
        let from = 0;
        for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
          protocol.receiveData(bytes.subarray(from, cut));
          from = cut;
        }
        protocol.receiveData(bytes.subarray(from));
        expect(seen.requests).toHaveLength(1);
        expect(statusOf(output(protocol))).toBe(101);
      }),
    );
  });

  it('reject() answers with the status, closes after it, and reports it (§4.2.2)', () => {
    const { protocol, seen } = server((p) => p.reject(403, 'Origin not allowed', { 'X-Why': 'origin' }));
    protocol.receiveData(Buffer.from(REQUEST, 'latin1'));
    const response = output(protocol);
    expect(statusOf(response)).toBe(403);
    expect(response).toContain('\r\nX-Why: origin\r\n');
    expect(response.endsWith('\r\n\r\nOrigin not allowed\n')).toBe(true);
    expect(protocol.state).toBe(ReadyState.Closed);
    expect(protocol.closeTransport).toBe(true);
    expect(seen.rejections).toEqual([{ status: 403, reason: 'Origin not allowed', url: '/chat?x=1' }]);
  });

  it('answers what cannot be a handshake itself: 400, 426 with the version, 431', () => {
    const cases: Array<[string, number]> = [
      ['GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
      [REQUEST.replace('Version: 13', 'Version: 8'), 426],
      ['POST / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n', 400],
      ['\x16\x03\x01\x02\x00', 400], // a TLS ClientHello on a plain port
      ['GET / HTTP/1.1\r\n' + 'X-Filler: '.padEnd(20_000, 'x') + '\r\n\r\n', 431],
    ];
    for (const [request, status] of cases) {
      const { protocol, seen } = server();
      protocol.receiveData(Buffer.from(request, 'latin1'));
      const response = output(protocol);
      expect(statusOf(response)).toBe(status);
      if (status === 426) expect(response).toContain('\r\nSec-WebSocket-Version: 13\r\n');
      expect(protocol.closeTransport).toBe(true);
      expect(protocol.state).toBe(ReadyState.Closed);
      expect(seen.requests).toEqual([]);
    }
  });

  it('a plain request gets a keep-alive 426; a pipelined next one waits until asked for', () => {
    const { protocol, seen } = server((p) => p.accept());
    const plain = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    protocol.receiveData(Buffer.from(plain + plain + REQUEST, 'latin1'));
    expect(statusOf(output(protocol))).toBe(426);
    expect(protocol.state).toBe(ReadyState.Connecting);
    expect(protocol.closeTransport).toBe(false);
    expect(protocol.hasUnreadInput).toBe(true);
    expect(protocol.isReadPaused).toBe(true); // one answer at a time
    protocol.receiveData(Buffer.alloc(0));
    expect(statusOf(output(protocol))).toBe(426);
    protocol.receiveData(Buffer.alloc(0));
    expect(seen.requests).toHaveLength(1);
    expect(protocol.state).toBe(ReadyState.Open);
  });

  it('a request that names HTTP/1.0, or closes, gets a 426 that closes', () => {
    const { protocol } = server();
    protocol.receiveData(Buffer.from('GET / HTTP/1.0\r\nHost: a\r\n\r\n', 'latin1'));
    expect(statusOf(output(protocol))).toBe(426);
    expect(protocol.closeTransport).toBe(true);
  });

  it('a request read by node:http goes through the same checks (receiveRequest)', () => {
    const { protocol, seen } = server((p) => p.accept());
    const headers = { host: 'a', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13' };
    protocol.receiveRequest({ method: 'GET', url: '/', httpVersion: '1.1', headers, rawHeaders: [] }, MASKED_HELLO);
    expect(seen.requests[0].head).toEqual(MASKED_HELLO);
    expect(statusOf(output(protocol))).toBe(101);
    const bad = server();
    bad.protocol.receiveRequest({ method: 'GET', url: '/', httpVersion: '1.1', headers: { ...headers, 'sec-websocket-key': 'short' }, rawHeaders: [] }, Buffer.alloc(0));
    expect(statusOf(output(bad.protocol))).toBe(400);
    expect(bad.seen.rejections[0]).toMatchObject({ status: 400, url: '/' });
  });

  it('after accept, frames follow the 101 in the same output, in order', () => {
    const { protocol } = server((p) => p.accept());
    protocol.receiveData(Buffer.from(REQUEST, 'latin1'));
    protocol.sendText('first');
    const bytes = Buffer.concat(protocol.dataToSend());
    const end = bytes.indexOf('\r\n\r\n') + 4;
    expect(statusOf(bytes.subarray(0, end).toString('latin1'))).toBe(101);
    const frames = parseFrames([bytes.subarray(end)], 'client');
    expect(frames.map((f) => f.payload.toString())).toEqual(['first']);
  });

  it('any bytes in any chunking: never throws, and ends waiting, asking, or answering 4xx (fast-check)', () => {
    const requestish = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ maxLength: 300 }).map((text) => Buffer.from(REQUEST.slice(0, 40) + text, 'latin1')),
      fc.constantFrom(...['__proto__', 'constructor', 'toString']).map((name) =>
        Buffer.from(REQUEST.replace('Host: example.com', `Host: example.com\r\n${name}: 1`), 'latin1'),
      ),
    );
    fc.assert(
      fc.property(requestish, fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const { protocol, seen } = server();
        let from = 0;
        for (const cut of cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)) {
          protocol.receiveData(bytes.subarray(from, Math.max(from, cut)));
          from = Math.max(from, cut);
        }
        protocol.receiveData(bytes.subarray(from));
        while (protocol.hasUnreadInput) protocol.receiveData(Buffer.alloc(0));
        const response = output(protocol);
        if (seen.requests.length > 0) {
          expect(protocol.awaitingDecision).toBe(true);
        } else if (protocol.state === ReadyState.Closed) {
          expect([400, 426, 431]).toContain(statusOf(response));
        } else {
          expect(protocol.state).toBe(ReadyState.Connecting);
          // Either incomplete, or only keep-alive 426s were answered so far.
          for (const line of response.split('\r\n').filter((l) => l.startsWith('HTTP/1.1 '))) expect(line).toMatch(/^HTTP\/1\.1 426 /);
        }
      }),
      { numRuns: 500 },
    );
  });
});
