/**
 * The socket transport: moves bytes between a connection's protocol object (src/protocol/) and
 * a stream — a net.Socket, a tls.TLSSocket, or any Duplex — and runs what needs a clock.
 *
 * It keeps no protocol state of its own: what to send, when the connection is open or closing,
 * when TCP should close and which code to report all come from the protocol object. What it
 * adds is I/O: one write for everything a read produced (pongs, echoes, broadcasts), a flush on
 * the next microtask for sends made anywhere else, reading paused while the peer does not read
 * our replies, and a timer that cuts a peer who never finishes the closing handshake.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResponseHead } from '../protocol/client-handshake.js';
import type { ClientProtocolHandler } from '../protocol/client-protocol.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { PendingFrame } from '../protocol/pending-frame.js';
import { ReadyState, type Protocol } from '../protocol/protocol.js';
import type { HandshakeOffer, HandshakeRequest, ServerProtocolHandler } from '../protocol/server-protocol.js';
import type { BroadcastCompressor } from './deflate/setup.js';
import { DeferredEvents, EventKind } from './deferred-events.js';
import { scheduleFlush, type Flushable } from './flush-scheduler.js';
import { NO_STREAM, listenToStream } from './stream-listeners.js';
import type { HandshakeObserver, TransportObserver } from './transport-observer.js';

export type { HandshakeObserver, TransportObserver };
import { notOpenError } from './not-open-error.js';
import { ConnectionTrace } from './trace.js';
import type { TraceSink } from './trace.js';

export type SendCallback = (error?: Error) => void;

/** What watches an open connection with a clock or shared state (connection-guard.ts). */
export interface TransportGuard {
  /** A read was handled (its frames parsed). */
  afterRead(): void;
  /** TCP is closed. */
  end(): void;
}

/**
 * Stop reading a peer while this many bytes wait to be written to it (§10.4 resource limits):
 * what its own frames produce (pongs, echoes) then stays bounded per connection.
 */
export const READ_PAUSE_THRESHOLD = 1024 * 1024;
/** RFC 6455 §7.1.1 leaves the wait for the peer's close open; `ws` waits 30 s too. */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;

export class SocketTransport implements ServerProtocolHandler, ClientProtocolHandler, Flushable {
  readonly protocol: Protocol;
  /** The stream, once there is one (an HTTP/2 client gets its stream after the session's settings). */
  stream: Duplex = NO_STREAM;
  /** Set when the connection opens: who is told what happens, and about which owner. */
  private observer: TransportObserver | null = null;
  private owner: object | null = null;
  handshake: HandshakeObserver | null;
  /** Keepalive and message limits, once open (connection-guard.ts). */
  guard: TransportGuard | null = null;
  closeTimeout = DEFAULT_CLOSE_TIMEOUT;
  /** Unsent bytes above which we stop reading the peer (a Hub raises it: see hub.ts). */
  readPauseThreshold = READ_PAUSE_THRESHOLD;
  /**
   * RFC 7692: a server-side connection that agreed to permessage-deflate without server context
   * takeover can take a broadcast compressed once for all such connections (see hub.ts).
   */
  broadcastCompressor: BroadcastCompressor | null = null;
  /** Inside a read: the flush happens when the read's handling ends. */
  private reading = false;
  private flushScheduled = false;
  private backpressured = false;
  private userPaused = false;
  private streamPaused = false;
  private closeTimer: NodeJS.Timeout | null = null;
  private ended = false;
  private closed = false;
  private callbacks: SendCallback[] | null = null;
  private trace: ConnectionTrace | null = null;
  private streamError: Error | null = null;
  /** Set for one event per turn of the event loop (`ws`'s allowSynchronousEvents: false). */
  private deferred: DeferredEvents | null = null;

  constructor(
    stream: Duplex | null,
    createProtocol: (handler: SocketTransport) => Protocol,
    handshake: HandshakeObserver | null,
  ) {
    this.handshake = handshake;
    this.protocol = createProtocol(this);
    if (stream !== null) this.attach(stream);
  }

  /** Move bytes over `stream` from now on (once; the constructor does it when it has the stream). */
  attach(stream: Duplex): void {
    this.stream = stream;
    listenToStream(stream, this);
    (stream as Partial<Socket>).setNoDelay?.(true);
  }

  /** The connection is open and `owner` (its WebSocket) takes its events from now on. */
  setObserver<Owner extends object>(observer: TransportObserver<Owner>, owner: Owner): void {
    this.observer = observer as unknown as TransportObserver;
    this.owner = owner;
  }

