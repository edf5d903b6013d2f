import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ResponseHeadReader,
  buildClientRequest,
  generateKey,
  normalizeProtocols,
  parseResponseHead,
  parseWebSocketUrl,
  validateUpgradeResponse,
  type ResponseHead,
  type ResponseReadResult,
} from '../../src/protocol/client-handshake.js';

// RFC 6455 §1.3 and §4.1: the sample nonce and its accept value.
const RFC_NONCE = Buffer.from('the sample nonce');
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

describe('parseWebSocketUrl', () => {
  it('applies the default ports and "/" as the path', () => {
    expect(parseWebSocketUrl('ws://example.com')).toEqual({
      secure: false,
      hostname: 'example.com',
      port: 80,
      host: 'example.com',
      path: '/',
      href: 'ws://example.com/',
      auth: '',
    });
    const secure = parseWebSocketUrl('wss://example.com/chat');
    expect(secure.secure).toBe(true);
    expect(secure.port).toBe(443);
    expect(secure.path).toBe('/chat');
  });

  it('keeps the path and the query, and an explicit port in Host', () => {
    const target = parseWebSocketUrl('ws://example.com:8080/a/b?room=1&x=%20');
    expect(target.port).toBe(8080);
    expect(target.host).toBe('example.com:8080');
    expect(target.path).toBe('/a/b?room=1&x=%20');
  });

  it('omits a default port given explicitly from Host', () => {
    expect(parseWebSocketUrl('ws://example.com:80/').host).toBe('example.com');
    expect(parseWebSocketUrl('wss://example.com:443/').host).toBe('example.com');
  });

  it('dials an IPv6 literal without brackets and keeps them in Host', () => {
    const target = parseWebSocketUrl('ws://[::1]:9001/x');
    expect(target.hostname).toBe('::1');
    expect(target.host).toBe('[::1]:9001');
    expect(target.port).toBe(9001);
  });

  it('takes http: and https: as ws: and wss:', () => {
    expect(parseWebSocketUrl('http://h/').href).toBe('ws://h/');
    expect(parseWebSocketUrl('https://h/').secure).toBe(true);
  });

  it('resolves a relative URL against a base (redirects)', () => {
    expect(parseWebSocketUrl('/next?a=1', 'ws://h:1/first').href).toBe('ws://h:1/next?a=1');
  });

  it.each([
    ['not a url', /Invalid URL/],
    ['ftp://example.com/', /protocol must be one of/],
    ['ws://example.com/#frag', /fragment/],
  ])('throws SyntaxError for %s', (url, message) => {
    expect(() => parseWebSocketUrl(url)).toThrow(SyntaxError);
    expect(() => parseWebSocketUrl(url)).toThrow(message);
  });
});

describe('generateKey', () => {
  it('is the base64 of the 16-byte nonce (the RFC sample)', () => {
    expect(generateKey(RFC_NONCE)).toBe(RFC_KEY);
  });

  it('is fresh and 24 characters by default', () => {
    const a = generateKey();
    const b = generateKey();
    expect(a).toMatch(/^[A-Za-z0-9+/]{21}[AQgw]==$/);
    expect(a).not.toBe(b);
  });

  it('refuses a nonce of the wrong size', () => {
    expect(() => generateKey(new Uint8Array(15))).toThrow(RangeError);
  });
});

describe('normalizeProtocols', () => {
  it('accepts none, one string, or a list of tokens', () => {
    expect(normalizeProtocols(undefined)).toEqual([]);
    expect(normalizeProtocols('chat')).toEqual(['chat']);
    expect(normalizeProtocols(['chat.v2', 'chat'])).toEqual(['chat.v2', 'chat']);
  });

  it.each([[''], ['a b'], ['a,b'], ['ü'], ['a"']])('throws SyntaxError for %j', (protocol) => {
    expect(() => normalizeProtocols([protocol])).toThrow(SyntaxError);
  });

  it('throws SyntaxError for a duplicate', () => {
    expect(() => normalizeProtocols(['chat', 'chat'])).toThrow(/duplicated/);
  });
});

