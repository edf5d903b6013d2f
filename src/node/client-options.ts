/**
 * The client's options: `ws`'s, with the same names, defaults and meaning, so that the options
 * object of a `ws` program works unchanged.
 *
 * Like `ws`, the client takes "any other option allowed in http.request() or https.request()":
 * the connection options (`localAddress`, `family`, `lookup`, `signal`, the TLS options...) go to
 * net.connect / tls.connect (or to the `agent` or `createConnection` given). The URL decides the
 * host, port and path: those options have no effect.
 */
import type { ClientRequest } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { ClientHeaders } from '../protocol/client-handshake.js';
import type { GuardOptions } from './connection-guard.js';
import type { PerMessageDeflateOption } from './deflate/setup.js';
import type { WsReceiveOptions } from './receive-options.js';
import type { TraceOption } from './trace.js';

/** Options of node:http's request that the URL decides, or that the handshake owns. */
type DecidedByUrl = 'host' | 'hostname' | 'port' | 'path' | 'socketPath' | 'protocol' | 'method' | 'headers' | 'timeout';

/**
 * Also `ws`'s receiving options (maxPayload, autoPong, skipUTF8Validation, allowSynchronousEvents:
 * receive-options.ts) and wsmith's keepalive and messageTimeout (connection-guard.ts), on by default.
 */
export interface ClientOptions<Socket = unknown> extends Omit<RequestOptions, DecidedByUrl>, WsReceiveOptions, GuardOptions {
  /**
   * permessage-deflate (RFC 7692), with `ws`'s option names: offered by default, as `ws` and
   * browsers do; `false` offers nothing.
   */
  perMessageDeflate?: PerMessageDeflateOption;
  /**
   * Open the WebSocket as a stream of an HTTP/2 connection to the origin (RFC 8441), shared by
   * every such WebSocket to it; over HTTP/1.1 when the server does not take extended CONNECT.
   */
  http2?: boolean;
  /** How long to wait for the peer's Close after close() before cutting TCP. Default 30 s. */
  closeTimeout?: number;
  /**
   * Fail the handshake ('Opening handshake has timed out') if the server has not answered within
   * this many milliseconds. Each redirect starts a new period, as in `ws`.
   */
  handshakeTimeout?: number;
  /** The Origin header (§4.1 item 8; Sec-WebSocket-Origin with protocolVersion 8); not sent unless given. */
  origin?: string;
  /**
   * Extra request headers (Authorization, Cookie...). `Host` may be replaced; where one names a
   * header of the handshake itself (Upgrade, Sec-WebSocket-Key...), the handshake's value wins.
   */
  headers?: ClientHeaders;
  /** Follow 3xx redirects that carry a Location. Default false. */
  followRedirects?: boolean;
  /** How many redirects to follow before failing ('Maximum redirects exceeded'). Default 10. */
  maxRedirects?: number;
  /** Cap on the size of the response's status line and headers. Default 16 KiB (also read from `maxHeaderSize`). */
  maxResponseHeaderSize?: number;
  /** The Sec-WebSocket-Version header: 13 (RFC 6455) or 8. Default 13. */
  protocolVersion?: number;
  /**
   * Called with each handshake request (the first and every redirect) before it is sent, to set
   * headers at the last moment; it must call `request.end()`. The handshake then goes through
   * node:http, as in `ws`.
   */
  finishRequest?(request: ClientRequest, websocket: Socket): void;
  /** Fills the 4-byte masking key of each frame (§5.3). Default: crypto-random bytes. Must fill synchronously. */
  generateMask?(mask: Buffer): void;
  /** Log every frame in and out (src/node/trace.ts). Unset: on when `WSMITH_TRACE=1`. */
  trace?: TraceOption;
}

export const DEFAULT_MAX_REDIRECTS = 10;
