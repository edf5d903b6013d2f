/**
 * WebSockets over HTTP/2 (RFC 8441): a WebSocket is one stream of an HTTP/2 connection, opened
 * by an extended CONNECT request (§4) with `:protocol: websocket` (§5) and answered with a 2xx
 * status instead of 101. Only the opening handshake changes; the frames of RFC 6455 then flow in
 * the stream's DATA frames, masking included. Sec-WebSocket-Key and Sec-WebSocket-Accept,
 * Upgrade and Connection are not used (§5): HTTP/2's stream framing does their job.
 */
import { WEBSOCKET_VERSION, computeAcceptKey, headerValue, isValidKey, readOffers, type UpgradeRequest } from './server-handshake.js';
import type { ExtensionElement } from './extensions/extension-header.js';
import { formatHeaderLines, rejectBody, type OutgoingHeaders } from './http-head.js';

/** HTTP/2 headers as node:http2 gives them: pseudo-headers (":method" ...) and lower-case names. */
export type Http2Headers = UpgradeRequest['headers'];

export type ExtendedConnectValidation =
  /** `key`: a Sec-WebSocket-Key the client sent anyway ('' if none): see buildExtendedConnectResponse. */
  | { ok: true; key: string; protocols: string[]; extensions: ExtensionElement[] }
  | { ok: false; status: 400 | 501; reason: string; headers: Record<string, string> };

function reject(reason: string, status: 400 | 501 = 400, headers: Record<string, string> = {}): ExtendedConnectValidation {
  return { ok: false, status, reason, headers };
}

/** Check an extended CONNECT request for a WebSocket (RFC 8441 §4 and §5). */
export function validateExtendedConnect(headers: Http2Headers): ExtendedConnectValidation {
  // §4: the extended CONNECT: the CONNECT method with a :protocol pseudo-header.
  if (headerValue(headers, ':method') !== 'CONNECT') return reject('The WebSocket handshake over HTTP/2 is an extended CONNECT');
  const protocol = headerValue(headers, ':protocol');
  if (protocol !== 'websocket') return reject(`Unsupported :protocol "${protocol ?? ''}": this endpoint speaks websocket`, 501);
  // §4: unlike a plain CONNECT, :scheme and :path are required; §5: :authority names the host.
  for (const name of [':scheme', ':path', ':authority']) {
    const value = headerValue(headers, name);
    if (value === undefined || value === '') return reject(`Missing ${name} pseudo-header`);
  }
  // §5 keeps RFC 6455 §4.1's Sec-WebSocket-Version; a version we do not speak names the one we do.
  const version = headerValue(headers, 'sec-websocket-version');
  if (version === undefined || version.trim() !== WEBSOCKET_VERSION) {
    return reject(
      version === undefined
        ? 'Missing sec-websocket-version header: this server speaks version 13'
        : `Unsupported sec-websocket-version ${version.trim()}: this server speaks version 13`,
      400,
      { 'sec-websocket-version': WEBSOCKET_VERSION },
    );
  }
  const offers = readOffers(headers);
  if (typeof offers === 'string') return reject(offers);
  const key = headerValue(headers, 'sec-websocket-key')?.trim() ?? '';
  return { ok: true, key: isValidKey(key) ? key : '', ...offers };
}

/**
 * The response headers that accept the WebSocket (§5: any 2xx; 200 as every server sends).
 * §5 does without Sec-WebSocket-Key/Accept, but a client that sent a key anyway may check the
 * answer (undici 7 does): it is given, computed as RFC 6455 §1.3 says. Others ignore it.
 */
export function buildExtendedConnectResponse(options: {
  key?: string;
  protocol?: string;
  extensions?: string;
  headers?: OutgoingHeaders;
}): Record<string, string | number | readonly string[]> {
  const response: Record<string, string | number | readonly string[]> = { ':status': 200 };
  if (options.key !== undefined && options.key !== '') response['sec-websocket-accept'] = computeAcceptKey(options.key);
  if (options.protocol !== undefined) response['sec-websocket-protocol'] = options.protocol;
  if (options.extensions !== undefined) response['sec-websocket-extensions'] = options.extensions;
  addHeaders(response, options.headers);
  return response;
}

type Http2ResponseHeaders = Record<string, string | number | readonly string[]>;

