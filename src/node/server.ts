/**
 * `WebSocketServer`: accepts WebSocket connections on a `node:http` server's 'upgrade' event, or
 * on its own port. Each connection's handshake is read and checked by its `ServerProtocol`
 * (src/protocol/server-protocol.ts); this module runs the application's hooks
 * (upgrade-decision.ts), answers, and hands the open connection to a `WebSocket`.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { DeflateSetup } from '../protocol/extensions/permessage-deflate.js';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/protocol.js';
import { ServerProtocol } from '../protocol/server-protocol.js';
import { Admission } from './admission.js';
import { resolveGuardOptions, type GuardSettings } from './connection-guard.js';
import { deflateSetupFor } from './deflate/setup.js';
import { createFrontDoorServer, fromIncomingMessage, startHandshakeDeadline, toIncomingMessage } from './front-door.js';
import {
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  StreamCounts,
  isHttp2Server,
  listenForExtendedConnect,
  sendHttp2Response,
  toHandshakeRequest,
  type AnyHttp2Server,
} from './http2-server.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, ServerHandshake, type ConnectionCallback, type HandshakeHost } from './pending-upgrade.js';
import { compileOriginPolicy, type OriginPolicy } from './origin-policy.js';
import { DEFAULT_MAX_BUFFERED_CHUNKS, DEFAULT_MAX_FRAGMENTS, receiveOptions } from './receive-options.js';
import type { WebSocketServerEventMap, WebSocketServerOptions } from './server-options.js';
import { DEFAULT_CLOSE_TIMEOUT, SocketTransport } from './socket-transport.js';
import { WebSocket } from './websocket.js';

export type { VerifyClientResult, VerifyClientInfo, VerifyClientCallback } from './upgrade-decision.js';
export type { WebSocketServerOptions, WebSocketServerEventMap } from './server-options.js';

/** `ws`'s defaults for the options it documents (those whose absence is not already `undefined`). */
function serverDefaults(): WebSocketServerOptions {
  return {
    allowSynchronousEvents: true,
    autoPong: true,
    clientTracking: true,
    closeTimeout: DEFAULT_CLOSE_TIMEOUT,
    maxBufferedChunks: DEFAULT_MAX_BUFFERED_CHUNKS,
    maxFragments: DEFAULT_MAX_FRAGMENTS,
    maxPayload: DEFAULT_MAX_PAYLOAD,
    noServer: false,
    skipUTF8Validation: false,
    WebSocket,
  };
}

/** Each server's 'upgrade' listener → its server (to tell ours from the user's). */
const upgradeListeners = new WeakMap<object, { shouldHandle(request: IncomingMessage): boolean }>();

/** Sockets a server's handleUpgrade took already (`ws` refuses a second call with one). */
const upgradedStreams = new WeakSet<Duplex>();

export class WebSocketServer<T extends WebSocket = WebSocket> extends EventEmitter<WebSocketServerEventMap<T>> {
  /** The open connections; undefined when `clientTracking` is false (as in `ws`). */
  declare readonly clients: Set<T>;
  readonly options: Readonly<WebSocketServerOptions<T>>;
  /** The user's HTTP(S) or HTTP/2 server whose 'upgrade' events we take (`server` option). */
  #httpServer: HttpServer | HttpsServer | AnyHttp2Server | null = null;
  /** With an HTTP/2 server: stops taking its extended CONNECT streams (RFC 8441). */
  #stopHttp2: (() => void) | null = null;
  readonly #http2Streams = new StreamCounts();
  /** permessage-deflate as configured (validated once, here), or null when off. */
  readonly #deflate: DeflateSetup | null;
  /** The safety limits (admission.ts, connection-guard.ts, origin-policy.ts), validated once. */
  readonly #admission: Admission;
  readonly #guard: GuardSettings;
  readonly #origins: OriginPolicy | null;
  /** Our own listener (`port` option). */
  #tcpServer: TcpServer | null = null;
  /** Running, closing (close() was called), or closed ('close' was emitted). */
  #state: 'running' | 'closing' | 'closed' = 'running';
  /** `server` or `noServer` with tracked clients: emit 'close' once the last one closes. */
  #closeWhenEmpty = false;

