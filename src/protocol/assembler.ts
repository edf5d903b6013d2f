/**
 * Assembling a message from the pieces its payload arrives in (RFC 6455 §5.4 fragments, split
 * further by TCP reads), with memory bounded by the bytes received (§10.4).
 *
 * A message that arrives in one piece is delivered as that piece, without a copy. Otherwise large
 * pieces are kept as views into the read buffers and small ones are copied into a shared run, so
 * that a peer sending many tiny fragments costs bytes rather than one Buffer object each; the
 * pieces are joined with one copy when the message ends.
 */

/** Pieces below this size are copied; larger ones are kept by reference. */
const SMALL_PIECE = 1024;
/** Size of the buffer small pieces are copied into. */
const GATHER_SIZE = 16 * 1024;

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
  private pieces: Buffer[] | null = null;
  /** Where small pieces are copied: the open run is [runStart, gathered). */
  private gather: Buffer | null = null;
  private runStart = 0;
  private gathered = 0;

  add(piece: Buffer): void {
    this.length += piece.length;
    if (this.pieces === null) {
      if (this.first === null) {
        this.first = piece;
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
      this.keep(first);
    }
    this.keep(piece);
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

  private keep(piece: Buffer): void {
    const pieces = this.pieces!;
    if (piece.length >= SMALL_PIECE) {
      this.closeRun(pieces);
      pieces.push(piece);
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
