/**
 * The incremental frame parser. RFC 6455 §5.2 (framing) and §5.3 (masking).
 *
 * Bytes go in with `push(chunk)` in any chunking; a frame split at every byte boundary parses
 * exactly as the same frame in one chunk. The parser is an explicit state machine with two
 * states: waiting for a complete header, then passing payload bytes on as they arrive. Payload
 * bytes are handed to the sink unmasked and without copying (views into the received chunks),
 * so a text frame can be validated as it streams in. A large frame that spans reads is the
 * exception: it is unmasked straight into a buffer of its own, once a quarter of it has arrived
 * (see startPayload), so that its pieces never need a second copy to be joined.
 *
 * The parser enforces the rules that one header can break (reserved bits, reserved opcodes,
 * control frame limits, the mask bit, the 64-bit length); rules about sequences of frames
 * (fragmentation, §5.4) and payload contents (UTF-8, close codes) belong to the connection.
 */
import { CloseCode } from './close.js';
import { ProtocolError } from './errors.js';
import { FIN_BIT, MASK_BIT, MASK_KEY_LENGTH, MAX_HEADER_LENGTH, MAX_CONTROL_PAYLOAD, OPCODE_MASK } from './frame.js';
import { PAYLOAD_LENGTH_MASK, RSV1_BIT, RSV2_BIT, RSV3_BIT, extendedLengthBytes, isControlOpcode, isKnownOpcode, type FrameHeader } from './frame.js';
import { ChunkQueue } from './chunk-queue.js';
import { applyMask, applyMaskInto } from './mask.js';

/** Receives what the parser finds. Return false from a callback to stop the parser. */
export interface FrameSink {
  /** A complete header; `header` is reused for the next frame. */
  onFrameHeader(header: FrameHeader): boolean;
  /**
   * The next piece of the current frame's payload, already unmasked (may be called many times).
   * `inFrameBuffer`: the piece lies in a buffer allocated for this frame alone (a gathered frame,
   * see startPayload), not in a received chunk that may hold other frames too.
   */
  onFramePayload(piece: Buffer, inFrameBuffer: boolean): boolean;
  /** The current frame's payload is complete (also called for empty payloads). */
  onFrameEnd(): boolean;
}

export interface FrameParserOptions {
  /**
   * §5.1: a server MUST fail on an unmasked client frame, a client MUST fail on a masked server
   * frame. 'server' means we are the server (frames must be masked).
   */
  role: 'server' | 'client';
  /** Largest payload accepted in one frame, checked from the header before buffering (1009). */
  maxFramePayload?: number;
  /** RSV bits that a negotiated extension gives meaning to (§5.2); none by default. */
  allowedRsvBits?: number;
  /** Most received chunks held unparsed (while paused, say); 0 for no limit. */
  maxBufferedChunks?: number;
}

/** Frames below this size that span reads are left as pieces. */
const MIN_GATHERED_FRAME = 4 * 1024;
/** A frame is gathered once at least 1/4 of its payload has arrived: we never allocate more than 4× what the peer sent. */
const MAX_GATHER_RATIO = 4;
/**
 * Until then its reads wait in `chunks`, but at most this many, averaging at least
 * MIN_HELD_AVERAGE bytes: a peer trickling tiny reads must not make us hold one Buffer object
 * per byte. Such a frame (or a very large one) is passed on in pieces instead.
 */
const MAX_HELD_READS = 32;
const MIN_HELD_AVERAGE = 1024;

const enum State {
  /** Waiting until the whole header (2 to 14 bytes) is buffered. */
  Header,
  /** Passing payload bytes to the sink until the frame's length is consumed. */
  Payload,
  /** A protocol error or the sink stopped us: ignore all further input. */
  Stopped,
}

/** 2^53: payload lengths at or above this are not exact in JavaScript numbers. */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

export class FrameParser {
  /** The current frame's header, filled as it is read (see `headerBytesRead`); reused. */
  readonly header: FrameHeader = {
    fin: false,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: 0,
    masked: false,
    payloadLength: 0,
    lengthForm: 7,
    maskKey: [0, 0, 0, 0],
  };
  /** Set when the parser stopped on a protocol error. */
  error: ProtocolError | null = null;
  /**
   * The exact length of a 64-bit header beyond 2^53 - 1, which `header.payloadLength` holds
   * only approximately; null otherwise. The parser refuses such a header (§5.2, 1002 or 1009).
   */
  unsafeLength: bigint | null = null;

