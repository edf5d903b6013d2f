/**
 * `WebSocket`: one connection over a `net.Socket` or `tls.TLSSocket`.
 *
 * The protocol lives in `Connection` (src/protocol/connection.ts); this class only moves bytes
 * between it and the socket, runs the close timer and emits events. What one read produces —
 * pongs, echoes, broadcasts — is flushed with one socket write at the end of that read; a send
 * from anywhere else is flushed on the next microtask, so batching never delays a lone message.
 *
 * Names follow `ws`, so a `ws` user switches by changing the import.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { CloseCode } from '../protocol/close.js';
import { Connection, ReadyState, type ConnectionHandler } from '../protocol/connection.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { MaskKeySource } from '../protocol/outbox.js';
import { startClientHandshake, type ClientOptions } from './client.js';
import { ConnectionTrace, resolveTraceSink, type TraceOption } from './trace.js';

export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;
export type SendCallback = (error?: Error) => void;

export interface SendOptions {
  /** Send as a binary message. Default: true for bytes, false for strings. */
  binary?: boolean;
  /** Is this the last fragment of the message? Default true (§5.4 fragmentation when false). */
  fin?: boolean;
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
  /** Client only: the HTTP response when the server refused the upgrade. */
  'unexpected-response': [statusCode: number, headers: Record<string, string | string[] | undefined>];
}

/** @internal What the server or the client hands over once the handshake is done. */
export interface AttachOptions {
  role: 'server' | 'client';
  maxPayload?: number;
  closeTimeout?: number;
  protocol?: string;
  maskKeySource?: MaskKeySource;
  /** Log every frame in and out (src/node/trace.ts); unset: `WSMITH_TRACE` decides. */
  trace?: TraceOption;
}

/**
 * Stop reading a peer while this many bytes wait to be written to it (§10.4 resource limits):
 * what its own frames produce (pongs, echoes) then stays bounded per connection.
 */
export const READ_PAUSE_THRESHOLD = 1024 * 1024;

/** RFC 6455 §7.1.1 leaves the wait for the peer's close open; `ws` waits 30 s too. */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;

const EMPTY = Buffer.alloc(0);

function notOpenError(state: ReadyState): Error {
  const name = ReadyState[state].toUpperCase();
  return Object.assign(new Error(`WebSocket is not open: readyState ${state} (${name})`), {
    code: 'WS_ERR_NOT_OPEN',
  });
}

function toBytes(data: Exclude<SendData, string>): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The socket's WebSocket, so that one set of listener functions serves every connection. */
const kWebSocket = Symbol('wsmith.WebSocket');
type OwnedSocket = Socket & { [kWebSocket]: WebSocket };

// Socket listeners shared by all connections (no closures per socket): `this` is the socket.
function socketOnData(this: Socket, chunk: Buffer): void {
  (this as OwnedSocket)[kWebSocket].handleSocketData(chunk);
}
function socketOnEnd(this: Socket): void {
  (this as OwnedSocket)[kWebSocket].handleSocketEnd();
}
function socketOnError(this: Socket): void {
  (this as OwnedSocket)[kWebSocket].handleSocketError();
}
function socketOnDrain(this: Socket): void {
  (this as OwnedSocket)[kWebSocket].handleSocketDrain();
}
function socketOnClose(this: Socket): void {
  (this as OwnedSocket)[kWebSocket].handleSocketClose();
}

/**
 * Sockets with frames queued outside a read callback, flushed together in one microtask: a
 * broadcast to a thousand sockets schedules one microtask, not a thousand.
 */
const flushQueue: WebSocket[] = [];
let flushQueued = false;

function flushAll(): void {
  flushQueued = false;
  // A flush can queue another socket (e.g. from a write callback); the loop reaches it too.
  for (let i = 0; i < flushQueue.length; i++) flushQueue[i].flush();
  flushQueue.length = 0;
}

export class WebSocket extends EventEmitter<WebSocketEventMap> implements ConnectionHandler {
  static readonly CONNECTING = ReadyState.Connecting;
  static readonly OPEN = ReadyState.Open;
  static readonly CLOSING = ReadyState.Closing;
  static readonly CLOSED = ReadyState.Closed;
  // On the prototype (defined below the class), not copied into every connection.
  declare readonly CONNECTING: ReadyState.Connecting;
  declare readonly OPEN: ReadyState.Open;
  declare readonly CLOSING: ReadyState.Closing;
  declare readonly CLOSED: ReadyState.Closed;

  /** The subprotocol agreed in the handshake ('' if none). */
  protocol = '';
  /** The extensions agreed in the handshake ('' : wsmith negotiates none yet). */
  readonly extensions = '';
  /** The URL dialed (client) or '' (server side). */
  readonly url: string;

