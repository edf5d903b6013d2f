/**
 * One WebSocket connection as a state machine, without I/O (the "sans-I/O" design of
 * python-websockets). `ServerProtocol` and `ClientProtocol` add the opening handshake; this
 * class is the rest of the connection's life.
 *
 *   CONNECTING --handshake--> OPEN --Close sent or received--> CLOSING --TCP closed--> CLOSED
 *
 * Bytes in: `receiveData(chunk)` parses every complete frame, checks the rules of RFC 6455 §5.4
 * (fragmentation), §8.1 (UTF-8) and §5.5 (control frames), assembles messages and tells the
 * handler. Bytes out: `sendText`, `sendBinary`, `sendPing`, `sendPong`, `sendClose` and `fail`
 * queue frames that the I/O layer collects with `dataToSend()`. When the connection is over,
 * `closeTransport` says the I/O layer should close TCP once that data is written (§7.1.1).
 *
 * The I/O layer only moves bytes and runs timers; every protocol decision is made here.
 */
import { CloseCode, decodeClosePayload, encodeClosePayload } from './close.js';
import type { MessageCodec } from './extensions/message-codec.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { Opcode, RSV1_BIT, isControlOpcode, type FrameHeader } from './frame.js';
import { FrameWriter } from './frame-writer.js';
import { InboundMessage } from './inbound-message.js';
import { MessageDelivery } from './message-delivery.js';
import { FrameParser, type FrameSink } from './parser.js';
import type { PendingFrame } from './pending-frame.js';
import { receiveMessage } from './receive-message.js';
import { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, ReadyState, type ProtocolHandler, type ProtocolOptions } from './protocol-handler.js';
import type { CompressionSetup, FailableConnection, ReceiveOptions, Role } from './protocol-handler.js';

export { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, ReadyState };
export type { CompressionSetup, ProtocolHandler, ProtocolOptions, ReceiveOptions, Role };

const EMPTY = Buffer.alloc(0);

export class Protocol implements FrameSink, FailableConnection {
  readonly role: Role;
  /** Did we send our Close frame / did we receive the peer's? (§7.1.2–§7.1.4) */
  closeSent = false;
  closeReceived = false;
  /** The code and reason of the Close frame received (1005 if it carried no code). */
  receivedCloseCode: number = CloseCode.NoStatusReceived;
  receivedCloseReason: Buffer = EMPTY;
  /** The code we sent in our Close frame, if any. */
  sentCloseCode: number | undefined;
  /** Set when we failed the connection (§7.1.7): its close code is what we report. */
  failure: ProtocolError | null = null;
  /**
   * Deliver each binary message that starts from now on to `handler.onFragments`, as its frames'
   * payloads, without joining them (`ws`'s binaryType "fragments").
   */
  deliverFragments = false;
  /** Pongs and data frames received: the keepalive's sign of life (a byte or a Ping is not one). */
  activity = 0;
  /** Data messages whose first frame has arrived (tells one message in progress from the next). */
  messagesStarted = 0;

  protected readonly handler: ProtocolHandler;
  protected readonly writer: FrameWriter;
  protected readonly maxPayload: number;
  private currentState: ReadyState;
  private readonly autoPong: boolean;
  private readonly parser: FrameParser;
  private readonly inbound = new InboundMessage();
  private readonly delivery: MessageDelivery;
  /** RFC 7692: set once permessage-deflate is negotiated. */
  private codec: MessageCodec | null = null;
  /** §7.1.1: the I/O layer should close TCP once what is queued is written. */
  private closeTransportFlag = false;

  // The control frame being received (at most 125 bytes, §5.5).
  private controlPieces: Buffer[] | null = null;
  private frameIsControl = false;

