/**
 * The connection state machine, without I/O (the "sans-I/O" design of python-websockets).
 *
 * Bytes in: `receive(chunk)` parses every complete frame, checks the rules of RFC 6455 §5.4
 * (fragmentation), §8.1 (UTF-8) and §5.5 (control frames), assembles messages and calls the
 * handler. Bytes out: `sendText`, `sendBinary`, `sendPing`, `sendPong`, `sendClose` and `fail`
 * append frames to the outbox, which the I/O layer drains with `takeOutput()`.
 *
 * The I/O layer only moves bytes and runs timers; every protocol decision is made here.
 */
import { isUtf8 } from 'node:buffer';
import {
  CloseCode,
  decodeClosePayload,
  encodeClosePayload,
} from './close.js';
import { ProtocolError } from './errors.js';
import { MAX_CONTROL_PAYLOAD, Opcode, isControlOpcode, type FrameHeader } from './frame.js';
import { MessageAssembler } from './assembler.js';
import { Outbox, type MaskKeySource } from './outbox.js';
import { FrameParser, type FrameSink } from './parser.js';
import { Utf8StreamValidator } from './utf8.js';

/** RFC 6455 §4.1 and §7.1: the states every endpoint goes through (`ws` and browsers use the numbers). */
export enum ReadyState {
  Connecting = 0,
  Open = 1,
  Closing = 2,
  Closed = 3,
}

export type Role = 'server' | 'client';

/** What the connection tells the I/O layer. Callbacks run synchronously inside `receive`. */
export interface ConnectionHandler {
  /** A complete, validated message. */
  onMessage(data: Buffer, isBinary: boolean): void;
  /** A Ping arrived; the Pong is already in the outbox when `autoPong` is on (§5.5.2). */
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  /** The peer's Close frame arrived; our answer (if we had not closed first) is in the outbox. */
  onCloseFrame(code: number, reason: Buffer): void;
  /** We failed the connection (§7.1.7); a Close frame with `error.closeCode` is in the outbox. */
  onProtocolError(error: ProtocolError): void;
}

export interface ConnectionOptions {
  role: Role;
  /** Largest message accepted, checked from frame headers before buffering (1009). Default 64 MiB. */
  maxPayload?: number;
  /** Answer pings automatically (§5.5.2 says we MUST). Default true. */
  autoPong?: boolean;
  /** Where client masking keys come from (required for the client role, §5.3). */
  maskKeySource?: MaskKeySource;
}

export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

export class Connection implements FrameSink {
  readonly role: Role;
  readyState: ReadyState = ReadyState.Open;
  /** Did we send our Close frame / did we receive the peer's? (§7.1.2–§7.1.4) */
  closeSent = false;
  closeReceived = false;
  /** The code and reason of the Close frame received (1005 if it carried no code). */
  receivedCloseCode: number = CloseCode.NoStatusReceived;
  receivedCloseReason: Buffer = EMPTY;
  /** The code we sent in our Close frame, if any. */
  sentCloseCode: number | undefined;

  private readonly handler: ConnectionHandler;
  private readonly parser: FrameParser;
  private readonly outbox = new Outbox();
  private readonly maxPayload: number;
  private readonly autoPong: boolean;
  private readonly maskKeySource: MaskKeySource | null;

  // The message being received (§5.4): its opcode (0 when none is open), its pieces, its size.
  private messageOpcode = 0;
  private messageLength = 0;
  /** The message's payload so far, in bounded memory. */
  private readonly message = new MessageAssembler();
  /** Created on the first text message that arrives in more than one piece. */
  private utf8: Utf8StreamValidator | null = null;
  private streamingUtf8 = false;

  // The control frame being received (at most 125 bytes, §5.5).
  private controlOpcode = 0;
  private controlPieces: Buffer[] | null = null;
  private frameIsControl = false;

  /** Is an outgoing fragmented message open (so the next data frame is a continuation)? */
  private sendingFragmented = false;
  /** Pre-encoded messages that arrived while our fragmented message was open (§5.4: no interleaving). */
  private heldEncoded: Buffer[] | null = null;

  constructor(handler: ConnectionHandler, options: ConnectionOptions) {
    this.handler = handler;
    this.role = options.role;
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.autoPong = options.autoPong ?? true;
    this.maskKeySource = options.maskKeySource ?? null;
    if (this.role === 'client' && this.maskKeySource === null) {
      throw new TypeError('A client connection needs a maskKeySource (RFC 6455 §5.3)');
    }
    this.parser = new FrameParser(this, { role: this.role, maxFramePayload: this.maxPayload });
  }

  // --- bytes in ------------------------------------------------------------------------------

