/**
 * The dialer: opens ws:// over node:net or wss:// over node:tls, and runs a `ClientProtocol`
 * (src/protocol/client-protocol.ts) over it through a socket transport until the handshake ends:
 * the connection is open, or it failed with an error that says what was wrong.
 *
 * What the request and the response must contain is decided by the protocol object; this module
 * runs the handshake timer and follows redirects. It knows nothing of the `WebSocket` façade:
 * it reports to a narrow `DialObserver`.
 */
import { randomFillSync } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  REDIRECT_STATUSES,
  buildClientRequest,
  generateKey,
  normalizeProtocols,
  parseWebSocketUrl,
  redirectTarget,
  type ResponseHead,
  type WebSocketTarget,
} from '../protocol/client-handshake.js';
import { ClientProtocol } from '../protocol/client-protocol.js';
import { openOverHttp2 } from './http2-client.js';
import { receiveOptions, type WsReceiveOptions } from './receive-options.js';
import { guardConnection, resolveGuardOptions, type GuardOptions, type GuardSettings } from './connection-guard.js';
import { SocketTransport, type HandshakeObserver } from './socket-transport.js';
import { resolveTraceSink, type TraceOption } from './trace.js';
import { deflateSetupFor, type PerMessageDeflateOption } from './deflate/setup.js';
import type { DeflateSetup } from '../protocol/extensions/permessage-deflate.js';

/** Keepalive and `messageTimeout` as on the server (connection-guard.ts), on by default. */
export interface ClientOptions extends WsReceiveOptions, GuardOptions {
  /**
   * permessage-deflate (RFC 7692), with ws's option names: offered by default, as ws and
   * browsers do; `false` offers nothing.
   */
  perMessageDeflate?: PerMessageDeflateOption;
  /** How long to wait for the peer's Close before cutting TCP. Default 30 s. */
  closeTimeout?: number;
  /** Fail the handshake if it has not completed within this many milliseconds (redirects included). */
  handshakeTimeout?: number;
  /** The Origin header (§4.1 item 8); not sent unless given. */
  origin?: string;
  /** Extra request headers (e.g. Authorization, Cookie). `Host` may be replaced here. */
  headers?: Record<string, string | number | readonly string[]>;
  /** Follow 301/302/307/308 redirects. Default false. */
  followRedirects?: boolean;
  /** How many redirects to follow before failing. Default 10. */
  maxRedirects?: number;
  /** Cap on the size of the response's status line and headers. Default 16 KiB. */
  maxResponseHeaderSize?: number;
  /** wss:// only: check the server's certificate. Default true. */
  rejectUnauthorized?: boolean;
  /** wss:// only: trusted certificate authorities (e.g. a self-signed certificate). */
  ca?: TlsConnectionOptions['ca'];
  /** wss:// only: our client certificate and its key. */
  cert?: TlsConnectionOptions['cert'];
  key?: TlsConnectionOptions['key'];
  /** wss:// only: the SNI server name. Default: the URL's host name (none for an IP address). */
  servername?: string;
  /** Log every frame in and out (src/node/trace.ts). Unset: on when `WSMITH_TRACE=1`. */
  trace?: TraceOption;
  /**
   * Open the WebSocket as a stream of an HTTP/2 connection to the origin (RFC 8441), shared by
   * every such WebSocket to it; over HTTP/1.1 when the server does not take extended CONNECT.
   */
  http2?: boolean;
}

export const DEFAULT_MAX_REDIRECTS = 10;

// --- masking keys (RFC 6455 §5.3, §10.3) ---------------------------------------------------
// Every frame gets a fresh, unpredictable key. One randomFillSync per 2,048 keys instead of one
// randomBytes call per frame; a key is read at once by the outbox, before the pool is refilled.
const MASK_KEY_BYTES = 4;
const MASK_POOL_SIZE = 8 * 1024;
const maskPool = Buffer.allocUnsafeSlow(MASK_POOL_SIZE);
let maskPoolOffset = MASK_POOL_SIZE;