  private _readyState: ReadyState = ReadyState.Connecting;
  private socket: Socket | null = null;
  /** Client: the socket still in its opening handshake, destroyed if the handshake is abandoned. */
  private handshakeSocket: Socket | null = null;
  private connection: Connection | null = null;
  /** The frame trace, when on (one null check per read and per write when off). */
  private trace: ConnectionTrace | null = null;
  private closeTimeout = DEFAULT_CLOSE_TIMEOUT;
  private closeTimer: NodeJS.Timeout | null = null;
  /** Inside a socket read: the flush happens when the read's handling ends. */
  private reading = false;
  private flushScheduled = false;
  /** Close TCP once the outbox is written (after a closing handshake or a failure). */
  private endAfterFlush = false;
  private sendCallbacks: SendCallback[] | null = null;
  private closeEmitted = false;
  /** The close code we failed the connection with (§7.1.7), reported if the peer sends no Close. */
  private failureCode: number | null = null;
  /** Reading is paused because the peer is not taking what its own frames made us send. */
  private readPaused = false;
  /**
   * @internal Reading pauses while more than this waits to be written. A Hub raises it by its own
   * per-socket limit, so that the broadcasts it allows a slow reader never stop us reading it.
   */
  readPauseThreshold = READ_PAUSE_THRESHOLD;

  /**
   * Dial a server: `new WebSocket('ws://host/path', ['chat'], options)` (the client), or, as
   * `ws` allows, `new WebSocket(url, options)` when no subprotocol is offered.
   * Server-side sockets are made by `WebSocketServer`, which passes `null`.
   */
  constructor(address: string | URL | null, options?: ClientOptions);
  constructor(address: string | URL | null, protocols?: string | string[], options?: ClientOptions);
  constructor(
    address: string | URL | null,
    protocolsOrOptions?: string | string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    this.url = address === null ? '' : String(address);
    if (address === null) return;
    const optionsGiven = typeof protocolsOrOptions === 'object' && !Array.isArray(protocolsOrOptions);
    const protocols = optionsGiven ? undefined : protocolsOrOptions;
    startClientHandshake(this, address, protocols, (optionsGiven ? protocolsOrOptions : options) ?? {});
  }

  get readyState(): ReadyState {
    return this._readyState;
  }

  /** Bytes queued but not yet handed to the operating system. */
  get bufferedAmount(): number {
    const queued = this.connection === null ? 0 : this.connection.outputBytes;
    return queued + (this.socket === null ? 0 : this.socket.writableLength);
  }

  // --- sending -------------------------------------------------------------------------------

  /**
   * Send a message. Strings go as text and bytes as binary unless `options.binary` says
   * otherwise. If the socket is not open the error goes to `callback` (or to 'error' listeners):
   * sending never throws because of the connection's state.
   */
  send(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): void {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    const connection = this.sendableConnection();
    if (connection === null) {
      this.reportNotOpen(callback);
      return;
    }
    const binary = options?.binary ?? typeof data !== 'string';
    const fin = options?.fin ?? true;
    if (typeof data === 'string') {
      if (binary) connection.sendBinary(Buffer.from(data), fin);
      else connection.sendText(data, fin);
    } else if (binary) {
      connection.sendBinary(toBytes(data), fin);
    } else {
      connection.sendText(toBytes(data), fin);
    }
    if (callback !== undefined) (this.sendCallbacks ??= []).push(callback);
    this.scheduleFlush();
  }

  /** Send a Ping (§5.5.2). The payload is at most 125 bytes (a RangeError otherwise). */
  ping(data?: SendData, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.sendControl(true, data, typeof mask === 'function' ? mask : callback);
  }

  /** Send an unsolicited Pong (§5.5.3), e.g. as a unidirectional heartbeat. */
  pong(data?: SendData, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.sendControl(false, data, typeof mask === 'function' ? mask : callback);
  }

