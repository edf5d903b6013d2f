/**
 * The front door of a WebSocketServer that listens on its own port: HTTP/1.1 read straight from
 * TCP by the connection's `ServerProtocol`, with no `node:http` server in between. This module
 * adds what needs a clock or a socket: one deadline for the whole handshake, and waiting for a
 * client to read our answers before reading its next pipelined request.
 *
 * Reading the head ourselves keeps an idle connection to the socket plus the WebSocket: node:http
 * would leave its per-connection state behind on every upgraded socket, and parse each request
 * into objects we do not need.
 */
import { IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { ReadyState } from '../protocol/protocol.js';
import type { HandshakeRequest, ServerProtocol } from '../protocol/server-protocol.js';
import type { SocketTransport } from './socket-transport.js';

const EMPTY = Buffer.alloc(0);

export interface FrontDoorOptions {
  /** Serve wss:// on the server's own port: `node:tls` server options (`key`, `cert`, `ca`...). */
  tls?: TlsOptions;
  /** How long a TLS handshake may take (ms) before the socket is cut. Default 10 s (node:tls: 120 s). */
  tlsHandshakeTimeout?: number;
}

export const DEFAULT_TLS_HANDSHAKE_TIMEOUT = 10_000;

function destroySocket(_error: Error, socket: Duplex): void {
  socket.destroy();
}

/**
 * The listener of our own port: plain TCP, or TLS when `tls` is given; `onSocket` gets each
 * connection once it is ready for HTTP (after the TLS handshake, which has its own deadline).
 */
export function createFrontDoorServer(options: FrontDoorOptions, onSocket: (socket: Socket) => void): TcpServer {
  if (options.tls === undefined) return createTcpServer({ noDelay: true }, onSocket);
  const timeout = options.tlsHandshakeTimeout ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new RangeError(`tlsHandshakeTimeout must be a positive number, not ${String(timeout)}`);
  const server = createTlsServer({ ALPNProtocols: ['http/1.1'], ...options.tls, handshakeTimeout: timeout }, onSocket);
  // A failed or timed-out TLS handshake: node:tls leaves the socket to us (it only reports).
  server.on('tlsClientError', destroySocket);
  return server;
}

/**
 * Start the one deadline of a connection on our own port: if its handshake has not reached the
 * application within `timeout` (ms) of the connection's start, answer 408. There is one deadline
 * in all: a client answered 426 for a plain request keeps its connection only until it.
 * The caller clears the timer when the connection opens or closes.
 */
export function startHandshakeDeadline(transport: SocketTransport, timeout: number): NodeJS.Timeout {
  const protocol = transport.protocol as ServerProtocol;
  const timer = setTimeout(() => {
    if (protocol.state === ReadyState.Connecting && !protocol.awaitingDecision) {
      protocol.reject(408, 'The request head did not arrive in time');
      transport.flush();
    }
  }, timeout);
  timer.unref();
  return timer;
}

/**
 * After a read during the handshake: a client that pipelined requests after a plain one gets
 * them answered one at a time, and only while it reads our answers (RFC 7230 §6.3). A client
 * that only sends would otherwise make us queue answers without limit.
 */
export function readPipelined(transport: SocketTransport): void {
  const protocol = transport.protocol as ServerProtocol;
  const stream = transport.stream;
  while (protocol.hasUnreadInput && protocol.state === ReadyState.Connecting) {
    if (stream.writableNeedDrain) {
      stream.once('drain', () => transport.handleData(EMPTY));
      return;
    }
    transport.handleData(EMPTY);
  }
}

/** The request as node:http would have given it, so handlers written for `ws` keep working. */
export function toIncomingMessage(stream: Duplex | null, request: HandshakeRequest): IncomingMessage {
  const message = new IncomingMessage(stream as Socket);
  message.method = request.method;
  message.url = request.url;
  message.httpVersion = request.httpVersion;
  message.httpVersionMajor = Number(request.httpVersion[0]);
  message.httpVersionMinor = Number(request.httpVersion[2]);
  message.rawHeaders = request.rawHeaders;
  message.headers = request.headers as IncomingMessage['headers'];
  message.complete = true;
  return message;
}

/** The parts of node:http's request the protocol reads, for a request node:http parsed itself. */
export function fromIncomingMessage(request: IncomingMessage): HandshakeRequest {
  return {
    method: request.method ?? '',
    url: request.url ?? '',
    httpVersion: request.httpVersion,
    headers: request.headers,
    rawHeaders: request.rawHeaders,
  };
}
