// The suite's HPACK (RFC 7541), which reads the responses to the requests section h2 writes
// itself: the RFC's own examples, its Huffman table, and properties over any input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HUFFMAN_CODES, HpackDecoder, encodeLiterals, hpackInteger, huffmanDecode } from '../../spec/hpack.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A test-side Huffman encoder, from the same codes, to check decoding against. */
function huffmanEncode(bytes: Buffer): Buffer {
  let bits = '';
  for (const b of bytes) bits += HUFFMAN_CODES[b][0].toString(2).padStart(HUFFMAN_CODES[b][1], '0');
  bits += '1'.repeat((8 - (bits.length % 8)) % 8); // padding: the high bits of EOS
  return Buffer.from(bits.match(/.{8}/g)?.map((b) => parseInt(b, 2)) ?? []);
}

describe('HPACK Huffman code (RFC 7541 Appendix B)', () => {
  it('is a complete prefix code whose codes are the ones the appendix prints', () => {
    expect(HUFFMAN_CODES).toHaveLength(257);
    expect(HUFFMAN_CODES.reduce((sum, [, length]) => sum + 2 ** -length, 0)).toBe(1);
    const printed: [number, number, number][] = [
      [0, 0x1ff8, 13], [1, 0x7fffd8, 23], [9, 0xffffea, 24], [10, 0x3ffffffc, 30], [32, 0x14, 6], [48, 0x0, 5],
      [58, 0x5c, 7], [60, 0x7ffc, 15], [92, 0x7fff0, 19], [94, 0x3ffc, 14], [97, 0x3, 5], [127, 0xffffffc, 28],
      [128, 0xfffe6, 20], [153, 0x1fffdc, 21], [199, 0x1ffffec, 25], [203, 0x7ffffde, 27], [220, 0xffffffd, 28],
      [249, 0xffffffe, 28], [254, 0x7fffff0, 27], [255, 0x3ffffee, 26], [256, 0x3fffffff, 30],
    ];
    for (const [symbol, code, length] of printed) expect(HUFFMAN_CODES[symbol], String(symbol)).toEqual([code, length]);
  });

  it('decodes Appendix C.4 strings and refuses bad padding or EOS', () => {
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')).toString()).toBe('www.example.com');
    expect(huffmanDecode(hex('a8eb 1064 9cbf')).toString()).toBe('no-cache');
    expect(() => huffmanDecode(hex('a8eb 1064 9cbf ff'))).toThrow(/padding/); // 8 bits of padding
    expect(() => huffmanDecode(hex('00'))).toThrow(/padding/); // "0" then 0-bits, not EOS's
    expect(() => huffmanDecode(hex('ffff ffff'))).toThrow(/EOS/);
  });

  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(huffmanDecode(huffmanEncode(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
    }));
  });
});

describe('HPACK decoder (RFC 7541 Appendix C)', () => {
  it('C.1: integers with a prefix', () => {
    expect(hpackInteger(10, 5)).toEqual(hex('0a'));
    expect(hpackInteger(1337, 5)).toEqual(hex('1f 9a 0a'));
    expect(hpackInteger(42, 8)).toEqual(hex('2a'));
  });

  it('C.4: three requests with Huffman coding on one connection (the dynamic table carried over)', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
    ]);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
    ]);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
  });

  it('C.6: three responses with Huffman coding and a 256-octet table (entries evicted)', () => {
    const d = new HpackDecoder(256);
    const date = (s: number): [string, string] => ['date', `Mon, 21 Oct 2013 20:13:${s} GMT`];
    expect(d.decode(hex(`4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
      2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`))).toEqual([
      [':status', '302'], ['cache-control', 'private'], date(21), ['location', 'https://www.example.com'],
    ]);
    expect(d.decode(hex('4883 640e ffc1 c0bf'))).toEqual([
      [':status', '307'], ['cache-control', 'private'], date(21), ['location', 'https://www.example.com'],
    ]);
    expect(d.decode(hex(`88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
      77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed
      4ee5 b106 3d50 07`))).toEqual([
      [':status', '200'], ['cache-control', 'private'], date(22), ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'], ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ]);
  });

  it('refuses a table size update above the limit, and an index in neither table', () => {
    expect(() => new HpackDecoder(256).decode(hex('3fe1 1f'))).toThrow(/table size 4096 above/);
    expect(() => new HpackDecoder().decode(hex('be'))).toThrow(/index 62/);
    expect(() => new HpackDecoder().decode(hex('80'))).toThrow(/index 0/);
  });

  it('reads back what the encoder writes, any names and values', () => {
    const text = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 });
    fc.assert(fc.property(fc.array(fc.tuple(text, text), { maxLength: 10 }), (fields) => {
      expect(new HpackDecoder().decode(encodeLiterals(fields))).toEqual(fields);
    }));
  });

  it('any bytes: fields or an HPACK error, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        new HpackDecoder().decode(Buffer.from(bytes));
      } catch (err) {
        expect((err as Error).message).toMatch(/^HPACK: /);
      }
    }));
  });
});
