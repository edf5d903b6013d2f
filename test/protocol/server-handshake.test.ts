import { describe, expect, it } from 'vitest';
import {
  buildAcceptResponse,
  computeAcceptKey,
  isValidKey,
  listContainsToken,
  parseTokenList,
  validateUpgradeRequest,
  type UpgradeRequest,
} from '../../src/protocol/server-handshake.js';

// RFC 6455 §1.3: the worked example of the accept key.
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function request(overrides: Partial<UpgradeRequest> = {}, headers: UpgradeRequest['headers'] = {}): UpgradeRequest {
  return {
    method: 'GET',
    httpVersion: '1.1',
    ...overrides,
    headers: {
      host: 'server.example.com',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': RFC_KEY,
      'sec-websocket-version': '13',
      ...headers,
    },
  };
}

function rejection(req: UpgradeRequest): { status: number; reason: string; headers: Record<string, string> } {
  const result = validateUpgradeRequest(req);
  if (result.ok) throw new Error('expected the request to be rejected');
  return result;
}

describe('computeAcceptKey (RFC 6455 §1.3)', () => {
  it('gives the RFC example accept value', () => {
    expect(computeAcceptKey(RFC_KEY)).toBe(RFC_ACCEPT);
  });
});

describe('isValidKey', () => {
  it('accepts base64 of exactly 16 bytes', () => {
    expect(isValidKey(RFC_KEY)).toBe(true);
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.alloc(16, i * 5);
      bytes[15] = i;
      expect(isValidKey(bytes.toString('base64'))).toBe(true);
    }
  });

  it('refuses keys that decode to the wrong number of bytes', () => {
    for (const length of [0, 1, 8, 15, 17, 20, 32]) {
      const key = Buffer.alloc(length, 0x61).toString('base64');
      expect(isValidKey(key), `length ${length}`).toBe(false);
    }
  });

  it('refuses malformed base64', () => {
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ=')).toBe(false); // one '=' short
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ')).toBe(false); // no padding
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZ!==')).toBe(false); // not base64
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZR==')).toBe(true); // non-zero unused bits still decode to 16 bytes
    expect(Buffer.from('dGhlIHNhbXBsZSBub25jZR==', 'base64')).toHaveLength(16);
    expect(isValidKey(' dGhlIHNhbXBsZSBub25jZQ==')).toBe(false);
    expect(isValidKey('')).toBe(false);
  });
});

