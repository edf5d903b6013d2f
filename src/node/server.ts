/**
 * `WebSocketServer`: accepts WebSocket connections on a `node:http` server's 'upgrade' event, or
 * on its own port. Each connection's handshake is read and checked by its `ServerProtocol`
 * (src/protocol/server-protocol.ts); this module runs the application's hooks
 * (upgrade-decision.ts), answers, and hands the open connection to a `WebSocket`.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_PAYLOAD, ReadyState } from '../protocol/protocol.js';
import { ServerProtocol, type HandshakeOffer, type HandshakeRequest } from '../protocol/server-protocol.js';
import { fromIncomingMessage, readPipelined, startHandshakeDeadline, toIncomingMessage } from './front-door.js';
import type { ClientOptions } from './client.js';
import { DEFAULT_MAX_BUFFERED_CHUNKS, DEFAULT_MAX_FRAGMENTS, receiveOptions } from './receive-options.js';
import type { HookName, WebSocketServerEventMap, WebSocketServerOptions } from './server-options.js';
import { DEFAULT_CLOSE_TIMEOUT, SocketTransport, type HandshakeObserver } from './socket-transport.js';
import { resolveTraceSink } from './trace.js';
import { decideUpgrade, type UpgradeDecision } from './upgrade-decision.js';
import { WebSocket, attachOpenConnection } from './websocket.js';

export type { VerifyClientResult, VerifyClientInfo, VerifyClientCallback } from './upgrade-decision.js';
export type { WebSocketServerOptions, WebSocketServerEventMap } from './server-options.js';

const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

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

type ConnectionCallback<T> = (socket: T, request: IncomingMessage) => void;

/** Sockets a server's handleUpgrade took already (`ws` refuses a second call with one). */
const upgradedStreams = new WeakSet<Duplex>();

export class WebSocketServer<T extends WebSocket = WebSocket> extends EventEmitter<WebSocketServerEventMap<T>> {
  /** The open connections; undefined when `clientTracking` is false (as in `ws`). */
  declare readonly clients: Set<T>;
  readonly options: Readonly<WebSocketServerOptions<T>>;
  /** The user's HTTP(S) server whose 'upgrade' events we take (`server` option). */
  #httpServer: HttpServer | HttpsServer | null = null;
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
    const modes = Number(options.port != null) + Number(Boolean(options.server)) + Number(Boolean(options.noServer));
    if (modes !== 1) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    if (this.options.clientTracking) Object.defineProperty(this, 'clients', { value: new Set<T>(), enumerable: true });
    if (options.port != null) {
      // Our own port: HTTP read straight from TCP (front-door.ts), no node:http server.
      const server = createTcpServer({ noDelay: true }, (socket) => this.#acceptTcp(socket));
      server.listen(options.port, options.host, options.backlog, onListening);
      this.#tcpServer = server;
    } else if (options.server) {
      this.#httpServer = options.server;
      if (onListening !== undefined) this.#httpServer.once('listening', onListening);
      upgradeListeners.set(this.#onUpgrade, this);
      this.#httpServer.on('upgrade', this.#onUpgrade);
    }
    // As in `ws`, the underlying server's 'listening' and 'error' are ours too (until close()).
    this.#underlyingServer?.on('listening', this.#emitListening).on('error', this.#emitError);
  }

  get #underlyingServer(): TcpServer | HttpServer | HttpsServer | null {
    return this.#tcpServer ?? this.#httpServer;
  }

  readonly #emitListening = (): void => void this.emit('listening');
  readonly #emitError = (error: Error): void => void this.emit('error', error);

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
  #startHandshake(stream: Duplex, incoming: IncomingMessage | null, callback: ConnectionCallback<T>): SocketTransport {
    const handshake = new ServerHandshake(this.#handshakeHost, incoming, callback);
    const options = receiveOptions(this.options);
    const transport = new SocketTransport(stream, (handler) => new ServerProtocol(handler, options), handshake);
    handshake.transport = transport;
    return transport;
  }