describe('buildClientRequest', () => {
  const target = parseWebSocketUrl('ws://server.example.com/chat');

  it('writes the §4.1 request (the RFC example)', () => {
    expect(
      buildClientRequest({ target, key: RFC_KEY, protocols: ['chat', 'superchat'], origin: 'http://example.com' }),
    ).toBe(
      'GET /chat HTTP/1.1\r\n' +
        'Host: server.example.com\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${RFC_KEY}\r\n` +
        'Sec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        'Origin: http://example.com\r\n' +
        '\r\n',
    );
  });

  it('sends no Origin and no Sec-WebSocket-Protocol unless given', () => {
    const request = buildClientRequest({ target, key: RFC_KEY, protocols: [] });
    expect(request).not.toMatch(/Origin|Sec-WebSocket-Protocol/);
  });

  it('adds extra headers (repeated for a list) and lets Host be replaced', () => {
    const request = buildClientRequest({
      target,
      key: RFC_KEY,
      headers: { Authorization: 'Bearer x', 'X-N': 3, Cookie: ['a=1', 'b=2'], Host: 'other.example' },
    });
    expect(request).toContain('Host: other.example\r\n');
    expect(request).not.toContain('Host: server.example.com');
    expect(request).toContain('Authorization: Bearer x\r\nX-N: 3\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n');
  });

  it.each([
    ['Upgrade', 'Upgrade: websocket'],
    ['connection', 'Connection: Upgrade'],
    ['Sec-WebSocket-Key', `Sec-WebSocket-Key: ${RFC_KEY}`],
    ['sec-websocket-version', 'Sec-WebSocket-Version: 13'],
  ])('lets the handshake\'s own %s win over "headers", as ws does', (name, line) => {
    const request = buildClientRequest({ target, key: RFC_KEY, headers: { [name]: 'x' } });
    expect(request).toContain(`${line}\r\n`);
    expect(request).not.toMatch(new RegExp(`^${name}: x`, 'im'));
  });

  it('refuses header injection and invalid names', () => {
    expect(() => buildClientRequest({ target, key: RFC_KEY, headers: { 'X-A': 'v\r\nEvil: 1' } })).toThrow(TypeError);
    expect(() => buildClientRequest({ target, key: RFC_KEY, headers: { 'Bad Name': 'v' } })).toThrow(TypeError);
    expect(() => buildClientRequest({ target, key: RFC_KEY, origin: 'http://x\r\n' })).toThrow(TypeError);
    // latin1 keeps the low byte of U+010D U+010A: CR LF on the wire.
    expect(() => buildClientRequest({ target, key: RFC_KEY, headers: { 'X-A': 'v\u010d\u010aEvil: 1' } })).toThrow(TypeError);
    expect(() => buildClientRequest({ target, key: RFC_KEY, headers: { Host: 'a\u010d\u010aEvil: 1' } })).toThrow(TypeError);
    expect(() => buildClientRequest({ target, key: RFC_KEY, origin: 'http://x\u010a' })).toThrow(TypeError);
  });

  it('sends a Sec-WebSocket-Protocol given in "headers" only when no subprotocol is offered (as ws)', () => {
    expect(buildClientRequest({ target, key: RFC_KEY, headers: { 'Sec-WebSocket-Protocol': 'x' } })).toContain('Sec-WebSocket-Protocol: x\r\n');
    const offered = buildClientRequest({ target, key: RFC_KEY, protocols: ['chat'], headers: { 'sec-websocket-protocol': 'x' } });
    expect(offered).toContain('Sec-WebSocket-Protocol: chat\r\n');
    expect(offered).not.toContain(': x\r\n');
  });

  it.each([
    [{ 'X-A': 'v\r\nEvil: 1' }, 'ERR_INVALID_CHAR', 'Invalid character in header content ["X-A"]'],
    [{ 'X-A': 'v\0' }, 'ERR_INVALID_CHAR', 'Invalid character in header content ["X-A"]'],
    [{ 'X-A': ['ok', 'bad\n'] }, 'ERR_INVALID_CHAR', 'Invalid character in header content ["X-A"]'],
    [{ 'Bad Name': 'v' }, 'ERR_INVALID_HTTP_TOKEN', 'Header name must be a valid HTTP token ["Bad Name"]'],
    [{ 'X-U': undefined }, 'ERR_HTTP_INVALID_HEADER_VALUE', 'Invalid value "undefined" for header "X-U"'],
  ])('refuses %j with node:http\'s TypeError (%s)', (headers, code, message) => {
    const attempt = (): string => buildClientRequest({ target, key: RFC_KEY, headers });
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe(code);
    }
  });

  it('refuses an Origin that would inject a header', () => {
    expect(() => buildClientRequest({ target, key: RFC_KEY, origin: 'http://x\r\n' })).toThrow('Invalid character in header content ["Origin"]');
  });

  it('sends version 8 with Sec-WebSocket-Origin, as ws does for protocolVersion 8', () => {
    const request = buildClientRequest({ target, key: RFC_KEY, version: 8, origin: 'http://example.com' });
    expect(request).toContain('Sec-WebSocket-Version: 8\r\n');
    expect(request).toContain('Sec-WebSocket-Origin: http://example.com\r\n');
    expect(request).not.toContain('\r\nOrigin:');
  });

  it('sends the URL\'s user:password as Basic authentication unless an Authorization is given', () => {
    const basic = buildClientRequest({ target, key: RFC_KEY, auth: 'ann:s3cr%40t' });
    expect(basic).toContain(`Authorization: Basic ${Buffer.from('ann:s3cr%40t').toString('base64')}\r\n`);
    const given = buildClientRequest({ target, key: RFC_KEY, auth: 'ann:x', headers: { authorization: 'Bearer t' } });
    expect(given).toContain('authorization: Bearer t\r\n');
    expect(given).not.toContain('Basic');
  });
});

