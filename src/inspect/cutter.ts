/**
 * Cutting a byte stream into frames with the real `FrameParser` (RFC 6455 §5.2): every frame's
 * fields and where its bytes lie, and, for a last frame the parser refused or that the bytes
 * cut short, what the parser read of its header (§5.3: its payload is shown unmasked).
 */
import type { ProtocolError } from '../protocol/errors.js';
import { receivedHeaderLength, type FrameHeader } from '../protocol/frame.js';
import { applyMask } from '../protocol/mask.js';
import { FrameParser, type FrameParserOptions, type FrameSink } from '../protocol/parser.js';
import { MessageTracker, summarize, summarizeHeaderRead, type FrameSummary } from './summary.js';

/** A frame found in the stream. */
export interface CutFrame {
  summary: FrameSummary;
  /** Where the frame starts in the stream. */
  offset: number;
  /** Bytes its header takes (2 to 14), even when the stream ends before them. */
  headerLength: number;
  /** Where its bytes end: past its last byte, or at the end of the stream when it is cut short. */
  end: number;
  /** The stream ends before the frame does. */
  cutShort: boolean;
}

export interface CutStream {
  /** The frames the parser accepted whole, then the one it stopped in, if any. */
  frames: CutFrame[];
  /** Why the parser refused the last frame's header, if it did. */
  refusal: ProtocolError | null;
  /** Bytes at the end too few to start a frame (fewer than 2). */
  trailingBytes: number;
  /** Bytes after the frame the parser refused: it never reads them. */
  unparsedBytes: number;
}

/** Records every frame the parser completes, with its position. */
class FrameRecorder implements FrameSink {
  readonly frames: CutFrame[] = [];
  readonly messages = new MessageTracker();
  /** Where the next frame starts. */
  position = 0;
  #pieces: Buffer[] = [];
  #header: FrameHeader | null = null;

  onFrameHeader(header: FrameHeader): boolean {
    this.#header = header;
    this.#pieces = [];
    return true;
  }

  onFramePayload(piece: Buffer): boolean {
    this.#pieces.push(piece);
    return true;
  }

  onFrameEnd(): boolean {
    const header = this.#header!;
    const messageOpcode = this.messages.frameEnded(header);
    const headerLength = receivedHeaderLength(header);
    const end = this.position + headerLength + header.payloadLength;
    const summary = summarize(header, Buffer.concat(this.#pieces), messageOpcode);
    this.frames.push({ summary, offset: this.position, headerLength, end, cutShort: false });
    this.position = end;
    return true;
  }
}

/** Cut `bytes` into frames as a receiver with these options reads them. */
export function cutFrames(bytes: Uint8Array, options: FrameParserOptions): CutStream {
  const recorder = new FrameRecorder();
  const parser = new FrameParser(recorder, options);
  parser.push(Buffer.from(bytes)); // a copy: the parser unmasks in place
  const last = lastFrame(bytes, parser, recorder);
  if (last !== null) recorder.frames.push(last);
  const rest = bytes.length - (last?.end ?? recorder.position);
  return {
    frames: recorder.frames,
    refusal: parser.error,
    trailingBytes: last === null ? rest : 0,
    unparsedBytes: last === null ? 0 : rest,
  };
}

/** The frame the parser stopped in (refused, or waiting for more bytes), from what it read. */
function lastFrame(bytes: Uint8Array, parser: FrameParser, recorder: FrameRecorder): CutFrame | null {
  const offset = recorder.position;
  if (offset === bytes.length) return null;
  const header = parser.header;
  const summary = summarizeHeaderRead(parser, recorder.messages.messageOf(header));
  if (summary === null) return null;
  const headerLength = receivedHeaderLength(header);
  if (summary.lengthCutShort === true || (summary.masked && summary.maskKey === null)) {
    return { summary, offset, headerLength, end: bytes.length, cutShort: true };
  }
  // The payload bytes at hand, unmasked from the caller's bytes (the parser's copy may be
  // unmasked in part). An exact length beyond 2^53 is never at hand: take what there is.
  const start = offset + headerLength;
  const frameEnd = start + summary.payloadLength;
  const end = Math.min(bytes.length, frameEnd);
  const payload = Buffer.from(bytes.subarray(start, end));
  if (summary.maskKey !== null) applyMask(payload, summary.maskKey, 0);
  summary.payload = payload;
  return { summary, offset, headerLength, end, cutShort: end < frameEnd };
}
