/**
 * `WebSocketServer`: accepts WebSocket connections on a `node:http` server's 'upgrade' event, or
 * on its own port. The checks of the opening handshake are in src/protocol/handshake.ts; this
 * module runs the user's hooks (subprotocol choice, client verification), writes the response and
 * hands the socket to a `WebSocket`.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  buildAcceptResponse,
  validateUpgradeRequest,
} from '../protocol/handshake.js';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/connection.js';
import { destroyOnError, readRequest, refuseAndClose } from './request-reader.js';
import type { TraceOption } from './trace.js';
import { WebSocket } from './websocket.js';

/** What `verifyClient` may answer: accept, refuse with 401, or refuse with a status and reason. */
export type VerifyClientResult = boolean | { status: number; reason?: string; headers?: Record<string, string> };

export interface WebSocketServerOptions {
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
  /** Choose a subprotocol among those offered, or `false` for none. Default: none. */
  handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  /** Accept or refuse a client before the handshake completes (e.g. Origin or token checks). */
  verifyClient?: (request: IncomingMessage) => VerifyClientResult | PromiseLike<VerifyClientResult>;
  /** How long a connection may wait for the peer's Close (ms). Default 30 s. */
  closeTimeout?: number;
  /** How long `verifyClient` may take before the request is refused (ms). Default 10 s. */
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
}

const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** Each server's 'upgrade' listener → its server (to tell ours from the user's). */
const upgradeListeners = new WeakMap<object, WebSocketServer>();

export class WebSocketServer extends EventEmitter<WebSocketServerEventMap> {
  /** The open connections (when `clientTracking` is on). */
  readonly clients = new Set<WebSocket>();
  readonly options: Readonly<WebSocketServerOptions>;
  /** The user's HTTP(S) server whose 'upgrade' events we take (`server` option). */
  private readonly httpServer: HttpServer | HttpsServer | null;
  /** Our own listener (`port` option). */
  private readonly tcpServer: TcpServer | null;
  private closed = false;

  constructor(options: WebSocketServerOptions, onListening?: () => void) {
    super();
    this.options = options;
    const modes = Number(options.port !== undefined) + Number(options.server !== undefined) + Number(options.noServer === true);
    if (modes !== 1) {
      throw new TypeError('Exactly one of the "port", "server" or "noServer" options must be given');
    }
    if (options.port !== undefined) {
      // Our own port: HTTP read straight from TCP (request-reader.ts), no node:http server.
      const server = createTcpServer({ noDelay: true }, (socket) =>
        readRequest(socket, {
          timeout: this.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
          onUpgrade: this.onUpgrade,
        }),
      );
      server.on('listening', () => this.emit('listening'));
      server.on('error', (error) => this.emit('error', error));
      server.listen(options.port, options.host, onListening);
      this.tcpServer = server;
      this.httpServer = null;
    } else if (options.server !== undefined) {
      this.httpServer = options.server;
      this.tcpServer = null;
      if (onListening !== undefined) this.httpServer.once('listening', onListening);
    } else {
      this.httpServer = null;
      this.tcpServer = null;
    }
    upgradeListeners.set(this.onUpgrade, this);
    this.httpServer?.on('upgrade', this.onUpgrade);
  }

