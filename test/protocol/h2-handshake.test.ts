import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildExtendedConnectRequest,
  buildExtendedConnectResponse,
  validateExtendedConnect,
  validateExtendedConnectResponse,
} from '../../src/protocol/h2-handshake.js';
import { ReadyState } from '../../src/protocol/protocol.js';
import { computeAcceptKey } from '../../src/protocol/server-handshake.js';
import { ServerProtocol, type ServerProtocolHandler } from '../../src/protocol/server-protocol.js';

const GOOD = {
  ':method': 'CONNECT',
  ':protocol': 'websocket',
  ':scheme': 'https',
  ':path': '/chat',
  ':authority': 'server.example.com',
  'sec-websocket-version': '13',
  'sec-websocket-protocol': 'chat, superchat',
  'sec-websocket-extensions': 'permessage-deflate',
};

describe('RFC 8441: the extended CONNECT', () => {
  it('accepts the request of §5 and reads its subprotocols and extensions', () => {
    expect(validateExtendedConnect(GOOD)).toEqual({
      ok: true,
      key: '',
      protocols: ['chat', 'superchat'],
      extensions: [{ name: 'permessage-deflate', params: [] }],
    });
  });

  it('refuses what §4 and §5 do not allow, each with a status and a reason', () => {
    const cases: Array<[Record<string, string | undefined>, number, RegExp]> = [
      [{ ':method': 'GET' }, 400, /extended CONNECT/],
      [{ ':protocol': undefined }, 501, /:protocol/],
      [{ ':protocol': 'webtransport' }, 501, /:protocol "webtransport"/],
      [{ ':scheme': undefined }, 400, /:scheme/],
      [{ ':path': '' }, 400, /:path/],
      [{ ':authority': undefined }, 400, /:authority/],
      [{ 'sec-websocket-version': '8' }, 400, /version 8/],
      [{ 'sec-websocket-protocol': 'a, a' }, 400, /Duplicate subprotocol/],
      [{ 'sec-websocket-extensions': 'x; y="' }, 400, /Sec-WebSocket-Extensions/],
    ];
    for (const [change, status, reason] of cases) {
      const result = validateExtendedConnect({ ...GOOD, ...change });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.status).toBe(status);
      expect(result.reason).toMatch(reason);
    }
    const version = validateExtendedConnect({ ...GOOD, 'sec-websocket-version': '8' });
    expect(!version.ok && version.headers).toEqual({ 'sec-websocket-version': '13' });
  });

  it('any headers: never throws, and accepts only a CONNECT for websocket with version 13 (fast-check)', () => {
    const value = fc.option(fc.oneof(fc.string(), fc.constantFrom('CONNECT', 'websocket', '13', '/')), { nil: undefined });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...Object.keys(GOOD), '__proto__', 'constructor'), value), (change) => {
        const headers = { ...GOOD, ...change };
        const result = validateExtendedConnect(headers);
        if (result.ok) {
          expect(headers[':method']).toBe('CONNECT');
          expect(headers[':protocol']).toBe('websocket');
          expect(headers['sec-websocket-version']?.trim()).toBe('13');
        } else {
          expect([400, 501]).toContain(result.status);
        }
      }),
    );
  });

  it('answers 200 with the choices, and a Sec-WebSocket-Accept only when a key was sent', () => {
    expect(buildExtendedConnectResponse({ protocol: 'chat', extensions: 'permessage-deflate', headers: { 'X-Id': '1' } })).toEqual({
      ':status': 200,
      'sec-websocket-protocol': 'chat',
      'sec-websocket-extensions': 'permessage-deflate',
      'x-id': '1',
    });
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    expect(validateExtendedConnect({ ...GOOD, 'sec-websocket-key': key })).toMatchObject({ ok: true, key });
    expect(buildExtendedConnectResponse({ key })['sec-websocket-accept']).toBe(computeAcceptKey(key));
  });

  it('the client builds the request of §5 and checks the answer', () => {
    const request = buildExtendedConnectRequest({
      target: { secure: true, host: 'server.example.com', path: '/chat' },
      protocols: ['chat'],
      extensions: 'permessage-deflate',
      origin: 'https://example.com',
      headers: { Authorization: 'Bearer x' },
    });
    expect(request).toEqual({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':authority': 'server.example.com',
      ':path': '/chat',
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat',
      'sec-websocket-extensions': 'permessage-deflate',
      authorization: 'Bearer x',
      origin: 'https://example.com',
    });
    expect(() => buildExtendedConnectRequest({ target: { secure: true, host: 'h', path: '/' }, headers: { Connection: 'x' } })).toThrow(TypeError);
    expect(() => buildExtendedConnectRequest({ target: { secure: true, host: 'h', path: '/' }, headers: { 'X-A': 'a\r\nb' } })).toThrow(TypeError);
    const offered = { protocols: ['chat'], extensionsOffered: false };
    expect(validateExtendedConnectResponse({ ':status': '200', 'sec-websocket-protocol': 'chat' }, offered)).toEqual({ ok: true, protocol: 'chat', extensions: '' });
    expect(validateExtendedConnectResponse({ ':status': '404' }, offered)).toEqual({ ok: false, message: 'Unexpected server response: 404' });
    expect(validateExtendedConnectResponse({ ':status': '200', 'sec-websocket-protocol': 'evil' }, offered).ok).toBe(false);
    expect(validateExtendedConnectResponse({ ':status': '200', 'sec-websocket-extensions': 'permessage-deflate' }, offered).ok).toBe(false);
  });
});

describe('ServerProtocol over an HTTP/2 stream', () => {
  function server(accept: boolean) {
    const rejections: number[] = [];
    const handler: ServerProtocolHandler = {
      onRequest: () => (accept ? protocol.accept({ protocol: 'chat' }) : protocol.reject(403, 'no')),
      onReject: (status) => rejections.push(status),
      onMessage() {},
      onPing() {},
      onPong() {},
      onCloseFrame() {},
      onProtocolError() {},
      onReady() {},
    };
    const protocol = new ServerProtocol(handler, { http2: true });
    return { protocol, rejections };
  }
  const request = (headers: Record<string, string>) => ({ method: 'CONNECT', url: headers[':path'] ?? '', httpVersion: '2.0', headers, rawHeaders: [] });

  it('answers in http2Response, not in the bytes to send; then frames flow', () => {
    const { protocol } = server(true);
    protocol.receiveExtendedConnect(request(GOOD));
    expect(protocol.state).toBe(ReadyState.Open);
    expect(protocol.http2Response).toEqual({ headers: { ':status': 200, 'sec-websocket-protocol': 'chat' }, body: null });
    expect(protocol.dataToSend()).toEqual([]);
    protocol.sendText('hi');
    expect(Buffer.concat(protocol.dataToSend())).toEqual(Buffer.from([0x81, 0x02, 0x68, 0x69]));
  });

  it('a refusal is a status, headers and a one-line body; the stream closes after it', () => {
    const refused = server(false);
    refused.protocol.receiveExtendedConnect(request(GOOD));
    expect(refused.protocol.http2Response).toEqual({ headers: { ':status': 403, 'content-type': 'text/plain; charset=utf-8' }, body: 'no\n' });
    expect(refused.protocol.closeTransport).toBe(true);
    expect(refused.rejections).toEqual([403]);
    const invalid = server(true);
    invalid.protocol.receiveExtendedConnect(request({ ...GOOD, 'sec-websocket-version': '7' }));
    expect(invalid.protocol.http2Response?.headers).toMatchObject({ ':status': 400, 'sec-websocket-version': '13' });
  });
});
