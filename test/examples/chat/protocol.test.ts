import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isStrike, Limits, parseClientMessage } from '../../../examples/chat/protocol.js';

const parse = (value: unknown) => parseClientMessage(typeof value === 'string' ? value : JSON.stringify(value));

describe('chat protocol: parseClientMessage', () => {
  it('accepts every message type with its fields', () => {
    expect(parse({ type: 'join', room: 'lobby', nick: 'ann' })).toEqual({
      ok: true,
      message: { type: 'join', room: 'lobby', nick: 'ann' },
    });
    expect(parse({ type: 'leave', room: 'lobby' }).ok).toBe(true);
    expect(parse({ type: 'message', room: 'lobby', text: 'hi\nthere' }).ok).toBe(true);
    expect(parse({ type: 'typing', room: 'lobby' }).ok).toBe(true);
    expect(parse({ type: 'private', room: 'lobby', to: 'bob', text: 'psst' }).ok).toBe(true);
    expect(parse({ type: 'rooms' }).ok).toBe(true);
  });

  it('trims names but keeps message text as sent', () => {
    const join = parse({ type: 'join', room: ' lobby ', nick: ' ann ' });
    expect(join).toEqual({ ok: true, message: { type: 'join', room: 'lobby', nick: 'ann' } });
    const message = parse({ type: 'message', room: 'r', text: '  spaced  ' });
    expect(message.ok && message.message.type === 'message' && message.message.text).toBe('  spaced  ');
  });

  it('keeps HTML in names and text as plain characters (the page renders them as text)', () => {
    const nick = '<img src=x onerror=alert(1)>';
    expect(parse({ type: 'join', room: 'r', nick })).toEqual({ ok: true, message: { type: 'join', room: 'r', nick } });
  });

  it.each([
    ['{not json', 'bad_json'],
    ['', 'bad_json'],
    ['[1,2]', 'bad_message'],
    ['null', 'bad_message'],
    ['"join"', 'bad_message'],
    ['{"room":"r"}', 'bad_message'],
    ['{"type":42}', 'bad_message'],
    ['{"type":"shout","room":"r"}', 'unknown_type'],
    ['{"type":"join","room":"r"}', 'invalid_field'],
    ['{"type":"join","room":"r","nick":7}', 'invalid_field'],
    ['{"type":"join","room":"r","nick":"   "}', 'invalid_field'],
    ['{"type":"join","room":"r","nick":"a\\u0000b"}', 'invalid_field'],
    ['{"type":"message","room":"r","text":"bell\\u0007"}', 'invalid_field'],
    ['{"type":"private","room":"r","text":"x"}', 'invalid_field'],
    ['{"type":"join","room":"r","nick":"a","key":"short"}', 'invalid_field'],
    ['{"type":"join","room":"r","nick":"a","key":"has spaces in it, sixteen+"}', 'invalid_field'],
    ['{"type":"join","room":"r","nick":"a","key":12345678901234567}', 'invalid_field'],
    ['{"type":"typing","room":"r","to":""}', 'invalid_field'],
    ['{"type":"typing","room":"r","to":42}', 'invalid_field'],
  ])('refuses %s with %s', (text, code) => {
    const result = parseClientMessage(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.message.length).toBeGreaterThan(0);
    }
  });

  it('takes a join key and a typing recipient when given, and leaves them out when not', () => {
    const key = 'k'.repeat(16);
    expect(parse({ type: 'join', room: 'r', nick: 'ann', key })).toEqual({
      ok: true,
      message: { type: 'join', room: 'r', nick: 'ann', key },
    });
    expect(parse({ type: 'join', room: 'r', nick: 'ann', key: 'k'.repeat(129) })).toMatchObject({ ok: false });
    expect(parse({ type: 'typing', room: 'r', to: ' bob ' })).toEqual({ ok: true, message: { type: 'typing', room: 'r', to: 'bob' } });
    const plain = parse({ type: 'typing', room: 'r' });
    expect(plain.ok && 'to' in plain.message).toBe(false);
  });

  it('refuses over-long fields and accepts them at the limit', () => {
    const at = (n: number) => 'x'.repeat(n);
    expect(parse({ type: 'join', room: at(Limits.room), nick: at(Limits.nick) }).ok).toBe(true);
    expect(parse({ type: 'join', room: at(Limits.room + 1), nick: 'a' })).toMatchObject({ ok: false, code: 'invalid_field' });
    expect(parse({ type: 'join', room: 'r', nick: at(Limits.nick + 1) })).toMatchObject({ ok: false, code: 'invalid_field' });
    expect(parse({ type: 'message', room: 'r', text: at(Limits.text) }).ok).toBe(true);
    expect(parse({ type: 'message', room: 'r', text: at(Limits.text + 1) })).toMatchObject({ ok: false, code: 'invalid_field' });
  });

  it('counts malformed input as strikes, refusals of valid requests not', () => {
    expect(isStrike('bad_json')).toBe(true);
    expect(isStrike('unknown_type')).toBe(true);
    expect(isStrike('invalid_field')).toBe(true);
    expect(isStrike('nick_taken')).toBe(false);
    expect(isStrike('rate_limited')).toBe(false);
  });

  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ type: 'join', room: v, nick: v }))), (text) => {
        const result = parseClientMessage(text);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