  /** Feed bytes received from the peer. Never throws because of what the peer sent. */
  receive(chunk: Buffer): void {
    if (this.closeReceived || this.parser.stopped) return;
    this.parser.push(chunk);
    const error = this.parser.error;
    if (error !== null) {
      this.parser.error = null;
      this.fail(error);
    }
  }

  /** TCP is gone (the peer closed it, or we terminated): read nothing more. */
  receiveEof(): void {
    this.parser.stop();
    this.readyState = ReadyState.Closed;
  }

  onFrameHeader(header: FrameHeader): boolean {
    const opcode = header.opcode;
    if (isControlOpcode(opcode)) {
      // §5.4: control frames may be injected in the middle of a fragmented message.
      this.frameIsControl = true;
      this.controlOpcode = opcode;
      if (this.controlPieces !== null) this.controlPieces.length = 0;
      return true;
    }
    this.frameIsControl = false;
    // §5.4: a continuation needs an open message; a new text/binary frame must wait for its end.
    if (opcode === Opcode.Continuation) {
      if (this.messageOpcode === 0) {
        return this.failWith('WS_ERR_UNEXPECTED_CONTINUATION', 'Continuation frame with no message to continue');
      }
    } else {
      if (this.messageOpcode !== 0) {
        return this.failWith('WS_ERR_EXPECTED_CONTINUATION', 'New data frame while a fragmented message is open');
      }
      this.messageOpcode = opcode;
      this.messageLength = 0;
      // §8.1: a text message that comes in one piece is checked whole when it ends. One that is
      // fragmented, or whose single frame spans reads, is checked as it streams in, so invalid
      // bytes fail fast (Autobahn 6.4.x).
      this.streamingUtf8 =
        opcode === Opcode.Text && (!header.fin || this.parser.bufferedBytes < header.payloadLength);
      if (this.streamingUtf8) this.utf8Validator().reset();
    }
    // §10.4 and §7.4.1 (1009): a size limit on whole messages, checked before buffering.
    this.messageLength += header.payloadLength;
    if (this.messageLength > this.maxPayload) {
      return this.failWith(
        'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
        `Message of more than ${this.maxPayload} bytes`,
        CloseCode.MessageTooBig,
      );
    }
    return true;
  }

  onFramePayload(piece: Buffer, inFrameBuffer: boolean): boolean {
    if (this.frameIsControl) {
      (this.controlPieces ??= []).push(piece);
      return true;
    }
    if (this.streamingUtf8 && !this.utf8Validator().push(piece)) {
      return this.failWith('WS_ERR_INVALID_UTF8', 'Invalid UTF-8 in a text message', CloseCode.InvalidPayload);
    }
    this.message.add(piece, inFrameBuffer);
    return true;
  }

  onFrameEnd(): boolean {
    if (this.frameIsControl) return this.handleControlFrame();
    if (!this.parser.header.fin) return true;
    // The message is complete.
    const isBinary = this.messageOpcode === Opcode.Binary;
    const data = this.message.take();
    if (!isBinary) {
      const valid = this.streamingUtf8 ? this.utf8Validator().end() : isUtf8(data);
      if (!valid) {
        return this.failWith('WS_ERR_INVALID_UTF8', 'Invalid UTF-8 in a text message', CloseCode.InvalidPayload);
      }
    }
    this.messageOpcode = 0;
    this.streamingUtf8 = false;
    this.handler.onMessage(data, isBinary);
    // The handler may have terminated the connection, which stops the parser.
    return !this.parser.stopped;
  }

  private handleControlFrame(): boolean {
    const pieces = this.controlPieces;
    // Copied (at most 125 bytes, §5.5) so the payload does not keep the read buffer alive.
    const payload = pieces === null || pieces.length === 0 ? EMPTY : Buffer.concat(pieces);
    if (pieces !== null) pieces.length = 0;
    switch (this.controlOpcode) {
      case Opcode.Ping:
        // §5.5.2: answer with a Pong carrying the same data, unless we already sent Close.
        if (this.autoPong && !this.closeSent) this.appendFrame(true, Opcode.Pong, payload);
        this.handler.onPing(payload);
        return true;
      case Opcode.Pong:
        // §5.5.3: an unsolicited Pong is allowed and needs no answer.
        this.handler.onPong(payload);
        return true;
      default:
        return this.handleCloseFrame(payload);
    }
  }