  constructor(handler: ProtocolHandler, options: ProtocolOptions) {
    this.handler = handler;
    this.role = options.role;
    this.currentState = options.state ?? ReadyState.Open;
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.autoPong = options.autoPong ?? true;
    this.inbound.limits(this.maxPayload, options.maxFragments ?? DEFAULT_MAX_FRAGMENTS, options.skipUtf8Validation !== true);
    const maskKeySource = options.maskKeySource ?? null;
    if (this.role === 'client' && maskKeySource === null) throw new TypeError('A client connection needs a maskKeySource (RFC 6455 §5.3)');
    this.writer = new FrameWriter(maskKeySource, handler, this);
    this.parser = new FrameParser(this, { role: this.role, maxFramePayload: this.maxPayload, maxBufferedChunks: options.maxBufferedChunks });
    this.delivery = new MessageDelivery(handler, this.parser, this);
  }

  /** Where the connection is in its life (§4.1, §7.1). */
  get state(): ReadyState {
    return this.currentState;
  }

  /**
   * RFC 7692: from now on, messages may be compressed (RSV1). Called by the handshake once
   * permessage-deflate is agreed; `threshold` as `ws`'s option of that name.
   */
  enableCompression(setup: CompressionSetup): void {
    this.codec = setup.codec;
    this.parser.allowRsvBits(RSV1_BIT);
    this.writer.compression = setup;
  }

  // --- bytes in ------------------------------------------------------------------------------

  /** Feed bytes received from the peer. Never throws because of what the peer sent. */
  receiveData(chunk: Buffer): void {
    const state = this.currentState;
    if (state === ReadyState.Connecting) this.receiveHandshakeData(chunk);
    else if (state !== ReadyState.Closed && !this.closeReceived) this.receiveFrames(chunk);
  }

  /** The opening handshake's bytes: the subclasses read the request or the response. */
  protected receiveHandshakeData(_chunk: Buffer): void {}

  /** Frames, once the connection is open. */
  protected receiveFrames(chunk: Buffer): void {
    this.parser.push(chunk);
    this.delivery.failOnParserError();
  }

  /** TCP is over (the peer closed its side, or the connection was lost or terminated): nothing
   *  is read after this; the connection is CLOSED and `closeCode` says how it ended (§7.1.5). */
  receiveEof(): void {
    if (this.currentState === ReadyState.Closed) return;
    this.parser.stop();
    this.inbound.discard();
    this.currentState = ReadyState.Closed;
    this.closeTransportFlag = true;
    this.codec?.dispose();
  }

  /** Was permessage-deflate agreed (RFC 7692), so that messages may be compressed? */
  get compressionEnabled(): boolean {
    return this.codec !== null;
  }

  /** Memory held by the message being received, until it completes (§10.4 resource limits). */
  get receivingMemory(): number {
    return this.inbound.retainedBytes;
  }

  /** Bytes held for frames and a message not yet delivered, in O(1) (for a shared budget). */
  get heldBytes(): number {
    return this.parser.heldBytes + this.inbound.bufferedBytes;
  }

  /** Has a data message started (its first frame header read) and not yet completed? */
  get isReceivingMessage(): boolean {
    return this.inbound.isOpen;
  }

  /** Is the protocol waiting for something before it reads on (an inflation, held events)? Then do not read. */
  get isReadPaused(): boolean {
    return this.parser.isPaused;
  }

  /**
   * Deliver no further message, ping or pong until `releaseEvents()`; what arrives meanwhile
   * waits unparsed. Called from an event, it makes that event the last of this read: an I/O
   * layer emits one event per turn of its event loop this way (`ws`'s allowSynchronousEvents).
   */
  holdEvents(): void {
    this.delivery.hold();
  }

  /** Read on after `holdEvents()`: the frames waiting are parsed (and delivered) now. */
  releaseEvents(): void {
    this.delivery.release();
  }

  get eventsHeld(): boolean {
    return this.delivery.isHeld;
  }

