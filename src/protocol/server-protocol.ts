/**
 * The server's side of a connection, from the first byte of the opening handshake (RFC 6455
 * §4.2) to the end. It reads the client's request from the bytes it is fed (or takes one an HTTP
 * server has already read), answers what cannot be a WebSocket handshake itself, and hands a
 * valid request to the application's handler, which decides with `accept()` or `reject()`.
 *
 *   CONNECTING: request head in -> 400/426/431 answered here, or onRequest -> accept | reject
 *   OPEN ... CLOSED: the frames of `Protocol`
 */
import type { ExtensionElement } from './extensions/extension-header.js';
import type { AcceptResponseOptions } from './server-handshake.js';
import { acceptResponseLines, buildAcceptResponse, headerValue, joinResponseLines, validateUpgradeRequest } from './server-handshake.js';
import { buildExtendedConnectRejection, buildExtendedConnectResponse, validateExtendedConnect } from './h2-handshake.js';
import {
  HttpHeadReader,
  buildRejectResponse,
  parseRequestLine,
  type OutgoingHeaders,
} from './http-head.js';
import { negotiateDeflateAsServer, type DeflateParams, type DeflateSetup } from './extensions/permessage-deflate.js';
import { Protocol, ReadyState, type CompressionSetup, type ProtocolHandler, type ReceiveOptions } from './protocol.js';

/** Like node:http's default (--max-http-header-size): 16 KiB for the request line and headers. */
export const MAX_REQUEST_HEAD_SIZE = 16 * 1024;

/** A request as read from the wire (or as node:http read it). */
export interface HandshakeRequest {
  method: string;
  /** The request-target, e.g. "/chat?room=1". */
  url: string;
  /** "1.1" */
  httpVersion: string;
  /** Lower-cased names; a repeated header as node:http gives it (joined, or a list). */
  headers: Record<string, string | string[] | undefined>;
  /** Names and values as received, alternating. */
  rawHeaders: string[];
}

/** What a valid opening handshake request offers (§4.2.1). */
export interface HandshakeOffer {
  key: string;
  /** Subprotocols offered, in the client's order of preference (§4.2.1 item 8). */
  protocols: string[];
  /** Extensions offered (§9.1), in order. */
  extensions: ExtensionElement[];
}

export interface ServerProtocolHandler extends ProtocolHandler {
  /**
   * A valid handshake request: decide with `accept()` or `reject()`, now or later. `head` holds
   * the bytes that followed the request (the client's first frames): feed them with
   * `receiveData` once the connection is accepted and ready for events.
   */
  onRequest(request: HandshakeRequest, offer: HandshakeOffer, head: Buffer): void;
  /** The handshake was refused, by the protocol or with `reject()`: the response is queued. */
  onReject(status: number, reason: string, request: HandshakeRequest | null): void;
  /**
   * A request that is not a valid opening handshake (§4.2.1), about to be refused with `status`.
   * Return true to answer it yourself on the transport (`ws`'s 'wsClientError'): the protocol
   * then sends nothing, asks for no close, and is CLOSED.
   */
  onInvalidRequest?(request: HandshakeRequest, status: number, reason: string): boolean;
}

export interface ServerProtocolOptions extends ReceiveOptions {
  /** permessage-deflate, when the server offers it (RFC 7692); off when absent. */
  deflate?: DeflateSetup | null;
  /**
   * The connection is a stream of an HTTP/2 connection (RFC 8441): its request comes through
   * `receiveExtendedConnect` and every answer goes in `http2Response`.
   */
  http2?: boolean;
}

export interface AcceptOptions {
  /** The subprotocol chosen among those offered (§4.2.2 item 5). */
  protocol?: string;
  /**
   * The agreed extensions: the response header's value, and compression when it is agreed.
   * Absent: the protocol object negotiates permessage-deflate itself when it was configured.
   */
  extensions?: { header: string; compression: CompressionSetup | null };
  /** Extra response headers; checked for invalid names and values (a TypeError). */
  headers?: OutgoingHeaders;
  /**
   * The whole response as lines (from `responseLines()`, perhaps changed), instead of the one
   * built from the options above. A line with CR, LF or NUL throws a TypeError (nothing is sent).
   */
  lines?: readonly string[];
}

