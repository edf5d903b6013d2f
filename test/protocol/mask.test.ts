import { describe, expect, it } from 'vitest';
import { applyMask, applyMaskInto } from '../../src/protocol/mask.js';

/** RFC 6455 §5.3, byte by byte: octet i XOR key[(i + keyOffset) mod 4]. */
function referenceMask(data: Uint8Array, key: Uint8Array, keyOffset: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key[(keyOffset + i) % 4];
  return out;
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

describe('applyMask (RFC 6455 §5.3)', () => {
  it('unmasks the masked "Hello" of §5.7', () => {
    const payload = Buffer.from('7f9f4d5158', 'hex');
    applyMask(payload, Uint8Array.of(0x37, 0xfa, 0x21, 0x3d));
    expect(payload.toString()).toBe('Hello');
  });

  it('matches the byte-by-byte reference for every length 0..300, buffer alignment 0..3 and key offset 0..7', () => {
    const keys = [Uint8Array.of(0x37, 0xfa, 0x21, 0x3d), Uint8Array.of(0xff, 0x00, 0x80, 0x01), Uint8Array.of(1, 2, 3, 4)];
    for (const key of keys) {
      for (let length = 0; length <= 300; length++) {
        const data = pattern(length, length);
        for (let byteOffset = 0; byteOffset < 4; byteOffset++) {
          for (let keyOffset = 0; keyOffset < 8; keyOffset++) {
            // A view that starts `byteOffset` bytes into its ArrayBuffer, with guard bytes around it.
            const backing = new Uint8Array(byteOffset + length + 4).fill(0xa5);
            const view = backing.subarray(byteOffset, byteOffset + length);
            view.set(data);
            applyMask(view, key, keyOffset);
            const expected = referenceMask(data, key, keyOffset);
            if (!Buffer.from(view).equals(Buffer.from(expected))) {
              throw new Error(`mismatch: length ${length}, byteOffset ${byteOffset}, keyOffset ${keyOffset}`);
            }
            for (let i = 0; i < backing.length; i++) {
              if ((i < byteOffset || i >= byteOffset + length) && backing[i] !== 0xa5) {
                throw new Error(`wrote outside the view: length ${length}, byteOffset ${byteOffset}`);
              }
            }
          }
        }
      }
    }
  });

  it('works on Buffers carved from Node\'s pool at odd offsets', () => {
    const key = Uint8Array.of(9, 8, 7, 6);
    for (let start = 0; start < 8; start++) {
      const source = pattern(1000, start);
      const pooled = Buffer.from(source); // may live inside the shared 8 KiB pool
      const view = pooled.subarray(start, start + 900);
      applyMask(view, key, 3);
      expect(Buffer.from(view).equals(Buffer.from(referenceMask(source.subarray(start, start + 900), key, 3)))).toBe(true);
    }
  });

  it('is its own inverse, and piecewise masking with key offsets equals masking at once', () => {
    const key = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
    const original = pattern(1000, 7);
    const whole = Buffer.from(original);
    applyMask(whole, key);
    const pieces = Buffer.from(original);
    for (const [from, to] of [[0, 1], [1, 40], [40, 41], [41, 333], [333, 1000]]) {
      applyMask(pieces.subarray(from, to), key, from);
    }
    expect(pieces.equals(whole)).toBe(true);
    applyMask(whole, key);
    expect(whole.equals(Buffer.from(original))).toBe(true);
  });
});

describe('applyMask on large buffers (the WebAssembly SIMD path)', () => {
  it('matches the reference across the SIMD threshold, block boundaries, alignments and key offsets', () => {
    const key = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
    // Around the 1 KiB threshold, a 16-byte tail, and across the 64 KiB block size.
    const lengths = [1023, 1024, 1025, 1039, 4096 + 7, 65535, 65536, 65537, 65536 * 2 + 13, 300_001];
    for (const length of lengths) {
      const data = pattern(length, length);
      for (const byteOffset of [0, 1, 3]) {
        for (const keyOffset of [0, 1, 2, 3, 6]) {
          const backing = new Uint8Array(byteOffset + length + 4).fill(0xa5);
          const view = backing.subarray(byteOffset, byteOffset + length);
          view.set(data);
          applyMask(view, key, keyOffset);
          if (!Buffer.from(view).equals(Buffer.from(referenceMask(data, key, keyOffset)))) {
            throw new Error(`mismatch: length ${length}, byteOffset ${byteOffset}, keyOffset ${keyOffset}`);
          }
          expect(backing[byteOffset + length]).toBe(0xa5); // nothing written past the view
          if (byteOffset > 0) expect(backing[byteOffset - 1]).toBe(0xa5);
        }
      }
    }
  });

  it('masking twice restores the bytes (§5.3: the same operation both ways)', () => {
    const data = pattern(200_000, 7);
    const copy = Uint8Array.from(data);
    applyMask(copy, [9, 8, 7, 6], 1);
    expect(Buffer.from(copy).equals(Buffer.from(data))).toBe(false);
    applyMask(copy, [9, 8, 7, 6], 1);
    expect(Buffer.from(copy).equals(Buffer.from(data))).toBe(true);
  });
});

describe('applyMaskInto: masking while copying', () => {
  it('writes the masked source into the target and leaves the source alone, small and large', () => {
    const key = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
    for (const length of [0, 5, 1000, 1024, 70_001]) {
      for (const keyOffset of [0, 3]) {
        const source = pattern(length, length + keyOffset);
        const original = Uint8Array.from(source);
        const backing = new Uint8Array(length + 2).fill(0xa5);
        const target = backing.subarray(1, 1 + length);
        applyMaskInto(source, target, key, keyOffset);
        expect(Buffer.from(target).equals(Buffer.from(referenceMask(original, key, keyOffset)))).toBe(true);
        expect(Buffer.from(source).equals(Buffer.from(original))).toBe(true);
        expect([backing[0], backing[length + 1]]).toEqual([0xa5, 0xa5]);
      }
    }
  });
});