  onFrameHeader(header: FrameHeader): boolean {
    const opcode = header.opcode;
    if (isControlOpcode(opcode)) {
      // RFC 7692 §6.1: RSV1 is for the first frame of a data message only.
      if (header.rsv1) return this.failWith('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 set on a control frame');
      // §5.4: control frames may be injected in the middle of a fragmented message.
      this.frameIsControl = true;
      if (this.controlPieces !== null) this.controlPieces.length = 0;
      return true;
    }
    this.frameIsControl = false;
    const keepFrames = this.deliverFragments && this.handler.onFragments !== undefined;
    const refusal = this.inbound.acceptFrame(header, this.parser.bufferedBytes, keepFrames);
    if (refusal !== null) return this.failWith(refusal.code, refusal.message, refusal.closeCode);
    if (opcode !== Opcode.Continuation) this.messagesStarted++;
    return true;
  }

  onFramePayload(piece: Buffer, inFrameBuffer: boolean): boolean {
    if (this.frameIsControl) {
      (this.controlPieces ??= []).push(piece);
      return true;
    }
    if (!this.inbound.add(piece, inFrameBuffer)) {
      return this.failWith('WS_ERR_INVALID_UTF8', 'Invalid UTF-8 in a text message', CloseCode.InvalidPayload);
    }
    return true;
  }

  onFrameEnd(): boolean {
    if (this.frameIsControl) return this.handleControlFrame();
    this.inbound.endFrame();
    this.activity++;
    if (!this.parser.header.fin) return true;
    // The message is complete.
    return receiveMessage(this.inbound, this.codec, this.maxPayload, this.delivery);
  }

  private handleControlFrame(): boolean {
    const pieces = this.controlPieces;
    // Copied (at most 125 bytes, §5.5) so the payload does not keep the read buffer alive.
    const payload = pieces === null || pieces.length === 0 ? EMPTY : Buffer.concat(pieces);
    if (pieces !== null) pieces.length = 0;
    switch (this.parser.header.opcode) {
      case Opcode.Ping:
        // §5.5.2: answer with a Pong carrying the same data, unless we already sent Close.
        if (this.autoPong && !this.closeSent) this.writer.sendControl(Opcode.Pong, payload);
        this.handler.onPing(payload);
        return !this.parser.stopped;
      case Opcode.Pong:
        // §5.5.3: an unsolicited Pong is allowed and needs no answer.
        this.activity++;
        this.handler.onPong(payload);
        return !this.parser.stopped;
      default:
        return this.handleCloseFrame(payload);
    }
  }

  /** §5.5.1 and §7.1.5: the peer's Close frame. Echo its code, then read nothing more. */
  private handleCloseFrame(payload: Buffer): boolean {
    let code: number;
    let reason: Buffer;
    try {
      ({ code, reason } = decodeClosePayload(payload, this.inbound.validateUtf8));
    } catch (error) {
      this.fail(error as ProtocolError);
      return false;
    }
    this.closeReceived = true;
    this.receivedCloseCode = code;
    this.receivedCloseReason = reason;
    if (!this.closeSent) {
      // §5.5.1: "it SHOULD send a Close frame in response ... typically echoing the status code";
      // the reason is echoed too, as `ws` does (a peer reads it back in its 'close' event).
      if (code === CloseCode.NoStatusReceived) this.queueClose(undefined, undefined);
      else this.queueClose(code, reason);
    }
    // §7.1.1: both Close frames are exchanged: TCP may be closed once ours is written.
    this.closeTransportFlag = true;
    this.currentState = ReadyState.Closing;
    this.parser.stop();
    this.inbound.discard();
    this.handler.onCloseFrame(code, reason);
    return false;
  }

  // --- bytes out -----------------------------------------------------------------------------

  /** May data still be sent? §5.5.1: no data frames after our Close frame. */
  get canSend(): boolean {
    return this.currentState === ReadyState.Open && !this.closeSent;
  }

  /** Queue a text message (or a fragment of one when `fin` is false). `compress: false` opts out (RFC 7692). */
  sendText(data: string | Uint8Array, fin = true, compress = true): void {
    this.writer.sendData(Opcode.Text, data, fin, compress);
  }

  /** Queue a binary message (or a fragment of one when `fin` is false). */
  sendBinary(data: Uint8Array, fin = true, compress = true): void {
    this.writer.sendData(Opcode.Binary, data, fin, compress);
  }