  /** Bytes queued and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.protocol.outputBytes + this.stream.writableLength;
  }

  get isPaused(): boolean {
    return this.userPaused;
  }

  /** Start tracing frames (once the connection is open, so that only frames are traced). */
  startTrace(sink: TraceSink, protocolName: string): void {
    this.trace = new ConnectionTrace(this.protocol.role, sink, this.stream as Socket, protocolName);
  }

  /** Emit each message, ping and pong in a turn of the event loop of its own (deferred-events.ts). */
  deferEvents(): void {
    this.deferred ??= new DeferredEvents(this);
  }

  /** After a deferred event: parse on, and write what that produced, as after a read. */
  releaseEvents(): void {
    this.reading = true;
    try {
      this.protocol.releaseEvents();
    } finally {
      this.reading = false;
      this.flush();
      this.updateReading();
    }
  }

  /** The application's pause()/resume() (`ws`'s API): stop or restart reading the peer. */
  setUserPaused(paused: boolean): void {
    this.userPaused = paused;
    this.updateReading();
  }

  /** A read: parse it, then write what it produced in one go. */
  handleData(chunk: Buffer): void {
    this.reading = true;
    try {
      if (this.trace !== null) this.trace.received(chunk);
      this.protocol.receiveData(chunk);
      if (this.guard !== null) this.guard.afterRead();
    } finally {
      this.reading = false;
      this.flush();
      this.updateReading();
    }
    if (this.handshake !== null) this.handshake.onReadEnd?.();
  }

  /** The peer closed its side of TCP (§7.1.4 after Close frames, else an abnormal end). */
  handleEnd(): void {
    if (this.deferred?.postpone('end') === true) return;
    this.protocol.receiveEof();
    this.flush();
  }

  /** A reset, a refused connection, a write to a dead peer: the 'close' that follows reports it. */
  handleStreamError(error: Error): void {
    this.streamError ??= error;
    this.stream.destroy();
  }

  handleDrain(): void {
    this.updateReading();
    this.observer?.onDrain(this.owner!);
  }

  /** TCP is closed: report how the connection ended. */
  handleClose(): void {
    if (this.closed || this.deferred?.postpone('close') === true) return;
    this.closed = true;
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    const opened = this.observer !== null;
    this.protocol.receiveEof();
    this.guard?.end();
    const callbacks = this.callbacks;
    if (callbacks !== null) {
      this.callbacks = null;
      const error = notOpenError(ReadyState.Closed);
      for (const callback of callbacks) callback(error);
    }
    if (opened) {
      const { closeCode, closeReason } = this.protocol;
      this.trace?.closed(closeCode, closeReason);
      this.observer!.onClose(this.owner!, closeCode, closeReason);
    } else {
      this.handshake?.onHandshakeClosed?.(this.streamError);
    }
  }

  /** Write what is queued: now if we are not inside a read, else when the read ends. */
  scheduleFlush(): void {
    if (this.reading || this.flushScheduled) return;
    this.flushScheduled = true;
    scheduleFlush(this);
  }

  /** Run `callback` once what is queued now has been written (or with an error if it never is). */
  addCallback(callback: SendCallback): void {
    (this.callbacks ??= []).push(callback);
  }

  /** Write everything queued with one stream write (several buffers: one writev). */
  flush(): void {
    this.flushScheduled = false;
    const protocol = this.protocol;
    const stream = this.stream;
    if (protocol.outputBytes > 0 && stream.writable) {
      const buffers = protocol.dataToSend();
      if (buffers.length > 0) this.write(stream, buffers);
    }
    if (protocol.closeTransport) {
      this.endStream();
    } else if (protocol.state === ReadyState.Closing) {
      this.startCloseTimer(); // our Close is out: wait for the peer's, but not forever
    }
  }

  /**
   * Queue a frame encoded once for many connections (a Hub's broadcast) if a message may be sent
   * now; false otherwise.
   */
  sendEncoded(frame: Buffer | PendingFrame): boolean {
    if (!this.protocol.canSend) return false;
    this.protocol.sendEncoded(frame);
    this.scheduleFlush();
    return true;
  }

