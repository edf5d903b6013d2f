/**
 * `ReconnectingWebSocket`: a client that dials again when its connection is lost.
 *
 * Between attempts it waits with exponential backoff and full jitter (a random delay between
 * `minDelay` and min(`maxDelay`, `minDelay` · 2^attempt)), so that a thousand clients of a server
 * that restarts do not all come back in the same millisecond. Messages sent while disconnected
 * wait in a bounded queue and go out, in order, as soon as a connection opens again. A close the
 * user asked for is final; any other close (the server's, a network error) is followed by a retry
 * until `maxRetries` consecutive attempts have failed.
 */
import { EventEmitter } from 'node:events';
import { ReadyState } from '../protocol/protocol.js';
import type { ClientOptions } from './client-options.js';
import { byteLengthOf } from './send-data.js';
import { WebSocket, type SendCallback, type SendData, type SendOptions } from './websocket.js';

export interface ReconnectingWebSocketOptions extends ClientOptions<WebSocket> {
  /** The shortest wait before a reconnection attempt (ms). Default 1,000. */
  minDelay?: number;
  /** The longest wait before a reconnection attempt (ms). Default 30,000. */
  maxDelay?: number;
  /** Give up after this many consecutive failed attempts. Default Infinity. */
  maxRetries?: number;
  /** How many bytes may wait while disconnected; a send beyond that fails. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** A source of uniform random numbers in [0, 1) for the jitter (tests inject their own). */
  random?: () => number;
}

export interface ReconnectingWebSocketEventMap {
  /** A connection opened (the first, and every reconnection). */
  open: [];
  message: [data: Buffer, isBinary: boolean];
  /** A connection closed; `willReconnect` says whether another attempt follows. */
  close: [code: number, reason: Buffer, willReconnect: boolean];
  /** A connection failed or broke (refused, reset, handshake refused ...). */
  error: [error: Error];
  /** Attempt number `attempt` (1, 2, ...) starts in `delay` ms. */
  reconnecting: [attempt: number, delay: number];
  /** A connection opened again after a loss; the queue has been flushed into it. */
  reconnected: [];
}

export const DEFAULT_MIN_DELAY = 1_000;
export const DEFAULT_MAX_DELAY = 30_000;
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * The wait before attempt `attempt` (1-based): uniform between `minDelay` and
 * min(`maxDelay`, `minDelay` · 2^attempt) — "full jitter" above a floor.
 */
export function backoffDelay(attempt: number, minDelay: number, maxDelay: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 52));
  const low = Math.min(minDelay, ceiling);
  return Math.round(low + random() * (ceiling - low));
}

interface QueuedMessage {
  data: SendData;
  options: SendOptions | undefined;
  callback: SendCallback | undefined;
  bytes: number;
}

function byteLength(data: SendData): number {
  return byteLengthOf(typeof data === 'number' ? String(data) : data);
}

function queueFullError(queued: number, bytes: number, limit: number): Error {
  return Object.assign(
    new RangeError(`Send queue full: ${queued} bytes waiting, ${bytes} more would exceed maxQueuedBytes (${limit})`),
    { code: 'WS_ERR_QUEUE_FULL' },
  );
}

export class ReconnectingWebSocket extends EventEmitter<ReconnectingWebSocketEventMap> {
  readonly url: string;
  private readonly protocols: string | string[] | undefined;
  private readonly options: ReconnectingWebSocketOptions;
  private current: WebSocket | null = null;
  private queue: QueuedMessage[] = [];
  private queuedBytes = 0;
  /** Consecutive failed attempts since the last open connection. */
  private attempts = 0;
  private timer: NodeJS.Timeout | null = null;
  private hasOpened = false;
  private stopped = false;

  constructor(url: string | URL, protocols?: string | string[], options: ReconnectingWebSocketOptions = {}) {
    super();
    this.url = String(url);
    this.protocols = protocols;
    this.options = options;
    this.dial(); // an invalid URL or subprotocol throws here, synchronously
  }