  /** §5.5.1 and §7.1.5: the peer's Close frame. Echo its code, then read nothing more. */
  private handleCloseFrame(payload: Buffer): boolean {
    let code: number;
    let reason: Buffer;
    try {
      ({ code, reason } = decodeClosePayload(payload));
    } catch (error) {
      this.fail(error as ProtocolError);
      return false;
    }
    this.closeReceived = true;
    this.receivedCloseCode = code;
    this.receivedCloseReason = reason;
    if (!this.closeSent) {
      // §5.5.1: "it SHOULD send a Close frame in response ... typically echoing the status code".
      const echo = code === CloseCode.NoStatusReceived ? undefined : code;
      this.appendClose(echo, undefined);
    }
    this.readyState = ReadyState.Closing;
    this.parser.stop();
    this.handler.onCloseFrame(code, reason);
    return false;
  }

  private utf8Validator(): Utf8StreamValidator {
    return (this.utf8 ??= new Utf8StreamValidator());
  }

  // --- bytes out -----------------------------------------------------------------------------

  /** May data still be sent? §5.5.1: no data frames after our Close frame. */
  get canSend(): boolean {
    return this.readyState === ReadyState.Open && !this.closeSent;
  }

  /** Queue a text message (or a fragment of one when `fin` is false). */
  sendText(data: string | Uint8Array, fin = true): void {
    this.sendData(Opcode.Text, data, fin);
  }

  /** Queue a binary message (or a fragment of one when `fin` is false). */
  sendBinary(data: Uint8Array, fin = true): void {
    this.sendData(Opcode.Binary, data, fin);
  }

  /** Queue a pre-encoded frame (from `encodeFrame`), e.g. one broadcast to many connections. */
  sendEncoded(frame: Buffer): void {
    // §5.4: the fragments of one message must not be interleaved with another message's frames,
    // so a broadcast that lands mid-message waits for our final fragment.
    if (this.sendingFragmented) (this.heldEncoded ??= []).push(frame);
    else this.outbox.appendEncoded(frame);
  }

  sendPing(data: Uint8Array | string = EMPTY): void {
    this.appendControl(Opcode.Ping, data);
  }

  sendPong(data: Uint8Array | string = EMPTY): void {
    this.appendControl(Opcode.Pong, data);
  }

  /**
   * Start (or answer) the closing handshake, §7.1.2. Throws TypeError/RangeError on an invalid
   * code or an over-long reason (a caller's mistake). Does nothing if Close was already sent.
   */
  sendClose(code?: number, reason?: string | Buffer): void {
    if (this.closeSent) return;
    const body = encodeClosePayload(code, reason);
    this.appendFrame(true, Opcode.Close, body);
    this.closeSent = true;
    this.sentCloseCode = code ?? CloseCode.NoStatusReceived;
    if (this.readyState === ReadyState.Open) this.readyState = ReadyState.Closing;
  }

  /**
   * §7.1.7 Fail the WebSocket Connection: send a Close frame with the error's code (unless one
   * was sent already) and stop reading. The I/O layer then closes TCP.
   */
  fail(error: ProtocolError): void {
    this.parser.stop();
    if (!this.closeSent) {
      this.appendClose(error.closeCode, undefined);
    }
    this.readyState = ReadyState.Closing;
    this.handler.onProtocolError(error);
  }

  /** Bytes waiting in the outbox. */
  get outputBytes(): number {
    return this.outbox.bytes;
  }

  /** Take everything queued for the wire, in order. */
  takeOutput(): Buffer[] {
    return this.outbox.take();
  }

  private sendData(opcode: Opcode, data: string | Uint8Array, fin: boolean): void {
    // §5.4: the frames after the first of a fragmented message are continuations.
    const frameOpcode = this.sendingFragmented ? Opcode.Continuation : opcode;
    this.sendingFragmented = !fin;
    this.appendFrame(fin, frameOpcode, data);
    if (fin && this.heldEncoded !== null) {
      for (const frame of this.heldEncoded) this.outbox.appendEncoded(frame);
      this.heldEncoded = null;
    }
  }

  private appendControl(opcode: Opcode, data: Uint8Array | string): void {
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(`Control frame payload is ${length} bytes; at most 125 are allowed (RFC 6455 §5.5)`);
    }
    this.appendFrame(true, opcode, data);
  }

  private appendClose(code: number | undefined, reason: string | undefined): void {
    this.appendFrame(true, Opcode.Close, encodeClosePayload(code, reason));
    this.closeSent = true;
    this.sentCloseCode = code ?? CloseCode.NoStatusReceived;
  }

  private appendFrame(fin: boolean, opcode: number, payload: string | Uint8Array): void {
    // §5.3: a client masks every frame with a fresh key; a server never masks.
    const maskKey = this.maskKeySource === null ? null : this.maskKeySource();
    this.outbox.appendFrame(fin, opcode, payload, maskKey);
  }

  private failWith(
    code: ProtocolError['code'],
    message: string,
    closeCode: number = CloseCode.ProtocolError,
  ): false {
    this.fail(new ProtocolError(closeCode, code, message));
    return false;
  }
}