  /** Queue a pre-encoded frame (from `encodeFrame`), e.g. one broadcast to many connections. */
  sendEncoded(frame: Buffer | PendingFrame): void {
    this.writer.sendEncoded(frame);
  }

  /** Queue a Ping (§5.5.2). Over 125 bytes is a RangeError (a caller's mistake, §5.5). */
  sendPing(data: Uint8Array | string = EMPTY): void {
    this.writer.sendControl(Opcode.Ping, data, true);
  }

  sendPong(data: Uint8Array | string = EMPTY): void {
    this.writer.sendControl(Opcode.Pong, data, true);
  }

  /**
   * Hold the place of a message, Ping or Pong whose `size` bytes are not read yet (a Blob); what
   * is sent after it waits behind it. Give the bytes to the returned function (null drops it).
   */
  sendLater(opcode: Opcode.Text | Opcode.Binary | Opcode.Ping | Opcode.Pong, size: number, fin = true): (data: Uint8Array | null) => void {
    return this.writer.sendLater(opcode, size, fin);
  }

  /**
   * Start (or answer) the closing handshake, §7.1.2. Throws TypeError/RangeError on an invalid
   * code or an over-long reason (a caller's mistake). Does nothing if Close was already sent.
   */
  sendClose(code?: number, reason?: string | Uint8Array): void {
    if (this.closeSent || this.currentState !== ReadyState.Open && !this.closeReceived) return;
    this.queueClose(code, reason);
    if (this.closeReceived) this.closeTransportFlag = true;
    if (this.currentState === ReadyState.Open) this.currentState = ReadyState.Closing;
  }

  /**
   * §7.1.7 Fail the WebSocket Connection: send a Close frame with the error's code (unless one
   * was sent already) and stop reading. TCP is closed once the Close frame is written.
   */
  fail(error: ProtocolError): void {
    this.parser.stop();
    this.inbound.discard();
    if (!this.closeSent) this.queueClose(error.closeCode, undefined);
    this.failure ??= error;
    this.closeTransportFlag = true;
    if (this.currentState === ReadyState.Open) this.currentState = ReadyState.Closing;
    this.handler.onProtocolError(error);
  }

  /** Bytes queued and not yet collected by `dataToSend()`. */
  get outputBytes(): number {
    return this.writer.bytes;
  }

  /** Is a queued frame waiting for its compression to finish (so not all of it can be sent yet)? */
  get isOutputWaiting(): boolean {
    return this.writer.isWaiting;
  }

  /** Take everything ready for the wire, in order. */
  dataToSend(): Buffer[] {
    return this.writer.take();
  }

  /** §7.1.1: once what `dataToSend()` returns is written, the I/O layer should close TCP. */
  get closeTransport(): boolean {
    return this.closeTransportFlag && !this.writer.isWaiting;
  }

  /** Ask the I/O layer to close TCP after writing what is queued (a refused handshake). */
  protected requestTransportClose(): void {
    this.closeTransportFlag = true;
  }

  /** Enter a new state (the handshake subclasses move from Connecting). */
  protected setState(state: ReadyState): void {
    this.currentState = state;
  }

  /** The close code once CLOSED (§7.1.5): the peer's, else the one we failed with (as `ws`), else 1006. */
  get closeCode(): number {
    if (this.closeReceived) return this.receivedCloseCode;
    if (this.failure !== null) return this.failure.closeCode;
    return CloseCode.AbnormalClosure;
  }

  /** The reason of the peer's Close frame ('' unless one arrived). */
  get closeReason(): Buffer {
    return this.closeReceived ? this.receivedCloseReason : EMPTY;
  }

  private queueClose(code: number | undefined, reason: string | Uint8Array | undefined): void {
    this.writer.sendControl(Opcode.Close, encodeClosePayload(code, reason));
    this.closeSent = true;
    this.sentCloseCode = code ?? CloseCode.NoStatusReceived;
  }

  protected failWith(code: ProtocolErrorCode, message: string, closeCode: number = CloseCode.ProtocolError): false {
    this.fail(new ProtocolError(closeCode, code, message));
    return false;
  }
}
