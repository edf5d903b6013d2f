/**
 * What a socket transport reports: to the open connection's owner (the `WebSocket` façade), and
 * before that to whoever runs the opening handshake (RFC 6455 §4: the server's pending upgrade,
 * or the client's dialer).
 */
import type { ResponseHead } from '../protocol/client-handshake.js';
import type { HandshakeOffer, HandshakeRequest } from '../protocol/server-protocol.js';

/**
 * What an open connection reports, to its owner (the `WebSocket` façade). One observer object
 * serves every connection of a kind: it gets the owner as its first argument, so a connection
 * costs no closures.
 */
export interface TransportObserver<Owner extends object = object> {
  /** A message: a list for a binary one kept as its frames (Protocol.deliverFragments). */
  onMessage(owner: Owner, data: Buffer | Buffer[], isBinary: boolean): void;
  onPing(owner: Owner, data: Buffer): void;
  onPong(owner: Owner, data: Buffer): void;
  /** The connection failed on a protocol error (§7.1.7). */
  onError(owner: Owner, error: Error): void;
  /** TCP is closed: the code and reason the closing handshake gave (1006 without one). */
  onClose(owner: Owner, code: number, reason: Buffer): void;
  /** Everything queued was handed to the operating system. */
  onDrain(owner: Owner): void;
}

/** What happens before the connection opens (the server or the dialer listens). */
export interface HandshakeObserver {
  onRequest?(request: HandshakeRequest, offer: HandshakeOffer, head: Buffer): void;
  onReject?(status: number, reason: string, request: HandshakeRequest | null): void;
  onInvalidRequest?(request: HandshakeRequest, status: number, reason: string): boolean;
  /** A read during the handshake was handled and its answer written. */
  onReadEnd?(): void;
  onOpen?(response: ResponseHead, head: Buffer): void;
  onHandshakeFailure?(error: Error, response: ResponseHead | null, body: Buffer): void;
  /** TCP closed before the connection opened; `error` if the stream failed (a refused connection...). */
  onHandshakeClosed?(error: Error | null): void;
}
