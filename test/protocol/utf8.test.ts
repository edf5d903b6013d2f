import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8StreamValidator } from '../../src/protocol/utf8.js';

/** Feed `bytes` in the given pieces; the index of the first piece that fails, or -1 if none. */
function firstFailingPiece(pieces: Uint8Array[]): { failedAt: number; endOk: boolean } {
  const validator = new Utf8StreamValidator();
  for (let i = 0; i < pieces.length; i++) {
    if (!validator.push(pieces[i])) return { failedAt: i, endOk: false };
  }
  return { failedAt: -1, endOk: validator.end() };
}

function streamIsValid(pieces: Uint8Array[]): boolean {
  const result = firstFailingPiece(pieces);
  return result.failedAt === -1 && result.endOk;
}

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Valid sequences, including every boundary of RFC 3629's table.
const VALID = [
  '',
  '48656c6c6f',
  '00',
  '7f',
  'c280',
  'dfbf',
  'e0a080',
  'e0bfbf',
  'e18080',
  'ecbfbf',
  'ed8080',
  'ed9fbf',
  'ee8080',
  'efbfbf',
  'f0908080',
  'f0bfbfbf',
  'f1808080',
  'f3bfbfbf',
  'f4808080',
  'f48fbfbf',
  'cebae1bdb9cf83cebcceb5', // κόσμε (Autobahn 6.2.x)
  'f09f9880 e282ac c2a2 24', // mixed lengths
];

// Invalid sequences (RFC 3629 §3/§4; Markus Kuhn's test file; Autobahn 6.3–6.21).
const INVALID = [
  '80', // lone continuation
  'bf',
  '41 80 41',
  'c0 80', // overlong NUL
  'c1 bf', // overlong
  'e0 80 80', // overlong 3-byte
  'e0 9f bf',
  'f0 80 80 80', // overlong 4-byte
  'f0 8f bf bf',
  'ed a0 80', // surrogate U+D800
  'ed bf bf', // surrogate U+DFFF
  'ed a0 80 ed b0 80', // surrogate pair encoded separately (CESU-8)
  'f4 90 80 80', // U+110000
  'f7 bf bf bf',
  'f5 80 80 80',
  'f8 88 80 80 80',
  'fc 84 80 80 80 80',
  'fe',
  'ff',
  'c2', // truncated at the end
  'e2 82',
  'f0 9f 98',
  '41 e2 82 41', // truncated in the middle
  'c2 41',
  'e2 41 82',
  'f0 9f 41 80',
  'cebae1bdb9cf83cebcceb5eda080656469746564', // Autobahn 6.4.1
];