/** An application's extra headers, checked as over HTTP/1.1 (a TypeError), lower-cased for HTTP/2. */
function addHeaders(response: Http2ResponseHeaders, headers: OutgoingHeaders | undefined): void {
  formatHeaderLines(headers);
  for (const name of Object.keys(headers ?? {})) response[name.toLowerCase()] = headers![name];
}

/** A refusal of the extended CONNECT: the status, a plain-text reason as the body. */
export function buildExtendedConnectRejection(status: number, reason: string, headers?: OutgoingHeaders): { headers: Http2ResponseHeaders; body: string } {
  const response: Http2ResponseHeaders = { ':status': status, 'content-type': 'text/plain; charset=utf-8' };
  addHeaders(response, headers);
  return { headers: response, body: rejectBody(reason) };
}

// --- the client's side --------------------------------------------------------------------

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2), and those the handshake sets. */
const NOT_FROM_THE_APPLICATION: ReadonlySet<string> = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

export interface ExtendedConnectRequestOptions {
  /** The URL's parts: `secure` decides :scheme; `host` is :authority; `path` is :path. */
  target: { secure: boolean; host: string; path: string };
  protocols?: readonly string[];
  extensions?: string;
  origin?: string;
  /** Extra headers, as over HTTP/1.1 (an undefined value is refused, as node:http does). */
  headers?: Readonly<Record<string, string | number | readonly string[] | undefined>>;
  /** "user:password" sent as Basic authentication unless `headers` has an Authorization. */
  auth?: string;
}

/** The extended CONNECT request's headers (§4, §5). Throws TypeError on an invalid extra header. */
export function buildExtendedConnectRequest(options: ExtendedConnectRequestOptions): Record<string, string | readonly string[]> {
  const { target } = options;
  const request: Record<string, string | readonly string[]> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': target.secure ? 'https' : 'http',
    ':authority': target.host,
    ':path': target.path,
    'sec-websocket-version': WEBSOCKET_VERSION,
  };
  if (options.protocols !== undefined && options.protocols.length > 0) request['sec-websocket-protocol'] = options.protocols.join(', ');
  if (options.extensions !== undefined && options.extensions !== '') request['sec-websocket-extensions'] = options.extensions;
  const extra = options.headers ?? {};
  for (const name of Object.keys(extra)) {
    if (extra[name] === undefined) throw new TypeError(`Invalid value "undefined" for header "${name}"`);
  }
  formatHeaderLines(extra as OutgoingHeaders); // names and values checked as over HTTP/1.1 (a TypeError)
  for (const name of Object.keys(extra)) {
    const lower = name.toLowerCase();
    if (NOT_FROM_THE_APPLICATION.has(lower) || lower.startsWith(':')) {
      throw new TypeError(`The "${name}" header cannot be given in "headers" over HTTP/2`);
    }
    const raw = extra[name]!;
    request[lower] = Array.isArray(raw) ? (raw as readonly string[]) : String(raw);
  }
  if (options.origin !== undefined) request.origin = options.origin;
  if (options.auth !== undefined && options.auth !== '' && request.authorization === undefined) {
    request.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  }
  return request;
}

export type ExtendedConnectResponseValidation = { ok: true; protocol: string; extensions: string } | { ok: false; message: string };

/** RFC 8441 §5: any 2xx status answers an extended CONNECT with success. */
export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Check the server's response to the extended CONNECT (§5: a 2xx; a subprotocol only from those offered). */
export function validateExtendedConnectResponse(
  headers: Http2Headers,
  offered: { protocols: readonly string[]; extensionsOffered: boolean },
): ExtendedConnectResponseValidation {
  const status = Number(headerValue(headers, ':status'));
  if (!isSuccessStatus(status)) return { ok: false, message: `Unexpected server response: ${status}` };
  const extensions = headerValue(headers, 'sec-websocket-extensions') ?? '';
  if (extensions !== '' && !offered.extensionsOffered) {
    return { ok: false, message: 'Server sent a Sec-WebSocket-Extensions header but no extension was offered' };
  }
  const protocol = headerValue(headers, 'sec-websocket-protocol');
  if (protocol === undefined) return { ok: true, protocol: '', extensions };
  if (!offered.protocols.includes(protocol)) return { ok: false, message: `Server sent an invalid subprotocol: "${protocol}"` };
  return { ok: true, protocol, extensions };
}
