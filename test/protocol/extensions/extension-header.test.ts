import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  formatExtensionHeader,
  parseExtensionHeader,
  type ExtensionElement,
} from '../../../src/protocol/extensions/extension-header.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');

function parsed(header: string | string[]): ExtensionElement[] {
  const result = parseExtensionHeader(header);
  if (typeof result === 'string') throw new Error(`expected ${JSON.stringify(header)} to parse, got: ${result}`);
  return result;
}

describe('parseExtensionHeader (RFC 6455 §9.1)', () => {
  it('reads the §9.1 examples', () => {
    expect(parsed('deflate-stream')).toEqual([{ name: 'deflate-stream', params: [] }]);
    expect(parsed('mux; max-channels=4; flow-control, deflate-stream')).toEqual([
      {
        name: 'mux',
        params: [
          { name: 'max-channels', value: '4' },
          { name: 'flow-control', value: true },
        ],
      },
      { name: 'deflate-stream', params: [] },
    ]);
    expect(parsed('private-extension')).toEqual([{ name: 'private-extension', params: [] }]);
  });

  it('reads two permessage-deflate offers in order of preference (RFC 7692 §5, §7.1)', () => {
    expect(
      parsed('permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits'),
    ).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          { name: 'client_max_window_bits', value: true },
          { name: 'server_max_window_bits', value: '10' },
        ],
      },
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
    ]);
  });

  it('joins repeated headers as one list (RFC 7230 §3.2.2): "foo, bar; baz=2" is two headers', () => {
    expect(parsed(['foo', 'bar; baz=2'])).toEqual(parsed('foo, bar; baz=2'));
    expect(parsed(['foo', 'bar; baz=2'])).toEqual([
      { name: 'foo', params: [] },
      { name: 'bar', params: [{ name: 'baz', value: '2' }] },
    ]);
  });

  it('unquotes quoted values, escapes included (§9.1: "10" is 10)', () => {
    expect(parsed('x; a="10"')).toEqual(parsed('x; a=10'));
    expect(parsed('x; a="\\1\\0"; b="a\\-b"')[0].params).toEqual([
      { name: 'a', value: '10' },
      { name: 'b', value: 'a-b' },
    ]);
  });

  it('keeps duplicate parameters, in order, for the extension to judge', () => {
    expect(parsed('x; a=1; a; a="2"')[0].params).toEqual([
      { name: 'a', value: '1' },
      { name: 'a', value: true },
      { name: 'a', value: '2' },
    ]);
  });

  it('accepts optional whitespace around separators and skips empty elements (RFC 7230 §7)', () => {
    expect(parsed(' \t, a ;b = 1\t; c ,, ,d;e,')).toEqual([
      {
        name: 'a',
        params: [
          { name: 'b', value: '1' },
          { name: 'c', value: true },
        ],
      },
      { name: 'd', params: [{ name: 'e', value: true }] },
    ]);
    expect(parsed('')).toEqual([]);
    expect(parsed(' , ,')).toEqual([]);
  });

  it('keeps names as sent (no case folding)', () => {
    expect(parsed('PerMessage-Deflate; Client_Max_Window_Bits')[0]).toEqual({
      name: 'PerMessage-Deflate',
      params: [{ name: 'Client_Max_Window_Bits', value: true }],
    });
  });

  it('says precisely what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['a b', /unexpected "b" at position 2: expected ";", "," or the end/],
      ['a;', /expected a parameter name after ";"/],
      ['a; b=', /expected a value for parameter "b"/],
      ['a; =1', /unexpected "=" at position 3: expected a parameter name/],
      ['a; b=1 2', /unexpected "2" at position 7/],
      ['a; b c', /unexpected "c" at position 5: expected "=", ";", "," or the end/],
      ['a; b="1', /unterminated quoted value for parameter "b"/],
      ['a; b="1\\', /unterminated quoted value/],
      ['a; b=""', /empty quoted value for parameter "b"/],
      ['a; b="1 0"', /U\+0020 at position 7 in the quoted value of parameter "b": RFC 6455 §9.1/],
      ['a; b="a,b"', /"," at position 7 in the quoted value/],
      ['a; b="\\""', /quoted value of parameter "b"/],
      ['a; b="1"x', /unexpected "x" at position 8/],
      ['"a"', /unexpected "\\"" at position 0: expected an extension name/],
      ['a\u0000', /unexpected U\+0000 at position 1/],
      ['a; b=\u00e9', /unexpected U\+00E9 at position 5: expected a parameter value/],
      ['a;; b', /unexpected ";" at position 2/],
    ];
    for (const [header, message] of cases) expect(parseExtensionHeader(header), header).toMatch(message);
  });
});