  constructor(options: WebSocketServerOptions<T>, onListening?: () => void) {
    super();
    // As `ws`, `options` shows the defaults that apply (those an absent option means).
    this.options = { ...serverDefaults(), ...options } as WebSocketServerOptions<T>;
    this.#deflate = deflateSetupFor(options.perMessageDeflate, 'server');
    const modes = Number(options.port != null) + Number(Boolean(options.server)) + Number(Boolean(options.noServer));
    if (modes !== 1) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    if (this.options.clientTracking) Object.defineProperty(this, 'clients', { value: new Set<T>(), enumerable: true });
    // Bad limits throw here, not at the first connection.
    this.#guard = resolveGuardOptions(options);
    this.#admission = new Admission(options, (limit, address) => {
      if (this.listenerCount('limit') > 0) this.emit('limit', limit, address);
    });
    this.#origins = options.allowedOrigins === undefined ? null : compileOriginPolicy(options.allowedOrigins);
    if (options.port != null) {
      // Our own port: HTTP read straight from TCP or TLS (front-door.ts), no node:http server.
      const server = createFrontDoorServer(options, (socket) => this.#acceptTcp(socket));
      server.listen(options.port, options.host, options.backlog, onListening);
      this.#tcpServer = server;
    } else if (options.server) {
      this.#httpServer = options.server;
      if (onListening !== undefined) this.#httpServer.once('listening', onListening);
      upgradeListeners.set(this.#onUpgrade, this);
      this.#httpServer.on('upgrade', this.#onUpgrade);
      if (isHttp2Server(options.server)) this.#stopHttp2 = listenForExtendedConnect(options.server, this.#onHttp2Stream);
    }
    // As in `ws`, the underlying server's 'listening' and 'error' are ours too (until close()).
    this.#underlyingServer?.on('listening', this.#emitListening).on('error', this.#emitError);
  }

  get #underlyingServer(): TcpServer | HttpServer | HttpsServer | AnyHttp2Server | null {
    return this.#tcpServer ?? this.#httpServer;
  }

  readonly #emitListening = (): void => void this.emit('listening');
  readonly #emitError = (error: NodeJS.ErrnoException): void => {
    // Out of file descriptors (EMFILE) on accept: the server goes on; it is news, not a crash.
    if (error.syscall === 'accept' && this.listenerCount('error') === 0) return;
    this.emit('error', error);
  };

  /**
   * The server that listens: our own `net.Server` (a `tls.Server` with `tls`), or the HTTP(S)
   * server given as `server`; null in noServer mode. For what an operator sets on it: Node's own
   * hard `maxConnections`, `getConnections()`, `ref()`/`unref()`, and TLS settings.
   */
  get netServer(): TcpServer | HttpServer | HttpsServer | AnyHttp2Server | null {
    return this.#underlyingServer;
  }

  /** The address of the listening server (as `net.Server#address()`); null once closed. */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return this.#state === 'running' ? this.#underlyingServer!.address() : null;
  }

  /** Does this server take upgrades for this request's path? */
  shouldHandle(request: IncomingMessage): boolean {
    if (!this.options.path) return true;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.options.path;
  }

  /**
   * Complete (or refuse) the opening handshake for an upgrade request, then call `callback` with
   * the new WebSocket. For users who route 'upgrade' events themselves.
   */
  handleUpgrade(request: IncomingMessage, stream: Duplex, head: Buffer, callback: ConnectionCallback<T>): void {
    if (upgradedStreams.has(stream)) {
      throw new Error('server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration');
    }
    upgradedStreams.add(stream);
    if (!this.#admission.admit(stream)) return;
    const transport = this.#startHandshake(stream, request, callback);
    const protocol = transport.protocol as ServerProtocol;
    if (this.#state !== 'running') protocol.reject(503, 'The server is shutting down');
    else protocol.receiveRequest(fromIncomingMessage(request), head);
    transport.flush();
    transport.startReading();
  }

  /**
   * Stop accepting connections (as `ws` 8). Open connections are left to finish: close them with
   * their own `close()` or through a Hub. 'close' is emitted (and `callback` called) once they
   * are all closed; at once with an external server and no client tracking; with an Error for
   * `callback` if the server was closed already.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.#state === 'closed') {
      if (callback !== undefined) this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(this.#emitClose);
      return;
    }
    if (callback !== undefined) this.once('close', callback);
    if (this.#state === 'closing') return;
    this.#state = 'closing';
    this.#underlyingServer?.off('listening', this.#emitListening).off('error', this.#emitError);
    this.#httpServer?.removeListener('upgrade', this.#onUpgrade);
    this.#stopHttp2?.();
    // Our own port: net.Server calls back once it and every connection on it are closed.
    if (this.#tcpServer !== null) this.#tcpServer.close(this.#emitClose);
    else if ((this.clients?.size ?? 0) > 0) this.#closeWhenEmpty = true;
    else process.nextTick(this.#emitClose);
  }

  readonly #emitClose = (): void => {
    this.#state = 'closed';
    this.emit('close');
  };

  /** A TCP connection on our own port: its protocol object reads the handshake from the bytes. */
  #acceptTcp(socket: Socket): void {
    // Limits first: a refused connection gets no state of its own (admission.ts).
    if (!this.#admission.admit(socket)) return;
    const transport = this.#startHandshake(socket, null, this.#emitConnection);
    if (this.#state !== 'running') {
      (transport.protocol as ServerProtocol).reject(503, 'The server is shutting down');
      transport.flush();
      return;
    }
    const deadline = startHandshakeDeadline(transport, this.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT);
    (transport.handshake as ServerHandshake<T>).deadline = deadline;
    transport.startReading();
  }

  readonly #emitConnection = (ws: T, request: IncomingMessage): void => {
    this.emit('connection', ws, request);
  };

  /** A transport running a ServerProtocol over `stream`, with this server deciding its handshake. */
  #startHandshake(stream: Duplex, incoming: IncomingMessage | null, callback: ConnectionCallback<T>, http2 = false): SocketTransport {
    const handshake = new ServerHandshake(this.#handshakeHost, incoming, callback);
    const options = { ...receiveOptions(this.options), deflate: this.#deflate, http2 };
    const transport = new SocketTransport(stream, (handler) => new ServerProtocol(handler, options), handshake);
    handshake.transport = transport;
    return transport;
  }

  /** What a handshake in progress needs from its server (private to this module). */
  readonly #handshakeHost: HandshakeHost<T> = {
    options: () => this.options,
    deflate: () => this.#deflate,
    guard: () => this.#guard,
    origins: () => this.#origins,
    admission: () => this.#admission,
    running: () => this.#state === 'running',
    shouldHandle: (request) => this.shouldHandle(request),
    listens: (event) => this.listenerCount(event) > 0,
    emit: (event, ...args) => this.listenerCount(event) > 0 && (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
    emitRejection: (status, reason, request) => this.emit('rejection', status, reason, request),
    track: (ws) => {
      if (this.clients === undefined) return;
      this.clients.add(ws);
      ws.on('close', this.#untrack);
    },
  };

  /** One listener shared by every tracked socket: EventEmitter calls it with `this` = the socket. */
  readonly #untrack = ((server: WebSocketServer<T>) =>
    function untrack(this: T): void {
      server.clients.delete(this);
      if (server.#closeWhenEmpty && server.clients.size === 0) process.nextTick(server.#emitClose);
    })(this);

  /** An extended CONNECT stream with `:protocol: websocket` (RFC 8441 §5) on the HTTP/2 server. */
  readonly #onHttp2Stream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const request = toHandshakeRequest(headers);
    const incoming = toIncomingMessage(stream.session?.socket ?? null, request);
    if (!this.shouldHandle(incoming)) return; // another WebSocketServer's path, or the application's
    const transport = this.#startHandshake(stream, incoming, this.#emitConnection, true);
    const protocol = transport.protocol as ServerProtocol;
    const session = stream.session;
    const cap = this.options.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION;
    // The same limits as over HTTP/1.1 (a stream counts as a connection), plus a cap per session.
    const refused = this.#state === 'running' ? this.#admission.take(stream, session?.socket?.remoteAddress) : null;
    if (this.#state !== 'running') {
      protocol.reject(503, 'The server is shutting down');
    } else if (refused !== null) {
      protocol.reject(refused === 'maxConnectionsPerIp' ? 429 : 503, 'Too many connections');
    } else if (session === undefined || !this.#http2Streams.take(session, cap)) {
      protocol.reject(429, `At most ${cap} WebSocket streams per HTTP/2 connection`);
    } else {
      stream.once('close', () => this.#http2Streams.release(session));
      protocol.receiveExtendedConnect(request);
    }
    sendHttp2Response(transport);
    transport.flush();
    transport.startReading();
  };

  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!this.shouldHandle(request)) {
      // Another server on the same HTTP server may own this path; refuse only if none does.
      if (this.#httpServer !== null && this.#isUnclaimedUpgrade(request)) {
        const transport = this.#startHandshake(socket, request, this.#emitConnection);
        (transport.protocol as ServerProtocol).reject(400, 'No WebSocket endpoint at this path');
        transport.flush();
      }
      return;
    }
    this.handleUpgrade(request, socket, head, this.#emitConnection);
  };

  /**
   * Servers sharing one HTTP server (each on its own path) see every upgrade. The last of them
   * refuses one that none takes, so that it is answered once and not left hanging; if the user
   * has upgrade listeners of their own, the request is theirs.
   */
  #isUnclaimedUpgrade(request: IncomingMessage): boolean {
    const listeners = this.#httpServer!.listeners('upgrade');
    if (listeners[listeners.length - 1] !== this.#onUpgrade) return false;
    return listeners.every((listener) => {
      const owner = upgradeListeners.get(listener);
      return owner !== undefined && !owner.shouldHandle(request);
    });
  }
}