  /** What a handshake in progress needs from its server (private to this module). */
  readonly #handshakeHost: HandshakeHost<T> = {
    options: () => this.options,
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

interface HandshakeHost<T extends WebSocket> {
  options(): Readonly<WebSocketServerOptions<T>>;
  running(): boolean;
  shouldHandle(request: IncomingMessage): boolean;
  listens(event: 'headers' | 'wsClientError'): boolean;
  /** Emit an event if anyone listens to it; true if someone did. */
  emit(event: 'hookError' | 'headers' | 'wsClientError', ...args: unknown[]): boolean;
  emitRejection(status: number, reason: string, request: IncomingMessage): void;
  track(ws: T): void;
}

/** One server-side handshake in progress: it lives until the connection opens or is refused. */
class ServerHandshake<T extends WebSocket> implements HandshakeObserver {
  transport!: SocketTransport;
  deadline: NodeJS.Timeout | null = null;
  private readonly host: HandshakeHost<T>;
  /** The request as the application sees it (node:http's, or one made from our own reading). */
  private incoming: IncomingMessage | null;
  private readonly callback: ConnectionCallback<T>;
  private readingPipelined = false;

  constructor(host: HandshakeHost<T>, incoming: IncomingMessage | null, callback: ConnectionCallback<T>) {
    this.host = host;
    this.incoming = incoming;
    this.callback = callback;
  }

  onRequest(request: HandshakeRequest, offer: HandshakeOffer, head: Buffer): void {
    const incoming = (this.incoming ??= toIncomingMessage(this.transport.stream, request));
    if (!this.host.shouldHandle(incoming)) {
      this.decided({ accept: false, status: 400, reason: 'No WebSocket endpoint at this path' }, incoming, head);
      return;
    }
    const options = this.host.options();
    decideUpgrade(
      {
        handleProtocols: options.handleProtocols,
        verifyClient: options.verifyClient,
        timeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      },
      incoming,
      offer,
      (error, hook) => this.host.emit('hookError', error, hook, incoming),
      (decision) => this.decided(decision, incoming, head),
    );
  }

  /** `ws`'s 'wsClientError': with a listener, an invalid request is the listener's to answer. */
  onInvalidRequest(request: HandshakeRequest, _status: number, reason: string): boolean {
    if (!this.host.listens('wsClientError')) return false;
    const incoming = (this.incoming ??= toIncomingMessage(this.transport.stream, request));
    this.end();
    return this.host.emit('wsClientError', new Error(reason), this.transport.stream, incoming);
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
    const subprotocol = decision.accept ? decision.protocol : undefined;
    const ws = decision.accept ? this.accept(subprotocol, incoming) : null;
    if (ws === null) {
      if (!decision.accept) protocol.reject(decision.status, decision.reason, decision.headers);
      transport.flush();
      return;
    }
    this.end();
    const options = this.host.options();
    if (options.closeTimeout !== undefined) transport.closeTimeout = options.closeTimeout;
    if (options.allowSynchronousEvents === false) transport.deferEvents();
    // The 101 goes out before any frame, and before the trace starts (it traces frames only).
    transport.flush();
    attachOpenConnection(ws, transport, subprotocol ?? '', '');
    const traceSink = resolveTraceSink(options.trace);
    if (traceSink !== null) transport.startTrace(traceSink, subprotocol ?? '');
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

  /**
   * Make the socket (of the `WebSocket` class option) and queue the 101, with the lines 'headers'
   * listeners leave. Whatever of that throws refuses the client with a bare 500 (null).
   */
  private accept(subprotocol: string | undefined, incoming: IncomingMessage): T | null {
    const options = this.host.options();
    const protocol = this.transport.protocol as ServerProtocol;
    if (!this.host.running()) {
      protocol.reject(503, 'The server is shutting down');
      return null;
    }
    let hook: HookName = 'WebSocket';
    try {
      // As `ws`, the class is given the server's options.
      const Class = options.WebSocket ?? (WebSocket as unknown as new (address: null) => T);
      const ws = new Class(null, undefined, options as ClientOptions);
      hook = 'headers';
      // Only built (and checked) when someone listens: most servers never do.
      const lines = this.host.listens('headers') ? protocol.responseLines({ protocol: subprotocol }) : undefined;
      if (lines !== undefined) this.host.emit('headers', lines, incoming);
      protocol.accept({ protocol: subprotocol, lines });
      return ws;
    } catch (error) {
      this.host.emit('hookError', error instanceof Error ? error : new Error(String(error)), hook, incoming);
      protocol.reject(500, 'Internal Server Error');
      return null;
    }
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
