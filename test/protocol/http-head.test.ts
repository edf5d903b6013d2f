import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { HttpHeadReader, buildRejectResponse, formatHeaderLines, isToken, parseHead, parseRequestLine } from '../../src/protocol/http-head.js';

const REQUEST =
  'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Twice: a\r\nx-twice:   b  \r\n\r\n';

describe('HttpHeadReader', () => {
  it('reads the RFC 6455 §1.2 request and keeps the bytes after the blank line', () => {
    const result = new HttpHeadReader(16384).push(Buffer.concat([Buffer.from(REQUEST), Buffer.of(0x81, 0x80)]));
    expect(result.kind).toBe('complete');
    if (result.kind !== 'complete') return;
    expect(result.head.startLine).toBe('GET /chat HTTP/1.1');
    expect(result.head.headers.host).toBe('server.example.com');
    expect(result.head.headers['x-twice']).toEqual(['a', 'b']); // trimmed, in order
    expect(result.head.rawHeaders.slice(0, 2)).toEqual(['Host', 'server.example.com']);
    expect([...result.rest]).toEqual([0x81, 0x80]);
  });

  it('reports a head larger than its limit, even before the blank line arrives', () => {
    const result = new HttpHeadReader(64).push(Buffer.from('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(100)));
    expect(result).toMatchObject({ kind: 'error', tooLarge: true });
  });

  it('refuses obsolete line folding, names with spaces and control characters', () => {
    expect(parseHead('GET / HTTP/1.1\r\nX: a\r\n  folded')).toMatch(/malformed header line/);
    expect(parseHead('GET / HTTP/1.1\r\nBad Name: a')).toMatch(/invalid header name/);
    expect(parseHead('GET / HTTP/1.1\r\nX: a\u0001b')).toMatch(/invalid characters/);
  });

  it('trims long runs of whitespace in linear time (no backtracking)', () => {
    const value = ' '.repeat(16000) + 'x' + ' '.repeat(16000);
    const head = parseHead(`GET / HTTP/1.1\r\nX:${value}`);
    expect(typeof head === 'string' ? head : head.headers.x).toBe('x');
  });

  it('collects a head trickled one byte per read in a buffer that doubles, not a copy per byte', () => {
    const head = Buffer.from('GET / HTTP/1.1\r\nX-Pad: ' + 'a'.repeat(16 * 1024 - 40) + '\r\n\r\n');
    const reader = new HttpHeadReader(16 * 1024);
    const allocations = vi.spyOn(Buffer, 'allocUnsafe');
    const concats = vi.spyOn(Buffer, 'concat');
    let result = reader.push(head.subarray(0, 1));
    for (let i = 1; i < head.length; i++) result = reader.push(head.subarray(i, i + 1));
    const grown = allocations.mock.calls.length;
    allocations.mockRestore();
    concats.mockRestore();
    expect(result.kind).toBe('complete');
    expect(grown).toBeLessThanOrEqual(5); // 1 KiB, 2, 4, 8, 16
    expect(concats).not.toHaveBeenCalled();
  });

  it('refuses bytes that cannot start an HTTP message at once (a TLS ClientHello, say)', () => {
    const clientHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    expect(new HttpHeadReader(16384).push(clientHello)).toEqual({
      kind: 'error',
      message: 'not an HTTP message (it starts with byte 0x16)',
      tooLarge: false,
    });
  });

  it('refuses a bare LF as soon as it arrives: such a head would never end', () => {
    const reader = new HttpHeadReader(16384);
    expect(reader.push(Buffer.from('GET / HTTP/1.1\r\nHost: a')).kind).toBe('incomplete');
    expect(reader.push(Buffer.from('\nUpgrade: websocket'))).toMatchObject({ kind: 'error', message: /bare LF/ });
    expect(new HttpHeadReader(16384).push(Buffer.from('GET / HTTP/1.1\n'))).toMatchObject({ kind: 'error' });
  });

  it('judges the start line as soon as it is complete, when given a check', () => {
    const check = (line: string): string | null => (parseRequestLine(line) === null ? 'malformed request line' : null);
    const reader = new HttpHeadReader(16384, check);
    expect(reader.push(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')).kind).toBe('incomplete');
    expect(new HttpHeadReader(16384, check).push(Buffer.from('GET  HTTP/1.1\r\nHost:'))).toEqual({
      kind: 'error',
      message: 'malformed request line',
      tooLarge: false,
    });
  });

  it('gives the same result for any chunking of any bytes, and never throws (fast-check)', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.constantFrom(REQUEST, 'GET / HTTP/1.1\r\nX:\r\n\r\n', 'nonsense\r\n\r\n').map((s) => new Uint8Array(Buffer.from(s))),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 16, max: 512 }), fc.boolean(), (input, cuts, limit, checked) => {
        const check = checked ? (line: string) => (parseRequestLine(line) === null ? 'malformed request line' : null) : null;
        const whole = new HttpHeadReader(limit, check).push(input);
        const reader = new HttpHeadReader(limit, check);
        const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
        let last = reader.push(new Uint8Array(0));
        let from = 0;
        for (const point of [...points, input.length]) {
          last = reader.push(input.subarray(from, point));
          from = point;
        }
        expect(last).toEqual(whole);
      }),
    );
  });
});

