/**
 * Masking. RFC 6455 §5.3: octet i of the payload is XORed with octet (i mod 4) of the 32-bit
 * masking key. Masking and unmasking are the same operation.
 *
 * We XOR 32 bits at a time through an Int32Array view over the aligned middle of the buffer
 * (as gorilla/websocket's mask.go does with machine words); only the unaligned head and the
 * tail (at most 3 bytes each) go byte by byte. Large buffers go through a WebAssembly SIMD
 * kernel (mask-simd.ts), 16 bytes at a time, when the runtime has it.
 */
import { createSimdMask } from './mask-simd.js';

/** Below this size a plain byte loop beats creating a typed-array view. */
const WORD_MASK_THRESHOLD = 64;

/** From this size the SIMD kernel, copies included, beats the word loop. */
const SIMD_MASK_THRESHOLD = 1024;
const simdMask = createSimdMask();

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * XOR `data` in place with the 4-byte `key`. `keyOffset` is how many payload bytes came before
 * `data` (so a payload delivered in pieces can be unmasked piece by piece).
 */
export function applyMask(data: Uint8Array, key: ArrayLike<number>, keyOffset = 0): void {
  const length = data.length;
  if (length >= SIMD_MASK_THRESHOLD && simdMask !== null) {
    simdMask(data, data, key, keyOffset);
    return;
  }
  let i = 0;
  if (length >= WORD_MASK_THRESHOLD) {
    // Bytes until the address is 4-aligned, so the Int32Array view is legal.
    const head = (4 - ((data.byteOffset + 0) & 3)) & 3;
    for (; i < head; i++) data[i] ^= key[(keyOffset + i) & 3];
    // The key rotated to start at this position, as one word in memory order.
    const k0 = key[(keyOffset + i) & 3];
    const k1 = key[(keyOffset + i + 1) & 3];
    const k2 = key[(keyOffset + i + 2) & 3];
    const k3 = key[(keyOffset + i + 3) & 3];
    const word = LITTLE_ENDIAN
      ? k0 | (k1 << 8) | (k2 << 16) | (k3 << 24)
      : (k0 << 24) | (k1 << 16) | (k2 << 8) | k3;
    const words = (length - i) >>> 2;
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    let w = 0;
    // Unrolled by four: the loop overhead is most of the cost at this size.
    const unrolledEnd = words - (words & 3);
    for (; w < unrolledEnd; w += 4) {
      view[w] ^= word;
      view[w + 1] ^= word;
      view[w + 2] ^= word;
      view[w + 3] ^= word;
    }
    for (; w < words; w++) view[w] ^= word;
    i += words << 2;
  }
  for (; i < length; i++) data[i] ^= key[(keyOffset + i) & 3];
}

/**
 * Mask `source` into `target` (of the same length) in one pass where the SIMD kernel is used:
 * unmasking while copying saves the separate copy a message assembled from pieces would need.
 */
export function applyMaskInto(
  source: Uint8Array,
  target: Uint8Array,
  key: ArrayLike<number>,
  keyOffset = 0,
): void {
  if (source.length >= SIMD_MASK_THRESHOLD && simdMask !== null) {
    simdMask(source, target, key, keyOffset);
    return;
  }
  target.set(source);
  applyMask(target, key, keyOffset);
}
