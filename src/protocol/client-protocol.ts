/**
 * The client's side of a connection, from its opening handshake request (RFC 6455 §4.1) to the
 * end. `connect()` queues the request; the bytes fed back are the server's response, checked
 * strictly ("the client MUST validate the server's response"), then frames.
 *
 *   CONNECTING: request out, response in -> OPEN (onOpen) | CLOSED (onHandshakeFailure)
 *   OPEN ... CLOSED: the frames of `Protocol`
 */
import {
  DEFAULT_MAX_RESPONSE_HEADER_SIZE,
  ResponseHeadReader,
  buildClientRequest,
  validateUpgradeResponse,
  type ClientRequestOptions,
  type ResponseHead,
} from './client-handshake.js';
import { acceptDeflateResponse, buildDeflateOffer, type DeflateParams, type DeflateSetup } from './extensions/permessage-deflate.js';
import { buildExtendedConnectRequest, isSuccessStatus, validateExtendedConnectResponse, type Http2Headers } from './h2-handshake.js';
import type { MaskKeySource } from './outbox.js';
import { Protocol, ReadyState, type CompressionSetup, type ProtocolHandler, type ReceiveOptions } from './protocol.js';

export interface ClientProtocolHandler extends ProtocolHandler {
  /**
   * The server accepted: the connection is OPEN. `head` holds the bytes that followed the
   * response (the server's first frames): feed them with `receiveData`.
   */
  onOpen(response: ResponseHead, head: Buffer): void;
  /**
   * The handshake failed: no 101, or a response that breaks §4.1 (`response` is null when it
   * was not even HTTP). The connection is CLOSED; `body` holds what followed the response head.
   */
  onHandshakeFailure(error: Error, response: ResponseHead | null, body: Buffer): void;
}

/** The extensions offered, and how to judge the server's answer to the offer. */
export interface ExtensionOffering {
  /** The Sec-WebSocket-Extensions value of the request. */
  offer: string;
  /**
   * The server's Sec-WebSocket-Extensions value ('' for none): what it agreed to, or a message
   * saying why the answer is not acceptable (the handshake then fails, §4.1 item 5 of the checks).
   */
  accept(response: string): { compression: CompressionSetup | null } | string;
}

export interface ClientProtocolOptions extends ReceiveOptions {
  /** What the request says (the key must be fresh, §4.1 item 7). */
  request: ClientRequestOptions;
  /** Extensions offered and judged by their owner (another extension than permessage-deflate). */
  extensions?: ExtensionOffering;
  /** permessage-deflate, when the client offers it (RFC 7692; `ws` and browsers do by default). */
  deflate?: DeflateSetup | null;
  maskKeySource: MaskKeySource;
  /** Cap on the response's status line and headers. Default 16 KiB. */
  maxResponseHeaderSize?: number;
}

export class ClientProtocol extends Protocol {
  protected declare readonly handler: ClientProtocolHandler;
  private readonly request: ClientRequestOptions;
  private readonly extensions: ExtensionOffering | null;
  private reader: ResponseHeadReader | null;
  /** The subprotocol and extensions the server agreed to ('' for none). */
  agreedProtocol = '';
  agreedExtensions = '';
  /** RFC 7692: the permessage-deflate parameters agreed, or null. */
  agreedDeflate: DeflateParams | null = null;

  constructor(handler: ClientProtocolHandler, options: ClientProtocolOptions) {
    const { request: _request, extensions: _extensions, deflate: _deflate, maxResponseHeaderSize: _max, ...receive } = options;
    super(handler, { ...receive, role: 'client', state: ReadyState.Connecting });
    this.extensions = options.extensions ?? (options.deflate ? this.deflateOffering(options.deflate) : null);
    this.request = { ...options.request, extensions: this.extensions?.offer };
    this.reader = new ResponseHeadReader(options.maxResponseHeaderSize ?? DEFAULT_MAX_RESPONSE_HEADER_SIZE);
  }

  /** Queue the opening handshake request (§4.1). Throws TypeError on an invalid header. */
  connect(): void {
    this.sendEncoded(Buffer.from(buildClientRequest(this.request), 'latin1'));
  }