describe('parseRequestLine (RFC 7230 §3.1.1)', () => {
  it('splits method, target and version', () => {
    expect(parseRequestLine('GET /chat?x=1 HTTP/1.1')).toEqual({ method: 'GET', target: '/chat?x=1', httpVersion: '1.1' });
    expect(parseRequestLine('POST * HTTP/1.0')).toEqual({ method: 'POST', target: '*', httpVersion: '1.0' });
  });

  it('refuses what is not a request line', () => {
    for (const line of ['', 'GET', 'GET /', 'GET  HTTP/1.1', 'G(T / HTTP/1.1', 'GET /a b HTTP/1.1', 'GET / HTTP/11', 'GET / HTTPS/1.1', 'GET /\u0001 HTTP/1.1']) {
      expect(parseRequestLine(line), line).toBeNull();
    }
  });

  it('isToken follows RFC 7230 §3.2.6', () => {
    expect(isToken('Sec-WebSocket-Key')).toBe(true);
    expect(isToken('')).toBe(false);
    expect(isToken('a b')).toBe(false);
    expect(isToken('a:b')).toBe(false);
  });
});

describe('plain responses (RFC 7230 §3.1.2)', () => {
  it('builds a reject response with a one-line body and the right Content-Length', () => {
    const response = buildRejectResponse(426, 'bad\r\nversion ü', { 'Sec-WebSocket-Version': '13' });
    const [head, body] = response.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 426 Upgrade Required');
    expect(head).toContain('\r\nSec-WebSocket-Version: 13');
    expect(head).toContain('\r\nConnection: close');
    expect(body).toBe('bad version ü\n');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(buildRejectResponse(400, 'x').startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(buildRejectResponse(401, 'x').startsWith('HTTP/1.1 401 Unauthorized\r\n')).toBe(true);
    expect(buildRejectResponse(431, 'x').startsWith('HTTP/1.1 431 Request Header Fields Too Large\r\n')).toBe(true);
    expect(buildRejectResponse(499, 'x').startsWith('HTTP/1.1 499 ')).toBe(true);
  });

  it('refuses extra headers that would inject lines', () => {
    expect(() => buildRejectResponse(403, 'no', { 'X-A': 'x\r\nLocation: evil' })).toThrow(TypeError);
  });

  it('refuses characters that latin1 would turn into CR LF (U+010D U+010A), and other invalid ones', () => {
    // A head goes out as latin1, which keeps the low byte: this would be "x\r\nSet-Cookie: a=b".
    const smuggled = 'x\u010d\u010aSet-Cookie: a=b';
    expect(Buffer.from(`X-A: ${smuggled}`, 'latin1').includes('\r\nSet-Cookie')).toBe(true);
    for (const value of [smuggled, 'a\u0000b', 'a\u007fb', 'a\u001bb', '\u65e5\u672c', 'a\nb']) {
      expect(() => formatHeaderLines({ 'X-A': value }), JSON.stringify(value)).toThrow(TypeError);
      expect(() => buildRejectResponse(403, 'no', { 'X-A': [value] }), JSON.stringify(value)).toThrow(TypeError);
    }
    for (const name of ['Bad Name', 'X-A:', 'X\u010d', '', 'X-A\r\nB']) {
      expect(() => formatHeaderLines({ [name]: 'v' }), JSON.stringify(name)).toThrow(TypeError);
    }
    // Tabs, obs-text (U+0080..U+00FF) and numbers are fine.
    expect(formatHeaderLines({ 'X-A': 'a\tb \u00e9', 'X-N': 5 })).toBe('X-A: a\tb \u00e9\r\nX-N: 5\r\n');
  });
});
