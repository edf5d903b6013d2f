/**
 * The dialer: runs a client's opening handshake (RFC 6455 §4.1) until the connection is open or
 * has failed with an error that says what was wrong, following redirects on the way, with `ws`'s
 * options, events and messages.
 *
 * Each attempt (a hop: the first request, then one per redirect) takes one of two paths:
 *  - the fast path (client-raw.ts): wsmith opens the connection and reads the response itself;
 *  - node:http (client-http.ts), as `ws` always does, when the application needs node:http's
 *    objects: an `agent`, a `finishRequest`, or listeners owed an http.ClientRequest
 *    ('unexpected-response', and 'redirect' on a redirect). The first hop starts on the next tick,
 *    once the listeners added right after `new WebSocket()` are known.
 * Both judge the response with the same protocol object, so they accept and refuse alike.
 *
 * It knows nothing of the `WebSocket` façade: it reports to a narrow `DialObserver`.
 */
import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkClientVersion, clientRequestHeaders, generateKey, normalizeProtocols } from '../protocol/client-handshake.js';
import type { ClientRequestOptions } from '../protocol/client-handshake.js';
import { ClientProtocol } from '../protocol/client-protocol.js';
import { buildDeflateOffer, type DeflateSetup } from '../protocol/extensions/permessage-deflate.js';
import { isRedirect, parseWebSocketUrl, resolveRedirect, type WebSocketTarget } from '../protocol/client-url.js';
import type { MaskKeySource } from '../protocol/outbox.js';
import { ReadyState } from '../protocol/protocol.js';
import { WEBSOCKET_VERSION } from '../protocol/server-handshake.js';
import type { Dial, DialObserver, Hop, HopOwner } from './client-hop.js';
import { HttpHop } from './client-http.js';
import { DEFAULT_MAX_REDIRECTS, type ClientOptions } from './client-options.js';
import { RawHop } from './client-raw.js';
import { guardConnection, resolveGuardOptions, type GuardSettings } from './connection-guard.js';
import { deflateSetupFor } from './deflate/setup.js';
import { Http2Hop } from './http2-client.js';
import { receiveOptions } from './receive-options.js';
import type { SocketTransport } from './socket-transport.js';
import { resolveTraceSink } from './trace.js';

export type { ClientOptions } from './client-options.js';
export type { Dial, DialObserver, DialEvent } from './client-hop.js';
export { DEFAULT_MAX_REDIRECTS } from './client-options.js';

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

/** `ws`'s generateMask(buffer) as a key source: one buffer per connection, filled per frame. */
function maskKeySourceOf(generateMask: ClientOptions['generateMask']): MaskKeySource {
  if (generateMask === undefined) return nextMaskKey;
  const key = Buffer.alloc(MASK_KEY_BYTES);
  return () => {
    generateMask(key);
    return key;
  };
}

/**
 * Prepare to dial (`start()` sends the first request). Throws as `ws` does, synchronously: RangeError for an unsupported
 * protocolVersion, SyntaxError for an invalid URL or subprotocol, TypeError (node:http's) for an
 * invalid header. Every later failure goes to `observer.onError`, then `onClose`.
 */
export function dial(
  address: string | URL,
  protocols: string | readonly string[] | undefined,
  options: ClientOptions,
  observer: DialObserver,
): Dial {
  const version = checkClientVersion(options.protocolVersion ?? Number(WEBSOCKET_VERSION));
  const target = parseWebSocketUrl(address);
  const offered = normalizeProtocols(protocols);
  clientRequestHeaders({ target, key: '', protocols: offered, origin: options.origin, headers: options.headers, version });
  const deflate = deflateSetupFor(options.perMessageDeflate, 'client');
  const guard = resolveGuardOptions(options);
  return new ClientHandshake(target, offered, version, options, observer, { deflate, guard, deferEvents: options.allowSynchronousEvents === false });
}

/** What the options resolve to once, for every hop. */
interface DialSettings {
  /** permessage-deflate as offered (RFC 7692), or null. */
  deflate: DeflateSetup | null;
  /** Keepalive and messageTimeout, set on the connection once open. */
  guard: GuardSettings;
  /** `allowSynchronousEvents: false`: one event per turn once open. */
  deferEvents: boolean;
}

/** The headers a redirect leaves behind on its way to another host, or from wss: to ws: (as curl and `ws` do). */
const CREDENTIALS = ['authorization', 'cookie'];

class ClientHandshake implements Dial, HopOwner {
  state = ReadyState.Connecting;
  readonly options: ClientOptions;
  readonly observer: DialObserver;
  private readonly protocols: string[];
  private readonly version: number;
  private readonly first: WebSocketTarget;
  private readonly maskKeySource: MaskKeySource;
  private target: WebSocketTarget;
  private hop: Hop | null = null;
  private redirects = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly settings: DialSettings;
  /** The server took no extended CONNECT (RFC 8441 §3): dial over HTTP/1.1 from now on. */
  private http2Refused = false;

  constructor(
    target: WebSocketTarget,
    protocols: string[],
    version: number,
    options: ClientOptions,
    observer: DialObserver,
    settings: DialSettings,
  ) {
    this.settings = settings;
    this.options = options;
    this.observer = observer;
    this.protocols = protocols;
    this.version = version;
    this.first = target;
    this.target = target;
    this.maskKeySource = maskKeySourceOf(options.generateMask);
  }

  /** The URL of the hop in progress (the last redirect's target). */
  get url(): string {
    return this.target.href;
  }

  start(): void {
    const target = this.target;
    if (this.options.finishRequest !== undefined || this.hasAgent()) this.startHop(target);
    else process.nextTick(() => this.startHop(target));
  }

