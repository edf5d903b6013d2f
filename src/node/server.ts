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
import { ReadyState } from '../protocol/protocol.js';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/protocol.js';
import { ServerProtocol, type HandshakeOffer, type HandshakeRequest } from '../protocol/server-protocol.js';
import { Admission, type AdmissionOptions, type ServerLimit } from './admission.js';
import { guardConnection, resolveGuardOptions, type GuardOptions, type GuardSettings } from './connection-guard.js';
import {
  createFrontDoorServer,
  fromIncomingMessage,
  readPipelined,
  startHandshakeDeadline,
  toIncomingMessage,
  type FrontDoorOptions,
} from './front-door.js';
import { compileOriginPolicy, type OriginPolicy } from './origin-policy.js';
import { SocketTransport, type HandshakeObserver } from './socket-transport.js';
import { resolveTraceSink, type TraceOption } from './trace.js';
import {
  decideUpgrade,
  type HandleProtocols,
  type UpgradeDecision,
  type VerifyClient,
} from './upgrade-decision.js';
import { WebSocket, attachOpenConnection } from './websocket.js';

export type { VerifyClientResult, VerifyClientInfo, VerifyClientCallback } from './upgrade-decision.js';

/** The safety limits (each file says why and what its default is): see also README "Limits and defaults". */
export interface WebSocketServerOptions extends GuardOptions, AdmissionOptions, FrontDoorOptions {
  /** Attach to this HTTP(S) server's 'upgrade' event. */
  server?: HttpServer | HttpsServer;
  /** Or listen on this port with a server of our own (0 for any free port). */
  port?: number;
  host?: string;
  /** Only accept upgrades for this path (e.g. '/ws'); others get 400 when no one else handles them. */
  path?: string;
  /** Neither a server nor a port: the user calls `handleUpgrade` from their own 'upgrade' handler. */
  noServer?: boolean;
  /** Largest message accepted (1009 beyond it). Default 64 MiB. */
  maxPayload?: number;
  /** Most data frames in one message (1008 beyond it). Default 131,072. */
  maxFragments?: number;
  /**
   * The web pages that may connect (Cross-Site WebSocket Hijacking: origin-policy.ts): exact
   * origins, host patterns (`https://*.example.com`) and `'self'`; others get 403. Requests
   * without an Origin header (not from a browser) are allowed. Default: any origin.
   */
  allowedOrigins?: readonly string[];
  /** Choose a subprotocol among those offered, or `false` for none. Default: none. */
  handleProtocols?: HandleProtocols;
  /** Accept or refuse a client before the handshake completes (`ws`'s signature, sync or with a callback). */
  verifyClient?: VerifyClient;
  /** How long a connection may wait for the peer's Close (ms). Default 30 s. */
  closeTimeout?: number;
  /** How long a handshake may take, from the connection's start to the 101 (ms). Default 10 s. */
  handshakeTimeout?: number;
  /** Keep the open connections in `clients`. Default true. */
  clientTracking?: boolean;
  /**
   * Log every frame in and out, one line each (src/node/trace.ts): `true` for standard error, or
   * a function or stream of your own. Unset: on when the environment has `WSMITH_TRACE=1`.
   */
  trace?: TraceOption;
}

export interface WebSocketServerEventMap {
  connection: [socket: WebSocket, request: IncomingMessage];
  listening: [];
  error: [error: Error];
  close: [];
  /** A handshake was refused: the status and the reason sent. */
  rejection: [status: number, reason: string, request: IncomingMessage];
  /** A `verifyClient` or `handleProtocols` hook threw or rejected; the client got a bare 500. */
  hookError: [error: Error, hook: 'handleProtocols' | 'verifyClient', request: IncomingMessage];
  /** A connection was refused for a limit (503; 429 for `maxConnectionsPerIp`). */
  limit: [limit: ServerLimit, remoteAddress: string | undefined];
}

const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** Each server's 'upgrade' listener → its server (to tell ours from the user's). */
const upgradeListeners = new WeakMap<object, WebSocketServer>();

type ConnectionCallback = (socket: WebSocket, request: IncomingMessage) => void;

export class WebSocketServer extends EventEmitter<WebSocketServerEventMap> {
  /** The open connections (when `clientTracking` is on). */
  readonly clients = new Set<WebSocket>();
  readonly options: Readonly<WebSocketServerOptions>;
  /** The user's HTTP(S) server whose 'upgrade' events we take (`server` option). */
  #httpServer: HttpServer | HttpsServer | null = null;
  /** Our own listener (`port` option). */
  #tcpServer: TcpServer | null = null;
  #closed = false;
  readonly #admission: Admission;
  readonly #guard: GuardSettings;
  readonly #origins: OriginPolicy | null;