/** The next masking key: 4 crypto-random bytes, valid until the next call. */
export function nextMaskKey(): Uint8Array {
  if (maskPoolOffset === MASK_POOL_SIZE) {
    randomFillSync(maskPool);
    maskPoolOffset = 0;
  }
  const key = maskPool.subarray(maskPoolOffset, maskPoolOffset + MASK_KEY_BYTES);
  maskPoolOffset += MASK_KEY_BYTES;
  return key;
}

/** Headers that must not follow a redirect to another host (as browsers and `ws` do). */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** What the dialer tells its WebSocket. */
export interface DialObserver {
  /** The handshake succeeded: the connection is open on `transport`. */
  onOpen(transport: SocketTransport, protocol: string, extensions: string): void;
  /** A redirect is followed: the handshake goes on over a new transport. */
  onRedirect(transport: SocketTransport): void;
  /** The server answered something other than 101 (before the handshake fails with it). */
  onUnexpectedResponse(statusCode: number, headers: Record<string, string | string[] | undefined>): void;
  /** The handshake failed or was abandoned: the connection is CLOSED. */
  onFail(error: Error): void;
}

/** A handshake in progress: its current transport, and a way to abandon it. */
export interface Dial {
  readonly transport: SocketTransport;
  abort(error: Error): void;
}

/**
 * Start dialing. Throws SyntaxError for an invalid URL or subprotocol and TypeError for an invalid
 * header, synchronously (as browsers and `ws` do); every later failure goes to `observer.onFail`.
 */
export function dial(
  address: string | URL,
  protocols: string | string[] | undefined,
  options: ClientOptions,
  observer: DialObserver,
): Dial {
  const target = parseWebSocketUrl(address);
  const offered = normalizeProtocols(protocols);
  const deflate = deflateSetupFor(options.perMessageDeflate, 'client');
  // Build one request now so that a bad header throws here rather than later.
  buildClientRequest({ target, key: generateKey(), protocols: offered, origin: options.origin, headers: options.headers });
  const guard = resolveGuardOptions(options);
  return new ClientHandshake(target, offered, options, guard, observer, deflate);
}

class ClientHandshake implements Dial, HandshakeObserver {
  transport!: SocketTransport;
  private readonly observer: DialObserver;
  private readonly protocols: string[];
  private readonly options: ClientOptions;
  private readonly guard: GuardSettings;
  private headers: ClientOptions['headers'];
  private target: WebSocketTarget;
  private redirects = 0;
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  private readonly deflate: DeflateSetup | null;
  /** The server took no extended CONNECT: dial over HTTP/1.1 from now on. */
  private fellBack = false;

  constructor(
    target: WebSocketTarget,
    protocols: string[],
    options: ClientOptions,
    guard: GuardSettings,
    observer: DialObserver,
    deflate: DeflateSetup | null,
  ) {
    this.deflate = deflate;
    this.observer = observer;
    this.guard = guard;
    this.protocols = protocols;
    this.options = options;
    this.headers = options.headers;
    this.target = target;
    const timeout = options.handshakeTimeout;
    if (timeout !== undefined && timeout > 0) {
      this.timer = setTimeout(() => this.abort(new Error('Opening handshake has timed out')), timeout);
    }
    this.open(target);
  }

  abort(error: Error): void {
    this.fail(error);
  }

  private open(target: WebSocketTarget): void {
    this.target = target;
    if (this.options.http2 === true && !this.fellBack) {
      this.openOverHttp2(target);
      return;
    }
    this.transport = this.newTransport(target, this.connect(target));
    (this.transport.protocol as ClientProtocol).connect();
    // Written once connected (net and tls buffer writes made before that).
    this.transport.flush();
  }

