/**
 * The outbox: frames waiting to be written, encoded straight into a shared slab.
 * RFC 6455 §5.2 (the frames, via `writeFrameHeader`) and §5.3 (a client masks every frame).
 *
 * Everything a connection produces while handling one read (pongs, echoes, broadcasts) is
 * collected here and leaves in one socket write. Small frames are encoded — header and payload —
 * into a slab shared by all connections (like Node's own Buffer pool); consecutive frames of one
 * connection stay contiguous, so a burst of replies becomes a single Buffer. Large payloads are
 * not copied: the outbox keeps a reference and the I/O layer writes them with writev.
 *
 * A region of the slab, once handed out by `take()`, is never written again, so the socket may
 * hold on to it for as long as it needs.
 */
import { MAX_HEADER_LENGTH, frameHeaderLength, writeFrame, writeFrameHeader } from './frame.js';

/** Payloads up to this size are copied into the slab; larger ones are written by reference. */
export const COPY_THRESHOLD = 16 * 1024;
const SLAB_SIZE = 128 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;

/** Reserve `size` contiguous bytes of the shared slab; returns the offset. */
function reserve(size: number): number {
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size));
    slabUsed = 0;
  }
  const offset = slabUsed;
  slabUsed += size;
  return offset;
}

/** A source of masking keys (clients only); see RFC 6455 §5.3 and §10.3. */
export type MaskKeySource = () => Uint8Array;

export class Outbox {
  /** Bytes waiting to be taken. */
  bytes = 0;
  private segments: Buffer[] | null = null;
  /** The open run in the shared slab: [runStart, runEnd) of `runSlab`. */
  private runSlab: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;

  get isEmpty(): boolean {
    return this.bytes === 0;
  }

  /**
   * Encode one frame. `payload` is a string (encoded as UTF-8 straight into the slab) or bytes.
   * With `maskKey` the payload is copied and masked (§5.3); the caller's bytes are never changed.
   */
  appendFrame(
    fin: boolean,
    opcode: number,
    payload: string | Uint8Array,
    maskKey: Uint8Array | null,
    rsv1 = false,
  ): void {
    const payloadLength = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const headerLength = frameHeaderLength(payloadLength, maskKey !== null);
    if (payloadLength <= COPY_THRESHOLD || maskKey !== null) {
      const total = headerLength + payloadLength;
      if (total > COPY_THRESHOLD + MAX_HEADER_LENGTH) {
        // A large masked frame gets a buffer of its own rather than a slab.
        const frame = Buffer.allocUnsafe(total);
        writeFrame(frame, 0, fin, opcode, payload, payloadLength, maskKey, rsv1);
        this.appendEncoded(frame);
        return;
      }
      const offset = reserve(total);
      writeFrame(slab, offset, fin, opcode, payload, payloadLength, maskKey, rsv1);
      this.extendRun(offset, total);
      return;
    }
    // Large unmasked payload: header in the slab, payload by reference.
    const offset = reserve(headerLength);
    writeFrameHeader(slab, offset, fin, opcode, payloadLength, null, rsv1);
    this.extendRun(offset, headerLength);
    const bytes =
      typeof payload === 'string'
        ? Buffer.from(payload, 'utf8')
        : Buffer.isBuffer(payload)
          ? payload
          : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.appendEncoded(bytes);
  }

  /** Queue bytes that are already a complete encoded frame (e.g. one broadcast to many). */
  appendEncoded(frame: Buffer): void {
    this.closeRun();
    (this.segments ??= []).push(frame);
    this.bytes += frame.length;
  }

  /** Everything queued, in order, as Buffers to write (one, if the frames were contiguous). */
  take(): Buffer[] {
    this.closeRun();
    const taken = this.segments ?? [];
    this.segments = null;
    this.bytes = 0;
    return taken;
  }

  /** Append [offset, offset + size) of the current slab to the open run, or start a new run. */
  private extendRun(offset: number, size: number): void {
    if (this.runSlab !== slab || this.runEnd !== offset) {
      this.closeRun();
      this.runSlab = slab;
      this.runStart = offset;
    }
    this.runEnd = offset + size;
    this.bytes += size;
  }

  private closeRun(): void {
    if (this.runSlab !== null) {
      (this.segments ??= []).push(this.runSlab.subarray(this.runStart, this.runEnd));
      this.runSlab = null;
    }
  }
}
