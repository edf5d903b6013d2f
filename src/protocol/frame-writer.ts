/**
 * The sending side of a connection: messages and control frames in, encoded frames out, always
 * in the order they were sent.
 *
 * Three things can make a frame wait:
 * - §5.4: the fragments of one message must not be interleaved with another message's frames,
 *   so a pre-encoded frame (a broadcast) that arrives while our fragmented message is open waits
 *   for its final fragment. Control frames may go between fragments and do not wait.
 * - RFC 7692 §7.2.1: a compressed message may finish compressing later (the engine runs large
 *   inputs off the main thread). Everything sent after it, control frames included, waits
 *   behind it, so the peer receives frames in the order they were sent.
 * - A frame whose payload the application supplies later (`sendLater`: a Blob being read) holds
 *   its place in the same way.
 */
import { CloseCode } from './close.js';
import { ProtocolError } from './errors.js';
import type { MessageCodec } from './extensions/message-codec.js';
import { MAX_CONTROL_PAYLOAD, Opcode, encodeFrame, isControlOpcode } from './frame.js';
import { Outbox, type MaskKeySource } from './outbox.js';
import type { PendingFrame } from './pending-frame.js';
import type { CompressionSetup, FailableConnection, ProtocolHandler } from './protocol-handler.js';

/** A compressed message whose compression has not finished: it holds its place in the queue. */
interface PendingMessage {
  frame: Buffer | null;
  /** The uncompressed size, counted in `bytes` while it waits. */
  size: number;
}

type Held = Buffer | PendingMessage;

export class FrameWriter {
  private readonly outbox = new Outbox();
  private readonly maskKeySource: MaskKeySource | null;
  /** Told when frames that waited for an asynchronous compression are ready to be written. */
  private readonly handler: ProtocolHandler;
  private readonly connection: FailableConnection;
  compression: CompressionSetup | null = null;
  /** Is our fragmented message open (so the next data frame is a continuation)? */
  private sendingFragmented = false;
  /** Pre-encoded frames waiting for our fragmented message's final frame (§5.4). */
  private heldForFragments: Array<Buffer | PendingFrame> | null = null;
  /** Frames waiting behind an unfinished compression, in order (RFC 7692). */
  private held: Held[] | null = null;
  private heldBytes = 0;

  constructor(maskKeySource: MaskKeySource | null, handler: ProtocolHandler, connection: FailableConnection) {
    this.maskKeySource = maskKeySource;
    this.handler = handler;
    this.connection = connection;
  }

  /** Frames that waited are ready; a compression that failed fails the connection (1011). */
  private onReady(error: Error | null): void {
    const connection = this.connection;
    if (error !== null && connection.failure === null) {
      connection.fail(new ProtocolError(CloseCode.InternalError, 'WS_ERR_COMPRESSION_FAILED', `Compression failed: ${error.message}`));
    }
    this.handler.onReady();
  }

  /** Bytes queued: encoded and ready, or waiting (a message waiting to be compressed counts its size). */
  get bytes(): number {
    return this.outbox.bytes + this.heldBytes;
  }

  /** Does anything wait behind an unfinished compression? */
  get isWaiting(): boolean {
    return this.held !== null;
  }

  /** Queue a data frame: a whole message, or one fragment of it when `fin` is false (§5.4). */
  sendData(opcode: Opcode.Text | Opcode.Binary, data: string | Uint8Array, fin: boolean, compress: boolean): void {
    const compression = this.compression;
    if (compress && compression !== null && fin && !this.sendingFragmented) {
      const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      if (size >= compression.threshold) {
        this.sendCompressed(compression.codec, opcode, data, size);
        return;
      }
    }
    // §5.4: the frames after the first of a fragmented message are continuations.
    const frameOpcode = this.sendingFragmented ? Opcode.Continuation : opcode;
    this.sendingFragmented = !fin;
    this.appendFrame(fin, frameOpcode, data, false);
    if (fin) this.releaseHeldForFragments();
  }

  /** Our fragmented message ended: the pre-encoded frames that waited for it follow it (§5.4). */
  private releaseHeldForFragments(): void {
    const frames = this.heldForFragments;
    if (frames === null) return;
    this.heldForFragments = null;
    for (const frame of frames) this.sendEncoded(frame);
  }

