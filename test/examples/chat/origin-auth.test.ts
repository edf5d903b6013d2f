import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { normalizeOrigin, parseOriginList } from '../../../examples/chat/origin.js';
import { isAuthorized, presentedTokens, tokenMatches } from '../../../examples/chat/auth.js';
import { allowedOrigins, selectProtocol, verifyHandshake } from '../../../examples/chat/app.js';

describe('chat origins (CHAT_ORIGINS, for the server\'s allowedOrigins)', () => {
  it('normalizes listed origins, keeps host patterns, and stops on an entry that is not an origin', () => {
    expect(parseOriginList(' https://APP.example.com:443 , http://127.0.0.1:3000 , https://*.example.org ')).toEqual([
      'https://app.example.com',
      'http://127.0.0.1:3000',
      'https://*.example.org',
    ]);
    expect(parseOriginList(undefined)).toEqual([]);
    expect(() => parseOriginList('app.example.com')).toThrow(/CHAT_ORIGINS/);
    expect(normalizeOrigin('ftp://x')).toBeUndefined();
  });

  it("allows the page's own origin and the listed ones", () => {
    expect(allowedOrigins({ origins: ['https://app.example.com'] })).toEqual(['self', 'https://app.example.com']);
  });
});

describe('chat token auth', () => {
  it('finds tokens in the query and in bearer subprotocols', () => {
    expect(presentedTokens('/ws?token=abc', undefined)).toEqual(['abc']);
    expect(presentedTokens('/ws', 'wsmith-chat, bearer.s3cret')).toEqual(['s3cret']);
    expect(presentedTokens('/ws', ['wsmith-chat', 'bearer.a'])).toEqual(['a']);
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cre', 's3cret')).toBe(false);
    expect(tokenMatches('', 's3cret')).toBe(false);
    expect(tokenMatches('x'.repeat(10_000), 's3cret')).toBe(false);
  });

  it('lets everything through when no token is configured', () => {
    expect(isAuthorized(undefined, '/ws', undefined)).toBe(true);
    expect(isAuthorized('t', '/ws', undefined)).toBe(false);
    expect(isAuthorized('t', '/ws?token=t', undefined)).toBe(true);
    expect(isAuthorized('t', '/ws?token=no', 'bearer.t')).toBe(true);
  });

  it('checks the token (401), and never selects the bearer protocol', () => {
    const request = (headers: Record<string, string>, url = '/ws') => ({ headers, url }) as unknown as IncomingMessage;
    const config = { token: 't' };
    expect(verifyHandshake(config, request({ host: 'h:1', origin: 'http://h:1' }))).toMatchObject({ status: 401 });
    expect(verifyHandshake(config, request({ host: 'h:1', origin: 'http://h:1' }, '/ws?token=t'))).toBe(true);
    expect(selectProtocol(new Set(['bearer.t', 'wsmith-chat']))).toBe('wsmith-chat');
    expect(selectProtocol(new Set(['bearer.t']))).toBe(false);
  });
});
