/**
 * The options and events of `WebSocketServer` (server.ts): `ws`'s (doc/ws.md), plus wsmith's
 * handshake timeout, trace, and the 'rejection' and 'hookError' events.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { AdmissionOptions, ServerLimit } from './admission.js';
import type { ClientOptions } from './client.js';
import type { GuardOptions } from './connection-guard.js';
import type { FrontDoorOptions } from './front-door.js';
import type { PerMessageDeflateOption } from './deflate/setup.js';
import type { AnyHttp2Server } from './http2-server.js';
import type { WsReceiveOptions } from './receive-options.js';
import type { TraceOption } from './trace.js';
import type { HandleProtocols, VerifyClient } from './upgrade-decision.js';
import type { WebSocket } from './websocket.js';

/** The safety limits (each file says why and what its default is): see also README "Limits and defaults". */
export interface WebSocketServerOptions<T extends WebSocket = WebSocket>
  extends WsReceiveOptions,
    GuardOptions,
    AdmissionOptions,
    FrontDoorOptions {
  /**
   * The web pages that may connect (Cross-Site WebSocket Hijacking: origin-policy.ts): exact
   * origins, host patterns (`https://*.example.com`) and `'self'`; others get 403. Requests
   * without an Origin header (not from a browser) are allowed. Default: any origin.
   */
  allowedOrigins?: readonly string[];
  /**
   * Attach to this HTTP(S) server's 'upgrade' event; or to a node:http2 server (secure, with
   * `allowHTTP1` for HTTP/1.1 clients too, or h2c), whose extended CONNECT streams become
   * WebSockets (RFC 8441).
   */
  server?: HttpServer | HttpsServer | AnyHttp2Server;
  /**
   * With an HTTP/2 `server` (RFC 8441): the most WebSocket streams one HTTP/2 connection may
   * have open at once; more are refused with 429. Default 100.
   */
  maxStreamsPerConnection?: number;
  /**
   * permessage-deflate (RFC 7692), with ws's option names. Off by default, as in ws. Unlike ws,
   * the server answers server_no_context_takeover and client_no_context_takeover unless told
   * otherwise (set them to false to allow context takeover), so no connection keeps a zlib
   * context between messages.
   */
  perMessageDeflate?: PerMessageDeflateOption;
  /** Or listen on this port with a server of our own (0 for any free port). */
  port?: number;
  host?: string;
  /** The length of the queue of pending connections on our own port (`net` default 511). */
  backlog?: number;
  /** Only accept upgrades for this path (e.g. '/ws'); others get 400 when no one else handles them. */
  path?: string;
  /** Neither a server nor a port: the user calls `handleUpgrade` from their own 'upgrade' handler. */
  noServer?: boolean;
  /** Choose a subprotocol among those offered, or `false` for none. Default: the first offered. */
  handleProtocols?: HandleProtocols;
  /** Accept or refuse a client before the handshake completes (`ws`'s signature, sync or with a callback). */
  verifyClient?: VerifyClient;
  /** How long a connection may wait for the peer's Close (ms). Default 30 s. */
  closeTimeout?: number;
  /** How long a handshake may take, from the connection's start to the 101 (ms). Default 10 s. */
  handshakeTimeout?: number;
  /** Keep the open connections in `clients` (undefined when false). Default true. */
  clientTracking?: boolean;
  /** The class of the server's sockets: `WebSocket` or a class that extends it. */
  WebSocket?: new (address: null, protocols?: undefined, options?: ClientOptions) => T;
  /**
   * Log every frame in and out, one line each (src/node/trace.ts): `true` for standard error, or
   * a function or stream of your own. Unset: on when the environment has `WSMITH_TRACE=1`.
   */
  trace?: TraceOption;
}

export interface WebSocketServerEventMap<T extends WebSocket = WebSocket> {
  connection: [socket: T, request: IncomingMessage];
  listening: [];
  error: [error: Error];
  close: [];
  /** The 101 response's lines, before they are written: listeners may change them. */
  headers: [headers: string[], request: IncomingMessage];
  /** An invalid handshake request, when listened to: the listener answers on `socket` and closes it. */
  wsClientError: [error: Error, socket: Duplex, request: IncomingMessage];
  /** A handshake was refused: the status and the reason sent. */
  rejection: [status: number, reason: string, request: IncomingMessage];
  /** A hook (or 'headers' listener, or `WebSocket` class) threw or rejected; the client got a bare 500. */
  hookError: [error: Error, hook: HookName, request: IncomingMessage];
  /** A connection was refused for a limit (503; 429 for `maxConnectionsPerIp`). */
  limit: [limit: ServerLimit, remoteAddress: string | undefined];
}

/** What a 'hookError' is about. */
export type HookName = 'handleProtocols' | 'verifyClient' | 'headers' | 'WebSocket';
