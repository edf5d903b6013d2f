import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHex, toHex } from '../../src/inspect/hex.js';

describe('parseHex', () => {
  it('accepts spaced, packed, 0x-prefixed and multi-line hex', () => {
    const expected = Buffer.from([0x81, 0x05, 0x48]);
    expect(parseHex('81 05 48')).toEqual(expected);
    expect(parseHex('810548')).toEqual(expected);
    expect(parseHex('0x81, 0x05,0x48')).toEqual(expected);
    expect(parseHex('81\n05\t48\n')).toEqual(expected);
  });

  it('refuses what is not hex', () => {
    expect(() => parseHex('81 0g')).toThrow(/Not a hex digit: "g"/);
    expect(() => parseHex('810')).toThrow(/Odd number/);
  });
});

describe('toHex', () => {
  it('writes two lower-case digits a byte, with a separator or none', () => {
    expect(toHex(Uint8Array.of())).toBe('');
    expect(toHex(Uint8Array.of(0x0a))).toBe('0a');
    expect(toHex(Uint8Array.of(0x81, 0x05, 0xff))).toBe('81 05 ff');
    expect(toHex(Uint8Array.of(0x37, 0xfa, 0x21, 0x3d), '')).toBe('37fa213d');
    // A view into a larger buffer shows only its own bytes.
    expect(toHex(Buffer.from('00112233', 'hex').subarray(1, 3))).toBe('11 22');
  });

  it('parseHex reads back what toHex writes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(' ', '', ', ', '\n'), (bytes, separator) => {
        expect(parseHex(toHex(bytes, separator))).toEqual(Buffer.from(bytes));
      }),
    );
  });
});
