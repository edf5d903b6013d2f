/**
 * Bytes as hex, both ways: how `wsmith decode` reads what a person types, and how inspection
 * prints raw bytes. RFC 6455 §5.7 gives its example frames in this form (`0x81 0x05 0x48 ...`).
 */

/** `81 05 48`: each byte as two lower-case hex digits, joined by `separator`. */
export function toHex(bytes: Uint8Array, separator = ' '): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  if (separator === '' || hex.length <= 2) return hex;
  return hex.match(/../g)!.join(separator);
}

/**
 * Parse hex as typed by a person: `81 05 48 65`, `8105 4865`, `0x81,0x05`, line breaks.
 * Throws a TypeError naming the first thing that is not hex.
 */
export function parseHex(text: string): Buffer {
  const cleaned = text.replace(/0x/gi, '').replace(/[\s,:]+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(cleaned);
  if (bad !== null) throw new TypeError(`Not a hex digit: ${JSON.stringify(bad[0])}`);
  if (cleaned.length % 2 !== 0) throw new TypeError('Odd number of hex digits: each byte needs two');
  return Buffer.from(cleaned, 'hex');
}
