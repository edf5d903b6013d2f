// HPACK (RFC 7541), as much of it as the suite needs to read a server's response to the requests
// it writes itself (h2-frames.ts): a decoder with the static and dynamic tables and the Huffman
// code, and an encoder that writes every field as a literal without indexing and without
// Huffman coding (§6.2.2), which any decoder reads.

/** RFC 7541 Appendix A: the static table, entries 1 to 61. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
  ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''],
  ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''],
  ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''],
  ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/**
 * RFC 7541 Appendix B: the length in bits of each symbol's Huffman code, symbols 0 to 256 (EOS).
 * The code is canonical (codes of one length are consecutive, in symbol order, and each length
 * starts where the shorter ones end), so the lengths define it; the tests check the codes the
 * appendix prints and its examples.
 */
const HUFFMAN_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0–15
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16–31
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, //         ' ' to '/'
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, //             '0' to '?'
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, //               '@' to 'O'
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, //            'P' to '_'
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, //               '`' to 'o'
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, //           'p' to 127
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128–143
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144–159
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160–175
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176–191
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192–207
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208–223
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224–239
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240–255
  30, //                                                               EOS
];

const EOS = 256;

/** The canonical codes from the lengths (RFC 7541 Appendix B): [code, length] per symbol. */
export const HUFFMAN_CODES: readonly (readonly [number, number])[] = (() => {
  const order = HUFFMAN_LENGTHS.map((length, symbol) => ({ length, symbol })).sort((a, b) => a.length - b.length || a.symbol - b.symbol);
  const codes: [number, number][] = new Array(HUFFMAN_LENGTHS.length);
  let code = 0;
  let length = order[0].length;
  for (const entry of order) {
    code *= 2 ** (entry.length - length);
    length = entry.length;
    codes[entry.symbol] = [code, length];
    code++;
  }
  return codes;
})();

/** Decoding: symbol by (length, code), built once. */
const DECODE = new Map<number, number>(HUFFMAN_CODES.map(([code, length], symbol) => [length * 2 ** 32 + code, symbol]));

/** RFC 7541 §5.2: a Huffman-coded string; the padding is at most 7 bits, all ones (a prefix of EOS). */
export function huffmanDecode(bytes: Buffer): Buffer {
  const out: number[] = [];
  let code = 0;
  let length = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const symbol = DECODE.get(length * 2 ** 32 + code);
      if (symbol === undefined) {
        if (length > 30) throw new Error('HPACK: invalid Huffman code');
        continue;
      }
      if (symbol === EOS) throw new Error('HPACK: EOS in a Huffman-coded string (RFC 7541 §5.2)');
      out.push(symbol);
      code = 0;
      length = 0;
    }
  }
  if (length > 7 || code !== 2 ** length - 1) throw new Error('HPACK: Huffman padding is not a prefix of EOS (RFC 7541 §5.2)');
  return Buffer.from(out);
}

/** RFC 7541 §5.1: an integer with an N-bit prefix; `high` holds the representation's leading bits. */
export function hpackInteger(value: number, prefixBits: number, high = 0): Buffer {
  const max = 2 ** prefixBits - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** §6.2.2: each field as a literal without indexing, with a literal name, no Huffman. */
export function encodeLiterals(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), hpackInteger(n.length, 7), n, hpackInteger(v.length, 7), v);
  }
  return Buffer.concat(parts);
}

/** §4.1: an entry's size is its name and value lengths plus 32. */
const ENTRY_OVERHEAD = 32;
/** RFC 9113 §6.5.2: SETTINGS_HEADER_TABLE_SIZE's initial value, which the suite keeps. */
const DEFAULT_TABLE_SIZE = 4096;

/** A decoding context: one per connection, as the dynamic table lives as long as the connection (§2.2). */
export class HpackDecoder {
  private dynamic: [string, string][] = [];
  private size = 0;
  private maxSize: number;
  private bytes: Buffer = Buffer.alloc(0);
  private pos = 0;

  /** `limit`: the SETTINGS_HEADER_TABLE_SIZE the decoding side announced (the suite announces none: 4096). */
  constructor(private readonly limit = DEFAULT_TABLE_SIZE) {
    this.maxSize = limit;
  }

  /** Decode one header block into its fields, in order; throws on malformed input. */
  decode(block: Buffer): [string, string][] {
    this.bytes = block;
    this.pos = 0;
    const fields: [string, string][] = [];
    while (this.pos < block.length) {
      const b = block[this.pos];
      if (b & 0x80) fields.push(this.entry(this.integer(7))); // §6.1 indexed
      else if ((b & 0xc0) === 0x40) fields.push(this.add(this.literal(6))); // §6.2.1 incremental indexing
      else if ((b & 0xe0) === 0x20) this.resize(this.integer(5)); // §6.3 table size update
      else fields.push(this.literal(4)); // §6.2.2 without indexing, §6.2.3 never indexed
    }
    return fields;
  }

  private integer(prefixBits: number): number {
    const max = 2 ** prefixBits - 1;
    let value = this.bytes[this.pos++] & max;
    if (value < max) return value;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.pos >= this.bytes.length) break;
      const b = this.bytes[this.pos++];
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new Error('HPACK: integer runs past the block or overflows');
  }

  private string(): string {
    if (this.pos >= this.bytes.length) throw new Error('HPACK: string past the end of the block');
    const huffman = (this.bytes[this.pos] & 0x80) !== 0;
    const length = this.integer(7);
    if (this.pos + length > this.bytes.length) throw new Error('HPACK: string runs past the block');
    const raw = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return (huffman ? huffmanDecode(raw) : raw).toString('latin1');
  }

  private literal(prefixBits: number): [string, string] {
    const index = this.integer(prefixBits);
    const name = index === 0 ? this.string() : this.entry(index)[0];
    return [name, this.string()];
  }

  /** §2.3.3: 1–61 the static table, from 62 the dynamic table, newest first. */
  private entry(index: number): [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) return [STATIC_TABLE[index - 1][0], STATIC_TABLE[index - 1][1]];
    const e = this.dynamic[index - STATIC_TABLE.length - 1];
    if (e === undefined) throw new Error(`HPACK: index ${index} is in neither table (§2.3.3)`);
    return e;
  }

  private add(field: [string, string]): [string, string] {
    this.dynamic.unshift(field);
    this.size += field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.evict();
    return field;
  }

  private resize(size: number): void {
    if (size > this.limit) throw new Error(`HPACK: table size ${size} above the limit announced (§6.3)`);
    this.maxSize = size;
    this.evict();
  }

  /** §4.4: evict the oldest entries until the table fits. */
  private evict(): void {
    while (this.size > this.maxSize && this.dynamic.length > 0) {
      const [name, value] = this.dynamic.pop()!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}
