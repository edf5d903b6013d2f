/**
 * The opening handshake, client side (RFC 6455 §4.1): the key, the request, and the strict check
 * of the server's response (the URL is read in client-url.ts).
 *
 * Pure functions and one incremental reader: the I/O layer dials, writes the request built here,
 * feeds the bytes it reads to `ResponseHeadReader`, and asks `validateUpgradeResponse` whether the
 * connection is open. Nothing here touches a socket or a timer.
 */
import { randomBytes } from 'node:crypto';
import { WEBSOCKET_VERSION, computeAcceptKey, headerValue, listContainsToken } from './server-handshake.js';
import { HttpHeadReader, isFieldValue, isToken, parseHead, printable, type HttpHead } from './http-head.js';
import type { WebSocketTarget } from './client-url.js';

/** §4.1: the nonce is 16 random bytes. */
export const KEY_BYTES = 16;
/** Default cap on the size of the response's status line and headers. */
export const DEFAULT_MAX_RESPONSE_HEADER_SIZE = 16 * 1024;
/** The Sec-WebSocket-Version values a client may send: 13 (RFC 6455 §4.1 item 9) and hybi-08's 8, as `ws` allows. */
export const CLIENT_VERSIONS: readonly number[] = [8, Number(WEBSOCKET_VERSION)];

export { parseWebSocketUrl, type WebSocketTarget } from './client-url.js';

// --- the request (§4.1) --------------------------------------------------------------------

/** §4.1 item 7: a fresh key, base64 of 16 random bytes, for every connection. */
export function generateKey(nonce: Uint8Array = randomBytes(KEY_BYTES)): string {
  if (nonce.length !== KEY_BYTES) throw new RangeError(`The key is ${KEY_BYTES} bytes (got ${nonce.length})`);
  return Buffer.from(nonce.buffer, nonce.byteOffset, nonce.byteLength).toString('base64');
}

const INVALID_SUBPROTOCOL = 'An invalid or duplicated subprotocol was specified';

/** Normalise the subprotocols offered; throws SyntaxError (`ws`'s message) on a non-token or a duplicate (§4.1 item 10). */
export function normalizeProtocols(protocols: string | readonly string[] | undefined): string[] {
  if (protocols === undefined) return [];
  const list = typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (typeof protocol !== 'string' || !isToken(protocol) || seen.has(protocol)) throw new SyntaxError(INVALID_SUBPROTOCOL);
    seen.add(protocol);
  }
  return list;
}

/** Checks the protocol version option; throws RangeError with `ws`'s message. */
export function checkClientVersion(version: number): number {
  if (!CLIENT_VERSIONS.includes(version)) {
    throw new RangeError(`Unsupported protocol version: ${version} (supported versions: ${CLIENT_VERSIONS.join(', ')})`);
  }
  return version;
}

/** Extra request headers, as node:http takes them (a list gives one field line per value). */
export type ClientHeaders = Readonly<Record<string, string | number | readonly string[] | undefined>>;

export interface ClientRequestOptions {
  target: WebSocketTarget;
  key: string;
  /** Subprotocols offered, already normalised. */
  protocols?: readonly string[];
  /** The Origin header (§4.1 item 8), sent only when given (Sec-WebSocket-Origin for version 8). */
  origin?: string;
  /** The Sec-WebSocket-Extensions offer (§4.1 item 11, §9.1), sent only when given. */
  extensions?: string;
  /** Extra headers. Where one names a header of the handshake itself, the handshake's value wins (as in `ws`). */
  headers?: ClientHeaders;
  /** Sec-WebSocket-Version. Default 13. */
  version?: number;
  /** "user:password" sent as Basic authentication unless `headers` has an Authorization. */
  auth?: string;
}

/** One header field of the request: its name as written and its value (several lines for a list). */
export type RequestHeader = [name: string, value: string | string[]];

