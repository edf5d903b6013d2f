/**
 * Where a connection's complete messages go (RFC 6455 §5.6, §6.2), and when its parser may read
 * on. Two things stop the reading of further frames, each on its own:
 * - a message being inflated (RFC 7692 §7.2.2) that finishes later: the next frames must wait so
 *   that messages are delivered in the order they arrived;
 * - the application holding events (`holdEvents`): the I/O layer that wants one message, ping or
 *   pong per turn of its event loop (`ws`'s `allowSynchronousEvents: false`, as browsers deliver
 *   WebSocket events) holds them after each one and releases them once it was emitted.
 * The bytes received meanwhile wait in the parser, unread.
 */
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import type { FrameParser } from './parser.js';
import type { FailableConnection, ProtocolHandler } from './protocol-handler.js';
import type { MessageReceiver } from './receive-message.js';

export class MessageDelivery implements MessageReceiver {
  // References, not closures: a connection's parts cost no function objects (idle memory).
  private readonly handler: ProtocolHandler;
  private readonly parser: FrameParser;
  private readonly connection: FailableConnection;
  private inflating = false;
  private held = false;

  constructor(handler: ProtocolHandler, parser: FrameParser, connection: FailableConnection) {
    this.handler = handler;
    this.parser = parser;
    this.connection = connection;
  }

  get isHeld(): boolean {
    return this.held;
  }

  deliver(data: Buffer, isBinary: boolean): boolean {
    this.handler.onMessage(data, isBinary);
    // The handler may have ended the connection, which stops the parser.
    return !this.parser.stopped;
  }

  deliverFragments(fragments: Buffer[]): boolean {
    // Protocol keeps a message as its frames only when the handler has onFragments.
    this.handler.onFragments!(fragments);
    return !this.parser.stopped;
  }

  fail(code: ProtocolErrorCode, message: string, closeCode: number): false {
    this.connection.fail(new ProtocolError(closeCode, code, message));
    return false;
  }

  wait(): void {
    this.inflating = true;
    this.parser.pause();
  }

  resume(): void {
    this.inflating = false;
    this.readOn();
    this.handler.onReady();
  }

  /** Deliver nothing more until `release()`. */
  hold(): void {
    this.held = true;
    this.parser.pause();
  }

  /** Read on (now, synchronously) unless an inflation still runs. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.readOn();
  }

  private readOn(): void {
    if (this.inflating || this.held) return;
    this.parser.resume();
    this.failOnParserError();
  }

  /** The parser stopped on an error (while it read on): fail the connection with it. */
  failOnParserError(): void {
    const error = this.parser.error;
    if (error !== null) {
      this.parser.error = null;
      this.connection.fail(error);
    }
  }
}