  /** The address of the listening server (as `net.Server#address()`). */
  address(): AddressInfo | string | null {
    const server = this.tcpServer ?? this.httpServer;
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
  handleUpgrade(
    request: IncomingMessage,
    stream: Duplex,
    head: Buffer,
    callback: (socket: WebSocket, request: IncomingMessage) => void,
  ): void {
    const socket = stream as Socket;
    // Until the WebSocket owns it, a socket error must not become an uncaught exception.
    socket.on('error', destroyOnError);
    if (this.closed) {
      this.refuse(socket, request, 503, 'The server is shutting down');
      return;
    }
    const validation = validateUpgradeRequest(request);
    if (!validation.ok) {
      this.refuse(socket, request, validation.status, validation.reason, validation.headers);
      return;
    }
    let protocol: string | undefined;
    if (validation.protocols.length > 0 && this.options.handleProtocols !== undefined) {
      let chosen: string | false;
      try {
        chosen = this.options.handleProtocols(new Set(validation.protocols), request);
      } catch (error) {
        this.refuse(socket, request, 500, `handleProtocols failed: ${(error as Error).message}`);
        return;
      }
      if (chosen !== false) {
        // §4.2.2 item 5: the selected subprotocol must be one the client offered.
        if (!validation.protocols.includes(chosen)) {
          this.refuse(socket, request, 500, 'handleProtocols chose a subprotocol the client did not offer');
          return;
        }
        protocol = chosen;
      }
    }
    const accept = (): void => this.completeHandshake(socket, head, validation.key, protocol, request, callback);
    const verify = this.options.verifyClient;
    if (verify === undefined) {
      accept();
      return;
    }
    let verdict: VerifyClientResult | PromiseLike<VerifyClientResult>;
    try {
      verdict = verify(request);
    } catch (error) {
      this.refuse(socket, request, 500, `verifyClient failed: ${(error as Error).message}`);
      return;
    }
    if (!isThenable(verdict)) {
      this.applyVerdict(verdict, socket, request, accept);
      return;
    }
    const timeout = this.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      this.refuse(socket, request, 408, 'Handshake timed out while verifying the client');
    }, timeout);
    timer.unref();
    verdict.then(
      (result) => {
        if (settled) return;
        clearTimeout(timer);
        this.applyVerdict(result, socket, request, accept);
      },
      (error: unknown) => {
        if (settled) return;
        clearTimeout(timer);
        this.refuse(socket, request, 500, `verifyClient failed: ${(error as Error)?.message ?? String(error)}`);
      },
    );
  }

  /**
   * Stop accepting connections. Open connections are left to finish (as in `ws` 8); close them
   * with their own `close()` or through a Hub. The callback runs once the server is closed.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.closed) {
      if (callback !== undefined) process.nextTick(callback);
      return;
    }
    this.closed = true;
    this.httpServer?.removeListener('upgrade', this.onUpgrade);
    const finish = (): void => {
      this.emit('close');
      callback?.();
    };
    // Stop listening now; open connections are left to finish (their sockets close on their own).
    this.tcpServer?.close();
    process.nextTick(finish);
  }

  /**
   * Write the 101 response and hand the socket to a new WebSocket. A method of its own, so that
   * no closure kept for the connection's lifetime captures the request (its headers would stay
   * in memory for as long as the connection lives).
   */
  private completeHandshake(
    socket: Socket,
    head: Buffer,
    key: string,
    protocol: string | undefined,
    request: IncomingMessage,
    callback: (socket: WebSocket, request: IncomingMessage) => void,
  ): void {
    if (socket.destroyed || !socket.writable) return;
    socket.removeListener('error', destroyOnError);
    socket.write(buildAcceptResponse({ key, protocol }));
    const ws = new WebSocket(null);
    ws.setSocket(socket, head, {
      role: 'server',
      maxPayload: this.options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      closeTimeout: this.options.closeTimeout,
      protocol,
      trace: this.options.trace,
    });
    if (this.options.clientTracking !== false) {
      this.clients.add(ws);
      ws.on('close', this.untrack);
    }
    callback(ws, request);
  }

  /** One listener shared by every tracked socket: EventEmitter calls it with `this` = the socket. */
  private readonly untrack = ((clients: Set<WebSocket>) =>
    function untrack(this: WebSocket): void {
      clients.delete(this);
    })(this.clients);

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!this.shouldHandle(request)) {
      // Another server on the same HTTP server may own this path; refuse only if none does.
      if (this.tcpServer !== null || (this.httpServer !== null && this.isUnclaimedUpgrade(request))) {
        (socket as Socket).on('error', destroyOnError);
        this.refuse(socket as Socket, request, 400, `No WebSocket endpoint at this path`);
      }
      return;
    }
    this.handleUpgrade(request, socket, head, (ws, req) => this.emit('connection', ws, req));
  };

  /**
   * Servers sharing one HTTP server (each on its own path) see every upgrade. The last of them
   * refuses one that none takes, so that it is answered once and not left hanging; if the user
   * has upgrade listeners of their own, the request is theirs.
   */
  private isUnclaimedUpgrade(request: IncomingMessage): boolean {
    const listeners = this.httpServer!.listeners('upgrade');
    if (listeners[listeners.length - 1] !== this.onUpgrade) return false;
    return listeners.every((listener) => {
      const owner = upgradeListeners.get(listener);
      return owner !== undefined && !owner.shouldHandle(request);
    });
  }

  private applyVerdict(
    verdict: VerifyClientResult,
    socket: Socket,
    request: IncomingMessage,
    accept: () => void,
  ): void {
    if (verdict === true) accept();
    else if (verdict === false) this.refuse(socket, request, 401, 'Unauthorized');
    else this.refuse(socket, request, verdict.status, verdict.reason ?? 'Refused', verdict.headers);
  }

  private refuse(
    socket: Socket,
    request: IncomingMessage,
    status: number,
    reason: string,
    headers?: Record<string, string>,
  ): void {
    refuseAndClose(socket, status, reason, headers);
    this.emit('rejection', status, reason, request);
  }
}

/** A promise or any promise-like (a thenable from another library). */
function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