function response(lines: string[], body = ''): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'latin1');
}

const GOOD = [
  'HTTP/1.1 101 Switching Protocols',
  'Upgrade: websocket',
  'Connection: Upgrade',
  `Sec-WebSocket-Accept: ${RFC_ACCEPT}`,
];

function read(bytes: Buffer, limit?: number): ResponseReadResult {
  return new ResponseHeadReader(limit).push(bytes);
}

function complete(bytes: Buffer): { response: ResponseHead; head: Buffer } {
  const result = read(bytes);
  if (result.kind !== 'complete') throw new Error(`expected a complete response, got ${JSON.stringify(result)}`);
  return result;
}

describe('ResponseHeadReader', () => {
  it('parses the status line and headers, and returns the bytes after them as the head', () => {
    const { response: parsed, head } = complete(response([...GOOD, 'X-Two: a', 'x-two: b'], '\x81\x02hi'));
    expect(parsed.httpVersion).toBe('1.1');
    expect(parsed.statusCode).toBe(101);
    expect(parsed.statusMessage).toBe('Switching Protocols');
    expect(parsed.headers.upgrade).toBe('websocket');
    expect(parsed.headers['x-two']).toEqual(['a', 'b']);
    expect([...head]).toEqual([0x81, 0x02, 0x68, 0x69]);
  });

  it('trims optional whitespace around values and accepts an empty reason phrase', () => {
    const { response: parsed } = complete(response(['HTTP/1.1 403', 'A:\t x \t', 'B:']));
    expect(parsed.statusCode).toBe(403);
    expect(parsed.statusMessage).toBe('');
    expect(parsed.headers.a).toBe('x');
    expect(parsed.headers.b).toBe('');
  });

  it('waits for the blank line, across chunks split anywhere', () => {
    const bytes = response(GOOD, 'tail');
    const reader = new ResponseHeadReader();
    for (let i = 0; i < bytes.length - 5; i++) expect(reader.push(bytes.subarray(i, i + 1)).kind).toBe('incomplete');
    const result = reader.push(bytes.subarray(bytes.length - 5));
    expect(result.kind).toBe('complete');
    if (result.kind === 'complete') expect(result.head.toString()).toBe('tail');
  });

  it('fails when the headers exceed the cap, whether or not they ever end', () => {
    const big = response([...GOOD, 'X-Big: ' + 'a'.repeat(200)]);
    expect(read(big, 100)).toEqual({ kind: 'error', message: 'Invalid HTTP response: the headers exceed 100 bytes' });
    expect(read(Buffer.alloc(100, 0x61), 100).kind).toBe('error');
    expect(read(Buffer.alloc(99, 0x61), 100).kind).toBe('incomplete');
  });

  it.each([
    ['a garbage status line', ['HTTP/1.1 OK'], /malformed status line/],
    ['a non-HTTP status line', ['SSH-2.0-OpenSSH_9.2'], /malformed status line/],
    ['a two-digit status', ['HTTP/1.1 10 x'], /malformed status line/],
    ['a header without a colon', ['HTTP/1.1 101 x', 'Upgrade websocket'], /malformed header line/],
    ['a header name with a space', ['HTTP/1.1 101 x', 'Up grade: websocket'], /invalid header name/],
    ['whitespace before the colon', ['HTTP/1.1 101 x', 'Upgrade : websocket'], /invalid header name/],
    ['obsolete line folding', ['HTTP/1.1 101 x', 'A: b', ' c'], /malformed header line/],
    ['a bare LF inside a line', ['HTTP/1.1 101 x', 'A: b\nB: c'], /bare LF instead of CRLF/],
    ['a NUL in a value', ['HTTP/1.1 101 x', 'A: b\0'], /invalid characters/],
  ])('reports %s precisely', (_name, lines, message) => {
    const result = read(response(lines));
    expect(result.kind).toBe('error');
    if (result.kind === 'error') expect(result.message).toMatch(message);
  });

  it('ignores bytes after the result', () => {
    const reader = new ResponseHeadReader();
    const first = reader.push(response(GOOD));
    expect(reader.push(Buffer.from('more'))).toBe(first);
  });

  // Any bytes, cut into any chunks: the same answer as in one piece, and never a throw.
  it('gives the same result for any chunking of any bytes (fast-check)', () => {
    const messy = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .array(
          fc.oneof(
            fc.constantFrom(...GOOD, '\r\n', '\r\n\r\n', ':', ' ', 'HTTP/1.1 ', '101', '\n', '\r', 'X: y'),
            fc.string({ maxLength: 12 }),
          ),
          { maxLength: 20 },
        )
        .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1'))),
    );
    fc.assert(
      fc.property(messy, fc.array(fc.nat({ max: 400 }), { maxLength: 8 }), fc.integer({ min: 16, max: 400 }), (bytes, cuts, limit) => {
        const whole = new ResponseHeadReader(limit).push(bytes);
        const reader = new ResponseHeadReader(limit);
        let result: ResponseReadResult = { kind: 'incomplete' };
        // Once complete, later bytes are the caller's (the first frames): they extend the head.
        const after: Uint8Array[] = [];
        let start = 0;
        for (const cut of [...cuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b), bytes.length]) {
          const chunk = bytes.subarray(start, Math.max(start, cut));
          if (result.kind === 'complete') after.push(chunk);
          else result = reader.push(chunk);
          start = Math.max(start, cut);
        }
        if (result.kind === 'complete') result = { ...result, head: Buffer.concat([result.head, ...after]) };
        expect(result).toEqual(whole);
        if (result.kind === 'error') expect(result.message).toMatch(/^Invalid HTTP response: /);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any well-formed response (fast-check)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
    const value = fc.stringMatching(/^[!-~]([ !-~]{0,20}[!-~])?$/);
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.array(fc.tuple(token, value), { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), (status, headers, body) => {
        const bytes = Buffer.concat([response([`HTTP/1.1 ${status} Reason`, ...headers.map(([n, v]) => `${n}: ${v}`)]), body]);
        const { response: parsed, head } = complete(bytes);
        expect(parsed.statusCode).toBe(status);
        for (const [name, v] of headers) {
          const got = parsed.headers[name.toLowerCase()];
          expect(Array.isArray(got) ? got : [got]).toContain(v);
        }
        expect(Buffer.compare(head, Buffer.from(body))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseResponseHead', () => {
  it('does not let header names touch the object prototype', () => {
    const parsed = parseResponseHead('HTTP/1.1 101 x\r\n__proto__: a\r\nconstructor: b');
    expect(typeof parsed).toBe('object');
    if (typeof parsed === 'object') {
      expect(parsed.headers['__proto__']).toBe('a');
      expect(parsed.headers.constructor).toBe('b');
    }
  });
});

describe('validateUpgradeResponse', () => {
  const expected = { key: RFC_KEY, protocols: [] as string[] };
  const check = (lines: string[], protocols: string[] = []) =>
    validateUpgradeResponse(complete(response(lines)).response, { key: RFC_KEY, protocols });

  it('accepts the RFC example (case-insensitive Upgrade, Connection as a list)', () => {
    expect(check(GOOD)).toEqual({ ok: true, protocol: '', extensions: '' });
    expect(
      check(['HTTP/1.1 101 OK', 'upgrade: WebSocket', 'connection: keep-alive, upgrade', `sec-websocket-accept: ${RFC_ACCEPT}`]),
    ).toEqual({ ok: true, protocol: '', extensions: '' });
  });

  it('accepts a subprotocol among those offered, and none at all', () => {
    expect(check([...GOOD, 'Sec-WebSocket-Protocol: chat'], ['superchat', 'chat'])).toEqual({ ok: true, protocol: 'chat', extensions: '' });
    expect(check(GOOD, ['chat'])).toEqual({ ok: true, protocol: '', extensions: '' });
  });

  it.each([
    ['a 403', ['HTTP/1.1 403 Forbidden'], [], 'Unexpected server response: 403'],
    ['a 200', ['HTTP/1.1 200 OK', ...GOOD.slice(1)], [], 'Unexpected server response: 200'],
    ['HTTP/1.0', ['HTTP/1.0 101 x', ...GOOD.slice(1)], [], 'Invalid HTTP version in the response: 1.0'],
    ['no Upgrade', [GOOD[0], GOOD[2], GOOD[3]], [], 'Invalid Upgrade header'],
    ['a wrong Upgrade', [GOOD[0], 'Upgrade: h2c', GOOD[2], GOOD[3]], [], 'Invalid Upgrade header'],
    ['two Upgrade headers', [...GOOD, 'Upgrade: websocket'], [], 'Invalid Upgrade header'],
    ['no Connection', [GOOD[0], GOOD[1], GOOD[3]], [], 'Invalid Connection header'],
    ['a wrong Connection', [GOOD[0], GOOD[1], 'Connection: keep-alive', GOOD[3]], [], 'Invalid Connection header'],
    ['no Sec-WebSocket-Accept', GOOD.slice(0, 3), [], 'Invalid Sec-WebSocket-Accept header'],
    ['a wrong Sec-WebSocket-Accept', [...GOOD.slice(0, 3), 'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA='], [], 'Invalid Sec-WebSocket-Accept header'],
    ['the key echoed as the accept', [...GOOD.slice(0, 3), `Sec-WebSocket-Accept: ${RFC_KEY}`], [], 'Invalid Sec-WebSocket-Accept header'],
    ['two Sec-WebSocket-Accept headers', [...GOOD, `Sec-WebSocket-Accept: ${RFC_ACCEPT}`], [], 'Invalid Sec-WebSocket-Accept header'],
    ['an extension not offered', [...GOOD, 'Sec-WebSocket-Extensions: permessage-deflate'], [], 'Server sent a Sec-WebSocket-Extensions header but no extension was requested'],
    ['a subprotocol when none was offered', [...GOOD, 'Sec-WebSocket-Protocol: chat'], [], 'Server sent a subprotocol but none was requested'],
    ['a subprotocol not offered', [...GOOD, 'Sec-WebSocket-Protocol: other'], ['chat'], 'Server sent an invalid subprotocol'],
    ['a list of subprotocols', [...GOOD, 'Sec-WebSocket-Protocol: chat, superchat'], ['chat', 'superchat'], 'Invalid Sec-WebSocket-Protocol header'],
    ['two subprotocol headers', [...GOOD, 'Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: chat'], ['chat'], 'Invalid Sec-WebSocket-Protocol header'],
  ])('rejects %s', (_name, lines, protocols, message) => {
    expect(check(lines, protocols)).toEqual({ ok: false, message });
  });

  it('uses the key it is given', () => {
    const other = generateKey();
    expect(validateUpgradeResponse(complete(response(GOOD)).response, { ...expected, key: other }).ok).toBe(false);
  });
});
