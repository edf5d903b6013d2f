/**
 * `WebSocket`: the `ws`-shaped façade of one connection, so that a `ws` user switches by changing
 * the import. Every class member `ws` documents (doc/ws.md) behaves as there: argument checks and
 * their errors, events and their order, `binaryType`, the EventTarget side (event-target.ts).
 *
 * It holds no protocol state: what may be sent and how the connection ended come from the
 * connection's protocol object (src/protocol/), reached through its socket transport
 * (socket-transport.ts), which does the I/O. What stays here is the public API.
 */
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Opcode } from '../protocol/frame.js';
import { ReadyState } from '../protocol/protocol.js';
import { parseExtensionHeader } from '../protocol/extensions/extension-header.js';
import { dial, type ClientOptions, type Dial, type DialObserver } from './client.js';
import { addEventListener, defineEventAttributes, kClosedCleanly, removeEventListener } from './event-target.js';
import type { AddEventListenerOptions, CloseEvent, ErrorEvent, Event, EventListenerOf, MessageEvent } from './event-target.js';
import { BINARY_TYPES, binaryMessageData, rawDataLength, type BinaryType } from './message-data.js';
import { notOpenError } from './not-open-error.js';
import { byteLengthOf, queueData, type SendData } from './send-data.js';
import type { SendCallback, SocketTransport, TransportObserver } from './socket-transport.js';

export type { SendData, SendCallback, BinaryType };
export { rawDataLength };

export interface SendOptions {
  /** Send as a binary message. Default: true for anything but a string (or a number). */
  binary?: boolean;
  /** Is this the last fragment of the message? Default true (§5.4 fragmentation when false). */
  fin?: boolean;
  /** Compress the message when permessage-deflate was negotiated (RFC 7692). Default true. */
  compress?: boolean;
  /** Accepted for `ws` compatibility and ignored: a client always masks (§5.3), a server never does. */
  mask?: boolean;
}

/** A message's data: a Buffer for text; for binary, what `binaryType` says. */
export type RawData = Buffer | ArrayBuffer | Buffer[] | Blob;

/** The events a WebSocket emits, with their arguments. */
export interface WebSocketEventMap {
  open: [];
  message: [data: RawData, isBinary: boolean];
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

/** What the node layer can do to a WebSocket that its public API does not offer (set in a static block). */
let attachTransport: (ws: WebSocket, transport: SocketTransport, protocol: string, extensions: string) => void;
let getTransport: (ws: WebSocket) => SocketTransport | null;
/** A function, not a closure per socket: what to do when a Blob being sent cannot be read. */
let blobFailed: (ws: WebSocket, error: Error) => void;

export class WebSocket extends EventEmitter<WebSocketEventMap> {
  // Defined below the class as `ws` defines them: enumerable, read-only, on the class and its prototype.
  declare static readonly CONNECTING: ReadyState.Connecting;
  declare static readonly OPEN: ReadyState.Open;
  declare static readonly CLOSING: ReadyState.Closing;
  declare static readonly CLOSED: ReadyState.Closed;
  declare readonly CONNECTING: ReadyState.Connecting;
  declare readonly OPEN: ReadyState.Open;
  declare readonly CLOSING: ReadyState.Closing;
  declare readonly CLOSED: ReadyState.Closed;
  // The event handler attributes (event-target.ts), on the prototype.
  declare onopen: ((this: WebSocket, event: Event) => void) | null;
  declare onmessage: ((this: WebSocket, event: MessageEvent) => void) | null;
  declare onerror: ((this: WebSocket, event: ErrorEvent) => void) | null;
  declare onclose: ((this: WebSocket, event: CloseEvent) => void) | null;

  /** The open connection (null until the handshake has completed). */
  #transport: SocketTransport | null = null;
  /** Client: the handshake in progress, until it ends. */
  #dial: Dial | null = null;
  #url: string | undefined;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'nodebuffer';
  /** 'close' was emitted: the WebSocket is CLOSED from then on (as in `ws`). */
  #closeEmitted = false;
  /** Bytes given to sends after the connection stopped being open (`ws` counts them in bufferedAmount). */
  #unsentBytes = 0;

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
    if (address === null) return;
    const optionsGiven = typeof protocolsOrOptions === 'object' && !Array.isArray(protocolsOrOptions);
    const protocols = optionsGiven ? undefined : protocolsOrOptions;
    const dialOptions = (optionsGiven ? protocolsOrOptions : options) ?? {};
    const dialing = dial(address, protocols, dialOptions, this.#dialObserver());
    this.#url = dialing.url;
    this.#dial = dialing;
    dialing.start();
  }