  /**
   * RFC 8441: a stream of the origin's HTTP/2 connection, once the server says it takes
   * extended CONNECT; HTTP/1.1 otherwise (the WebSocket then carries on over a new transport).
   */
  private openOverHttp2(target: WebSocketTarget): void {
    const transport = this.newTransport(target, null);
    this.transport = transport;
    openOverHttp2(transport, target, this.options, {
      fallBack: () => {
        if (this.done || this.transport !== transport) return;
        this.fellBack = true;
        transport.handshake = null;
        transport.terminate();
        this.open(target);
        this.observer.onRedirect(this.transport);
      },
      fail: (error) => this.fail(error),
    });
  }

  private newTransport(target: WebSocketTarget, socket: Socket | null): SocketTransport {
    const options = this.options;
    const request = { target, key: generateKey(), protocols: this.protocols, origin: options.origin, headers: this.headers };
    const transport = new SocketTransport(
      socket,
      (handler) =>
        new ClientProtocol(handler, {
          request,
          deflate: this.deflate,
          maskKeySource: nextMaskKey,
          ...receiveOptions(options),
          maxResponseHeaderSize: options.maxResponseHeaderSize,
        }),
      this,
    );
    if (options.closeTimeout !== undefined) transport.closeTimeout = options.closeTimeout;
    return transport;
  }

  private connect(target: WebSocketTarget): Socket {
    if (!target.secure) return netConnect({ host: target.hostname, port: target.port });
    const options = this.options;
    return tlsConnect({
      host: target.hostname,
      port: target.port,
      // RFC 6066 §3: SNI carries host names only, never IP addresses.
      servername: options.servername ?? (isIP(target.hostname) === 0 ? target.hostname : undefined),
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      ALPNProtocols: ['http/1.1'],
    });
  }

  onOpen(_response: ResponseHead, head: Buffer): void {
    const transport = this.transport;
    const protocol = transport.protocol as ClientProtocol;
    this.finish();
    guardConnection(transport, this.guard);
    const traceSink = resolveTraceSink(this.options.trace);
    if (traceSink !== null) transport.startTrace(traceSink, protocol.agreedProtocol);
    this.observer.onOpen(transport, protocol.agreedProtocol, protocol.agreedExtensions);
    // The frames that came in the same read as the response.
    if (head.length > 0) transport.handleData(head);
  }

  onHandshakeFailure(error: Error, response: ResponseHead | null): void {
    if (response !== null && REDIRECT_STATUSES.has(response.statusCode) && this.options.followRedirects === true) {
      this.redirect(response);
      return;
    }
    if (response !== null && response.statusCode !== 101) {
      this.observer.onUnexpectedResponse(response.statusCode, { ...response.headers });
    }
    this.fail(error);
  }

  onHandshakeClosed(error: Error | null): void {
    this.fail(error ?? new Error('The server closed the connection before completing the opening handshake'));
  }

  private redirect(response: ResponseHead): void {
    const maxRedirects = this.options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    if (++this.redirects > maxRedirects) {
      this.fail(new Error(`Maximum redirects exceeded (${maxRedirects})`));
      return;
    }
    const next = redirectTarget(response, this.target.href);
    if (typeof next === 'string') {
      this.fail(new Error(next));
      return;
    }
    if (next.host.toLowerCase() !== this.target.host.toLowerCase() && this.headers !== undefined) {
      const kept: NonNullable<ClientOptions['headers']> = {};
      for (const [name, value] of Object.entries(this.headers)) {
        if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) kept[name] = value;
      }
      this.headers = kept;
    }
    const previous = this.transport;
    previous.handshake = null;
    previous.terminate();
    this.open(next);
    this.observer.onRedirect(this.transport);
  }

  private finish(): void {
    this.done = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.transport.handshake = null;
  }

  private fail(error: Error): void {
    if (this.done) return;
    this.finish();
    this.transport.terminate();
    this.observer.onFail(error);
  }
}