  private readonly sink: FrameSink;
  private readonly expectMasked: boolean;
  private readonly maxFramePayload: number;
  private readonly maxBufferedChunks: number;
  private allowedRsvBits: number;

  private state = State.Header;
  private paused = false;
  private headerRead = 0;
  /** Received bytes not yet consumed. */
  private readonly queue = new ChunkQueue();
  /** Payload bytes of the current frame still to come, and how many were already unmasked. */
  private payloadRemaining = 0;
  private payloadConsumed = 0;
  /** The current frame's payload, when it spans reads and is gathered (see startPayload). */
  private frameBuffer: Buffer | null = null;
  /** Scratch space for a header split across chunks (allocated the first time one is). */
  private scratch: Buffer | null = null;

  constructor(sink: FrameSink, options: FrameParserOptions) {
    this.sink = sink;
    this.expectMasked = options.role === 'server';
    this.maxFramePayload = options.maxFramePayload ?? Number.MAX_SAFE_INTEGER;
    this.allowedRsvBits = options.allowedRsvBits ?? 0;
    this.maxBufferedChunks = options.maxBufferedChunks ?? 0;
  }

  /** An extension was negotiated that gives these RSV bits a meaning (§5.2, RFC 7692 §6). */
  allowRsvBits(bits: number): void {
    this.allowedRsvBits |= bits;
  }

  /** True once a protocol error or the sink stopped the parser. */
  get stopped(): boolean {
    return this.state === State.Stopped;
  }

  /**
   * How many bytes of the current header `header` describes: 0 before its first two bytes
   * arrive; 2 once they are read (FIN, RSV1-3, opcode, MASK, and the length when it fits in 7
   * bits); then all of it (2 to 14 bytes, with the extended length and the masking key). After
   * a refusal (`error`) it says how much of the refused header a tool can show.
   */
  get headerBytesRead(): number {
    return this.headerRead;
  }

  /** Bytes received and not yet consumed (the rest of the current frame and what follows). */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /**
   * Memory the parser holds for frames not yet passed on: unread bytes, and the part of a
   * gathered frame's buffer not yet filled (the filled part belongs to the message). O(1).
   */
  get heldBytes(): number {
    const frameBuffer = this.frameBuffer;
    return this.queue.length + (frameBuffer === null ? 0 : frameBuffer.length - this.payloadConsumed);
  }

  /** Stop parsing: every later byte is ignored (after a Close frame, §5.5.1, or a failure). */
  stop(): void {
    this.state = State.Stopped;
    this.frameBuffer = null;
    this.queue.clear();
  }

  /** Feed received bytes. Never throws on any input; check `error` after a stop. */
  push(chunk: Buffer): void {
    if (this.state === State.Stopped || chunk.length === 0) return;
    if (this.maxBufferedChunks > 0 && this.queue.chunkCount >= this.maxBufferedChunks) {
      // §10.4: a peer that sends while we do not read on must not grow what we hold.
      this.fail('WS_ERR_TOO_MANY_BUFFERED_PARTS', 'Too many buffered chunks', CloseCode.PolicyViolation);
      return;
    }
    this.queue.push(chunk);
    if (!this.paused) this.run();
  }

  /**
   * Stop handing frames to the sink until `resume()`, keeping what is buffered (the sink waits
   * for something, e.g. a message being inflated, before it can take the next frame).
   */
  pause(): void {
    this.paused = true;
  }