  /** The binary data type of 'message' events: 'nodebuffer' (default), 'arraybuffer', 'fragments' or 'blob'. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(type: BinaryType) {
    if (!BINARY_TYPES.includes(type)) return; // as in `ws`: anything else is ignored
    this.#binaryType = type;
    if (this.#transport !== null) this.#transport.protocol.deliverFragments = type === 'fragments';
  }

  /** Bytes queued but not yet handed to the operating system (framing included, as in `ws`). */
  get bufferedAmount(): number {
    return (this.#transport?.bufferedAmount ?? 0) + this.#unsentBytes;
  }

  /** The names of the extensions agreed in the handshake, comma-separated ('' if none). */
  get extensions(): string {
    return this.#extensions;
  }

  /** Is reading paused by `pause()`? */
  get isPaused(): boolean {
    return this.#transport?.isPaused === true;
  }

  /** The subprotocol agreed in the handshake ('' if none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** §4.1, §7.1: CONNECTING, OPEN, CLOSING or CLOSED; CLOSED once 'close' was emitted. */
  get readyState(): ReadyState {
    if (this.#closeEmitted) return ReadyState.Closed;
    const transport = this.#transport;
    // A client before it opens: its handshake says; a server-side WebSocket not yet given its connection is connecting.
    if (transport === null) return this.#dial === null ? ReadyState.Connecting : this.#dial.state;
    const state = transport.protocol.state;
    // TCP is closed but 'close' is still to come: closing, as `ws` says until it emits.
    return state === ReadyState.Closed ? ReadyState.Closing : state;
  }

  /** The URL dialed, `ws:` or `wss:` (client); undefined on the server side, as in `ws`. */
  get url(): string | undefined {
    return this.#url;
  }

  // --- the EventTarget side (event-target.ts) ------------------------------------------------

  addEventListener<K extends 'open' | 'message' | 'error' | 'close'>(
    type: K,
    listener: EventListenerOf<EventFor<K>, WebSocket>,
    options?: AddEventListenerOptions,
  ): void {
    addEventListener(this, type, listener, options);
  }

  removeEventListener<K extends 'open' | 'message' | 'error' | 'close'>(
    type: K,
    listener: EventListenerOf<EventFor<K>, WebSocket>,
  ): void {
    removeEventListener(this, type, listener);
  }

  // --- sending -------------------------------------------------------------------------------

  /**
   * Send a message: strings as text, anything else as binary unless `options.binary` says
   * otherwise. Throws while CONNECTING; once CLOSING or CLOSED the error goes to `callback`.
   */
  send(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): void {
    this.#throwIfConnecting();
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    if (typeof data === 'number') data = String(data);
    const transport = this.#sendable();
    if (transport === null) return this.#sendAfterClose(data, callback);
    const binary = options?.binary ?? typeof data !== 'string';
    const opcode = binary ? Opcode.Binary : Opcode.Text;
    queueData(transport, opcode, data, options?.fin ?? true, options?.compress ?? true, callback, this, blobFailed);
  }

  /** Send a Ping (§5.5.2): at most 125 bytes (a RangeError otherwise). Throws while CONNECTING. */
  ping(data?: SendData | SendCallback, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.#sendControl(Opcode.Ping, data, mask, callback);
  }

  /** Send an unsolicited Pong (§5.5.3), e.g. as a unidirectional heartbeat. Throws while CONNECTING. */
  pong(data?: SendData | SendCallback, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.#sendControl(Opcode.Pong, data, mask, callback);
  }

  /**
   * Start the closing handshake (§7.1.2): send a Close frame, wait for the peer's, then close TCP.
   * A peer that never answers is cut off after `closeTimeout`. An invalid code throws a TypeError,
   * a reason over 123 bytes a RangeError (`ws`'s errors); a reason without a code is ignored.
   */
  close(code?: number, reason?: string | Uint8Array): void {
    if (this.#notOpenYetOrClosed() || this.readyState === ReadyState.Closing) return;
    const transport = this.#transport!;
    // `ws` leaves out an empty reason, or any reason without a code.
    const hasReason = code !== undefined && Number((reason as { length?: unknown } | undefined)?.length) > 0;
    transport.protocol.sendClose(code, hasReason ? reason : undefined);
    transport.scheduleFlush();
  }

  /** Close TCP at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    if (!this.#notOpenYetOrClosed()) this.#transport!.terminate();
  }

  /** Stop reading the peer (events already read may still come). Does nothing while CONNECTING or once CLOSED. */
  pause(): void {
    if (this.#transport !== null && this.readyState !== ReadyState.Closed) this.#transport.setUserPaused(true);
  }

  /** Read the peer again after `pause()`. Does nothing while CONNECTING or once CLOSED. */
  resume(): void {
    if (this.#transport !== null && this.readyState !== ReadyState.Closed) this.#transport.setUserPaused(false);
  }

  // --- internals -----------------------------------------------------------------------------

  /** Are both Close frames exchanged? (CloseEvent.wasClean, as in `ws`) */
  get [kClosedCleanly](): boolean {
    const protocol = this.#transport?.protocol ?? null;
    return protocol !== null && protocol.closeSent && protocol.closeReceived;
  }

  /** The server's handshake or the dialer's completed: take over the open connection. */
  #attach(transport: SocketTransport, protocol: string, extensions: string): void {
    this.#transport = transport;
    this.#dial = null;
    this.#protocol = protocol;
    // `ws` lists the names only: "permessage-deflate", without parameters.
    const parsed = parseExtensionHeader(extensions);
    this.#extensions = typeof parsed === 'string' ? '' : parsed.map((element) => element.name).join(',');
    transport.protocol.deliverFragments = this.#binaryType === 'fragments';
    transport.setObserver(WebSocket.#openObserver, this);
  }

  #throwIfConnecting(): void {
    // Once opened a socket is never CONNECTING again: one field read on the sending path.
    if (this.#transport === null && this.readyState === ReadyState.Connecting) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
  }

  #sendControl(
    opcode: Opcode.Ping | Opcode.Pong,
    data: SendData | SendCallback,
    mask: boolean | SendCallback | undefined,
    callback: SendCallback | undefined,
  ): void {
    this.#throwIfConnecting();
    if (typeof data === 'function') {
      callback = data;
      data = undefined;
    } else if (typeof mask === 'function') {
      callback = mask;
    }
    if (typeof data === 'number') data = String(data);
    const transport = this.#sendable();
    if (transport === null) return this.#sendAfterClose(data, callback);
    queueData(transport, opcode, data, true, false, callback, this, blobFailed);
  }

  /** The transport, if a message may be sent on it now (open, and no Close sent: §5.5.1). */
  #sendable(): SocketTransport | null {
    const transport = this.#transport;
    return transport !== null && transport.protocol.canSend ? transport : null;
  }

  /** `ws`: a send once CLOSING or CLOSED counts its bytes in bufferedAmount and fails its callback. */
  #sendAfterClose(data: Exclude<SendData, number>, callback: SendCallback | undefined): void {
    if (data) this.#unsentBytes += byteLengthOf(data);
    if (callback !== undefined) process.nextTick(callback, notOpenError(this.readyState));
  }

  /** A Blob could not be read: `ws` reports the error and closes. */
  #blobFailed(error: Error): void {
    this.#emitError(error);
    if (this.#transport?.protocol.canSend === true) this.close(1011);
  }

  /** CLOSED, or CONNECTING: then the handshake is abandoned (as `ws` and browsers do). */
  #notOpenYetOrClosed(): boolean {
    const state = this.readyState;
    if (state === ReadyState.Connecting) this.#dial?.abort(new Error('WebSocket was closed before the connection was established'));
    return state === ReadyState.Connecting || state === ReadyState.Closed;
  }

  #emitError(error: Error): void {
    // A peer's misbehaviour must never crash the process: only emit when someone listens.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #emitClose(code: number, reason: Buffer): void {
    this.#closeEmitted = true;
    this.emit('close', code, reason);
  }