  constructor(options: WebSocketServerOptions, onListening?: () => void) {
    super();
    this.options = options;
    const modes = Number(options.port !== undefined) + Number(options.server !== undefined) + Number(options.noServer === true);
    if (modes !== 1) {
      throw new TypeError('Exactly one of the "port", "server" or "noServer" options must be given');
    }
    // Bad limits throw here, not at the first connection.
    this.#guard = resolveGuardOptions(options);
    this.#admission = new Admission(options, (limit, address) => {
      if (this.listenerCount('limit') > 0) this.emit('limit', limit, address);
    });
    this.#origins = options.allowedOrigins === undefined ? null : compileOriginPolicy(options.allowedOrigins);
    if (options.port !== undefined) {
      // Our own port: HTTP read straight from TCP or TLS (front-door.ts), no node:http server.
      const server = createFrontDoorServer(options, (socket) => this.#acceptTcp(socket));
      server.on('listening', () => this.emit('listening'));
      server.on('error', (error: NodeJS.ErrnoException) => {
        // Out of file descriptors (EMFILE) on accept: the server goes on; it is news, not a crash.
        if (error.syscall === 'accept' && this.listenerCount('error') === 0) return;
        this.emit('error', error);
      });
      server.listen(options.port, options.host, onListening);
      this.#tcpServer = server;
    } else if (options.server !== undefined) {
      this.#httpServer = options.server;
      if (onListening !== undefined) this.#httpServer.once('listening', onListening);
    }
    upgradeListeners.set(this.#onUpgrade, this);
    this.#httpServer?.on('upgrade', this.#onUpgrade);
  }

  /**
   * The server that listens: our own `net.Server` (a `tls.Server` with `tls`), or the HTTP(S)
   * server given as `server`; null in noServer mode. For what an operator sets on it: Node's own
   * hard `maxConnections`, `getConnections()`, `ref()`/`unref()`, and TLS settings.
   */
  get netServer(): TcpServer | HttpServer | HttpsServer | null {
    return this.#tcpServer ?? this.#httpServer;
  }

  /** The address of the listening server (as `net.Server#address()`). */
  address(): AddressInfo | string | null {
    const server = this.#tcpServer ?? this.#httpServer;
    if (server === null) throw new Error('The server is in noServer mode');
    return server.address();
  }

  /** Does this server take upgrades for this request's path? */
  shouldHandle(request: IncomingMessage): boolean {
    if (this.options.path === undefined) return true;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.options.path;
  }

  /**
   * Complete (or refuse) the opening handshake for an upgrade request, then call `callback` with
   * the new WebSocket. For users who route 'upgrade' events themselves.
   */
  handleUpgrade(request: IncomingMessage, stream: Duplex, head: Buffer, callback: ConnectionCallback): void {
    if (!this.#admission.admit(stream)) return;
    const transport = this.#startHandshake(stream, request, callback);
    const protocol = transport.protocol as ServerProtocol;
    if (this.#closed) protocol.reject(503, 'The server is shutting down');
    else protocol.receiveRequest(fromIncomingMessage(request), head);
    transport.flush();
    transport.startReading();
  }

  /**
   * Stop accepting connections. Open connections are left to finish (as in `ws` 8); close them
   * with their own `close()` or through a Hub. The callback runs once the server is closed.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.#closed) {
      if (callback !== undefined) process.nextTick(callback);
      return;
    }
    this.#closed = true;
    this.#httpServer?.removeListener('upgrade', this.#onUpgrade);
    // Stop listening now; open connections are left to finish (their sockets close on their own).
    this.#tcpServer?.close();
    process.nextTick(() => {
      this.emit('close');
      callback?.();
    });
  }

  /** A TCP connection on our own port: its protocol object reads the handshake from the bytes. */
  #acceptTcp(socket: Socket): void {
    // Limits first: a refused connection gets no state of its own (admission.ts).
    if (!this.#admission.admit(socket)) return;
    const transport = this.#startHandshake(socket, null, this.#emitConnection);
    if (this.#closed) {
      (transport.protocol as ServerProtocol).reject(503, 'The server is shutting down');
      transport.flush();
      return;
    }
    const deadline = startHandshakeDeadline(transport, this.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT);
    (transport.handshake as ServerHandshake).deadline = deadline;
    transport.startReading();
  }

  readonly #emitConnection = (ws: WebSocket, request: IncomingMessage): void => {
    this.emit('connection', ws, request);
  };

  /** A transport running a ServerProtocol over `stream`, with this server deciding its handshake. */
  #startHandshake(stream: Duplex, incoming: IncomingMessage | null, callback: ConnectionCallback): SocketTransport {
    const handshake = new ServerHandshake(this.#handshakeHost, incoming, callback);
    const { maxPayload = DEFAULT_MAX_PAYLOAD, maxFragments } = this.options;
    const transport = new SocketTransport(stream, (handler) => new ServerProtocol(handler, { maxPayload, maxFragments }), handshake);
    handshake.transport = transport;
    return transport;
  }

  /** What a handshake in progress needs from its server (private to this module). */
  readonly #handshakeHost: HandshakeHost = {
    options: () => this.options,
    guard: () => this.#guard,
    origins: () => this.#origins,
    admission: () => this.#admission,
    shouldHandle: (request) => this.shouldHandle(request),
    emitRejection: (status, reason, request) => this.emit('rejection', status, reason, request),
    emitHookError: (error, hook, request) => {
      if (this.listenerCount('hookError') > 0) this.emit('hookError', error, hook, request);
    },
    track: (ws) => {
      if (this.options.clientTracking === false) return;
      this.clients.add(ws);
      ws.on('close', this.#untrack);
    },
  };

  /** One listener shared by every tracked socket: EventEmitter calls it with `this` = the socket. */
  readonly #untrack = ((clients: Set<WebSocket>) =>
    function untrack(this: WebSocket): void {
      clients.delete(this);
    })(this.clients);

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

interface HandshakeHost {
  options(): Readonly<WebSocketServerOptions>;
  guard(): GuardSettings;
  origins(): OriginPolicy | null;
  admission(): Admission;
  shouldHandle(request: IncomingMessage): boolean;
  emitRejection(status: number, reason: string, request: IncomingMessage): void;
  emitHookError(error: Error, hook: 'handleProtocols' | 'verifyClient', request: IncomingMessage): void;
  track(ws: WebSocket): void;
}

/** One server-side handshake in progress: it lives until the connection opens or is refused. */
class ServerHandshake implements HandshakeObserver {
  transport!: SocketTransport;
  deadline: NodeJS.Timeout | null = null;
  private readonly host: HandshakeHost;
  /** The request as the application sees it (node:http's, or one made from our own reading). */
  private incoming: IncomingMessage | null;
  private readonly callback: ConnectionCallback;
  private readingPipelined = false;

  constructor(host: HandshakeHost, incoming: IncomingMessage | null, callback: ConnectionCallback) {
    this.host = host;
    this.incoming = incoming;
    this.callback = callback;
  }

  onRequest(request: HandshakeRequest, offer: HandshakeOffer, head: Buffer): void {
    const ownPort = this.incoming === null;
    const incoming = (this.incoming ??= toIncomingMessage(this.transport.stream, request));
    if (ownPort && !this.host.shouldHandle(incoming)) {
      this.decided({ accept: false, status: 400, reason: 'No WebSocket endpoint at this path' }, incoming, head);
      return;
    }
    const options = this.host.options();
    decideUpgrade(
      {
        handleProtocols: options.handleProtocols,
        verifyClient: options.verifyClient,
        timeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
        origins: this.host.origins(),
        verifications: this.host.admission(),
      },
      incoming,
      offer,
      (error, hook) => this.host.emitHookError(error, hook, incoming),
      (decision) => this.decided(decision, incoming, head),
    );
  }

  onReject(status: number, reason: string, request: HandshakeRequest | null): void {
    this.end();
    const incoming = this.incoming ?? (request === null ? null : toIncomingMessage(this.transport.stream, request));
    if (incoming !== null) this.host.emitRejection(status, reason, incoming);
  }

  onReadEnd(): void {
    if (this.readingPipelined) return;
    this.readingPipelined = true;
    try {
      readPipelined(this.transport);
    } finally {
      this.readingPipelined = false;
    }
  }

  onHandshakeClosed(): void {
    this.end();
  }

  private decided(decision: UpgradeDecision, incoming: IncomingMessage, head: Buffer): void {
    const transport = this.transport;
    const protocol = transport.protocol as ServerProtocol;
    if (protocol.state !== ReadyState.Connecting) return; // the client went away meanwhile
    if (!decision.accept) {
      protocol.reject(decision.status, decision.reason, decision.headers);
      transport.flush();
      return;
    }
    protocol.accept({ protocol: decision.protocol });
    this.end();
    const options = this.host.options();
    if (options.closeTimeout !== undefined) transport.closeTimeout = options.closeTimeout;
    // The 101 goes out before any frame, and before the trace starts (it traces frames only).
    transport.flush();
    const ws = new WebSocket(null);
    attachOpenConnection(ws, transport, decision.protocol ?? '', '');
    guardConnection(transport, this.host.guard());
    const traceSink = resolveTraceSink(options.trace);
    if (traceSink !== null) transport.startTrace(traceSink, decision.protocol ?? '');
    // An HTTP server's idle timeout must not cut a WebSocket. Only clear one that is set:
    // setTimeout(0) would add a property to every socket.
    const socket = transport.stream as Partial<Socket>;
    if (socket.timeout) socket.setTimeout!(0);
    this.host.track(ws);
    this.callback(ws, incoming);
    // Bytes that came with the handshake are frames too: parse them once listeners are attached.
    if (head.length > 0) {
      const early = Buffer.from(head);
      process.nextTick(() => transport.handleData(early));
    }
    transport.startReading();
  }

  /** The handshake is over: drop what only it needed (nothing here outlives it). */
  private end(): void {
    if (this.deadline !== null) {
      clearTimeout(this.deadline);
      this.deadline = null;
    }
    this.transport.handshake = null;
  }
}
