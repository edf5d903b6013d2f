/**
 * What a connection's protocol object and its I/O layer say to each other (RFC 6455 §4.1 and
 * §7.1 states; the events of §5.4 messages, §5.5 control frames and §7.1.7 failures).
 */
import type { ProtocolError } from './errors.js';
import type { MessageCodec } from './extensions/message-codec.js';
import type { MaskKeySource } from './outbox.js';

/** RFC 6455 §4.1 and §7.1: the states every endpoint goes through (`ws` and browsers use the numbers). */
export enum ReadyState {
  Connecting = 0,
  Open = 1,
  Closing = 2,
  Closed = 3,
}

export type Role = 'server' | 'client';

/** Twice the 65,536 fragments of Autobahn's case 9.3.1 (a 4 MiB message in 64-byte pieces). */
export const DEFAULT_MAX_FRAGMENTS = 128 * 1024;
/** The largest message accepted by default: 100 MiB, as `ws`. */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

/** What the protocol tells the I/O layer. Callbacks run synchronously inside the call that caused them. */
/** What the parts of a connection (its writer, its message delivery) may ask of it: to fail it (§7.1.7). */
export interface FailableConnection {
  /** The error the connection failed with, or null. */
  readonly failure: ProtocolError | null;
  fail(error: ProtocolError): void;
}

export interface ProtocolHandler {
  /** A complete, validated message. */
  onMessage(data: Buffer, isBinary: boolean): void;
  /**
   * A complete binary message as the payloads of its non-empty frames, not joined (§5.4), when
   * `Protocol.deliverFragments` was set as it began. Without this method it goes to `onMessage`.
   */
  onFragments?(fragments: Buffer[]): void;
  /** A Ping arrived; the Pong is already queued when `autoPong` is on (§5.5.2). */
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  /** The peer's Close frame arrived; our answer (if we had not closed first) is queued. */
  onCloseFrame(code: number, reason: Buffer): void;
  /** We failed the connection (§7.1.7); a Close frame with `error.closeCode` is queued. */
  onProtocolError(error: ProtocolError): void;
  /**
   * Work finished outside any call into the protocol (a message inflated or compressed by the
   * I/O layer's engine): collect `dataToSend()`, and read again if reading waited for it.
   */
  onReady(): void;
}

/** What a connection accepts from its peer, and how it answers (the options `ws` gives its receiver). */
export interface ReceiveOptions {
  /** Largest message accepted, checked from frame headers before buffering (1009). Default 100 MiB. */
  maxPayload?: number;
  /**
   * Most data frames one message may have (§10.4: each costs work even when empty); more fail
   * the connection with 1008. Default 131,072 (`ws`: 16,384; Autobahn 9.3.1 sends 65,536).
   */
  maxFragments?: number;
  /** Answer pings automatically (§5.5.2 says we MUST). Default true. */
  autoPong?: boolean;
  /**
   * Deliver text messages and close reasons without checking their UTF-8. §8.1 requires the
   * check: set this only for a trusted peer (`ws`'s `skipUTF8Validation`). Default false.
   */
  skipUtf8Validation?: boolean;
  /** Most received chunks waiting to be parsed (§10.4; 1008 beyond it). 0: no limit. Default 0. */
  maxBufferedChunks?: number;
}

export interface ProtocolOptions extends ReceiveOptions {
  role: Role;
  /** Where the connection starts; the handshake subclasses start in Connecting. Default Open. */
  state?: ReadyState;
  /** Where client masking keys come from (required for the client role, §5.3). */
  maskKeySource?: MaskKeySource;
}

/** RFC 7692 once negotiated: the engine and the size below which messages go uncompressed. */
export interface CompressionSetup {
  codec: MessageCodec;
  threshold: number;
}

