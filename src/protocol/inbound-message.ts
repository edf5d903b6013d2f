/**
 * The message being received (RFC 6455 §5.4): what kind it is, how large it has grown, its bytes
 * so far in bounded memory, and for text its UTF-8, checked as it streams in (§8.1).
 */
import { MessageAssembler } from './assembler.js';
import { Opcode } from './frame.js';
import { Utf8StreamValidator } from './utf8.js';

export type MessageOpcode = Opcode.Text | Opcode.Binary;

export class InboundMessage {
  /** The opcode of the message's first frame, or null while no message is open. */
  opcode: MessageOpcode | null = null;
  /** RFC 7692 §6: the first frame had RSV1 set, so the payload is DEFLATE data. */
  compressed = false;
  /** Payload bytes announced so far by the message's frame headers. */
  length = 0;
  /** Data frames in the message so far (§5.4 fragments). */
  frames = 0;
  private readonly assembler = new MessageAssembler();
  /** Created on the first text message that is checked as it streams. */
  private utf8: Utf8StreamValidator | null = null;
  private streamingUtf8 = false;

  get isOpen(): boolean {
    return this.opcode !== null;
  }

  /**
   * A new message starts. A text message that is fragmented, or whose only frame spans reads,
   * is checked as it streams so that invalid bytes fail fast (Autobahn 6.4.x); one that comes
   * whole is checked once at the end. Compressed text can only be checked once inflated.
   */
  start(opcode: MessageOpcode, compressed: boolean, arrivesInPieces: boolean): void {
    this.opcode = opcode;
    this.compressed = compressed;
    this.length = 0;
    this.frames = 0;
    this.streamingUtf8 = opcode === Opcode.Text && !compressed && arrivesInPieces;
    if (this.streamingUtf8) (this.utf8 ??= new Utf8StreamValidator()).reset();
  }

  /** Add a piece of payload; false if it makes a streamed text message invalid UTF-8. */
  add(piece: Buffer, inFrameBuffer: boolean): boolean {
    if (this.streamingUtf8 && !this.utf8!.push(piece)) return false;
    this.assembler.add(piece, inFrameBuffer);
    return true;
  }

  /** The message's payload as received (still compressed if `compressed`); the message closes. */
  take(): Buffer {
    this.opcode = null;
    return this.assembler.take();
  }

  /** Forget the message: it will not be delivered (the connection failed or ended). */
  discard(): void {
    this.opcode = null;
    this.assembler.clear();
  }

  /** Is this text message's UTF-8 checked as it streams in (rather than whole, at its end)? */
  get checksAsItStreams(): boolean {
    return this.streamingUtf8;
  }

  /** The streamed check at the message's end: valid only if no code point was left incomplete. */
  endStreamedText(): boolean {
    this.streamingUtf8 = false;
    return this.utf8!.end();
  }

  /** Payload bytes held for the message so far. */
  get bufferedBytes(): number {
    return this.assembler.length;
  }

  /** Memory those bytes keep alive (§10.4: bounded by a small multiple of the payload). */
  get retainedBytes(): number {
    return this.assembler.retainedBytes;
  }
}
