import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { isOriginAllowed, normalizeOrigin, parseOriginList } from '../../../examples/chat/origin.js';
import { isAuthorized, presentedTokens, tokenMatches } from '../../../examples/chat/auth.js';
import { selectProtocol, verifyHandshake } from '../../../examples/chat/app.js';

describe('chat origin check', () => {
  it('allows an Origin whose host:port equals Host, in any letter case', () => {
    expect(isOriginAllowed('http://localhost:8080', 'localhost:8080', [])).toBe(true);
    expect(isOriginAllowed('https://Chat.Example.com', 'chat.example.com', [])).toBe(true);
  });

  it('refuses another host or another port', () => {
    expect(isOriginAllowed('http://evil.example', 'localhost:8080', [])).toBe(false);
    expect(isOriginAllowed('http://localhost:9999', 'localhost:8080', [])).toBe(false);
    expect(isOriginAllowed('null', 'localhost:8080', [])).toBe(false);
    expect(isOriginAllowed('not a url', 'localhost:8080', [])).toBe(false);
  });

  it('allows listed origins, normalized', () => {
    const list = parseOriginList(' https://app.example.com:443 , http://127.0.0.1:3000 ');
    expect(list).toEqual(['https://app.example.com', 'http://127.0.0.1:3000']);
    expect(isOriginAllowed('https://APP.example.com', 'localhost:8080', list)).toBe(true);
    expect(isOriginAllowed('http://127.0.0.1:3000', 'localhost:8080', list)).toBe(true);
    expect(isOriginAllowed('http://app.example.com', 'localhost:8080', list)).toBe(false);
    expect(normalizeOrigin('ftp://x')).toBeUndefined();
  });

  it('allows clients that send no Origin (not a browser, cannot be hijacked)', () => {
    expect(isOriginAllowed(undefined, 'localhost:8080', [])).toBe(true);
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

  it('checks Origin (403) before the token (401), and never selects the bearer protocol', () => {
    const request = (headers: Record<string, string>, url = '/ws') => ({ headers, url }) as unknown as IncomingMessage;
    const config = { origins: [], token: 't' };
    expect(verifyHandshake(config, request({ host: 'h:1', origin: 'http://evil' }))).toMatchObject({ status: 403 });
    expect(verifyHandshake(config, request({ host: 'h:1', origin: 'http://h:1' }))).toMatchObject({ status: 401 });
    expect(verifyHandshake(config, request({ host: 'h:1', origin: 'http://h:1' }, '/ws?token=t'))).toBe(true);
    expect(selectProtocol(new Set(['bearer.t', 'wsmith-chat']))).toBe('wsmith-chat');
    expect(selectProtocol(new Set(['bearer.t']))).toBe(false);
  });
});