  /** Go on with the buffered bytes after a `pause()`. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.state !== State.Stopped) this.run();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private run(): void {
    while (this.state !== State.Stopped && !this.paused) {
      if (this.state === State.Header) {
        if (!this.parseHeader()) return;
      } else if (!this.passPayload()) {
        return;
      }
    }
  }

  /**
   * Parse one header if it is complete; returns false when more bytes are needed or we stopped.
   * The fields go into `header` as they are read, before they are judged, so that a tool can
   * show a header the parser refused (see `headerBytesRead`). The whole header is read when it
   * is buffered; otherwise the first two bytes are judged at once instead of waiting (fail fast).
   */
  private parseHeader(): boolean {
    const queue = this.queue;
    if (queue.length < 2) return false;
    // Usually the header lies in the first chunk: read it there, without walking the chunks.
    const inFirst = queue.firstAvailable >= 2;
    const first = inFirst ? queue.first[queue.firstOffset] : queue.peekByte(0);
    const second = inFirst ? queue.first[queue.firstOffset + 1] : queue.peekByte(1);
    const header = this.header;
    header.fin = (first & FIN_BIT) !== 0;
    header.rsv1 = (first & RSV1_BIT) !== 0;
    header.rsv2 = (first & RSV2_BIT) !== 0;
    header.rsv3 = (first & RSV3_BIT) !== 0;
    header.opcode = first & OPCODE_MASK;
    header.masked = (second & MASK_BIT) !== 0;
    const length7 = second & PAYLOAD_LENGTH_MASK;
    const lengthBytes = extendedLengthBytes(length7);
    header.lengthForm = lengthBytes === 2 ? 16 : lengthBytes === 8 ? 64 : 7;
    header.payloadLength = lengthBytes === 0 ? length7 : 0;
    this.headerRead = 2;

    const headerLength = 2 + lengthBytes + (header.masked ? MASK_KEY_LENGTH : 0);
    const complete = queue.length >= headerLength;
    const highWord = complete ? this.readHeaderRest(headerLength, lengthBytes) : 0;
    if (!this.checkFirstBytes(first, second)) return false;
    if (!complete || !this.checkPayloadLength(highWord)) return false;

    queue.skip(headerLength);
    this.payloadRemaining = header.payloadLength;
    this.payloadConsumed = 0;
    this.state = State.Payload;
    if (!this.sink.onFrameHeader(header)) return this.halt();
    return true;
  }

  /**
   * Read the extended length and the masking key of a buffered header into `header`, without
   * consuming it. Returns the high 32 bits of a 64-bit length (0 otherwise), which
   * `checkPayloadLength` judges.
   */
  private readHeaderRest(headerLength: number, lengthBytes: number): number {
    // In place when the first chunk holds the whole header, else gathered (at most 14 bytes).
    const queue = this.queue;
    const inPlace = queue.firstAvailable >= headerLength;
    const bytes = inPlace ? queue.first : queue.copyFront(headerLength, (this.scratch ??= Buffer.allocUnsafe(MAX_HEADER_LENGTH)));
    const start = inPlace ? queue.firstOffset : 0;
    const header = this.header;
    let high = 0;
    if (lengthBytes === 2) {
      header.payloadLength = bytes.readUInt16BE(start + 2);
    } else if (lengthBytes === 8) {
      high = bytes.readUInt32BE(start + 2);
      const low = bytes.readUInt32BE(start + 6);
      // Beyond 2^53 the number is only the nearest double: keep the exact value for tools.
      // Such a length is always refused, so this is the last header the parser reads.
      if (high > MAX_SAFE_HIGH_WORD) this.unsafeLength = (BigInt(high) << 32n) | BigInt(low);
      header.payloadLength = high * 0x1_0000_0000 + low;
    }
    if (header.masked) {
      const keyStart = start + 2 + lengthBytes;
      const key = header.maskKey;
      key[0] = bytes[keyStart];
      key[1] = bytes[keyStart + 1];
      key[2] = bytes[keyStart + 2];
      key[3] = bytes[keyStart + 3];
    }
    this.headerRead = headerLength;
    return high;
  }

