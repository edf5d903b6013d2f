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
import type { ProtocolErrorCode } from './errors.js';
import type { FrameParser } from './parser.js';
import type { ProtocolHandler } from './protocol-handler.js';
import type { MessageReceiver } from './receive-message.js';

/** What the delivery needs from its connection. */
export interface DeliveryOwner {
  readonly handler: ProtocolHandler;
  readonly parser: FrameParser;
  failWith(code: ProtocolErrorCode, message: string, closeCode: number): false;
  /** The parser stopped on an error while it read on: fail the connection with it. */
  failOnParserError(): void;
}

export class MessageDelivery implements MessageReceiver {
  private readonly owner: DeliveryOwner;
  private inflating = false;
  private held = false;

  constructor(owner: DeliveryOwner) {
    this.owner = owner;
  }

  get isHeld(): boolean {
    return this.held;
  }

  deliver(data: Buffer, isBinary: boolean): boolean {
    this.owner.handler.onMessage(data, isBinary);
    // The handler may have ended the connection, which stops the parser.
    return !this.owner.parser.stopped;
  }

  deliverFragments(fragments: Buffer[]): boolean {
    const handler = this.owner.handler;
    if (handler.onFragments !== undefined) handler.onFragments(fragments);
    else handler.onMessage(Buffer.concat(fragments), true);
    return !this.owner.parser.stopped;
  }

  fail(code: ProtocolErrorCode, message: string, closeCode: number): false {
    return this.owner.failWith(code, message, closeCode);
  }

  wait(): void {
    this.inflating = true;
    this.owner.parser.pause();
  }

  resume(): void {
    this.inflating = false;
    this.readOn();
    this.owner.handler.onReady();
  }

  /** Deliver nothing more until `release()`. */
  hold(): void {
    this.held = true;
    this.owner.parser.pause();
  }

  /** Read on (now, synchronously) unless an inflation still runs. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.readOn();
  }

  private readOn(): void {
    if (this.inflating || this.held) return;
    const parser = this.owner.parser;
    parser.resume();
    if (parser.error !== null) this.owner.failOnParserError();
  }
}
