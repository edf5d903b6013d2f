/**
 * Assembling a message from the pieces its payload arrives in (RFC 6455 §5.4 fragments, split
 * further by TCP reads), with memory bounded by the bytes received (§10.4).
 *
 * A message that arrives in one piece is delivered as that piece, without a copy. Otherwise large
 * pieces are kept as views and small ones are copied into a shared run, so that a peer sending
 * many tiny fragments costs bytes rather than one Buffer object each; the pieces are joined with
 * one copy when the message ends.
 *
 * A view keeps its whole read buffer alive. A peer could send each fragment inside a read that
 * is otherwise full of other frames (Pongs cost it nothing), so that a 1 KiB fragment held a
 * 64 KiB read: maxPayload would then bound the payload but not the memory. So a piece is kept
 * as a view only when it fills at least 1/MAX_PINNED_RATIO of the memory behind it, or lies in a
 * buffer the parser allocated for its frame alone; any other piece is copied.
 */

/** Pieces below this size are copied; larger ones are kept by reference when dense enough. */
const SMALL_PIECE = 1024;
/** Size of the buffer small pieces are copied into. */
const GATHER_SIZE = 16 * 1024;
/** The memory that the views of one message keep alive stays within this multiple of its payload. */
export const MAX_PINNED_RATIO = 2;

const EMPTY = Buffer.alloc(0);

/** Does `b` start in memory right where `a` ends? */
function areAdjacent(a: Buffer, b: Buffer): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset;
}

export class MessageAssembler {
  /** Total bytes added since the last `take()`. */
  length = 0;
  /** The only piece so far (the common case: no copy at all). */
  private first: Buffer | null = null;
  /** Whether `first` lies in a buffer of its frame's own. */
  private firstInFrameBuffer = false;
  private pieces: Buffer[] | null = null;
  /** Where small pieces are copied: the open run is [runStart, gathered). */
  private gather: Buffer | null = null;
  private runStart = 0;
  private gathered = 0;

  /** Add the next piece; `inFrameBuffer` as the parser says (see FrameSink.onFramePayload). */
  add(piece: Buffer, inFrameBuffer = false): void {
    this.length += piece.length;
    if (this.pieces === null) {
      if (this.first === null) {
        this.first = piece;
        this.firstInFrameBuffer = inFrameBuffer;
        return;
      }
      if (areAdjacent(this.first, piece)) {
        // The parser gathered this frame into one buffer: extend the view, copy nothing.
        this.first = Buffer.from(this.first.buffer, this.first.byteOffset, this.first.length + piece.length);
        return;
      }
      // A second piece: from now on, keep a list.
      const first = this.first;
      this.first = null;
      this.pieces = [];
      this.keep(first, this.firstInFrameBuffer);
    }
    this.keep(piece, inFrameBuffer);
  }

  /** How many Buffers are held (a peer's many tiny fragments must not each cost one). */
  get pieceCount(): number {
    return this.pieces === null ? (this.first === null ? 0 : 1) : this.pieces.length + (this.gathered > this.runStart ? 1 : 0);
  }

  /**
   * Bytes of memory the held pieces keep alive: each distinct buffer behind them once (a view
   * keeps its whole read buffer alive). §10.4 bounds this, not only the payload.
   */
  get retainedBytes(): number {
    const buffers = new Set<ArrayBufferLike>();
    if (this.first !== null) buffers.add(this.first.buffer);
    for (const piece of this.pieces ?? []) buffers.add(piece.buffer);
    if (this.gather !== null && this.gathered > this.runStart) buffers.add(this.gather.buffer);
    let total = 0;
    for (const buffer of buffers) total += buffer.byteLength;
    return total;
  }

  /** The whole message; the assembler is empty again afterwards. */
  take(): Buffer {
    const first = this.first;
    const pieces = this.pieces;
    const length = this.length;
    this.first = null;
    this.pieces = null;
    this.length = 0;
    if (pieces === null) return first ?? EMPTY;
    this.closeRun(pieces);
    this.gather = null;
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length);
  }

  /** Drop what is held (the message will never be delivered: the connection failed or ended). */
  clear(): void {
    this.first = null;
    this.pieces = null;
    this.gather = null;
    this.length = this.runStart = this.gathered = 0;
  }

  private keep(piece: Buffer, inFrameBuffer: boolean): void {
    const pieces = this.pieces!;
    if (piece.length >= SMALL_PIECE && (inFrameBuffer || piece.length * MAX_PINNED_RATIO >= piece.buffer.byteLength)) {
      this.closeRun(pieces);
      pieces.push(piece);
      return;
    }
    if (piece.length > GATHER_SIZE) {
      // Large, but a small part of the read it came in: a copy of its own.
      this.closeRun(pieces);
      pieces.push(Buffer.from(piece));
      return;
    }
    if (this.gather === null || this.gathered + piece.length > this.gather.length) {
      this.closeRun(pieces);
      this.gather = Buffer.allocUnsafe(GATHER_SIZE);
      this.runStart = this.gathered = 0;
    }
    piece.copy(this.gather, this.gathered);
    this.gathered += piece.length;
  }

  private closeRun(pieces: Buffer[]): void {
    if (this.gather !== null && this.gathered > this.runStart) {
      pieces.push(this.gather.subarray(this.runStart, this.gathered));
      this.runStart = this.gathered;
    }
  }
}
