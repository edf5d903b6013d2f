/**
 * The handshake through node:http, as `ws` always does it: http.request (or https.request) with
 * the §4.1 headers, then the connection taken over on 'upgrade'.
 *
 * The dialer takes this path when the application needs node:http's objects: an `agent` (a
 * proxy agent implements its own addRequest/createSocket, so only http.request can use it), a
 * `finishRequest(request, websocket)`, or listeners owed an http.ClientRequest
 * ('unexpected-response', 'redirect'). The response is still judged by the protocol core
 * (ClientProtocol.receiveResponse), so both paths accept and refuse the same responses.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { clientRequestHeaders, type ClientRequestOptions, type ResponseHead } from '../protocol/client-handshake.js';
import type { ClientProtocol } from '../protocol/client-protocol.js';
import { TransportHop, type HopOwner } from './client-hop.js';
import { responseHeadOf } from './client-response.js';
import { openStream } from './client-stream.js';
import { SocketTransport } from './socket-transport.js';

/** The request's headers as node:http takes them (a list for a repeated field). */
function headerObject(request: ClientRequestOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of clientRequestHeaders(request)) headers[name] = value;
  return headers;
}

function requestOptions(owner: HopOwner, request: ClientRequestOptions): RequestOptions {
  const options = owner.options;
  const target = request.target;
  const agent = typeof options.agent === 'object' ? options.agent : undefined;
  return {
    ...(options as RequestOptions),
    method: 'GET',
    host: target.hostname,
    hostname: undefined,
    port: target.port,
    path: target.path,
    socketPath: target.socketPath,
    protocol: undefined,
    // Host and Authorization are in the headers already.
    headers: headerObject(request),
    auth: undefined,
    timeout: undefined,
    maxHeaderSize: options.maxResponseHeaderSize ?? options.maxHeaderSize,
    agent,
    // Without an agent, the connection is opened as on the fast path (net, tls, ws+unix, createConnection).
    createConnection:
      agent === undefined
        ? (_options, oncreate) => {
            openStream(target, options, oncreate as (error: Error | null, stream?: Duplex) => void);
            return undefined;
          }
        : undefined,
  };
}

export class HttpHop extends TransportHop {
  readonly request: ClientRequest;
  private readonly hopRequest: ClientRequestOptions;

  constructor(owner: HopOwner, hopRequest: ClientRequestOptions) {
    super(owner);
    this.hopRequest = hopRequest;
    const request = (hopRequest.target.secure ? httpsRequest : httpRequest)(requestOptions(owner, hopRequest));
    this.request = request;
    // Kept after an abort: destroying a request that has no response yet emits 'error'.
    request.on('error', (error) => {
      if (!this.aborted) owner.failed(error);
    });
    request.on('response', (response) => this.onResponse(response));
    request.on('upgrade', (response, socket, head) => this.onUpgrade(response, socket, head));
  }

  /** Send the request: the application's finishRequest ends it, or we do. */
  send(websocket: unknown): void {
    const options = this.owner.options;
    if (options.finishRequest !== undefined) options.finishRequest(this.request, websocket);
    else this.request.end();
  }

  protected override abortUnconnected(): void {
    this.request.destroy();
  }

  private onResponse(response: IncomingMessage): void {
    if (this.aborted) return;
    const unexpected = (): boolean => this.owner.observer.onUnexpectedResponse(this.request, response);
    this.owner.responded(response.statusCode ?? 0, response.headers.location, unexpected);
  }

  private onUpgrade(response: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.aborted || !this.owner.upgraded(() => response)) {
      socket.destroy();
      return;
    }
    const transport = new SocketTransport(socket, this.owner.protocolFor(this.hopRequest), this);
    this.transport = transport;
    transport.startReading();
    // Judged as the fast path judges it: onOpen or onHandshakeFailure follows at once.
    (transport.protocol as ClientProtocol).receiveResponse(responseHeadOf(response), head);
  }

  override onOpen(_response: ResponseHead, head: Buffer): void {
    this.owner.opened(this.transport!, head);
  }

  onHandshakeFailure(error: Error): void {
    this.owner.failed(error);
  }

  override onHandshakeClosed(error: Error | null): void {
    if (!this.aborted && error !== null) this.owner.failed(error);
  }
}
