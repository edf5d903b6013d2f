/**
 * WebSockets over HTTP/2 from the client (RFC 8441): a WebSocket opened as one stream of an
 * HTTP/2 connection to its origin, shared by every WebSocket to that origin, once the server has
 * said in its SETTINGS that it takes extended CONNECT (§3). When it has not (or does not speak
 * HTTP/2 at all), the WebSocket is dialed over HTTP/1.1 instead.
 */
import {
  connect as http2Connect,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ClientRequestOptions, ResponseHead } from '../protocol/client-handshake.js';
import type { WebSocketTarget } from '../protocol/client-url.js';
import type { ClientProtocol } from '../protocol/client-protocol.js';
import { isSuccessStatus } from '../protocol/h2-handshake.js';
import { ReadyState } from '../protocol/protocol.js';
import { TransportHop, type HopOwner } from './client-hop.js';
import { SocketTransport } from './socket-transport.js';

/** The TLS options a session is made with (a session is shared only when they are the defaults). */
export interface Http2SessionOptions {
  rejectUnauthorized?: boolean;
  ca?: TlsConnectionOptions['ca'];
  cert?: TlsConnectionOptions['cert'];
  key?: TlsConnectionOptions['key'];
  servername?: string;
}

interface PooledSession {
  session: ClientHttp2Session;
  /** Resolves with whether the server takes extended CONNECT, once its SETTINGS arrived. */
  ready: Promise<boolean>;
  /** WebSocket streams open (or opening) on it: the session closes when none is left. */
  streams: number;
}

const pool = new Map<string, PooledSession>();

function originOf(target: WebSocketTarget): string {
  return `${target.secure ? 'https' : 'http'}://${target.host}`;
}

function openSession(target: WebSocketTarget, options: Http2SessionOptions): PooledSession {
  const session = http2Connect(originOf(target), {
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    servername: options.servername,
  });
  const ready = new Promise<boolean>((resolve) => {
    // §3: SETTINGS_ENABLE_CONNECT_PROTOCOL comes in the server's first SETTINGS frame.
    session.once('remoteSettings', (settings) => resolve(settings.enableConnectProtocol === true));
    session.once('error', () => resolve(false));
    session.once('close', () => resolve(false));
  });
  session.on('error', () => {}); // reported through the streams, or as a fallback to HTTP/1.1
  return { session, ready, streams: 0 };
}

/** Is the session still usable for a new stream? */
function usable(pooled: PooledSession): boolean {
  return !pooled.session.closed && !pooled.session.destroyed;
}

/** A number per TLS option object (a CA, a certificate, a key), so that equal objects share. */
const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;

function idOf(value: unknown): string {
  if (value === undefined) return '-';
  if (typeof value !== 'object' || value === null) return String(value);
  let id = objectIds.get(value);
  if (id === undefined) objectIds.set(value, (id = ++lastObjectId));
  return `#${id}`;
}

/**
 * The session for `target`'s origin, shared by every WebSocket dialed to it with the same TLS
 * options (the same CA, certificate and key objects, the same checks).
 */
function sessionFor(target: WebSocketTarget, options: Http2SessionOptions): PooledSession {
  const key = [originOf(target), options.rejectUnauthorized !== false, options.servername ?? '', idOf(options.ca), idOf(options.cert), idOf(options.key)].join(' ');
  let pooled = pool.get(key);
  if (pooled === undefined || !usable(pooled)) {
    pooled = openSession(target, options);
    pool.set(key, pooled);
    const { session } = pooled;
    session.once('close', () => {
      if (pool.get(key)?.session === session) pool.delete(key);
    });
  }
  return pooled;
}

/** How many HTTP/2 sessions the pool holds (for tests and diagnostics). */
export function pooledHttp2Sessions(): number {
  return pool.size;
}

/** One attempt of the dialer (client.ts) over HTTP/2; `fallBack` dials again over HTTP/1.1. */
export class Http2Hop extends TransportHop {
  private readonly fallBack: () => void;

  constructor(owner: HopOwner, request: ClientRequestOptions, fallBack: () => void) {
    super(owner);
    this.fallBack = fallBack;
    const transport = new SocketTransport(null, owner.protocolFor(request), this);
    this.transport = transport;
    this.open(transport, request.target, owner.options);
  }

  onHandshakeFailure(error: Error, response: ResponseHead | null): void {
    if (response === null || isSuccessStatus(response.statusCode)) this.owner.failed(error);
    else this.owner.responded(response.statusCode, response.headers.location, null);
  }

  /**
   * Open the WebSocket's stream once the session is ready, and attach it to `transport` (whose
   * ClientProtocol is CONNECTING). The stream's response headers go to the protocol object.
   */
  private open(transport: SocketTransport, target: WebSocketTarget, options: Http2SessionOptions): void {
    const pooled = sessionFor(target, options);
    pooled.streams++;
    // The session closes once its last WebSocket stream is gone (a later one opens a new session).
    const release = (): void => {
      if (--pooled.streams === 0) pooled.session.close();
    };
    void pooled.ready.then((connectProtocol) => {
      if (transport.protocol.state !== ReadyState.Connecting) {
        release(); // abandoned meanwhile
        return;
      }
      if (!connectProtocol || !usable(pooled)) {
        // The server takes no extended CONNECT: dial over HTTP/1.1 instead.
        release();
        this.abort();
        this.fallBack();
        return;
      }
      const protocol = transport.protocol as ClientProtocol;
      let stream: ClientHttp2Stream;
      try {
        stream = pooled.session.request(protocol.connectOverHttp2() as OutgoingHttpHeaders, { endStream: false });
      } catch (error) {
        release();
        this.owner.failed(error as Error);
        return;
      }
      stream.once('close', release);
      stream.once('response', (headers: IncomingHttpHeaders) => protocol.receiveHttp2Response(headers));
      transport.attach(stream);
      transport.startReading();
    });
  }
}