  /**
   * Start the closing handshake (§7.1.2): send a Close frame, wait for the peer's, then close TCP.
   * A peer that never answers is cut off after `closeTimeout`. Throws TypeError/RangeError on an
   * invalid code or a reason over 123 bytes.
   */
  close(code?: number, reason?: string | Buffer): void {
    if (this._readyState === ReadyState.Closed) return;
    if (this._readyState === ReadyState.Connecting) {
      // The handshake has not finished: abandon it (as `ws` and browsers do).
      this.abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    const connection = this.connection!;
    if (connection.closeSent) return;
    connection.sendClose(code, reason);
    this._readyState = ReadyState.Closing;
    if (connection.closeReceived) this.endAfterFlush = true;
    this.startCloseTimer();
    this.scheduleFlush();
  }

  /** Close TCP at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    if (this._readyState === ReadyState.Closed) return;
    if (this._readyState === ReadyState.Connecting && this.socket === null) {
      this.abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this._readyState = ReadyState.Closing;
    this.connection?.receiveEof();
    this.socket?.destroy();
  }

  /** @internal Queue an already encoded frame (the hub's encode-once broadcast). */
  sendEncodedFrame(frame: Buffer): boolean {
    const connection = this.sendableConnection();
    if (connection === null) return false;
    connection.sendEncoded(frame);
    this.scheduleFlush();
    return true;
  }

  /**
   * @internal Bytes read from the peer so far. The hub's heartbeat compares it between sweeps to
   * see any sign of life (a pong, data, even a partial frame) without a timestamp per read.
   */
  get bytesReceived(): number {
    return this.socket === null ? 0 : this.socket.bytesRead;
  }

  // --- the socket side (used by WebSocketServer and the client) ------------------------------

  /** @internal Take over a socket whose handshake is complete; `head` is what arrived with it. */
  setSocket(socket: Socket, head: Buffer, options: AttachOptions): void {
    this.socket = socket;
    this.handshakeSocket = null;
    this.protocol = options.protocol ?? '';
    this.closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.connection = new Connection(this, {
      role: options.role,
      maxPayload: options.maxPayload,
      maskKeySource: options.maskKeySource,
    });
    socket.setNoDelay(true);
    // An HTTP server's idle timeout must not cut a WebSocket. Only clear one that is set:
    // setTimeout(0) would add a property to every socket.
    if (socket.timeout) socket.setTimeout(0);
    (socket as OwnedSocket)[kWebSocket] = this;
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('drain', socketOnDrain);
    const traceSink = resolveTraceSink(options.trace);
    if (traceSink !== null) this.trace = new ConnectionTrace(options.role, traceSink, socket, this.protocol);
    this._readyState = ReadyState.Open;
    // Bytes that came with the handshake are frames too; parse them once listeners are attached,
    // and before any byte still buffered in the socket (a server's upgraded socket is paused and
    // may hold data that arrived while verifyClient ran): read on only after the head.
    if (head.length > 0) {
      const early = Buffer.from(head);
      socket.pause();
      process.nextTick(() => {
        this.handleSocketData(early);
        socket.on('data', socketOnData);
        socket.resume();
      });
    } else {
      socket.on('data', socketOnData);
      // The server's own request reader pauses the socket after the head: read on.
      socket.resume();
    }
  }

  /** @internal The client could not complete its handshake. */
  abortHandshake(error: Error, socket?: Socket): void {
    if (this._readyState === ReadyState.Closed) return;
    this._readyState = ReadyState.Closed;
    (socket ?? this.handshakeSocket)?.destroy();
    this.handshakeSocket = null;
    process.nextTick(() => {
      this.emitError(error);
      this.emitClose(CloseCode.AbnormalClosure, EMPTY);
    });
  }

  /** @internal The client's socket while its handshake runs (so that close() can abandon it). */
  setHandshakeSocket(socket: Socket | null): void {
    this.handshakeSocket = socket;
  }

  /** @internal The client's handshake succeeded. */
  emitOpen(): void {
    this.emit('open');
  }

  /** @internal A read from the socket: parse it, then write what it produced in one go. */
  handleSocketData(chunk: Buffer): void {
    const connection = this.connection;
    if (connection === null) return;
    this.reading = true;
    try {
      if (this.trace !== null) this.trace.received(chunk);
      connection.receive(chunk);
    } finally {
      this.reading = false;
      this.flush();
    }
  }

  /** @internal The peer closed its side of TCP (§7.1.4 if after Close frames, else abnormal). */
  handleSocketEnd(): void {
    this.connection?.receiveEof();
    if (this._readyState !== ReadyState.Closed) this._readyState = ReadyState.Closing;
    // Usually we ended our side already (after our Close frame); ending twice makes Node build an
    // error object, a measurable cost per connection at high handshake rates.
    if (this.socket !== null && !this.socket.writableEnded) this.socket.end();
  }

  /** @internal A reset or a write to a dead peer: the 'close' that follows reports 1006. */
  handleSocketError(): void {
    this._readyState = ReadyState.Closing;
    this.socket?.destroy();
  }

  /** @internal The socket wrote out what was queued: read the peer again, tell the user. */
  handleSocketDrain(): void {
    if (this.readPaused) {
      this.readPaused = false;
      this.socket?.resume();
    }
    this.emit('drain');
  }

  /** @internal TCP is closed: report 'close' with the code the closing handshake gave. */
  handleSocketClose(): void {
    this._readyState = ReadyState.Closed;
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    const connection = this.connection;
    connection?.receiveEof();
    const callbacks = this.sendCallbacks;
    if (callbacks !== null) {
      this.sendCallbacks = null;
      const error = notOpenError(ReadyState.Closed);
      for (const callback of callbacks) callback(error);
    }
    if (connection !== null && connection.closeReceived) {
      this.emitClose(connection.receivedCloseCode, connection.receivedCloseReason);
    } else if (this.failureCode !== null) {
      // We failed the connection: report why, as `ws` does, rather than a bare 1006.
      this.emitClose(this.failureCode, EMPTY);
    } else {
      this.emitClose(CloseCode.AbnormalClosure, EMPTY);
    }
  }

  // --- ConnectionHandler: called by the protocol core inside receive() ----------------------

  onMessage(data: Buffer, isBinary: boolean): void {
    this.emit('message', data, isBinary);
  }

  onPing(data: Buffer): void {
    this.emit('ping', data);
  }

  onPong(data: Buffer): void {
    this.emit('pong', data);
  }

  onCloseFrame(): void {
    // Our Close is now sent or queued: the handshake is complete once it is written (§7.1.2).
    this.endOnceCloseIsWritten();
  }

  onProtocolError(error: ProtocolError): void {
    this.failureCode = error.closeCode;
    // §7.1.7: after the Close frame, close TCP.
    this.endOnceCloseIsWritten();
    this.trace?.failed(error);
    this.emitError(error);
  }

  // --- internals -----------------------------------------------------------------------------

  private sendControl(isPing: boolean, data: SendData | undefined, callback: SendCallback | undefined): void {
    const connection = this.sendableConnection();
    if (connection === null) {
      this.reportNotOpen(callback);
      return;
    }
    const payload = data === undefined ? EMPTY : typeof data === 'string' ? data : toBytes(data);
    if (isPing) connection.sendPing(payload);
    else connection.sendPong(payload);
    if (callback !== undefined) (this.sendCallbacks ??= []).push(callback);
    this.scheduleFlush();
  }

  /** The connection, if a message may be sent on it now (open, and no Close sent: §5.5.1). */
  private sendableConnection(): Connection | null {
    const connection = this.connection;
    return connection !== null && this._readyState === ReadyState.Open && connection.canSend ? connection : null;
  }

  private reportNotOpen(callback: SendCallback | undefined): void {
    const error = notOpenError(this._readyState);
    if (callback !== undefined) process.nextTick(callback, error);
    else process.nextTick(() => this.emitError(error));
  }

  private scheduleFlush(): void {
    if (this.reading || this.flushScheduled) return;
    this.flushScheduled = true;
    flushQueue.push(this);
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flushAll);
    }
  }

  /** @internal Write everything queued with one socket write (several buffers: one writev). */
  flush(): void {
    this.flushScheduled = false;
    const connection = this.connection;
    const socket = this.socket;
    if (connection === null || socket === null) return;
    if (connection.outputBytes > 0 && socket.writable) {
      const buffers = connection.takeOutput();
      if (this.trace !== null) this.trace.sent(buffers);
      const callbacks = this.sendCallbacks;
      this.sendCallbacks = null;
      const done =
        callbacks === null
          ? undefined
          : (error?: Error | null): void => {
              for (const callback of callbacks) callback(error ?? undefined);
            };
      const last = buffers.length - 1;
      if (last === 0) {
        socket.write(buffers[0], done);
      } else {
        socket.cork();
        for (let i = 0; i < last; i++) socket.write(buffers[i]);
        socket.write(buffers[last], done);
        socket.uncork();
      }
      // Backpressure on the peer: a peer that sends pings (or messages an echo answers) without
      // reading our replies would make us buffer without limit. Stop reading it until it drains.
      if (!this.readPaused && socket.writableLength > this.readPauseThreshold) {
        this.readPaused = true;
        socket.pause();
      }
    }
    if (this.endAfterFlush) {
      this.endAfterFlush = false;
      socket.end();
    }
  }

  /** Close TCP once the queued Close frame is written; cut a peer that lingers after closeTimeout. */
  private endOnceCloseIsWritten(): void {
    this._readyState = ReadyState.Closing;
    this.endAfterFlush = true;
    this.startCloseTimer();
    this.scheduleFlush(); // inside a read, the read's own flush does it
  }

  private startCloseTimer(): void {
    if (this.closeTimer !== null || this.socket === null) return;
    const socket = this.socket;
    this.closeTimer = setTimeout(() => socket.destroy(), this.closeTimeout);
    this.closeTimer.unref();
  }

  private emitError(error: Error): void {
    // A peer's misbehaviour must never crash the process: only emit when someone listens.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private emitClose(code: number, reason: Buffer): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.trace?.closed(code, reason);
    this.emit('close', code, reason);
  }
}

for (const [name, value] of [
  ['CONNECTING', ReadyState.Connecting],
  ['OPEN', ReadyState.Open],
  ['CLOSING', ReadyState.Closing],
  ['CLOSED', ReadyState.Closed],
] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}
