/**
 * The connection a client's handshake runs over: TCP (node:net), TLS (node:tls), a Unix domain
 * socket (a ws+unix: URL), or whatever the application's `createConnection` returns — any Duplex.
 */
import type { ClientRequestArgs } from 'node:http';
import { connect as netConnect, isIP, type NetConnectOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { WebSocketTarget } from '../protocol/client-url.js';
import type { ClientOptions } from './client-options.js';

/** How a connection is handed over: at once, or later for a `createConnection` that calls back. */
export type StreamCallback = (error: Error | null, stream?: Duplex) => void;

/** What a connection function receives: the client's options, with what the URL decides (as `ws` passes them). */
export type ConnectionRequest = ClientOptions & {
  host: string;
  port: number;
  /** The Unix socket's path (what net.connect calls `path`), or undefined. */
  path: string | undefined;
  socketPath: string | undefined;
  defaultPort: number;
};

export function connectionOptions(target: WebSocketTarget, options: ClientOptions): ConnectionRequest {
  return {
    ...options,
    host: target.hostname,
    port: target.port,
    path: target.socketPath,
    socketPath: target.socketPath,
    defaultPort: target.secure ? 443 : 80,
  };
}

/** node:net or node:tls, with every connection option the application gave passed through. */
function defaultConnect(secure: boolean, request: ConnectionRequest): Duplex {
  if (!secure) return netConnect(request as unknown as NetConnectOpts);
  const options: ConnectionOptions = {
    ...(request as unknown as ConnectionOptions),
    path: undefined,
    // RFC 6066 §3: SNI carries host names only, never IP addresses.
    servername: request.servername ?? (isIP(request.host) === 0 ? request.host : ''),
    ALPNProtocols: (request as unknown as ConnectionOptions).ALPNProtocols ?? ['http/1.1'],
  };
  return tlsConnect(options);
}

/**
 * Open the connection to `target`. `done` may be called before this returns. Throws what the
 * connection function throws synchronously (an invalid option...).
 */
export function openStream(target: WebSocketTarget, options: ClientOptions, done: StreamCallback): void {
  const request = connectionOptions(target, options);
  const create = options.createConnection;
  if (create === undefined) {
    done(null, defaultConnect(target.secure, request));
    return;
  }
  let settled = false;
  const once: StreamCallback = (error, stream) => {
    if (settled) return;
    settled = true;
    done(error, stream);
  };
  // node:http's signature; the headers are ours (readonly lists), which a connection function does not change.
  const stream = create(request as unknown as ClientRequestArgs, once);
  if (stream !== null && stream !== undefined) once(null, stream);
}
