/**
 * `WebSocket`: the `ws`-shaped façade of one connection, so that a `ws` user switches by changing
 * the import.
 *
 * It holds no protocol state: `readyState`, what may be sent and how the connection ended all
 * come from the connection's protocol object (src/protocol/), reached through its socket
 * transport (socket-transport.ts), which does the I/O. What stays here is the public API:
 * argument checks, events, and the shape of what the application receives.
 */
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { ReadyState } from '../protocol/protocol.js';
import { dial, type ClientOptions, type Dial, type DialObserver } from './client.js';
import { notOpenError, type SendCallback, type SocketTransport, type TransportObserver } from './socket-transport.js';

export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;
export type { SendCallback };

export interface SendOptions {
  /** Send as a binary message. Default: true for bytes, false for strings. */
  binary?: boolean;
  /** Is this the last fragment of the message? Default true (§5.4 fragmentation when false). */
  fin?: boolean;
  /** Compress the message when permessage-deflate was negotiated (RFC 7692). Default true. */
  compress?: boolean;
  /** Accepted for `ws` compatibility: a client always masks (§5.3) and a server never does. */
  mask?: boolean;
}

/** The events a WebSocket emits, with their arguments. */
export interface WebSocketEventMap {
  open: [];
  message: [data: Buffer, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  close: [code: number, reason: Buffer];
  error: [error: Error];
  drain: [];
  /** Client only: the server's 101 response, before it is checked (its Set-Cookie headers...). */
  upgrade: [response: IncomingMessage];
  /**
   * Client only: a response other than 101. With a listener there is no 'error': ending the
   * handshake (close() or terminate()) is the listener's job, as in `ws`.
   */
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
  /** Client only: a redirect is followed; `request` has its headers queued, not yet sent. */
  redirect: [url: string, request: ClientRequest];
}

const EMPTY = Buffer.alloc(0);

function toBytes(data: Exclude<SendData, string>): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** What the node layer can do to a WebSocket that its public API does not offer (set in a static block). */
let attachTransport: (ws: WebSocket, transport: SocketTransport, protocol: string, extensions: string) => void;
let getTransport: (ws: WebSocket) => SocketTransport | null;
let emitError: (ws: WebSocket, error: Error) => void;
let setUrl: (ws: WebSocket, url: string) => void;

export class WebSocket extends EventEmitter<WebSocketEventMap> {
  static readonly CONNECTING = ReadyState.Connecting;
  static readonly OPEN = ReadyState.Open;
  static readonly CLOSING = ReadyState.Closing;
  static readonly CLOSED = ReadyState.Closed;
  // On the prototype (defined below the class), not copied into every connection.
  declare readonly CONNECTING: ReadyState.Connecting;
  declare readonly OPEN: ReadyState.Open;
  declare readonly CLOSING: ReadyState.Closing;
  declare readonly CLOSED: ReadyState.Closed;

  /** The connection (for a client: the one its handshake runs on, until it opens). */
  #transport: SocketTransport | null = null;
  /** Client: the handshake in progress, until it ends. */
  #dial: Dial | null = null;
  #url: string;
  #protocol = '';
  #extensions = '';

  /**
   * Dial a server: `new WebSocket('ws://host/path', ['chat'], options)` (the client), or, as
   * `ws` allows, `new WebSocket(url, options)` when no subprotocol is offered.
   * Server-side sockets are made by `WebSocketServer`, which passes `null`.
   */
  constructor(address: string | URL | null, options?: ClientOptions<WebSocket>);
  constructor(address: string | URL | null, protocols?: string | string[], options?: ClientOptions<WebSocket>);
  constructor(
    address: string | URL | null,
    protocolsOrOptions?: string | string[] | ClientOptions<WebSocket>,
    options?: ClientOptions<WebSocket>,
  ) {
    super();
    this.#url = address === null ? '' : String(address);
    if (address === null) return;
    const optionsGiven = typeof protocolsOrOptions === 'object' && !Array.isArray(protocolsOrOptions);
    const protocols = optionsGiven ? undefined : protocolsOrOptions;
    const dialOptions = (optionsGiven ? protocolsOrOptions : options) ?? {};
    const dialing = dial(address, protocols, dialOptions, dialObserverFor(this));
    this.#dial = dialing;
    this.#url = dialing.url;
    dialing.start();
  }

  /** The subprotocol agreed in the handshake ('' if none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions agreed in the handshake (the Sec-WebSocket-Extensions value, '' if none). */
  get extensions(): string {
    return this.#extensions;
  }

  /** The URL dialed, normalised as `ws` gives it (the last redirect's), or '' on the server side. */
  get url(): string {
    return this.#url;
  }

  /** §4.1, §7.1: CONNECTING, OPEN, CLOSING or CLOSED, as the connection's protocol object says. */
  get readyState(): ReadyState {
    const transport = this.#transport;
    if (transport !== null) return transport.protocol.state;
    // A client before it opens: its handshake says; a server-side WebSocket not yet given its connection is connecting.
    return this.#dial === null ? ReadyState.Connecting : this.#dial.state;
  }

  /** Bytes queued but not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.#transport === null ? 0 : this.#transport.bufferedAmount;
  }

  // --- sending -------------------------------------------------------------------------------

  /**
   * Send a message. Strings go as text and bytes as binary unless `options.binary` says
   * otherwise. If the socket is not open the error goes to `callback` (or to 'error' listeners).
   */
  send(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): void {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    const transport = this.#sendable();
    if (transport === null) {
      this.#reportNotOpen(callback);
      return;
    }
    const protocol = transport.protocol;
    const binary = options?.binary ?? typeof data !== 'string';
    const fin = options?.fin ?? true;
    const compress = options?.compress ?? true;
    if (typeof data === 'string') {
      if (binary) protocol.sendBinary(Buffer.from(data), fin, compress);
      else protocol.sendText(data, fin, compress);
    } else if (binary) {
      protocol.sendBinary(toBytes(data), fin, compress);
    } else {
      protocol.sendText(toBytes(data), fin, compress);
    }
    if (callback !== undefined) transport.addCallback(callback);
    transport.scheduleFlush();
  }