describe('validateUpgradeRequest (RFC 6455 §4.2.1)', () => {
  it('accepts the RFC example request', () => {
    const result = validateUpgradeRequest(request());
    expect(result).toEqual({ ok: true, key: RFC_KEY, protocols: [], extensions: [] });
  });

  it('accepts HTTP versions above 1.1', () => {
    expect(validateUpgradeRequest(request({ httpVersion: '1.2' })).ok).toBe(true);
    expect(validateUpgradeRequest(request({ httpVersion: '2.0' })).ok).toBe(true);
  });

  it('refuses a method other than GET with 400', () => {
    for (const method of ['POST', 'HEAD', 'get', 'PUT', undefined]) {
      const result = rejection(request({ method }));
      expect(result.status).toBe(400);
      expect(result.reason).toMatch(/method/i);
    }
  });

  it('refuses HTTP/1.0 (and garbage versions) with 400', () => {
    for (const httpVersion of ['1.0', '0.9', 'x.y', '', undefined]) {
      const result = rejection(request({ httpVersion }));
      expect(result.status).toBe(400);
      expect(result.reason).toMatch(/HTTP version/);
    }
  });

  it('refuses a missing or empty Host with 400', () => {
    expect(rejection(request({}, { host: undefined })).status).toBe(400);
    expect(rejection(request({}, { host: '  ' })).reason).toMatch(/Host/);
  });

  it('requires Upgrade: websocket, case-insensitively', () => {
    expect(validateUpgradeRequest(request({}, { upgrade: 'WebSocket' })).ok).toBe(true);
    expect(validateUpgradeRequest(request({}, { upgrade: 'WEBSOCKET' })).ok).toBe(true);
    expect(validateUpgradeRequest(request({}, { upgrade: 'h2c, websocket' })).ok).toBe(true);
    // RFC 7230 §6.7: Upgrade lists protocol-name ["/" protocol-version].
    expect(validateUpgradeRequest(request({}, { upgrade: 'HTTP/2.0, websocket' })).ok).toBe(true);
    expect(validateUpgradeRequest(request({}, { upgrade: 'websocket, h2c/1.0' })).ok).toBe(true);
    for (const upgrade of [undefined, '', 'h2c', 'websockets', 'web socket', 'h2c/websocket', 'websocket2']) {
      const result = rejection(request({}, { upgrade }));
      expect(result.status).toBe(400);
      expect(result.reason).toMatch(/Upgrade/);
    }
  });

  it('requires the token "upgrade" in Connection, in a comma list', () => {
    for (const connection of ['Upgrade', 'upgrade', 'keep-alive, Upgrade', 'Upgrade, keep-alive', 'keep-alive,upgrade', ' ,UPGRADE']) {
      expect(validateUpgradeRequest(request({}, { connection })).ok, connection).toBe(true);
    }
    expect(validateUpgradeRequest(request({}, { connection: ['keep-alive', 'Upgrade'] })).ok).toBe(true);
    for (const connection of [undefined, '', 'keep-alive', 'close', 'upgraded', 'keep-alive; Upgrade', 'Up grade']) {
      const result = rejection(request({}, { connection }));
      expect(result.status, String(connection)).toBe(400);
      expect(result.reason).toMatch(/Connection/);
    }
  });

  it('refuses missing, malformed, wrong-length and repeated keys with 400', () => {
    const keys = [
      undefined,
      '',
      'abc',
      Buffer.alloc(15).toString('base64'),
      Buffer.alloc(17).toString('base64'),
      Buffer.alloc(32).toString('base64'),
      'dGhlIHNhbXBsZSBub25jZQ', // unpadded
      'not base64 at all!!!!!!!',
    ];
    for (const key of keys) {
      const result = rejection(request({}, { 'sec-websocket-key': key }));
      expect(result.status, String(key)).toBe(400);
      expect(result.reason).toMatch(/Sec-WebSocket-Key/);
    }
    const repeated = rejection(request({}, { 'sec-websocket-key': [RFC_KEY, RFC_KEY] }));
    expect(repeated.status).toBe(400);
    expect(repeated.reason).toBe('More than one Sec-WebSocket-Key header');
    // node:http hands a repeated header over joined with ", ".
    const joined = rejection(request({}, { 'sec-websocket-key': `${RFC_KEY}, ${RFC_KEY}` }));
    expect(joined.reason).toBe('More than one Sec-WebSocket-Key header');
  });

  it('tolerates whitespace around the key and version (header values may be padded)', () => {
    const result = validateUpgradeRequest(
      request({}, { 'sec-websocket-key': ` ${RFC_KEY} `, 'sec-websocket-version': ' 13 ' }),
    );
    expect(result.ok && result.key).toBe(RFC_KEY);
  });

  it('answers a missing or wrong version with 426 and Sec-WebSocket-Version: 13 (§4.4)', () => {
    for (const version of [undefined, '8', '12', '14', '13, 8', '']) {
      const result = rejection(request({}, { 'sec-websocket-version': version }));
      expect(result.status, String(version)).toBe(426);
      expect(result.headers).toEqual({ 'Sec-WebSocket-Version': '13' });
      expect(result.reason).toMatch(/version/i);
    }
  });

  it('gives every 400 a single-line reason', () => {
    const reasons = [
      rejection(request({ method: 'POST' })).reason,
      rejection(request({}, { upgrade: 'x' })).reason,
      rejection(request({}, { 'sec-websocket-key': 'x' })).reason,
    ];
    for (const reason of reasons) {
      expect(reason.length).toBeGreaterThan(0);
      expect(reason).not.toMatch(/[\r\n]/);
    }
  });

  it('parses offered subprotocols in order', () => {
    const result = validateUpgradeRequest(request({}, { 'sec-websocket-protocol': 'chat, superchat ,v2.json' }));
    expect(result.ok && result.protocols).toEqual(['chat', 'superchat', 'v2.json']);
    const repeated = validateUpgradeRequest(request({}, { 'sec-websocket-protocol': ['a', 'b'] }));
    expect(repeated.ok && repeated.protocols).toEqual(['a', 'b']);
  });

  it('refuses an invalid or duplicated subprotocol list with 400', () => {
    for (const header of ['chat superchat', 'chat, "quoted"', 'a;b', 'chat, chat', 'ü']) {
      const result = rejection(request({}, { 'sec-websocket-protocol': header }));
      expect(result.status, header).toBe(400);
      expect(result.reason).toMatch(/Sec-WebSocket-Protocol/);
    }
  });

  it('parses offered extensions', () => {
    const result = validateUpgradeRequest(
      request({}, { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits, x-foo' }),
    );
    expect(result.ok && result.extensions).toEqual([
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
      { name: 'x-foo', params: [] },
    ]);
  });

  it('refuses an invalid extension header with 400', () => {
    for (const header of ['permessage-deflate;', '; x', 'a; b=', 'a; b="unterminated', 'a b', 'a; b="two words"']) {
      const result = rejection(request({}, { 'sec-websocket-extensions': header }));
      expect(result.status, header).toBe(400);
      expect(result.reason).toMatch(/Sec-WebSocket-Extensions/);
    }
  });
});

describe('header grammar (RFC 7230 §3.2.6, §7)', () => {
  it('parseTokenList splits on commas and whitespace and skips empty elements', () => {
    expect(parseTokenList('')).toEqual([]);
    expect(parseTokenList('a')).toEqual(['a']);
    expect(parseTokenList(' a ,b,\t c ')).toEqual(['a', 'b', 'c']);
    expect(parseTokenList(',,a,,,b,,')).toEqual(['a', 'b']);
    expect(parseTokenList("!#$%&'*+-.^_`|~09azAZ")).toEqual(["!#$%&'*+-.^_`|~09azAZ"]);
  });

  it('parseTokenList refuses non-token characters and missing commas', () => {
    for (const value of ['a b', 'a;b', '"a"', 'a,(b)', 'a\u0000', 'é', 'a/b', 'a=b', 'a@b']) {
      expect(parseTokenList(value), value).toBeNull();
    }
  });

  it('listContainsToken matches whole tokens, case-insensitively', () => {
    expect(listContainsToken('Keep-Alive, UpGrade', 'upgrade')).toBe(true);
    expect(listContainsToken('upgrades', 'upgrade')).toBe(false);
    expect(listContainsToken('x-upgrade', 'upgrade')).toBe(false);
    expect(listContainsToken('up grade', 'upgrade')).toBe(false);
  });

});

describe('hostile headers (linear time)', () => {
  it('parses a 64 KiB header of commas with the right result, and the request validation with it', () => {
    const commas = ','.repeat(64 * 1024);
    expect(parseTokenList(commas)).toEqual([]);
    expect(listContainsToken(commas, 'upgrade')).toBe(false);
    expect(listContainsToken(commas + 'upgrade', 'upgrade')).toBe(true);
    const spaced = ', '.repeat(32 * 1024) + 'chat';
    expect(parseTokenList(spaced)).toEqual(['chat']);
    // Hostile shapes for a backtracking parser: many separators then a bad character.
    expect(parseTokenList(' ,'.repeat(32 * 1024) + '"')).toBeNull();
    const result = validateUpgradeRequest(
      request({}, { 'sec-websocket-protocol': commas + 'chat', 'sec-websocket-extensions': commas, connection: commas + 'Upgrade' }),
    );
    expect(result.ok && result.protocols).toEqual(['chat']);
    expect(result.ok && result.extensions).toEqual([]);
  });

  it('an invalid Sec-WebSocket-Extensions header is a 400 that says why', () => {
    const bad = rejection(request({}, { 'sec-websocket-extensions': 'permessage-deflate; a="' }));
    expect(bad.status).toBe(400);
    expect(bad.reason).toMatch(/^Invalid Sec-WebSocket-Extensions header: /);
  });
});

describe('responses (§4.2.2)', () => {
  it('builds the 101 response with the RFC accept value', () => {
    const response = buildAcceptResponse({ key: RFC_KEY });
    expect(response).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\n` +
        '\r\n',
    );
  });

  it('adds the chosen subprotocol and extra headers', () => {
    const response = buildAcceptResponse({ key: RFC_KEY, protocol: 'chat', headers: { 'X-Test': '1' } });
    expect(response).toContain('\r\nSec-WebSocket-Protocol: chat\r\n');
    expect(response).toContain('\r\nX-Test: 1\r\n');
    expect(response.endsWith('\r\n\r\n')).toBe(true);
  });

  it('refuses a header name or value that would inject lines (RFC 7230 §3.2)', () => {
    expect(() => buildAcceptResponse({ key: RFC_KEY, headers: { 'X-Test': 'a\r\nSet-Cookie: evil=1' } })).toThrow(TypeError);
    expect(() => buildAcceptResponse({ key: RFC_KEY, headers: { 'X-Test': 'a\nb' } })).toThrow(TypeError);
    expect(() => buildAcceptResponse({ key: RFC_KEY, headers: { 'Bad Name': '1' } })).toThrow(TypeError);
    expect(() => buildAcceptResponse({ key: RFC_KEY, headers: { 'X-Nul': 'a\0b' } })).toThrow(TypeError);
    expect(buildAcceptResponse({ key: RFC_KEY, headers: { 'X-List': ['a', 'b'] } })).toContain('X-List: a\r\nX-List: b\r\n');
  });

});