  /** What an open connection reports: one object for every WebSocket (it gets the socket as `ws`). */
  static readonly #openObserver: TransportObserver<WebSocket> = {
    onMessage: (ws, data, isBinary) => ws.emit('message', isBinary ? binaryMessageData(data, ws.#binaryType) : (data as Buffer), isBinary),
    onPing: (ws, data) => ws.emit('ping', data),
    onPong: (ws, data) => ws.emit('pong', data),
    onError: (ws, error) => ws.#emitError(error),
    onClose: (ws, code, reason) => ws.#emitClose(code, reason),
    onDrain: (ws) => ws.emit('drain'),
  };

  /** What the dialer reports while a client's handshake runs. */
  #dialObserver(): DialObserver<WebSocket> {
    return {
      owner: this,
      listens: (event) => this.listenerCount(event) > 0,
      onUpgrade: (response) => this.emit('upgrade', response),
      onUnexpectedResponse: (request, response) => this.emit('unexpected-response', request, response),
      onRedirect: (url, request) => {
        this.#url = url;
        if (request !== null) this.emit('redirect', url, request);
      },
      onOpen: (transport, protocol, extensions) => {
        this.#attach(transport, protocol, extensions);
        this.emit('open');
      },
      onError: (error) => this.#emitError(error),
      onClose: () => {
        this.#dial = null;
        this.#emitClose(1006, EMPTY);
      },
    };
  }

  static {
    attachTransport = (ws, transport, protocol, extensions) => ws.#attach(transport, protocol, extensions);
    getTransport = (ws) => ws.#transport;
    blobFailed = (ws, error) => ws.#blobFailed(error);
  }
}

type EventFor<K> = K extends 'message' ? MessageEvent : K extends 'close' ? CloseEvent : K extends 'error' ? ErrorEvent : Event;

// `ws`'s property descriptors: the constants read-only and enumerable on the class and its
// prototype; the attributes enumerable accessors on the prototype.
for (const [name, value] of [
  ['CONNECTING', ReadyState.Connecting],
  ['OPEN', ReadyState.Open],
  ['CLOSING', ReadyState.Closing],
  ['CLOSED', ReadyState.Closed],
] as const) {
  Object.defineProperty(WebSocket, name, { value, enumerable: true });
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}
const enumerable = ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url', 'addEventListener', 'removeEventListener'];
for (const name of enumerable) {
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true });
}
defineEventAttributes(WebSocket.prototype);

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
