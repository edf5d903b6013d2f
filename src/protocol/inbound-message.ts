/**
 * The message being received (RFC 6455 §5.4): what kind it is, how large it has grown, its bytes
 * so far in bounded memory, and for text its UTF-8, checked as it streams in (§8.1).
 */
import { MessageAssembler } from './assembler.js';
import { CloseCode } from './close.js';
import type { ProtocolErrorCode } from './errors.js';
import { FragmentList } from './fragment-list.js';
import { Opcode, type FrameHeader } from './frame.js';
import { Utf8StreamValidator } from './utf8.js';

export type MessageOpcode = Opcode.Text | Opcode.Binary;

/** Why a data frame cannot be taken: the connection fails with this (§7.1.7). */
export interface FrameRefusal {
  code: ProtocolErrorCode;
  message: string;
  closeCode: number;
}

function refuse(code: ProtocolErrorCode, message: string, closeCode: number = CloseCode.ProtocolError): FrameRefusal {
  return { code, message, closeCode };
}

export class InboundMessage {
  /** The opcode of the message's first frame, or null while no message is open. */
  opcode: MessageOpcode | null = null;
  /** RFC 7692 §6: the first frame had RSV1 set, so the payload is DEFLATE data. */
  compressed = false;
  /** Payload bytes announced so far by the message's frame headers. */
  length = 0;
  /** Frames of the message so far (§5.4), control frames not counted. */
  frameCount = 0;
  /** §8.1: is text checked as UTF-8? Only a trusted peer's may skip it (`skipUtf8Validation`). */
  validateUtf8 = true;
  private maxPayload = Number.MAX_SAFE_INTEGER;
  private maxFragments = 0;
  private readonly assembler = new MessageAssembler();
  /** Set while a binary message is kept as its frames (see `start`). */
  private fragments: FragmentList | null = null;
  private keepingFrames = false;
  /** Created on the first text message that is checked as it streams. */
  private utf8: Utf8StreamValidator | null = null;
  private streamingUtf8 = false;

  get isOpen(): boolean {
    return this.opcode !== null;
  }

  /** The connection's limits (§10.4): message size, frames per message (0: none), UTF-8 checks. */
  limits(maxPayload: number, maxFragments: number, validateUtf8: boolean): void {
    this.maxPayload = maxPayload;
    this.maxFragments = maxFragments;
    this.validateUtf8 = validateUtf8;
  }

  /**
   * Judge the header of a data frame against the message in progress (§5.4 fragmentation, §10.4
   * limits) and start a new message with it; null if the frame is taken. `bufferedBytes`: what
   * the parser holds of the payload already; `keepFrames`: keep a binary message as its frames.
   */
  acceptFrame(header: FrameHeader, bufferedBytes: number, keepFrames: boolean): FrameRefusal | null {
    // §5.4: a continuation needs an open message; a new text/binary frame must wait for its end.
    if (header.opcode === Opcode.Continuation) {
      if (!this.isOpen) return refuse('WS_ERR_UNEXPECTED_CONTINUATION', 'Continuation frame with no message to continue');
      if (header.rsv1) return refuse('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 set on a continuation frame');
    } else {
      if (this.isOpen) return refuse('WS_ERR_EXPECTED_CONTINUATION', 'New data frame while a fragmented message is open');
      const arrivesInPieces = !header.fin || bufferedBytes < header.payloadLength;
      this.start(header.opcode as MessageOpcode, header.rsv1, arrivesInPieces, keepFrames);
    }
    if (++this.frameCount > this.maxFragments && this.maxFragments > 0) {
      return refuse('WS_ERR_TOO_MANY_BUFFERED_PARTS', 'Too many message fragments', CloseCode.PolicyViolation);
    }
    // §10.4 and §7.4.1 (1009): a size limit on whole messages, checked before buffering.
    this.length += header.payloadLength;
    if (this.length > this.maxPayload) {
      return refuse('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', `Message of more than ${this.maxPayload} bytes`, CloseCode.MessageTooBig);
    }
    return null;
  }

  /**
   * A new message starts. A text message that is fragmented, or whose only frame spans reads,
   * is checked as it streams so that invalid bytes fail fast (Autobahn 6.4.x); one that comes
   * whole is checked once at the end. Compressed text can only be checked once inflated.
   */
  start(opcode: MessageOpcode, compressed: boolean, arrivesInPieces: boolean, keepFrames = false): void {
    this.opcode = opcode;
    this.compressed = compressed;
    this.length = 0;
    this.frameCount = 0;
    this.streamingUtf8 = opcode === Opcode.Text && !compressed && arrivesInPieces && this.validateUtf8;
    if (this.streamingUtf8) (this.utf8 ??= new Utf8StreamValidator()).reset();
    // A binary message kept as its frames (`ws`'s binaryType "fragments"); compressed ones are
    // one DEFLATE stream, inflated whole.
    this.keepingFrames = keepFrames && opcode === Opcode.Binary && !compressed;
    if (this.keepingFrames) this.fragments ??= new FragmentList();
  }

  /** Add a piece of payload; false if it makes a streamed text message invalid UTF-8. */
  add(piece: Buffer, inFrameBuffer: boolean): boolean {
    if (this.streamingUtf8 && !this.utf8!.push(piece)) return false;
    if (this.keepingFrames) this.fragments!.add(piece, inFrameBuffer);
    else this.assembler.add(piece, inFrameBuffer);
    return true;
  }

  /** A frame of the message ended. */
  endFrame(): void {
    if (this.keepingFrames) this.fragments!.endFrame();
  }

  /** Is this message kept as its frames' payloads (take them with `takeFragments`)? */
  get keepsFrames(): boolean {
    return this.keepingFrames;
  }

  /** The message's payload as received (still compressed if `compressed`); the message closes. */
  take(): Buffer {
    this.opcode = null;
    return this.assembler.take();
  }

  /** The payloads of the message's non-empty frames, when it `keepsFrames`; the message closes. */
  takeFragments(): Buffer[] {
    this.opcode = null;
    this.keepingFrames = false;
    return this.fragments!.take();
  }

  /** Forget the message: it will not be delivered (the connection failed or ended). */
  discard(): void {
    this.opcode = null;
    this.keepingFrames = false;
    this.fragments?.take();
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
    return this.assembler.retainedBytes + (this.fragments?.retainedBytes ?? 0);
  }
}