/** §4.2.2 and §4.4: tell a plain HTTP client which protocol and version this endpoint speaks. */
const UPGRADE_REQUIRED = { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' };
const EMPTY = Buffer.alloc(0);

/** The request line is judged as soon as it is complete, before the headers arrive. */
function checkRequestLine(line: string): string | null {
  return parseRequestLine(line) === null ? 'malformed request line' : null;
}

export class ServerProtocol extends Protocol {
  protected declare readonly handler: ServerProtocolHandler;
  private reader: HttpHeadReader | null = null;
  /** The valid request waiting for the application's decision. */
  private offer: HandshakeOffer | null = null;
  /** The request being answered, once its head is read. */
  private request: HandshakeRequest | null = null;
  /** Bytes after a plain request that was answered: the next pipelined request, read on demand. */
  private unread: Buffer | null = null;
  /** Why the handshake was refused, once it was: the status and the reason sent. */
  rejection: { status: number; reason: string } | null = null;
  /**
   * Over HTTP/2 (RFC 8441): the response to send as the stream's headers (and a body for a
   * refusal), set by `accept()` or `reject()`. Over HTTP/1.1 the response is in `dataToSend()`.
   */
  http2Response: { headers: Record<string, string | number | readonly string[]>; body: string | null } | null = null;
  private readonly overHttp2: boolean;

  /** RFC 7692: what permessage-deflate the accepted connection agreed to, or null. */
  agreedDeflate: DeflateParams | null = null;
  /** The Sec-WebSocket-Extensions value of the 101 ('' for none). */
  agreedExtensions = '';
  private readonly deflate: DeflateSetup | null;
  /** permessage-deflate as negotiated for the pending request (undefined: not yet asked). */
  private negotiated: AcceptOptions['extensions'] | undefined = undefined;

  constructor(handler: ServerProtocolHandler, options: ServerProtocolOptions = {}) {
    const { deflate: _deflate, http2: _http2, ...receive } = options;
    super(handler, { ...receive, role: 'server', state: ReadyState.Connecting });
    this.deflate = options.deflate ?? null;
    this.overHttp2 = options.http2 === true;
  }

  /** Is a valid request waiting for `accept()` or `reject()`? (Read nothing meanwhile.) */
  get awaitingDecision(): boolean {
    return this.offer !== null;
  }

  /** Read nothing more while a decision is awaited or an earlier pipelined request is unread. */
  override get isReadPaused(): boolean {
    return this.offer !== null || this.unread !== null || super.isReadPaused;
  }

  /**
   * Did we answer a plain request and keep bytes the client sent after it? Call `receiveData`
   * with an empty buffer to read them once our answer is written (RFC 7230 §6.3 pipelining;
   * one request at a time, so a client that does not read our answers cannot make us queue more).
   */
  get hasUnreadInput(): boolean {
    return this.unread !== null;
  }

  /** A request head read by someone else (node:http's 'upgrade' event), and the bytes after it. */
  receiveRequest(request: HandshakeRequest, head: Buffer): void {
    if (this.state !== ReadyState.Connecting || this.offer !== null) return;
    this.handleRequest(request, head);
  }

  /**
   * An extended CONNECT request on an HTTP/2 stream (RFC 8441 §4, §5), as node:http2 read it:
   * checked, then handed to the application like an HTTP/1.1 request. Its answer goes in
   * `http2Response`, not in the bytes to send.
   */
  receiveExtendedConnect(request: HandshakeRequest): void {
    if (this.state !== ReadyState.Connecting || this.offer !== null || !this.overHttp2) return;
    this.request = request;
    const validation = validateExtendedConnect(request.headers);
    if (!validation.ok) {
      this.reject(validation.status, validation.reason, validation.headers);
      return;
    }
    const offer: HandshakeOffer = { key: validation.key, protocols: validation.protocols, extensions: validation.extensions };
    this.offer = offer;
    this.handler.onRequest(request, offer, EMPTY);
  }

  protected override receiveHandshakeData(chunk: Buffer): void {
    if (this.offer !== null) return; // the decision is the application's now
    let input = chunk;
    if (this.unread !== null) {
      input = chunk.length === 0 ? this.unread : Buffer.concat([this.unread, chunk]);
      this.unread = null;
    }
    if (input.length === 0) return;
    const result = (this.reader ??= new HttpHeadReader(MAX_REQUEST_HEAD_SIZE, checkRequestLine)).push(input);
    if (result.kind === 'incomplete') return;
    this.reader = null;
    if (result.kind === 'error') {
      this.reject(result.tooLarge ? 431 : 400, `Invalid HTTP request: ${result.message}`);
      return;
    }
    // The reader refused a malformed request line already (checkRequestLine).
    const line = parseRequestLine(result.head.startLine)!;
    const request: HandshakeRequest = {
      method: line.method,
      url: line.target,
      httpVersion: line.httpVersion,
      headers: joinRepeated(result.head.headers),
      rawHeaders: result.head.rawHeaders,
    };
    if (request.headers.upgrade !== undefined) {
      this.handleRequest(request, result.rest);
      return;
    }
    // A plain HTTP request to a WebSocket-only port: say what is expected (§4.2.2, §4.4).
    const reason = 'Upgrade Required: this endpoint speaks WebSocket';
    if (!isPersistent(request)) {
      this.reject(426, reason, UPGRADE_REQUIRED);
      return;
    }
    this.sendEncoded(Buffer.from(buildRejectResponse(426, reason, UPGRADE_REQUIRED, true), 'latin1'));
    if (result.rest.length > 0) this.unread = result.rest;
  }

  /** The lines of the 101 response `accept(options)` would send, status line first, without CRLF. */
  responseLines(options: AcceptOptions = {}): string[] {
    return acceptResponseLines(this.responseOptions(options));
  }

  /** Accept the request: queue the 101 response (§4.2.2 item 5); the connection is OPEN. */
  accept(options: AcceptOptions = {}): void {
    const built = this.responseOptions(options);
    const extensions = options.extensions ?? this.negotiated;
    this.agreedExtensions = extensions?.header ?? '';
    if (this.overHttp2) {
      this.http2Response = { headers: buildExtendedConnectResponse(built), body: null };
    } else {
      // Lines an application wrote go out as `ws` writes them (UTF-8); ours are ASCII.
      const response =
        options.lines === undefined
          ? Buffer.from(buildAcceptResponse(built), 'latin1')
          : Buffer.from(joinResponseLines(options.lines), 'utf8');
      this.sendEncoded(response);
    }
    this.offer = null;
    this.request = null;
    const compression = extensions?.compression ?? null;
    if (compression !== null) this.enableCompression(compression);
    this.setState(ReadyState.Open);
  }

  /** The response's parts; permessage-deflate is negotiated once, here (RFC 7692 §5). */
  private responseOptions(options: AcceptOptions): AcceptResponseOptions {
    const offer = this.offer;
    if (offer === null) throw new Error('There is no handshake request to accept');
    if (options.extensions === undefined && this.negotiated === undefined) this.negotiated = this.negotiateExtensions(offer);
    const extensions = options.extensions ?? this.negotiated;
    return { key: offer.key, protocol: options.protocol, extensions: extensions?.header, headers: options.headers };
  }

  /**
   * Refuse the handshake with an HTTP error response (§4.2.2: "an appropriate HTTP error
   * code"); TCP is closed once it is written. The reason is the response's one-line body.
   */
  reject(status: number, reason: string, headers?: OutgoingHeaders): void {
    if (this.state !== ReadyState.Connecting) return;
    this.offer = null;
    this.unread = null;
    if (this.overHttp2) {
      this.http2Response = buildExtendedConnectRejection(status, reason, headers);
    } else {
      this.sendEncoded(Buffer.from(buildRejectResponse(status, reason, headers), 'utf8'));
    }
    this.rejection = { status, reason };
    this.requestTransportClose();
    this.setState(ReadyState.Closed);
    const request = this.request;
    this.request = null;
    this.handler.onReject(status, reason, request);
  }

  /** RFC 7692 §5: answer the first acceptable permessage-deflate offer, if the server offers it. */
  private negotiateExtensions(offer: HandshakeOffer): AcceptOptions['extensions'] {
    const deflate = this.deflate;
    if (deflate === null) return undefined;
    const agreement = negotiateDeflateAsServer(offer.extensions, deflate.settings);
    if (agreement === null) return undefined;
    this.agreedDeflate = agreement.params;
    const codec = deflate.createCodec(agreement.params, 'server');
    return { header: agreement.response, compression: { codec, threshold: deflate.settings.threshold } };
  }

  private handleRequest(request: HandshakeRequest, head: Buffer): void {
    this.request = request;
    const validation = validateUpgradeRequest(request);
    if (!validation.ok) {
      if (this.handler.onInvalidRequest?.(request, validation.status, validation.reason) === true) {
        this.request = null;
        this.setState(ReadyState.Closed);
        return;
      }
      this.reject(validation.status, validation.reason, validation.headers);
      return;
    }
    const offer: HandshakeOffer = {
      key: validation.key,
      protocols: validation.protocols,
      extensions: validation.extensions,
    };
    this.offer = offer;
    this.handler.onRequest(request, offer, head.length === 0 ? EMPTY : head);
  }
}

/** May the connection carry another request? HTTP/1.1 without "close", and no body to skip. */
function isPersistent(request: HandshakeRequest): boolean {
  if (request.httpVersion !== '1.1') return false;
  const headers = request.headers;
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  if (length !== undefined && length !== '0') return false;
  const tokens = headerValue(headers, 'connection') ?? '';
  return !/(^|[\s,])close([\s,]|$)/i.test(tokens);
}

/** node:http joins repeated headers with ", " (set-cookie stays a list): handlers expect that. */
function joinRepeated(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const joined = Object.create(null) as Record<string, string | string[]>;
  for (const name in headers) {
    const value = headers[name];
    joined[name] = Array.isArray(value) && name !== 'set-cookie' ? value.join(', ') : value;
  }
  return joined;
}
