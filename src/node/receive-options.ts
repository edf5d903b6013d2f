/**
 * The receiving options `ws` gives both `WebSocket` and `WebSocketServer`, with `ws`'s defaults
 * and coercions (doc/ws.md): numbers are coerced to 32-bit signed integers, and 0 (or less)
 * means no limit.
 */
import { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, type ReceiveOptions } from '../protocol/protocol.js';

export { DEFAULT_MAX_FRAGMENTS };

export interface WsReceiveOptions {
  /**
   * May several 'message', 'ping' and 'pong' events be emitted in one turn of the event loop?
   * Default true; false emits each in a turn of its own, as browsers do (slower).
   */
  allowSynchronousEvents?: boolean;
  /** Answer pings automatically (RFC 6455 §5.5.2). Default true. */
  autoPong?: boolean;
  /** Do not check that text and close reasons are UTF-8 (§8.1): only for a trusted peer. Default false. */
  skipUTF8Validation?: boolean;
  /** Largest message accepted (1009 beyond it). Default 100 MiB; 0 for no limit. */
  maxPayload?: number;
  /**
   * Most frames one message may come in (1008 beyond it). Default 131,072: `ws` 8.23's 16,384
   * refuses Autobahn 9.3.1's 65,536-fragment message; 0 for no limit.
   */
  maxFragments?: number;
  /** Most received chunks waiting to be parsed (1008 beyond it). Default 262144 (as `ws` 8.23); 0 for no limit. */
  maxBufferedChunks?: number;
}

export const DEFAULT_MAX_BUFFERED_CHUNKS = 256 * 1024;

/** `ws`'s reading of a limit: a 32-bit signed integer, and no limit unless it is positive. */
function limit(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const coerced = value | 0;
  return coerced > 0 ? coerced : 0;
}

/** What the protocol object is given for these options. */
export function receiveOptions(options: WsReceiveOptions): ReceiveOptions {
  const maxPayload = limit(options.maxPayload, DEFAULT_MAX_PAYLOAD);
  return {
    maxPayload: maxPayload === 0 ? Number.MAX_SAFE_INTEGER : maxPayload,
    autoPong: options.autoPong !== false,
    skipUtf8Validation: options.skipUTF8Validation === true,
    maxFragments: limit(options.maxFragments, DEFAULT_MAX_FRAGMENTS),
    maxBufferedChunks: limit(options.maxBufferedChunks, DEFAULT_MAX_BUFFERED_CHUNKS),
  };
}