  /**
   * Queue a control frame (§5.5); it may go between the fragments of our message. With `check`,
   * a payload over 125 bytes is a RangeError (a caller's mistake; in `ws`'s words).
   */
  sendControl(opcode: Opcode.Close | Opcode.Ping | Opcode.Pong, payload: string | Uint8Array, check = false): void {
    if (check) checkControlLength(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
    this.appendFrame(true, opcode, payload, false);
  }

  /**
   * Queue a complete pre-encoded frame (from `encodeFrame`), e.g. one broadcast to many; or a
   * `PendingFrame` whose bytes come later (a broadcast being compressed once for all).
   */
  sendEncoded(frame: Buffer | PendingFrame): void {
    if (this.sendingFragmented) (this.heldForFragments ??= []).push(frame);
    else if (Buffer.isBuffer(frame)) this.appendEncoded(frame);
    else if (frame.frame !== null) this.appendEncoded(frame.frame);
    else this.waitFor(frame);
  }

  /**
   * Hold the place of a frame whose `size`-byte payload comes later; frames sent after it wait
   * behind it. Call the returned function with the payload, or with null to drop the frame. It is
   * never compressed, so the compressor's context never sees it out of order (RFC 7692 §7.2.1).
   */
  sendLater(opcode: Opcode, size: number, fin: boolean): (payload: Uint8Array | null) => void {
    if (isControlOpcode(opcode)) checkControlLength(size);
    let frameOpcode = opcode;
    if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      if (this.sendingFragmented) frameOpcode = Opcode.Continuation;
      this.sendingFragmented = !fin;
    }
    const pending = this.hold(size);
    if (!this.sendingFragmented) this.releaseHeldForFragments();
    return (payload) => {
      if (pending.frame !== null) return;
      this.settle(pending, payload === null ? EMPTY_FRAME : encodeFrame(fin, frameOpcode, payload, this.nextMaskKey(), false), null);
    };
  }

  /** Take everything ready for the wire, in order. Frames still waiting stay. */
  take(): Buffer[] {
    return this.outbox.take();
  }

  private sendCompressed(codec: MessageCodec, opcode: number, data: string | Uint8Array, size: number): void {
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : toBuffer(data);
    let pending: PendingMessage | null = null;
    let result: Buffer | null = null;
    let failure: Error | null = null;
    const finishedNow = codec.compress(payload, (error, compressed) => {
      if (pending === null) {
        failure = error;
        result = compressed;
      } else {
        this.completePending(pending, opcode, error, compressed);
      }
    });
    if (finishedNow) {
      if (failure !== null) this.onReady(failure);
      // RFC 7692 §6.1: RSV1 on the first (here: only) frame of a compressed message.
      else this.appendFrame(true, opcode, result!, true);
      return;
    }
    pending = this.hold(size);
  }

  /** Hold the place of a shared frame that is not ready; release it (and what follows) once it is. */
  private waitFor(shared: PendingFrame): void {
    const pending = this.hold(shared.sizeHint);
    shared.whenReady(() => this.settle(pending, shared.frame!, null));
  }

  private completePending(pending: PendingMessage, opcode: number, error: Error | null, compressed: Buffer): void {
    if (error !== null) this.settle(pending, EMPTY_FRAME, error);
    else this.settle(pending, encodeFrame(true, opcode, compressed, this.nextMaskKey(), true), null);
  }

  /** Hold a place in the output for a frame whose bytes come later; `size` counts meanwhile. */
  private hold(size: number): PendingMessage {
    const pending: PendingMessage = { frame: null, size };
    (this.held ??= []).push(pending);
    this.heldBytes += size;
    return pending;
  }

  /** The held frame is ready (EMPTY_FRAME: dropped): release what no longer waits. */
  private settle(pending: PendingMessage, frame: Buffer, error: Error | null): void {
    this.heldBytes += frame.length - pending.size;
    pending.frame = frame;
    this.release();
    this.onReady(error);
  }

  /** Move what no longer waits, from the front of `held`, into the outbox. */
  private release(): void {
    const held = this.held!;
    let index = 0;
    for (; index < held.length; index++) {
      const item = held[index];
      const frame = Buffer.isBuffer(item) ? item : item.frame;
      if (frame === null) break;
      this.heldBytes -= frame.length;
      if (frame.length > 0) this.outbox.appendEncoded(frame);
    }
    held.splice(0, index);
    if (held.length === 0) this.held = null;
  }

  private appendFrame(fin: boolean, opcode: number, payload: string | Uint8Array, rsv1: boolean): void {
    // §5.3: a client masks every frame with a fresh key; a server never masks.
    const maskKey = this.nextMaskKey();
    if (this.held === null) {
      this.outbox.appendFrame(fin, opcode, payload, maskKey, rsv1);
    } else {
      const frame = encodeFrame(fin, opcode, payload, maskKey, rsv1);
      this.held.push(frame);
      this.heldBytes += frame.length;
    }
  }

  private appendEncoded(frame: Buffer): void {
    if (this.held === null) {
      this.outbox.appendEncoded(frame);
    } else {
      this.held.push(frame);
      this.heldBytes += frame.length;
    }
  }

  private nextMaskKey(): Uint8Array | null {
    return this.maskKeySource === null ? null : this.maskKeySource();
  }
}

const EMPTY_FRAME = Buffer.alloc(0);

/** §5.5: a control frame carries at most 125 bytes. */
function checkControlLength(length: number): void {
  if (length > MAX_CONTROL_PAYLOAD) throw new RangeError(`The data size must not be greater than ${MAX_CONTROL_PAYLOAD} bytes`);
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