  /** CONNECTING while dialing or waiting to retry, OPEN, CLOSING, or CLOSED once stopped for good. */
  get readyState(): ReadyState {
    if (this.current === null) return this.stopped ? ReadyState.Closed : ReadyState.Connecting;
    return this.current.readyState;
  }

  /** The WebSocket of the current connection (null between attempts). */
  get socket(): WebSocket | null {
    return this.current;
  }

  /** The subprotocol of the current connection ('' if none). */
  get protocol(): string {
    return this.current?.protocol ?? '';
  }

  /** Bytes waiting in the queue plus those buffered by the current connection. */
  get bufferedAmount(): number {
    const open = this.current !== null && this.current.readyState === ReadyState.Open;
    return this.queuedBytes + (open ? this.current!.bufferedAmount : 0);
  }

  /**
   * Send now if connected, else queue until the next connection opens. A message that would
   * take the queue past `maxQueuedBytes`, or a send after close(), fails: the error goes to
   * `callback`, or is thrown when there is none.
   */
  send(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): void {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    const ws = this.current;
    if (ws !== null && ws.readyState === ReadyState.Open && this.queue.length === 0) {
      ws.send(data, options, callback);
      return;
    }
    let error: Error | null = null;
    const bytes = byteLength(data);
    const limit = this.options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    if (this.stopped) {
      error = Object.assign(new Error('ReconnectingWebSocket is closed'), { code: 'WS_ERR_NOT_OPEN' });
    } else if (this.queuedBytes + bytes > limit) {
      error = queueFullError(this.queuedBytes, bytes, limit);
    }
    if (error !== null) {
      if (callback === undefined) throw error;
      process.nextTick(callback, error);
      return;
    }
    this.queue.push({ data, options, callback, bytes });
    this.queuedBytes += bytes;
  }

  /** Close for good: no reconnection follows. Queued messages are dropped (their callbacks get an error). */
  close(code = 1000, reason?: string | Buffer): void {
    if (this.stopped) return;
    const ws = this.current;
    const live = ws !== null && ws.readyState !== ReadyState.Closed;
    // First, so that an invalid code or reason throws before anything changes.
    if (live) ws.close(code, reason);
    this.stopped = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.dropQueue(new Error('ReconnectingWebSocket was closed before the message could be sent'));
    if (!live) {
      this.current = null;
      process.nextTick(() => this.emit('close', code, Buffer.alloc(0), false));
    }
  }

  private dial(): void {
    const ws = new WebSocket(this.url, this.protocols, this.options);
    this.current = ws;
    ws.on('open', () => this.onOpen(ws));
    // Its binaryType stays 'nodebuffer': data is a Buffer.
    ws.on('message', (data, isBinary) => this.emit('message', data as Buffer, isBinary));
    ws.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason));
  }

  private onOpen(ws: WebSocket): void {
    const reconnected = this.hasOpened;
    this.hasOpened = true;
    this.attempts = 0;
    // Queued messages first, in order, so that they precede anything sent from 'open' handlers.
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const message of queue) ws.send(message.data, message.options, message.callback);
    this.emit('open');
    if (reconnected) this.emit('reconnected');
  }

  private onClose(ws: WebSocket, code: number, reason: Buffer): void {
    if (ws !== this.current) return;
    this.current = null;
    const maxRetries = this.options.maxRetries ?? Infinity;
    const willReconnect = !this.stopped && this.attempts < maxRetries;
    if (!willReconnect && !this.stopped) {
      this.stopped = true;
      this.dropQueue(new Error(`Gave up reconnecting after ${this.attempts} attempts`));
    }
    this.emit('close', code, reason, willReconnect);
    if (!willReconnect) return;
    this.attempts++;
    const delay = backoffDelay(
      this.attempts,
      this.options.minDelay ?? DEFAULT_MIN_DELAY,
      this.options.maxDelay ?? DEFAULT_MAX_DELAY,
      this.options.random,
    );
    this.emit('reconnecting', this.attempts, delay);
    if (this.stopped) return; // a 'reconnecting' listener called close()
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.dial();
    }, delay);
  }

  private dropQueue(error: Error): void {
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const message of queue) {
      if (message.callback !== undefined) process.nextTick(message.callback, error);
    }
  }
}