  /** The rules the first two header bytes can break (§5.2, §5.5, §5.1); false after a failure. */
  private checkFirstBytes(first: number, second: number): boolean {
    const opcode = first & OPCODE_MASK;
    const rsvBits = first & (RSV1_BIT | RSV2_BIT | RSV3_BIT);
    const unexpectedRsv = rsvBits & ~this.allowedRsvBits;
    if (unexpectedRsv !== 0) {
      // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings".
      return this.fail(
        (unexpectedRsv & RSV1_BIT) !== 0 ? 'WS_ERR_UNEXPECTED_RSV_1' : 'WS_ERR_UNEXPECTED_RSV_2_3',
        `Reserved bits set without a negotiated extension (RSV 0x${rsvBits.toString(16)})`,
      );
    }
    if (!isKnownOpcode(opcode)) {
      // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail_".
      return this.fail('WS_ERR_INVALID_OPCODE', `Reserved opcode 0x${opcode.toString(16)}`);
    }
    if (isControlOpcode(opcode)) {
      // §5.5: control frames MUST NOT be fragmented and carry at most 125 bytes.
      if ((first & FIN_BIT) === 0) return this.fail('WS_ERR_EXPECTED_FIN', 'Fragmented control frame');
      if ((second & PAYLOAD_LENGTH_MASK) > MAX_CONTROL_PAYLOAD) {
        return this.fail('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'Control frame payload longer than 125 bytes');
      }
    }
    const masked = (second & MASK_BIT) !== 0;
    if (masked !== this.expectMasked) {
      // §5.1: clients always mask, servers never do.
      return masked
        ? this.fail('WS_ERR_UNEXPECTED_MASK', 'Masked frame from a server')
        : this.fail('WS_ERR_EXPECTED_MASK', 'Unmasked frame from a client');
    }
    return true;
  }

  /** Judge the payload length of a complete header (§5.2, §10.4); false when the parser stopped on it. */
  private checkPayloadLength(highWord: number): boolean {
    // §5.2: "the most significant bit MUST be 0".
    if (highWord > 0x7fff_ffff) {
      return this.fail('WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', '64-bit payload length with the most significant bit set');
    }
    if (highWord > MAX_SAFE_HIGH_WORD) {
      return this.fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Payload length beyond 2^53 - 1', CloseCode.MessageTooBig);
    }
    const payloadLength = this.header.payloadLength;
    if (payloadLength > this.maxFramePayload) {
      // §10.4: limit what one peer can make us buffer; checked from the header, before any payload.
      return this.fail(
        'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
        `Frame payload of ${payloadLength} bytes exceeds the limit of ${this.maxFramePayload}`,
        CloseCode.MessageTooBig,
      );
    }
    return true;
  }

  /** Hand the sink as much of the payload as is buffered; returns false when we must wait. */
  private passPayload(): boolean {
    if (this.payloadConsumed === 0 && this.payloadRemaining > 0 && !this.startPayload()) return false;
    while (this.payloadRemaining > 0) {
      if (this.queue.length === 0) return false;
      let piece = this.queue.takeFront(this.payloadRemaining);
      const size = piece.length;
      const frameBuffer = this.frameBuffer;
      if (frameBuffer !== null) {
        // Unmask while copying into the frame's own buffer: its pieces come out contiguous.
        const place = frameBuffer.subarray(this.payloadConsumed, this.payloadConsumed + size);
        if (this.header.masked) applyMaskInto(piece, place, this.header.maskKey, this.payloadConsumed);
        else place.set(piece);
        piece = place;
      } else if (this.header.masked) {
        applyMask(piece, this.header.maskKey, this.payloadConsumed);
      }
      this.payloadConsumed += size;
      this.payloadRemaining -= size;
      if (!this.sink.onFramePayload(piece, frameBuffer !== null)) return this.halt();
    }
    this.state = State.Header;
    this.headerRead = 0;
    this.frameBuffer = null;
    if (!this.sink.onFrameEnd()) return this.halt();
    return true;
  }

  /**
   * At the start of a payload: is it passed on as views into the received chunks, or gathered
   * into a buffer of its own? A data frame of at least MIN_GATHERED_FRAME that does not fit in
   * the current chunk is gathered, so that it never needs a second copy to be joined; but only
   * once a quarter of it has arrived (until then its bytes wait here, in the chunks they came
   * in), so that an announced length alone never makes us allocate (§10.4). Returns false while
   * waiting for that quarter.
   */
  private startPayload(): boolean {
    const length = this.payloadRemaining;
    if (length < MIN_GATHERED_FRAME || isControlOpcode(this.header.opcode)) return true;
    const buffered = this.queue.length;
    if (this.queue.firstAvailable >= length) return true; // one view
    if (buffered * MAX_GATHER_RATIO >= length) {
      this.frameBuffer = Buffer.allocUnsafe(length);
      return true;
    }
    const held = this.queue.chunkCount;
    // Wait for more, unless the reads are too many or too small to hold: then pass them on.
    return held > MAX_HELD_READS || buffered < held * MIN_HELD_AVERAGE;
  }

  private fail(
    code: ProtocolError['code'],
    message: string,
    closeCode: number = CloseCode.ProtocolError,
  ): false {
    this.error = new ProtocolError(closeCode, code, message);
    return this.halt();
  }

  private halt(): false {
    this.stop();
    return false;
  }
}