/** node:http's errors for a bad header, so that a program matching on them sees the same. */
function headerError(code: string, message: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

function headerValues(name: string, raw: string | number | readonly string[] | undefined): string[] {
  if (raw === undefined) throw headerError('ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "undefined" for header "${name}"`);
  const values = Array.isArray(raw) ? (raw as readonly string[]).map(String) : [String(raw)];
  for (const value of values) {
    if (!isFieldValue(value)) throw headerError('ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`);
  }
  return values;
}

/**
 * The header fields of the §4.1 request, in order. Throws TypeError (node:http's codes and
 * messages) on an invalid header name or value.
 */
export function clientRequestHeaders(options: ClientRequestOptions): RequestHeader[] {
  const extra = new Map<string, RequestHeader>();
  for (const [name, raw] of Object.entries(options.headers ?? {})) {
    if (!isToken(name)) throw headerError('ERR_INVALID_HTTP_TOKEN', `Header name must be a valid HTTP token ["${name}"]`);
    const values = headerValues(name, raw);
    extra.set(name.toLowerCase(), [name, values.length === 1 ? values[0] : values]);
  }
  const version = options.version ?? Number(WEBSOCKET_VERSION);
  const own: RequestHeader[] = [
    ['Host', extra.get('host')?.[1] ?? options.target.host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', options.key],
    ['Sec-WebSocket-Version', String(version)],
  ];
  if (options.protocols !== undefined && options.protocols.length > 0) {
    own.push(['Sec-WebSocket-Protocol', options.protocols.join(', ')]);
  }
  if (options.extensions !== undefined && options.extensions !== '') own.push(['Sec-WebSocket-Extensions', options.extensions]);
  if (options.origin !== undefined && options.origin !== '') {
    const name = version < Number(WEBSOCKET_VERSION) ? 'Sec-WebSocket-Origin' : 'Origin';
    own.push([name, headerValues(name, options.origin)[0]]);
  }
  for (const [name] of own) extra.delete(name.toLowerCase());
  const headers = [...own, ...extra.values()];
  if (options.auth !== undefined && options.auth !== '' && !headers.some(([name]) => name.toLowerCase() === 'authorization')) {
    headers.push(['Authorization', `Basic ${Buffer.from(options.auth).toString('base64')}`]);
  }
  return headers;
}

/** The GET request of §4.1 items 1–10, as text. Throws TypeError on an invalid extra header. */
export function buildClientRequest(options: ClientRequestOptions): string {
  let request = `GET ${options.target.path} HTTP/1.1\r\n`;
  for (const [name, value] of clientRequestHeaders(options)) {
    if (typeof value === 'string') request += `${name}: ${value}\r\n`;
    else for (const one of value) request += `${name}: ${one}\r\n`;
  }
  return request + '\r\n';
}

// --- reading the response ------------------------------------------------------------------

export interface ResponseHead {
  /** "1.1" */
  httpVersion: string;
  statusCode: number;
  statusMessage: string;
  /** Lower-cased names; a repeated header becomes an array, in order. */
  headers: Record<string, string | string[]>;
  /** Names and values as received, alternating (node:http's `rawHeaders`). */
  rawHeaders?: string[];
}

export type ResponseReadResult =
  | { kind: 'incomplete' }
  /** `head` holds the bytes after the blank line: the first frames (or an error response's body). */
  | { kind: 'complete'; response: ResponseHead; head: Buffer }
  | { kind: 'error'; message: string };

/**
 * Collects the server's response until the blank line that ends its headers, then parses it.
 * Any bytes in any chunking give the same result: the response, or an error that says what was
 * wrong. It never throws.
 */
export class ResponseHeadReader {
  private readonly reader: HttpHeadReader;
  private result: ResponseReadResult = { kind: 'incomplete' };

  constructor(maxHeaderSize = DEFAULT_MAX_RESPONSE_HEADER_SIZE) {
    this.reader = new HttpHeadReader(maxHeaderSize);
  }

  /** Feed bytes; once the result is complete or an error, later bytes are ignored. */
  push(chunk: Uint8Array): ResponseReadResult {
    if (this.result.kind !== 'incomplete') return this.result;
    const read = this.reader.push(chunk);
    if (read.kind === 'error') {
      this.result = { kind: 'error', message: `Invalid HTTP response: ${read.message}` };
    } else if (read.kind === 'complete') {
      const response = toResponseHead(read.head);
      this.result =
        typeof response === 'string'
          ? { kind: 'error', message: response }
          : { kind: 'complete', response, head: read.rest };
    }
    return this.result;
  }
}

const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([^\0-\x08\x0a-\x1f\x7f]*))?$/;

function toResponseHead(head: HttpHead): ResponseHead | string {
  const status = STATUS_LINE.exec(head.startLine);
  if (status === null) return `Invalid HTTP response: malformed status line "${printable(head.startLine)}"`;
  return {
    httpVersion: `${status[1]}.${status[2]}`,
    statusCode: Number(status[3]),
    statusMessage: status[4] ?? '',
    headers: head.headers,
    rawHeaders: head.rawHeaders,
  };
}

/**
 * Parse a status line and header lines (RFC 7230 §3), without the final blank line. Returns the
 * response, or a message saying what is malformed.
 */
export function parseResponseHead(text: string): ResponseHead | string {
  const head = parseHead(text);
  if (typeof head === 'string') return `Invalid HTTP response: ${head}`;
  return toResponseHead(head);
}

// --- validating the response (§4.1, "the client MUST validate the server's response") -------

export interface UpgradeExpectation {
  key: string;
  /** The subprotocols offered. */
  protocols: readonly string[];
  /** Did the request offer extensions? Their answer is then returned for the caller to check. */
  extensionsOffered?: boolean;
}

export type UpgradeResponseValidation =
  /** `extensions`: the Sec-WebSocket-Extensions value ('' if none), for the offer's owner to check. */
  | { ok: true; protocol: string; extensions: string }
  | { ok: false; message: string };

function fail(message: string): UpgradeResponseValidation {
  return { ok: false, message };
}

/** Check a complete response against the request (§4.1, the numbered list after "Once the client's opening handshake has been sent"). */
export function validateUpgradeResponse(
  response: ResponseHead,
  expected: UpgradeExpectation,
): UpgradeResponseValidation {
  // Item 1: anything but 101 is not a WebSocket (redirects are the I/O layer's business).
  if (response.statusCode !== 101) return fail(`Unexpected server response: ${response.statusCode}`);
  if (response.httpVersion !== '1.1') return fail(`Invalid HTTP version in the response: ${response.httpVersion}`);
  const headers = response.headers;
  // Item 2: Upgrade is "websocket", ASCII case-insensitive.
  const upgrade = headers['upgrade'];
  if (typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket') return fail('Invalid Upgrade header');
  // Item 3: Connection contains the token "Upgrade".
  const connectionValue = headerValue(headers, 'connection');
  if (connectionValue === undefined || !listContainsToken(connectionValue, 'upgrade')) {
    return fail('Invalid Connection header');
  }
  // Item 4: Sec-WebSocket-Accept is base64(SHA-1(key + GUID)), exactly.
  const accept = headers['sec-websocket-accept'];
  if (typeof accept !== 'string' || accept !== computeAcceptKey(expected.key)) {
    return fail('Invalid Sec-WebSocket-Accept header');
  }
  // Item 5: no extension that we did not offer; those offered are checked by their owner.
  const extensions = headerValue(headers, 'sec-websocket-extensions') ?? '';
  if (extensions !== '' && expected.extensionsOffered !== true) {
    return fail('Server sent a Sec-WebSocket-Extensions header but no extension was requested');
  }
  // Item 6: a subprotocol only from those offered (none at all is fine, as browsers accept).
  const protocol = headers['sec-websocket-protocol'];
  if (protocol === undefined) return { ok: true, protocol: '', extensions };
  if (Array.isArray(protocol) || !isToken(protocol)) return fail('Invalid Sec-WebSocket-Protocol header');
  if (expected.protocols.length === 0) return fail('Server sent a subprotocol but none was requested');
  if (!expected.protocols.includes(protocol)) return fail('Server sent an invalid subprotocol');
  return { ok: true, protocol, extensions };
}
