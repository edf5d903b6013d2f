import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRedirect, parseWebSocketUrl, resolveRedirect } from '../../src/protocol/client-url.js';

describe('parseWebSocketUrl: ws+unix', () => {
  it('splits the socket path from the request path at the first ":"', () => {
    expect(parseWebSocketUrl('ws+unix:/run/app.sock:/chat?room=1')).toEqual({
      secure: false,
      hostname: 'localhost',
      port: 80,
      host: 'localhost',
      path: '/chat?room=1',
      href: 'ws+unix:/run/app.sock:/chat?room=1',
      socketPath: '/run/app.sock',
      auth: '',
    });
  });

  it('takes "/" when there is no request path', () => {
    expect(parseWebSocketUrl('ws+unix:/run/app.sock')).toMatchObject({ socketPath: '/run/app.sock', path: '/' });
    expect(parseWebSocketUrl('ws+unix:/run/app.sock:')).toMatchObject({ socketPath: '/run/app.sock', path: '/' });
  });

  it('refuses an empty path with ws\'s message', () => {
    expect(() => parseWebSocketUrl('ws+unix:')).toThrow(new SyntaxError("The URL's pathname is empty"));
  });

  it('round-trips any socket and request path without ":" or "?" in the socket path', () => {
    const segment = fc.stringMatching(/^[a-z0-9_-][a-z0-9._-]{0,11}$/); // no dot segments: URLs resolve those
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.array(segment, { maxLength: 3 }), (socketParts, pathParts) => {
        const socketPath = `/${socketParts.join('/')}`;
        const path = `/${pathParts.join('/')}`;
        const target = parseWebSocketUrl(`ws+unix:${socketPath}:${path}`);
        expect([target.socketPath, target.path]).toEqual([socketPath, path]);
      }),
    );
  });
});

describe('parseWebSocketUrl: credentials and messages', () => {
  it('keeps user:password as written, for Basic authentication', () => {
    expect(parseWebSocketUrl('wss://ann:s%40cret@example.com/').auth).toBe('ann:s%40cret');
    expect(parseWebSocketUrl('ws://ann@example.com/').auth).toBe('ann:');
    expect(parseWebSocketUrl('ws://example.com/').auth).toBe('');
  });

  it("says what ws says for another scheme", () => {
    expect(() => parseWebSocketUrl('ftp://example.com/')).toThrow(
      new SyntaxError('The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"'),
    );
  });

  it('any string: a target whose request line cannot be broken, or a SyntaxError; nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.string().map((tail) => `ws+unix:${tail}`)), (address) => {
        try {
          const target = parseWebSocketUrl(address);
          // The path goes into "GET <path> HTTP/1.1": no space, no control character.
          expect(target.path).toMatch(/^[^\s\x00-\x1f\x7f]+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(SyntaxError);
        }
      }),
    );
  });
});

describe('resolveRedirect', () => {
  it('resolves a Location against the URL that answered', () => {
    expect(resolveRedirect('/next?a=1', 'ws://h:1/first').href).toBe('ws://h:1/next?a=1');
    expect(resolveRedirect('https://other/x', 'ws://h/').secure).toBe(true);
  });

  it('throws ws\'s SyntaxErrors', () => {
    expect(() => resolveRedirect('http://[oops', 'ws://h/')).toThrow(new SyntaxError('Invalid URL: http://[oops'));
    expect(() => resolveRedirect('ftp://h/', 'ws://h/')).toThrow(/protocol must be one of/);
    expect(() => resolveRedirect('/x#frag', 'ws://h/')).toThrow(/fragment/);
  });
});

describe('isRedirect: what ws follows', () => {
  it.each([
    [300, '/x', true],
    [303, '/x', true],
    [399, '/x', true],
    [301, '', false],
    [301, undefined, false],
    [301, ['/a', '/b'], false],
    [200, '/x', false],
    [400, '/x', false],
  ])('%i with Location %j: %s', (status, location, expected) => {
    expect(isRedirect(status, location as string | string[] | undefined)).toBe(expected);
  });
});
