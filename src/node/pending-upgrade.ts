/**
 * One server-side opening handshake in progress (RFC 6455 §4.2, RFC 8441 §5): it runs the
 * application's hooks on the request its protocol object read, answers, and hands the open
 * connection to a new `WebSocket`. It lives until the connection opens or is refused; nothing
 * in it outlives the handshake.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { DeflateSetup } from '../protocol/extensions/permessage-deflate.js';
import { ReadyState } from '../protocol/protocol.js';
import type { HandshakeOffer, HandshakeRequest, ServerProtocol } from '../protocol/server-protocol.js';
import type { ClientOptions } from './client.js';
import type { Admission } from './admission.js';
import { guardConnection, type GuardSettings } from './connection-guard.js';
import { broadcastCompressorFor } from './deflate/setup.js';
import type { OriginPolicy } from './origin-policy.js';
import { readPipelined, toIncomingMessage } from './front-door.js';
import { sendHttp2Response } from './http2-server.js';
import type { HookName, WebSocketServerOptions } from './server-options.js';
import type { HandshakeObserver, SocketTransport } from './socket-transport.js';
import { resolveTraceSink } from './trace.js';
import { decideUpgrade, type UpgradeDecision } from './upgrade-decision.js';
import { WebSocket, attachOpenConnection } from './websocket.js';

export type ConnectionCallback<T> = (socket: T, request: IncomingMessage) => void;

export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

export interface HandshakeHost<T extends WebSocket> {
  options(): Readonly<WebSocketServerOptions<T>>;
  /** permessage-deflate as the server set it up, or null when off. */
  deflate(): DeflateSetup | null;
  guard(): GuardSettings;
  origins(): OriginPolicy | null;
  admission(): Admission;
  running(): boolean;
  shouldHandle(request: IncomingMessage): boolean;
  listens(event: 'headers' | 'wsClientError'): boolean;
  /** Emit an event if anyone listens to it; true if someone did. */
  emit(event: 'hookError' | 'headers' | 'wsClientError', ...args: unknown[]): boolean;
  emitRejection(status: number, reason: string, request: IncomingMessage): void;
  track(ws: T): void;
}

/** One server-side handshake in progress: it lives until the connection opens or is refused. */
export class ServerHandshake<T extends WebSocket> implements HandshakeObserver {
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
        origins: this.host.origins(),
        verifications: this.host.admission(),
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
    sendHttp2Response(this.transport); // over HTTP/2 the refusal goes as the stream's headers
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
    // RFC 7692: a connection without server context takeover takes broadcasts compressed once.
    const deflate = this.host.deflate();
    if (deflate !== null && protocol.agreedDeflate !== null) {
      transport.broadcastCompressor = broadcastCompressorFor(deflate, protocol.agreedDeflate);
    }
    // The 101 goes out before any frame, and before the trace starts (it traces frames only).
    transport.flush();
    attachOpenConnection(ws, transport, subprotocol ?? '', protocol.agreedExtensions);
    guardConnection(transport, this.host.guard());
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
      sendHttp2Response(this.transport); // over HTTP/2 the 200 goes as the stream's headers (RFC 8441 §5)
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