  /** Close TCP at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    this.protocol.receiveEof();
    if (this.stream === NO_STREAM) this.handleClose();
    else this.stream.destroy();
  }

  private write(stream: Duplex, buffers: Buffer[]): void {
    if (this.trace !== null) this.trace.sent(buffers);
    // Callbacks wait while a queued frame still waits for its compression (it is not written yet).
    const callbacks = this.protocol.isOutputWaiting ? null : this.callbacks;
    if (callbacks !== null) this.callbacks = null;
    const done =
      callbacks === null
        ? undefined
        : (error?: Error | null): void => {
            for (const callback of callbacks) callback(error ?? undefined);
          };
    const last = buffers.length - 1;
    if (last === 0) {
      stream.write(buffers[0], done);
    } else {
      stream.cork();
      for (let i = 0; i < last; i++) stream.write(buffers[i]);
      stream.write(buffers[last], done);
      stream.uncork();
    }
    // Backpressure on the peer: a peer that sends pings (or messages an echo answers) without
    // reading our replies would make us buffer without limit. Stop reading it until it drains.
    if (!this.backpressured && stream.writableLength > this.readPauseThreshold) {
      this.backpressured = true;
      this.updateReading();
    }
  }

  /** Read while nothing holds us back: backpressure, the application, an inflation, a decision. */
  private updateReading(): void {
    if (this.backpressured && this.stream.writableLength <= this.readPauseThreshold) this.backpressured = false;
    const protocol = this.protocol;
    const hold = this.backpressured || this.userPaused || protocol.isReadPaused;
    if (hold !== this.streamPaused) {
      this.streamPaused = hold;
      if (hold) this.stream.pause();
      else this.stream.resume();
    }
  }

  /** Resume reading a stream that an HTTP server or the handshake left paused. */
  startReading(): void {
    this.streamPaused = true;
    this.updateReading();
  }

  private endStream(): void {
    if (this.ended || this.stream === NO_STREAM) return;
    this.ended = true;
    const stream = this.stream;
    if (!stream.writableEnded) stream.end();
    if (this.observer === null) {
      // A refused handshake: once the answer is written, do not wait for a client that ignores it.
      const destroySoon = (stream as Partial<Socket>).destroySoon;
      if (destroySoon !== undefined) {
        destroySoon.call(stream);
      } else {
        // An HTTP/2 stream has no destroySoon: destroying it now would reset it before its END_STREAM.
        stream.once('finish', () => stream.destroy());
        this.startCloseTimer();
      }
      return;
    }
    // Usually the peer's FIN came first or comes next; a peer that never sends it is cut later.
    this.startCloseTimer();
  }

  private startCloseTimer(): void {
    if (this.closeTimer !== null || this.closed) return;
    const stream = this.stream;
    this.closeTimer = setTimeout(() => stream.destroy(), this.closeTimeout);
    this.closeTimer.unref();
  }

  // --- the protocol's handler: called inside protocol calls ----------------------------------

  // With deferred events, each comes here twice: deferred first, then in its own turn.
  onMessage(data: Buffer | Buffer[], isBinary: boolean): void {
    if (this.deferred?.defer(EventKind.Message, data, isBinary) !== true) this.observer?.onMessage(this.owner!, data, isBinary);
  }

  onFragments(fragments: Buffer[]): void {
    this.onMessage(fragments, true);
  }

  onPing(data: Buffer): void {
    if (this.deferred?.defer(EventKind.Ping, data, false) !== true) this.observer?.onPing(this.owner!, data);
  }

  onPong(data: Buffer): void {
    if (this.deferred?.defer(EventKind.Pong, data, false) !== true) this.observer?.onPong(this.owner!, data);
  }

  onCloseFrame(): void {
    // Our answer is queued; the read's flush (or the next microtask's) writes it and ends TCP.
    this.scheduleFlush();
  }

  onProtocolError(error: ProtocolError): void {
    this.scheduleFlush();
    this.trace?.failed(error);
    this.observer?.onError(this.owner!, error);
  }

  onReady(): void {
    this.scheduleFlush();
    this.updateReading();
  }

  onRequest(request: HandshakeRequest, offer: HandshakeOffer, head: Buffer): void {
    this.handshake?.onRequest?.(request, offer, head);
  }

  onReject(status: number, reason: string, request: HandshakeRequest | null): void {
    this.handshake?.onReject?.(status, reason, request);
  }

  onInvalidRequest(request: HandshakeRequest, status: number, reason: string): boolean {
    return this.handshake?.onInvalidRequest?.(request, status, reason) === true;
  }

  onOpen(response: ResponseHead, head: Buffer): void {
    this.handshake?.onOpen?.(response, head);
  }

  onHandshakeFailure(error: Error, response: ResponseHead | null, body: Buffer): void {
    this.handshake?.onHandshakeFailure?.(error, response, body);
  }
}
