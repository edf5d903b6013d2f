/**
 * WebSockets over HTTP/2 on the server (RFC 8441): a WebSocketServer attached to a node:http2
 * server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL (§3) and takes the extended CONNECT streams
 * with `:protocol: websocket` (§4, §5). Each such stream runs the same protocol object as a TCP
 * connection (its handshake checked by ServerProtocol.receiveExtendedConnect, answered 200), over
 * the same socket transport: an Http2Stream is one more duplex stream. HTTP/2 flow control is
 * the stream's backpressure, so bufferedAmount, 'drain' and the read pause work unchanged.
 */
import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  Http2Session,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import type { HandshakeRequest, ServerProtocol } from '../protocol/server-protocol.js';
import type { SocketTransport } from './socket-transport.js';

export type AnyHttp2Server = Http2Server | Http2SecureServer;

/** Default cap on concurrent WebSocket streams per HTTP/2 connection (beyond it: 429). */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 100;

/** Is this a node:http2 server (rather than node:http or node:https)? */
export function isHttp2Server(server: object): server is AnyHttp2Server {
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

export type ExtendedConnectListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/**
 * Advertise the extended CONNECT (§3: to every session the server makes from now on) and take
 * the WebSocket streams before the application's listeners see them. node:http2's
 * compatibility layer (there whenever the server has a 'request' listener) answers any CONNECT
 * with 405 unless a 'connect' listener exists: ours takes that role for our streams, and
 * answers 405 for other CONNECTs when the application has no 'connect' listener of its own
 * (an application's 'connect' listener should leave `:protocol: websocket` requests alone).
 * Returns the function that stops listening.
 */
export function listenForExtendedConnect(server: AnyHttp2Server, listener: ExtendedConnectListener): () => void {
  server.updateSettings({ enableConnectProtocol: true });
  const ours = new WeakSet<ServerHttp2Stream>();
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    if (headers[':method'] !== 'CONNECT') return;
    if (headers[':protocol'] === 'websocket') {
      ours.add(stream);
      listener(stream, headers);
    } else if (server.listenerCount('stream') === 1) {
      // No 'request' (compatibility layer) or 'stream' listener of the application: nobody else
      // would ever answer this CONNECT, and its client would wait forever.
      refuseConnect(stream, headers);
    }
  };
  const onConnect = (request: Http2ServerRequest, response: Http2ServerResponse): void => {
    if (ours.has(request.stream)) return;
    if (server.listenerCount('connect') === 1) {
      response.statusCode = 405;
      response.end();
    }
  };
  server.prependListener('stream', onStream);
  server.on('connect', onConnect);
  return () => {
    server.removeListener('stream', onStream);
    server.removeListener('connect', onConnect);
  };
}

/** A CONNECT that is no WebSocket: 405 (a plain CONNECT), or 501 for another `:protocol` (RFC 8441 §4). */
function refuseConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const status = headers[':protocol'] === undefined ? 405 : 501;
  const reason = status === 405 ? 'This server takes CONNECT only for WebSockets (:protocol websocket)\n' : 'The only :protocol spoken here is websocket\n';
  try {
    stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' }, { endStream: false });
    stream.end(reason);
  } catch {
    stream.close(0x1 /* PROTOCOL_ERROR */);
  }
}

/** The extended CONNECT as the protocol object reads it. */
export function toHandshakeRequest(headers: IncomingHttpHeaders): HandshakeRequest {
  const rawHeaders: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) rawHeaders.push(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return { method: 'CONNECT', url: String(headers[':path'] ?? ''), httpVersion: '2.0', headers, rawHeaders };
}

/**
 * Send the answer the protocol object decided (RFC 8441 §5: 200, or a refusal) as the stream's
 * response headers. Over HTTP/1.1 the answer is in the bytes to send and this does nothing.
 */
export function sendHttp2Response(transport: SocketTransport): void {
  const protocol = transport.protocol as ServerProtocol;
  const response = protocol.http2Response;
  const stream = transport.stream as Partial<ServerHttp2Stream>;
  if (response === null || stream.respond === undefined || stream.headersSent === true || stream.destroyed === true) return;
  protocol.http2Response = null;
  try {
    stream.respond(response.headers as OutgoingHttpHeaders, { endStream: false });
    if (response.body !== null) stream.end!(response.body);
  } catch {
    // node:http2 refused a header the application gave (a connection-specific one, say).
    stream.close?.(0x2 /* INTERNAL_ERROR */);
  }
}

/** Concurrent WebSocket streams per HTTP/2 connection, to cap them. */
export class StreamCounts {
  readonly #counts = new WeakMap<Http2Session, number>();

  /** Count one more stream on `session`; false when the cap is reached (then nothing is counted). */
  take(session: Http2Session, cap: number): boolean {
    const count = this.#counts.get(session) ?? 0;
    if (count >= cap) return false;
    this.#counts.set(session, count + 1);
    return true;
  }

  release(session: Http2Session): void {
    const count = this.#counts.get(session) ?? 0;
    if (count > 1) this.#counts.set(session, count - 1);
    else this.#counts.delete(session);
  }
}
