/**
 * What the dialer (client.ts) and one attempt of its handshake — a hop: the first request, then
 * one per redirect — say to each other, and what the dialer tells its WebSocket.
 *
 * A hop runs on the fast path (client-raw.ts: wsmith writes the request and reads the response
 * itself), over an HTTP/2 stream (http2-client.ts), or through node:http (client-http.ts: for an
 * `agent`, a `finishRequest`, or listeners that are owed `ws`'s http.ClientRequest objects).
 * Each reports to a `HopOwner`, and shares `TransportHop`'s abort and ending.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ReadyState } from '../protocol/protocol.js';
import type { ClientRequestOptions, ResponseHead } from '../protocol/client-handshake.js';
import type { ClientProtocol } from '../protocol/client-protocol.js';
import type { ClientOptions } from './client-options.js';
import { incomingMessageOf } from './client-response.js';
import type { HandshakeObserver, SocketTransport } from './socket-transport.js';

/** The client events whose listeners change how a hop runs. */
export type DialEvent = 'upgrade' | 'unexpected-response' | 'redirect';

/** What the dialer tells its WebSocket. */
export interface DialObserver<Owner = unknown> {
  /** The WebSocket itself (what `finishRequest` receives). */
  readonly owner: Owner;
  /** Does the application listen for this event now? */
  listens(event: DialEvent): boolean;
  /** The server's 101 response arrived ('upgrade'), before it is checked. */
  onUpgrade(response: IncomingMessage): void;
  /** Another response: true if a listener took it ('unexpected-response'); it must then end the handshake. */
  onUnexpectedResponse(request: ClientRequest, response: IncomingMessage): boolean;
  /** A redirect is followed to `url`; `request` (headers queued, not sent) when it goes through node:http. */
  onRedirect(url: string, request: ClientRequest | null): void;
  /** The handshake succeeded: the connection is open on `transport`. */
  onOpen(transport: SocketTransport, protocol: string, extensions: string): void;
  /** The handshake failed or was abandoned (the dial is CLOSING); onClose follows. */
  onError(error: Error): void;
  /** The dial is CLOSED. */
  onClose(): void;
}

/** A handshake in progress, as its WebSocket sees it. */
export interface Dial {
  /** CONNECTING, then OPEN, or CLOSING and CLOSED when it failed. */
  readonly state: ReadyState;
  /** The URL being dialed, normalised (the last redirect's once followed). */
  readonly url: string;
  /**
   * Send the first request: at once when `finishRequest` or an `agent` is given (ws calls
   * finishRequest before its constructor returns), else on the next tick.
   */
  start(): void;
  /** Abandon the handshake with this error (close() or terminate() while CONNECTING). */
  abort(error: Error): void;
}

/** One attempt, as its owner sees it. */
export interface Hop {
  /** Stop, free the connection, report nothing more. */
  abort(): void;
}

/** What a hop reports to, and asks of, the dialer. */
export interface HopOwner {
  readonly options: ClientOptions;
  readonly observer: DialObserver;
  /** The protocol object for a hop's connection, checking the response against `request`. */
  protocolFor(request: ClientRequestOptions): (handler: SocketTransport) => ClientProtocol;
  /** A 101 arrived: emit 'upgrade' (the message is made only for a listener). False if a listener ended the handshake. */
  upgraded(response: () => IncomingMessage): boolean;
  /** Another status: follow a redirect, give it to an 'unexpected-response' listener (`unexpected`), or fail. */
  responded(statusCode: number, location: string | string[] | undefined, unexpected: (() => boolean) | null): void;
  opened(transport: SocketTransport, head: Buffer): void;
  failed(error: Error): void;
}

/** The server closed the connection without an answer (what node:http calls "socket hang up"). */
export function hangUpError(): Error {
  return Object.assign(new Error('The server closed the connection before completing the opening handshake'), {
    code: 'ECONNRESET',
  });
}

/**
 * What every hop has: its owner, its transport once there is one, and an abort that ends either.
 * By default the transport reads the response (the fast path, HTTP/2); node:http's hop overrides
 * what differs when node:http reads it.
 */
export abstract class TransportHop implements Hop, HandshakeObserver {
  protected readonly owner: HopOwner;
  protected transport: SocketTransport | null = null;
  protected aborted = false;

  constructor(owner: HopOwner) {
    this.owner = owner;
  }

  abort(): void {
    this.aborted = true;
    const transport = this.transport;
    if (transport !== null) {
      transport.handshake = null;
      transport.terminate();
    } else {
      this.abortUnconnected();
    }
  }

  /** What abort() frees before there is a transport. */
  protected abortUnconnected(): void {}

  onOpen(response: ResponseHead, head: Buffer): void {
    const transport = this.transport!;
    if (this.owner.upgraded(() => incomingMessageOf(response, transport.stream))) this.owner.opened(transport, head);
  }

  onHandshakeClosed(error: Error | null): void {
    if (!this.aborted) this.owner.failed(error ?? hangUpError());
  }
}
