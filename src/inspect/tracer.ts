/**
 * The trace: frames as they pass, one line each, in the one-line format of format.ts. RFC 6455
 * §5.1 and §5.3: the bytes are decoded with the rules of the endpoint that reads them, and
 * masked payloads are shown unmasked.
 */
import type { FrameHeader } from '../protocol/frame.js';
import { FrameParser, type FrameSink } from '../protocol/parser.js';
import { describeError, formatReason } from './failure.js';
import { PREVIEW_BYTES, formatFrameLine } from './format.js';
import type { Role } from './role.js';
import { MessageTracker, summarize, summarizeHeaderRead } from './summary.js';

/** Writes one line per frame the parser completes, with the first bytes of its payload. */
class FrameLineWriter implements FrameSink {
  readonly messages = new MessageTracker();
  readonly #write: (frameLine: string) => void;
  #header: FrameHeader | null = null;
  #preview: Buffer[] = [];
  #previewLength = 0;

  constructor(write: (frameLine: string) => void) {
    this.#write = write;
  }

  onFrameHeader(header: FrameHeader): boolean {
    this.#header = header;
    this.#preview = [];
    this.#previewLength = 0;
    return true;
  }

  onFramePayload(piece: Buffer): boolean {
    if (this.#previewLength < PREVIEW_BYTES) {
      const take = piece.subarray(0, PREVIEW_BYTES - this.#previewLength);
      this.#preview.push(Buffer.from(take));
      this.#previewLength += take.length;
    }
    return true;
  }

  onFrameEnd(): boolean {
    const header = this.#header!;
    const messageOpcode = this.messages.frameEnded(header);
    const payload = this.#preview.length === 1 ? this.#preview[0] : Buffer.concat(this.#preview);
    this.#write(formatFrameLine(summarize(header, payload, messageOpcode)));
    return true;
  }
}

/**
 * Decodes the bytes of one direction of a connection as they pass and writes one line per
 * frame. It runs its own parser on a copy of the bytes, so tracing never changes what the
 * connection reads or writes; a frame split over many reads is written once it is complete.
 * A header the parser refuses is written with the reason, and then nothing more, as the
 * receiver reads nothing more.
 */
export class FrameTracer {
  readonly #parser: FrameParser;
  readonly #lines: FrameLineWriter;
  readonly #write: (frameLine: string) => void;
  /** Masked frames are unmasked in place by the parser, so they are traced from a copy. */
  readonly #copyInput: boolean;

  /** `role` is the role of the endpoint that receives these bytes (§5.1). */
  constructor(role: Role, write: (frameLine: string) => void) {
    this.#write = write;
    this.#copyInput = role === 'server';
    this.#lines = new FrameLineWriter(write);
    this.#parser = new FrameParser(this.#lines, { role });
  }

  /** Bytes as they pass, in any chunking. */
  push(chunk: Uint8Array): void {
    const parser = this.#parser;
    if (parser.stopped || chunk.length === 0) return;
    const bytes = this.#copyInput
      ? Buffer.from(chunk)
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    parser.push(bytes);
    const error = parser.error;
    if (error === null) return;
    // The parser refused a header (it reads at least two bytes first): show them, and why.
    const messageOpcode = this.#lines.messages.messageOf(parser.header);
    const refused = summarizeHeaderRead(parser, messageOpcode)!;
    this.#write(`${formatFrameLine(refused)} !! ${formatReason(describeError(error))}`);
  }
}