describe('Utf8StreamValidator against buffer.isUtf8', () => {
  it('agrees with isUtf8 on known sequences, whole and split at every position (and every pair of positions)', () => {
    for (const sample of [...VALID, ...INVALID]) {
      const bytes = h(sample);
      const expected = isUtf8(bytes);
      expect(streamIsValid([bytes]), sample).toBe(expected);
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(streamIsValid([bytes.subarray(0, cut), bytes.subarray(cut)]), `${sample} @${cut}`).toBe(expected);
        for (let cut2 = cut; cut2 <= bytes.length; cut2++) {
          expect(streamIsValid(splitAt(bytes, [cut, cut2])), `${sample} @${cut},${cut2}`).toBe(expected);
        }
      }
      // One byte at a time.
      expect(streamIsValid([...bytes].map((b) => Uint8Array.of(b))), `${sample} bytewise`).toBe(expected);
    }
    for (const sample of VALID) expect(isUtf8(h(sample)), sample).toBe(true);
    for (const sample of INVALID) expect(isUtf8(h(sample)), sample).toBe(false);
  });

  it('agrees with isUtf8 on every 1- and 2-byte sequence and all 3-byte sequences with a multi-byte lead', () => {
    for (let a = 0; a < 256; a++) {
      const one = Uint8Array.of(a);
      expect(streamIsValid([one])).toBe(isUtf8(one));
      for (let b = 0; b < 256; b++) {
        const two = Uint8Array.of(a, b);
        if (streamIsValid([two]) !== isUtf8(two) || streamIsValid([two.subarray(0, 1), two.subarray(1)]) !== isUtf8(two)) {
          throw new Error(`disagree on ${a.toString(16)} ${b.toString(16)}`);
        }
      }
    }
    for (let a = 0xe0; a <= 0xf4; a++) {
      for (let b = 0x70; b < 0xd0; b++) {
        for (let c = 0x70; c < 0xd0; c += 3) {
          const three = Uint8Array.of(a, b, c);
          const expected = isUtf8(three);
          const whole = new Utf8StreamValidator();
          const split = new Utf8StreamValidator();
          const ok1 = whole.push(three) && whole.end();
          const ok2 = split.push(three.subarray(0, 1)) && split.push(three.subarray(1, 2)) && split.push(three.subarray(2)) && split.end();
          if (ok1 !== expected || ok2 !== expected) {
            throw new Error(`disagree on ${a.toString(16)} ${b.toString(16)} ${c.toString(16)}`);
          }
        }
      }
    }
  });

  it('agrees with isUtf8 on arbitrary strings and byte soup under arbitrary splits (property)', () => {
    const bytesFromString = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8'));
    // Valid text with some bytes mutated.
    const mutated = fc
      .tuple(bytesFromString, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }))
      .map(([bytes, edits]) => {
        const copy = Buffer.from(bytes);
        for (const [index, value] of edits) if (copy.length > 0) copy[index % copy.length] = value;
        return copy;
      });
    const soup = fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(bytesFromString, mutated, soup), fc.array(fc.nat({ max: 60 }), { maxLength: 8 }), (bytes, cuts) => {
        expect(streamIsValid(splitAt(bytes, cuts))).toBe(isUtf8(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('Utf8StreamValidator fails fast (RFC 6455 §8.1, Autobahn 6.4.x)', () => {
  // Each case: a valid prefix, then the piece containing the first byte that makes the stream invalid.
  const cases: Array<[string, string, string]> = [
    ['surrogate ED A0 80', 'cebae1bdb9cf83cebcceb5 ed', 'a0 80 65'],
    ['overlong C0 80', '41', 'c0 80'],
    ['overlong C0 alone', '41', 'c0'],
    ['overlong E0 80 80', '41 e0', '80 80'],
    ['overlong F0 80 80 80', 'f0', '80 80 80'],
    ['above U+10FFFF F4 90 80 80', 'f4', '90 80 80'],
    ['F5 lead', '41', 'f5'],
    ['FF', '', 'ff'],
    ['lone continuation', '41', '80'],
    ['continuation after complete sequence', 'c2 80', '80'],
    ['ASCII inside a sequence', 'e2 82', '41'],
    ['fourth byte not a continuation', 'f0 9f 98', '41'],
    ['third byte not a continuation', 'e2 82', 'c2 80'],
  ];

  for (const [name, prefix, bad] of cases) {
    it(`${name}: refused in the piece where the bad byte arrives`, () => {
      const validator = new Utf8StreamValidator();
      if (prefix !== '') expect(validator.push(h(prefix))).toBe(true);
      expect(validator.push(h(bad))).toBe(false);
    });

    it(`${name}: refused at the bad byte when fed byte by byte`, () => {
      const validator = new Utf8StreamValidator();
      for (const byte of h(prefix)) expect(validator.push(Uint8Array.of(byte))).toBe(true);
      // The first byte of `bad` already makes the stream impossible to complete validly.
      expect(validator.push(h(bad).subarray(0, 1))).toBe(false);
    });
  }

  it('fed byte by byte, rejects exactly at the first byte no valid text can follow (property)', () => {
    // Could `prefix` still be the start of valid UTF-8? Try completions of up to 3 continuation
    // bytes; 0x80, 0x90 and 0xA0 between them satisfy every second-byte range of RFC 3629 §4.
    const canComplete = (prefix: Buffer): boolean => {
      if (isUtf8(prefix)) return true;
      const candidates = [0x80, 0x90, 0xa0];
      for (const a of candidates) {
        if (isUtf8(Buffer.concat([prefix, Uint8Array.of(a)]))) return true;
        for (const b of candidates) {
          if (isUtf8(Buffer.concat([prefix, Uint8Array.of(a, b)]))) return true;
          for (const c of candidates) if (isUtf8(Buffer.concat([prefix, Uint8Array.of(a, b, c)]))) return true;
        }
      }
      return false;
    };
    const text = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => Buffer.from(s, 'utf8'));
    const input = fc
      .tuple(text, fc.uint8Array({ minLength: 1, maxLength: 4 }), text)
      .map(([a, bad, b]) => Buffer.concat([a, bad, b]));
    fc.assert(
      fc.property(input, (bytes) => {
        let expectedFailure = -1;
        for (let i = 1; i <= bytes.length; i++) {
          if (!canComplete(bytes.subarray(0, i))) {
            expectedFailure = i - 1;
            break;
          }
        }
        const validator = new Utf8StreamValidator();
        let failure = -1;
        for (let i = 0; i < bytes.length; i++) {
          if (!validator.push(bytes.subarray(i, i + 1))) {
            failure = i;
            break;
          }
        }
        expect(failure).toBe(expectedFailure);
      }),
      { numRuns: 3000 },
    );
  });

  it('a truncated sequence is only detected at end()', () => {
    for (const tail of ['c2', 'e2 82', 'f0 9f 98']) {
      const validator = new Utf8StreamValidator();
      expect(validator.push(h(`41 ${tail}`))).toBe(true);
      expect(validator.end()).toBe(false);
    }
  });

  it('reset() forgets a pending sequence, end() resets too', () => {
    const validator = new Utf8StreamValidator();
    expect(validator.push(h('e2 82'))).toBe(true);
    validator.reset();
    expect(validator.push(h('41'))).toBe(true);
    expect(validator.end()).toBe(true);
    expect(validator.push(h('f0'))).toBe(true);
    expect(validator.end()).toBe(false);
    expect(validator.push(h('41'))).toBe(true);
    expect(validator.end()).toBe(true);
  });
});