  /**
   * Over HTTP/2 (RFC 8441 §4, §5): the extended CONNECT request's headers, for the I/O layer to
   * open a stream with; its response goes to `receiveHttp2Response`. Throws TypeError on an
   * invalid header.
   */
  connectOverHttp2(): Record<string, string | readonly string[]> {
    this.reader = null;
    return buildExtendedConnectRequest(this.request);
  }

  /** The response headers of the extended CONNECT stream: a 2xx opens the WebSocket (§5). */
  receiveHttp2Response(headers: Http2Headers): void {
    if (this.state !== ReadyState.Connecting) return;
    const plain: Record<string, string | string[]> = {};
    for (const name of Object.keys(headers)) if (!name.startsWith(':') && headers[name] !== undefined) plain[name] = headers[name]!;
    const response: ResponseHead = { httpVersion: '2.0', statusCode: Number(headers[':status']), statusMessage: '', headers: plain };
    const validation = validateExtendedConnectResponse(headers, {
      protocols: this.request.protocols ?? [],
      extensionsOffered: this.extensions !== null,
    });
    if (!validation.ok) {
      const error = new Error(validation.message);
      if (!isSuccessStatus(response.statusCode)) Object.assign(error, { statusCode: response.statusCode });
      this.failHandshake(error, response, EMPTY);
      return;
    }
    this.open(response, validation.protocol, validation.extensions, EMPTY);
  }

  /**
   * Judge a response that another HTTP reader parsed (node:http, when the handshake goes through
   * http.request): as if its bytes had come in. `rest` holds the bytes that followed it.
   */
  receiveResponse(response: ResponseHead, rest: Buffer): void {
    if (this.reader === null) return;
    this.reader = null;
    this.handleResponse(response, rest);
  }

  protected override receiveHandshakeData(chunk: Buffer): void {
    const reader = this.reader;
    if (reader === null) return;
    const result = reader.push(chunk);
    if (result.kind === 'incomplete') return;
    this.reader = null;
    if (result.kind === 'error') this.failHandshake(new Error(result.message), null, EMPTY);
    else this.handleResponse(result.response, result.head);
  }

  private handleResponse(response: ResponseHead, rest: Buffer): void {
    // Item 1: anything but 101 is not a WebSocket (following a redirect is the I/O layer's choice).
    if (response.statusCode !== 101) {
      const error = new Error(`Unexpected server response: ${response.statusCode}`);
      this.failHandshake(Object.assign(error, { statusCode: response.statusCode }), response, rest);
      return;
    }
    const validation = validateUpgradeResponse(response, {
      key: this.request.key,
      protocols: this.request.protocols ?? [],
      extensionsOffered: this.extensions !== null,
    });
    if (!validation.ok) {
      this.failHandshake(new Error(validation.message), response, rest);
      return;
    }
    this.open(response, validation.protocol, validation.extensions, rest);
  }

  /** The response is valid: agree on the extensions (or fail on them), and open. */
  private open(response: ResponseHead, protocol: string, extensions: string, rest: Buffer): void {
    let compression: CompressionSetup | null = null;
    if (this.extensions !== null) {
      const agreed = this.extensions.accept(extensions);
      if (typeof agreed === 'string') {
        this.failHandshake(new Error(agreed), response, rest);
        return;
      }
      compression = agreed.compression;
    }
    this.agreedProtocol = protocol;
    this.agreedExtensions = extensions;
    if (compression !== null) this.enableCompression(compression);
    this.setState(ReadyState.Open);
    this.handler.onOpen(response, rest);
  }

  /** RFC 7692 §5: offer permessage-deflate, and judge the server's answer to the offer. */
  private deflateOffering(deflate: DeflateSetup): ExtensionOffering {
    return {
      offer: buildDeflateOffer(deflate.settings),
      accept: (response) => {
        const agreed = acceptDeflateResponse(response === '' ? undefined : response, deflate.settings);
        if (typeof agreed === 'string') return agreed;
        if (agreed === null) return { compression: null };
        this.agreedDeflate = agreed;
        return { compression: { codec: deflate.createCodec(agreed, 'client'), threshold: deflate.settings.threshold } };
      },
    };
  }

  private failHandshake(error: Error, response: ResponseHead | null, body: Buffer): void {
    this.setState(ReadyState.Closed);
    this.requestTransportClose();
    this.handler.onHandshakeFailure(error, response, body);
  }
}

const EMPTY = Buffer.alloc(0);
