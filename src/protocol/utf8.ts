/**
 * Incremental UTF-8 validation. RFC 6455 §8.1: a text message that is not valid UTF-8 fails the
 * connection with 1007, and §5.6 lets an endpoint check fragments as they arrive. We fail as soon
 * as the invalid byte arrives, even mid-frame (what Autobahn's "fail fast" cases 6.4.x test).
 *
 * Whole runs of bytes are checked by Node's native `buffer.isUtf8`; only the (at most 3) bytes of
 * a code point split across two pieces are checked here, by the rules of RFC 3629 §4.
 */
import { isUtf8 } from 'node:buffer';

/** Total length of the sequence this lead byte starts, or 0 if it cannot start one (RFC 3629 §4). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0; // continuation byte, overlong lead C0/C1, or beyond U+10FFFF (F5–FF)
}

/**
 * Can `bytes[0..length)` still grow into a valid sequence? Checks the second-byte ranges that
 * rule out overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
 */
function isValidPrefix(bytes: Uint8Array, length: number): boolean {
  const lead = bytes[0];
  if (sequenceLength(lead) <= length) return false;
  if (length >= 2) {
    const second = bytes[1];
    let low = 0x80;
    let high = 0xbf;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
    else if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
    if (second < low || second > high) return false;
  }
  if (length >= 3 && (bytes[2] & 0xc0) !== 0x80) return false;
  return true;
}

/** Validates a byte stream delivered in arbitrary pieces. */
export class Utf8StreamValidator {
  /** Bytes of a code point whose remaining bytes have not arrived yet. */
  private readonly pending = new Uint8Array(4);
  private pendingLength = 0;

  /** Feed the next piece. Returns false as soon as the stream can no longer be valid UTF-8. */
  push(piece: Uint8Array): boolean {
    let start = 0;
    if (this.pendingLength > 0) {
      // Complete the split code point with bytes from this piece.
      const needed = sequenceLength(this.pending[0]);
      while (this.pendingLength < needed && start < piece.length) {
        this.pending[this.pendingLength++] = piece[start++];
      }
      if (this.pendingLength < needed) return isValidPrefix(this.pending, this.pendingLength);
      if (!isUtf8(this.pending.subarray(0, needed))) return false;
      this.pendingLength = 0;
    }
    // Find where the last, possibly incomplete, sequence starts (at most 3 bytes back).
    const end = piece.length;
    let boundary = end;
    for (let back = 1; back <= 3 && end - back >= start; back++) {
      const byte = piece[end - back];
      if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
      const length = sequenceLength(byte);
      if (length > back) boundary = end - back; // incomplete: carry it over
      break;
    }
    if (boundary > start && !isUtf8(piece.subarray(start, boundary))) return false;
    if (boundary < end) {
      this.pendingLength = end - boundary;
      this.pending.set(piece.subarray(boundary, end));
      return isValidPrefix(this.pending, this.pendingLength);
    }
    return true;
  }

  /** The stream ended: valid only if no code point was left incomplete. */
  end(): boolean {
    const complete = this.pendingLength === 0;
    this.pendingLength = 0;
    return complete;
  }

  reset(): void {
    this.pendingLength = 0;
  }
}

/** Whole-buffer validation (Node's native, SIMD-accelerated check). */
export { isUtf8 };
