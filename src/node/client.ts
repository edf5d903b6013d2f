/**
 * The client side of the opening handshake (RFC 6455 §4.1): dial ws:// over node:net or wss://
 * over node:tls, write the request, read the response, check it strictly, then hand the socket
 * to the `WebSocket` (`ws.setSocket(...)`) — or fail it with an error that says what was wrong.
 *
 * What the request and the response must contain is decided in src/protocol/client-handshake.ts;
 * this module only moves bytes, runs the handshake timer and follows redirects.
 * It must not import websocket.ts at runtime (no import cycle): it drives the WebSocket through
 * its internal methods only.
 */
import { randomFillSync } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  DEFAULT_MAX_RESPONSE_HEADER_SIZE,
  REDIRECT_STATUSES,
  ResponseHeadReader,
  buildClientRequest,
  generateKey,
  normalizeProtocols,
  parseWebSocketUrl,
  redirectTarget,
  validateUpgradeResponse,
  type ResponseHead,
  type WebSocketTarget,
} from '../protocol/client-handshake.js';
import type { TraceOption } from './trace.js';
import type { WebSocket } from './websocket.js';

export interface ClientOptions {
  /** Largest message accepted (1009 beyond it). Default 64 MiB. */
  maxPayload?: number;
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

/**
 * Start dialing. Throws SyntaxError for an invalid URL or subprotocol and TypeError for an invalid
 * header, synchronously (as browsers and `ws` do); every later failure goes to `ws.abortHandshake`.
 */
export function startClientHandshake(
  ws: WebSocket,
  address: string | URL,
  protocols: string | string[] | undefined,
  options: ClientOptions,
): void {
  const target = parseWebSocketUrl(address);
  const offered = normalizeProtocols(protocols);
  // Build one request now so that a bad header throws here rather than later.
  buildClientRequest({ target, key: generateKey(), protocols: offered, origin: options.origin, headers: options.headers });
  new ClientHandshake(ws, offered, options).dial(target);
}

class ClientHandshake {
  private readonly ws: WebSocket;
  private readonly protocols: string[];
  private readonly options: ClientOptions;
  private headers: ClientOptions['headers'];
  private redirects = 0;
  private timer: NodeJS.Timeout | null = null;
  private socket: Socket | null = null;
  private reader: ResponseHeadReader | null = null;
  private key = '';
  private target: WebSocketTarget | null = null;
  private done = false;

  constructor(ws: WebSocket, protocols: string[], options: ClientOptions) {
    this.ws = ws;
    this.protocols = protocols;
    this.options = options;
    this.headers = options.headers;
    const timeout = options.handshakeTimeout;
    if (timeout !== undefined && timeout > 0) {
      this.timer = setTimeout(() => this.fail(new Error('Opening handshake has timed out')), timeout);
    }
  }

  dial(target: WebSocketTarget): void {
    this.target = target;
    this.key = generateKey();
    this.reader = new ResponseHeadReader(this.options.maxResponseHeaderSize ?? DEFAULT_MAX_RESPONSE_HEADER_SIZE);
    const request = buildClientRequest({
      target,
      key: this.key,
      protocols: this.protocols,
      origin: this.options.origin,
      headers: this.headers,
    });
    let socket: Socket;
    if (target.secure) {
      const options = this.options;
      socket = tlsConnect({
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
    } else {
      socket = netConnect({ host: target.hostname, port: target.port });
    }
    this.socket = socket;
    this.ws.setHandshakeSocket(socket);
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    // Written once connected (net and tls buffer writes made before that).
    socket.write(request);
  }

  private readonly onData = (chunk: Buffer): void => {
    const result = this.reader!.push(chunk);
    if (result.kind === 'incomplete') return;
    if (result.kind === 'error') {
      this.fail(new Error(result.message));
      return;
    }
    this.onResponse(result.response, result.head);
  };

  private readonly onError = (error: Error): void => {
    this.fail(error);
  };

  private readonly onClose = (): void => {
    this.fail(new Error('The server closed the connection before completing the opening handshake'));
  };

  private onResponse(response: ResponseHead, head: Buffer): void {
    const status = response.statusCode;
    if (REDIRECT_STATUSES.has(status) && this.options.followRedirects === true) {
      this.redirect(response);
      return;
    }
    if (status !== 101) {
      this.ws.emit('unexpected-response', status, { ...response.headers });
      this.fail(Object.assign(new Error(`Unexpected server response: ${status}`), { statusCode: status }));
      return;
    }
    const validation = validateUpgradeResponse(response, { key: this.key, protocols: this.protocols });
    if (!validation.ok) {
      this.fail(new Error(validation.message));
      return;
    }
    const socket = this.socket!;
    this.finish();
    this.ws.setSocket(socket, head, {
      role: 'client',
      maxPayload: this.options.maxPayload,
      closeTimeout: this.options.closeTimeout,
      protocol: validation.protocol,
      maskKeySource: nextMaskKey,
      trace: this.options.trace,
    });
    this.ws.emitOpen();
  }

  private redirect(response: ResponseHead): void {
    const maxRedirects = this.options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    if (++this.redirects > maxRedirects) {
      this.fail(new Error(`Maximum redirects exceeded (${maxRedirects})`));
      return;
    }
    const next = redirectTarget(response, this.target!.href);
    if (typeof next === 'string') {
      this.fail(new Error(next));
      return;
    }
    if (next.host.toLowerCase() !== this.target!.host.toLowerCase() && this.headers !== undefined) {
      const kept: NonNullable<ClientOptions['headers']> = {};
      for (const [name, value] of Object.entries(this.headers)) {
        if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) kept[name] = value;
      }
      this.headers = kept;
    }
    this.releaseSocket()?.destroy();
    this.dial(next);
  }

  /** Stop listening to the handshake socket and return it. */
  private releaseSocket(): Socket | null {
    const socket = this.socket;
    if (socket !== null) {
      socket.off('data', this.onData);
      socket.off('error', this.onError);
      socket.off('close', this.onClose);
      this.socket = null;
    }
    return socket;
  }

  private finish(): void {
    this.done = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.releaseSocket();
    this.ws.setHandshakeSocket(null);
  }

  private fail(error: Error): void {
    if (this.done) return;
    const socket = this.socket;
    this.finish();
    // A late 'error' from the socket being destroyed must not go unhandled.
    socket?.on('error', ignoreError);
    this.ws.abortHandshake(error, socket ?? undefined);
  }
}

function ignoreError(): void {}
