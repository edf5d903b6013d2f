/**
 * A binary message kept as the payloads of its frames (RFC 6455 §5.4), one Buffer per non-empty
 * frame, never joined across frames: what `ws` calls binaryType "fragments", for protocols that
 * send large messages in many frames and want no copy to join them.
 *
 * Each frame's payload is assembled by a MessageAssembler (pieces of one frame arrive in several
 * reads). A frame left as a view that fills less than half of the memory behind it is copied, so
 * that many small frames cannot keep many whole read buffers alive (§10.4; see assembler.ts).
 */
import { MAX_PINNED_RATIO, MessageAssembler } from './assembler.js';

export class FragmentList {
  private readonly frame = new MessageAssembler();
  private fragments: Buffer[] = [];

  /** Add a piece of the current frame's payload. */
  add(piece: Buffer, inFrameBuffer: boolean): void {
    this.frame.add(piece, inFrameBuffer);
  }

  /** The current frame is complete: keep its payload (an empty frame adds nothing, as in `ws`). */
  endFrame(): void {
    if (this.frame.length === 0) return;
    let payload = this.frame.take();
    if (payload.length * MAX_PINNED_RATIO < payload.buffer.byteLength) {
      const copy = Buffer.allocUnsafeSlow(payload.length);
      payload.copy(copy);
      payload = copy;
    }
    this.fragments.push(payload);
  }

  /** The message's fragments; the list is empty again afterwards. */
  take(): Buffer[] {
    const fragments = this.fragments;
    this.fragments = [];
    return fragments;
  }

  /** Memory the kept payloads hold alive (each distinct buffer once). */
  get retainedBytes(): number {
    const buffers = new Set<ArrayBufferLike>();
    for (const fragment of this.fragments) buffers.add(fragment.buffer);
    let total = this.frame.retainedBytes;
    for (const buffer of buffers) total += buffer.byteLength;
    return total;
  }
}