describe('formatExtensionHeader', () => {
  it('writes elements and parameters in order', () => {
    expect(
      formatExtensionHeader([
        { name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: true }, { name: 'server_max_window_bits', value: '10' }] },
        { name: 'x', params: [] },
      ]),
    ).toBe('permessage-deflate; server_no_context_takeover; server_max_window_bits=10, x');
    expect(formatExtensionHeader([])).toBe('');
  });

  it('throws a TypeError for names or values that are not tokens', () => {
    expect(() => formatExtensionHeader([{ name: 'a b', params: [] }])).toThrow(TypeError);
    expect(() => formatExtensionHeader([{ name: '', params: [] }])).toThrow(TypeError);
    expect(() => formatExtensionHeader([{ name: 'a', params: [{ name: 'p', value: '1,2' }] }])).toThrow(/not a token/);
    expect(() => formatExtensionHeader([{ name: 'a', params: [{ name: 'p', value: '' }] }])).toThrow(TypeError);
  });
});

const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const element: fc.Arbitrary<ExtensionElement> = fc.record({
  name: token,
  params: fc.array(fc.record({ name: token, value: fc.oneof(fc.constant(true as const), token) }), { maxLength: 5 }),
});
/** Strings made of the header's own alphabet: most of them parse, many nearly do. */
const headerish = fc.string({
  unit: fc.constantFrom(...'abc-_19=;," \t\\x'.split(''), 'permessage-deflate', 'client_max_window_bits', '"10"'),
  maxLength: 60,
});

describe('parseExtensionHeader properties', () => {
  it('never throws on any string: elements or a message', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), headerish), (header) => {
        const result = parseExtensionHeader(header);
        expect(typeof result === 'string' || Array.isArray(result)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('parse(format(elements)) gives the elements back', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 5 }), (elements) => {
        expect(parseExtensionHeader(formatExtensionHeader(elements))).toEqual(elements);
      }),
      { numRuns: 1000 },
    );
  });

  it('format is a normal form: whatever parses, formatted, parses to the same elements', () => {
    fc.assert(
      fc.property(headerish, (header) => {
        const first = parseExtensionHeader(header);
        if (typeof first === 'string') return;
        expect(parseExtensionHeader(formatExtensionHeader(first))).toEqual(first);
      }),
      { numRuns: 3000 },
    );
  });
});

/**
 * The work a parse does, counted rather than timed: every character read (charCodeAt) and every
 * character of every string built (slice, join). The parser has no other loop.
 */
function workOf(header: string, parse: (header: string) => unknown = parseExtensionHeader): number {
  const reads = vi.spyOn(String.prototype, 'charCodeAt');
  const slices = vi.spyOn(String.prototype, 'slice');
  const joins = vi.spyOn(Array.prototype, 'join');
  try {
    parse(header);
    const built = (results: Array<{ type: string; value: unknown }>): number =>
      results.reduce((sum, r) => sum + (typeof r.value === 'string' ? r.value.length : 0), 0);
    return reads.mock.calls.length + built(slices.mock.results) + built(joins.mock.results);
  } finally {
    reads.mockRestore();
    slices.mockRestore();
    joins.mockRestore();
  }
}

describe('parseExtensionHeader cost (ws had a DoS here in 2017)', () => {
  const hostile: Record<string, (n: number) => string> = {
    commas: (n) => ','.repeat(n),
    'separators then a bad character': (n) => ' ,'.repeat(n) + '"',
    'unfinished parameters': (n) => 'a;'.repeat(n),
    'many parameters': (n) => 'a' + '; b=1'.repeat(n),
    'many elements': (n) => 'x; y, '.repeat(n),
    'escapes in one quoted value': (n) => 'a; b="' + '\\a'.repeat(n) + '"',
    'unterminated escapes': (n) => 'a; b="' + '\\'.repeat(n),
    'whitespace before a value': (n) => 'a; b =' + ' '.repeat(n) + '1',
    'one long token': (n) => 'a'.repeat(n),
  };
  for (const [shape, make] of Object.entries(hostile)) {
    it(`${shape}: work grows linearly (n → 2n doubles it) and stays within 3 units a character`, () => {
      const n = 16 * 1024;
      const small = make(n);
      const large = make(2 * n);
      const workSmall = workOf(small);
      const workLarge = workOf(large);
      expect(workSmall).toBeLessThanOrEqual(3 * small.length + 16);
      expect(workLarge).toBeLessThanOrEqual(3 * large.length + 16);
      expect(workLarge / workSmall).toBeLessThan(2.05);
    });
  }

  it('any input costs at most 3 units of work a character', () => {
    fc.assert(
      fc.property(fc.oneof(headerish, fc.string({ unit: 'binary', maxLength: 80 })), (header) => {
        expect(workOf(header)).toBeLessThanOrEqual(3 * header.length + 16);
      }),
      { numRuns: 300 },
    );
  });

  it('the counter sees quadratic work: a parser that re-slices the rest at each separator fails the bound', () => {
    // A check of the instrument itself, with the classic accidental quadratic.
    const naive = (header: string): string[] => {
      const names: string[] = [];
      let rest = header;
      while (rest.length > 0) {
        const comma = rest.indexOf(',');
        names.push(comma === -1 ? rest : rest.slice(0, comma));
        rest = comma === -1 ? '' : rest.slice(comma + 1);
      }
      return names;
    };
    const header = 'a,'.repeat(2000);
    expect(workOf(header, naive)).toBeGreaterThan(100 * header.length);
    expect(workOf(header)).toBeLessThanOrEqual(3 * header.length + 16);
  });
});