  /** Send a Ping (§5.5.2). The payload is at most 125 bytes (a RangeError otherwise). */
  ping(data?: SendData, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.#sendControl(true, data, typeof mask === 'function' ? mask : callback);
  }

  /** Send an unsolicited Pong (§5.5.3), e.g. as a unidirectional heartbeat. */
  pong(data?: SendData, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.#sendControl(false, data, typeof mask === 'function' ? mask : callback);
  }

  /**
   * Start the closing handshake (§7.1.2): send a Close frame, wait for the peer's, then close TCP.
   * A peer that never answers is cut off after `closeTimeout`. Throws TypeError/RangeError on an
   * invalid code or a reason over 123 bytes.
   */
  close(code?: number, reason?: string | Buffer): void {
    const transport = this.#transport;
    const state = this.readyState;
    if (state === ReadyState.Closed) return;
    if (state === ReadyState.Connecting) {
      // The handshake has not finished: abandon it (as `ws` and browsers do).
      this.#abortHandshake();
      return;
    }
    transport!.protocol.sendClose(code, reason);
    transport!.scheduleFlush();
  }

  /** Close TCP at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    const state = this.readyState;
    if (state === ReadyState.Closed) return;
    if (state === ReadyState.Connecting) {
      this.#abortHandshake();
      return;
    }
    this.#transport!.terminate();
  }

  // --- internals -----------------------------------------------------------------------------

  /** The server's handshake or the dialer's completed: take over the open connection. */
  #attach(transport: SocketTransport, protocol: string, extensions: string): void {
    this.#transport = transport;
    this.#dial = null;
    this.#protocol = protocol;
    this.#extensions = extensions;
    transport.setObserver(openObserver, this);
  }

  #sendControl(isPing: boolean, data: SendData | undefined, callback: SendCallback | undefined): void {
    const transport = this.#sendable();
    if (transport === null) {
      this.#reportNotOpen(callback);
      return;
    }
    const payload = data === undefined ? EMPTY : typeof data === 'string' ? data : toBytes(data);
    if (isPing) transport.protocol.sendPing(payload);
    else transport.protocol.sendPong(payload);
    if (callback !== undefined) transport.addCallback(callback);
    transport.scheduleFlush();
  }

  /** The transport, if a message may be sent on it now (open, and no Close sent: §5.5.1). */
  #sendable(): SocketTransport | null {
    const transport = this.#transport;
    return transport !== null && transport.protocol.canSend ? transport : null;
  }

  #reportNotOpen(callback: SendCallback | undefined): void {
    const error = notOpenError(this.readyState);
    if (callback !== undefined) process.nextTick(callback, error);
    else process.nextTick(() => this.#emitError(error));
  }

  #abortHandshake(): void {
    this.#dial?.abort(new Error('WebSocket was closed before the connection was established'));
  }

  #emitError(error: Error): void {
    // A peer's misbehaviour must never crash the process: only emit when someone listens.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  static {
    attachTransport = (ws, transport, protocol, extensions) => ws.#attach(transport, protocol, extensions);
    getTransport = (ws) => ws.#transport;
    emitError = (ws, error) => ws.#emitError(error);
    setUrl = (ws, url) => {
      ws.#url = url;
    };
  }
}

/** What an open connection reports: one object for every WebSocket (it gets the socket as `ws`). */
const openObserver: TransportObserver<WebSocket> = {
  onMessage: (ws, data, isBinary) => ws.emit('message', data, isBinary),
  onPing: (ws, data) => ws.emit('ping', data),
  onPong: (ws, data) => ws.emit('pong', data),
  onError: (ws, error) => emitError(ws, error),
  onClose: (ws, code, reason) => ws.emit('close', code, reason),
  onDrain: (ws) => ws.emit('drain'),
};

/** What the dialer reports while a client's handshake runs. */
function dialObserverFor(ws: WebSocket): DialObserver<WebSocket> {
  return {
    owner: ws,
    listens: (event) => ws.listenerCount(event) > 0,
    onUpgrade: (response) => ws.emit('upgrade', response),
    onUnexpectedResponse: (request, response) => ws.emit('unexpected-response', request, response),
    onRedirect(url, request) {
      setUrl(ws, url);
      if (request !== null) ws.emit('redirect', url, request);
    },
    onOpen(transport, protocol, extensions) {
      attachTransport(ws, transport, protocol, extensions);
      ws.emit('open');
    },
    onError: (error) => emitError(ws, error),
    onClose: () => ws.emit('close', 1006, EMPTY),
  };
}

for (const [name, value] of [
  ['CONNECTING', ReadyState.Connecting],
  ['OPEN', ReadyState.Open],
  ['CLOSING', ReadyState.Closing],
  ['CLOSED', ReadyState.Closed],
] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}

/** For the node layer: give a server-side WebSocket its open connection. */
export function attachOpenConnection(ws: WebSocket, transport: SocketTransport, protocol: string, extensions: string): void {
  attachTransport(ws, transport, protocol, extensions);
}

/**
 * For the node layer and the Hub: the transport of a WebSocket made by this library (null while
 * a client is still dialing, or for a WebSocket of another library). Not part of the public API.
 */
export function transportOf(ws: WebSocket): SocketTransport | null {
  return getTransport(ws);
}