  abort(error: Error): void {
    this.fail(error);
  }

  private hasAgent(): boolean {
    return typeof this.options.agent === 'object' && this.options.agent !== null;
  }

  private startHop(target: WebSocketTarget): void {
    if (this.state !== ReadyState.Connecting) return;
    this.target = target;
    this.restartTimer();
    const observer = this.observer;
    const redirected = this.redirects > 0;
    try {
      const request = this.requestFor(target);
      const viaHttp =
        this.options.finishRequest !== undefined ||
        this.hasAgent() ||
        observer.listens('unexpected-response') ||
        (redirected && observer.listens('redirect'));
      // Every hop that reads its own response takes the new URL here (node:http's hop below, with its request).
      if (!viaHttp && redirected) observer.onRedirect(target.href, null);
      if (!viaHttp && this.options.http2 === true && !this.http2Refused) {
        this.hop = new Http2Hop(this, request, () => {
          this.http2Refused = true;
          this.startHop(target);
        });
        return;
      }
      if (!viaHttp) {
        this.hop = new RawHop(this, request);
        return;
      }
      const hop = new HttpHop(this, request);
      this.hop = hop;
      // The request's headers are queued, not sent: a 'redirect' listener may still remove some.
      if (redirected) observer.onRedirect(target.href, hop.request);
      if (this.state === ReadyState.Connecting) hop.send(observer.owner);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /** This hop's request: a fresh key, and the credentials only where `ws` would send them. */
  private requestFor(target: WebSocketTarget): ClientRequestOptions {
    const options = this.options;
    let headers = options.headers;
    let auth = target.auth !== '' ? target.auth : (options.auth ?? undefined);
    if (this.redirects > 0 && !this.observer.listens('redirect')) {
      const first = this.first;
      const sameHost =
        first.socketPath !== undefined ? target.socketPath === first.socketPath : target.socketPath === undefined && target.host === first.host;
      if (!sameHost || (first.secure && !target.secure)) {
        const dropped = sameHost ? CREDENTIALS : [...CREDENTIALS, 'host'];
        headers = Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !dropped.includes(name.toLowerCase())));
        auth = undefined;
      }
    }
    const version = this.version;
    const deflate = this.settings.deflate;
    const extensions = deflate === null ? undefined : buildDeflateOffer(deflate.settings);
    return { target, key: generateKey(), protocols: this.protocols, origin: options.origin, headers, version, auth, extensions };
  }

  private restartTimer(): void {
    this.clearTimer();
    const timeout = this.options.handshakeTimeout;
    if (timeout !== undefined && timeout > 0) {
      this.timer = setTimeout(() => this.fail(new Error('Opening handshake has timed out')), timeout);
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  // --- what the hops report ----------------------------------------------------------------

  protocolFor(request: ClientRequestOptions): (handler: SocketTransport) => ClientProtocol {
    const options = this.options;
    const maskKeySource = this.maskKeySource;
    return (handler) =>
      new ClientProtocol(handler, {
        request,
        maskKeySource,
        deflate: this.settings.deflate,
        ...receiveOptions(options),
        maxResponseHeaderSize: options.maxResponseHeaderSize ?? options.maxHeaderSize,
      });
  }

  upgraded(response: () => IncomingMessage): boolean {
    if (this.observer.listens('upgrade')) this.observer.onUpgrade(response());
    // A listener may have closed the WebSocket.
    return this.state === ReadyState.Connecting;
  }

  responded(statusCode: number, location: string | string[] | undefined, unexpected: (() => boolean) | null): void {
    if (this.options.followRedirects === true && isRedirect(statusCode, location)) {
      this.redirect(location);
      return;
    }
    // ws: an 'unexpected-response' listener takes the response, and the duty to end the handshake.
    if (unexpected !== null && unexpected()) return;
    this.fail(Object.assign(new Error(`Unexpected server response: ${statusCode}`), { statusCode }));
  }

  opened(transport: SocketTransport, head: Buffer): void {
    this.state = ReadyState.Open;
    this.clearTimer();
    this.hop = null;
    transport.handshake = null;
    if (this.options.closeTimeout !== undefined) transport.closeTimeout = this.options.closeTimeout;
    if (this.settings.deferEvents) transport.deferEvents();
    guardConnection(transport, this.settings.guard);
    const protocol = transport.protocol as ClientProtocol;
    const traceSink = resolveTraceSink(this.options.trace);
    if (traceSink !== null) transport.startTrace(traceSink, protocol.agreedProtocol);
    this.observer.onOpen(transport, protocol.agreedProtocol, protocol.agreedExtensions);
    // The frames that came in the same read as the response.
    if (head.length > 0) transport.handleData(head);
  }

  failed(error: Error): void {
    this.fail(error);
  }

  private redirect(location: string): void {
    const maxRedirects = this.options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    if (++this.redirects > maxRedirects) {
      this.fail(new Error('Maximum redirects exceeded'));
      return;
    }
    this.hop?.abort();
    this.hop = null;
    let next: WebSocketTarget;
    try {
      next = resolveRedirect(location, this.target.href);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    this.startHop(next);
  }

  /** ws's order: CLOSING at once, then 'error' and 'close' on the next tick, CLOSED in between. */
  private fail(error: Error): void {
    if (this.state !== ReadyState.Connecting) return;
    this.state = ReadyState.Closing;
    this.clearTimer();
    this.hop?.abort();
    this.hop = null;
    process.nextTick(() => {
      this.observer.onError(error);
      this.state = ReadyState.Closed;
      this.observer.onClose();
    });
  }
}
