/**
 * The opening handshake, client side (RFC 6455 §4.1): the URL, the key, the request, and the
 * strict check of the server's response.
 *
 * Pure functions and one incremental reader: the I/O layer dials, writes the request built here,
 * feeds the bytes it reads to `ResponseHeadReader`, and asks `validateUpgradeResponse` whether the
 * connection is open. Nothing here touches a socket or a timer.
 */
import { randomBytes } from 'node:crypto';
import { WEBSOCKET_VERSION, computeAcceptKey, listContainsToken, parseTokenList } from './server-handshake.js';
import { HttpHeadReader, isFieldValue, isToken, parseHead, printable, type HttpHead } from './http-head.js';

/** §4.1: the nonce is 16 random bytes. */
export const KEY_BYTES = 16;
/** Default cap on the size of the response's status line and headers. */
export const DEFAULT_MAX_RESPONSE_HEADER_SIZE = 16 * 1024;
/** The redirect statuses the client may follow (RFC 9110 §15.4). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 307, 308]);

// --- the URL (§3) --------------------------------------------------------------------------

export interface WebSocketTarget {
  secure: boolean;
  /** The host to dial: a name or an IP address, without the brackets of an IPv6 literal. */
  hostname: string;
  port: number;
  /** The Host header (§4.1 item 4): host, and the port unless it is the scheme's default. */
  host: string;
  /** The request target: path and query (§3 "resource name"), at least "/". */
  path: string;
  /** The URL, normalised (http: and https: turned into ws: and wss:). */
  href: string;
}

/**
 * Read a ws:// or wss:// URL (§3). http:// and https:// are taken as ws:// and wss:// (as `ws`
 * does, and as redirects need). Throws SyntaxError for anything else, like browsers do.
 */
export function parseWebSocketUrl(address: string | URL, base?: string | URL): WebSocketTarget {
  let url: URL;
  try {
    url = new URL(String(address), base === undefined ? undefined : String(base));
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`The URL's protocol must be one of "ws:" or "wss:" (got "${url.protocol}")`);
  }
  // §3: "Fragment identifiers are meaningless in the context of WebSocket URIs".
  if (url.hash !== '') throw new SyntaxError('The URL contains a fragment identifier');
  if (url.hostname === '') throw new SyntaxError(`The URL has no host: ${url.href}`);
  const secure = url.protocol === 'wss:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    secure,
    hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    host: url.host,
    path: (url.pathname === '' ? '/' : url.pathname) + url.search,
    href: url.href,
  };
}

// --- the request (§4.1) --------------------------------------------------------------------

/** §4.1 item 7: a fresh key, base64 of 16 random bytes, for every connection. */
export function generateKey(nonce: Uint8Array = randomBytes(KEY_BYTES)): string {
  if (nonce.length !== KEY_BYTES) throw new RangeError(`The key is ${KEY_BYTES} bytes (got ${nonce.length})`);
  return Buffer.from(nonce.buffer, nonce.byteOffset, nonce.byteLength).toString('base64');
}

/** Normalise the subprotocols offered; throws SyntaxError on a non-token or a duplicate (§4.1 item 10). */
export function normalizeProtocols(protocols: string | readonly string[] | undefined): string[] {
  if (protocols === undefined) return [];
  const list = typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    const tokens = parseTokenList(protocol);
    if (tokens === null || tokens.length !== 1 || tokens[0] !== protocol) {
      throw new SyntaxError(`An invalid or duplicated subprotocol was specified: "${protocol}"`);
    }
    if (seen.has(protocol)) throw new SyntaxError(`An invalid or duplicated subprotocol was specified: "${protocol}"`);
    seen.add(protocol);
  }
  return list;
}

/** Headers the handshake itself writes: an extra header may not replace them. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

export interface ClientRequestOptions {
  target: WebSocketTarget;
  key: string;
  /** Subprotocols offered, already normalised. */
  protocols?: readonly string[];
  /** The Origin header (§4.1 item 8), sent only when given. */
  origin?: string;
  /** The Sec-WebSocket-Extensions offer (§4.1 item 11, §9.1), sent only when given. */
  extensions?: string;
  /** Extra headers; `Host` may be replaced, the handshake's own headers may not. */
  headers?: Readonly<Record<string, string | number | readonly string[]>>;
}

/** Header values may not contain CR, LF or NUL, nor characters latin1 turns into them (RFC 7230 §3.2). */
function checkHeaderValue(name: string, value: string): string {
  if (!isFieldValue(value)) throw new TypeError(`Invalid value for header "${name}"`);
  return value;
}

/** The GET request of §4.1 items 1–10. Throws TypeError on an invalid extra header. */
export function buildClientRequest(options: ClientRequestOptions): string {
  const { target, key } = options;
  let host = target.host;
  const extra: string[] = [];
  if (options.headers !== undefined) {
    for (const [name, raw] of Object.entries(options.headers)) {
      if (!isToken(name)) throw new TypeError(`Invalid header name "${name}"`);
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.has(lower)) {
        throw new TypeError(`The "${name}" header is set by the handshake and cannot be given in "headers"`);
      }
      const values = Array.isArray(raw) ? (raw as readonly string[]) : [String(raw)];
      if (lower === 'host') {
        host = checkHeaderValue(name, values.join(', '));
        continue;
      }
      for (const value of values) extra.push(`${name}: ${checkHeaderValue(name, value)}\r\n`);
    }
  }
  let request =
    `GET ${target.path} HTTP/1.1\r\n` +
    `Host: ${host}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    `Sec-WebSocket-Version: ${WEBSOCKET_VERSION}\r\n`;
  if (options.protocols !== undefined && options.protocols.length > 0) {
    request += `Sec-WebSocket-Protocol: ${options.protocols.join(', ')}\r\n`;
  }
  if (options.extensions !== undefined && options.extensions !== '') {
    request += `Sec-WebSocket-Extensions: ${options.extensions}\r\n`;
  }
  if (options.origin !== undefined) request += `Origin: ${checkHeaderValue('Origin', options.origin)}\r\n`;
  return request + extra.join('') + '\r\n';
}

// --- reading the response ------------------------------------------------------------------

export interface ResponseHead {
  /** "1.1" */
  httpVersion: string;
  statusCode: number;
  statusMessage: string;
  /** Lower-cased names; a repeated header becomes an array, in order. */
  headers: Record<string, string | string[]>;
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
  const connection = headers['connection'];
  const connectionValue = Array.isArray(connection) ? connection.join(', ') : connection;
  if (connectionValue === undefined || !listContainsToken(connectionValue, 'upgrade')) {
    return fail('Invalid Connection header');
  }
  // Item 4: Sec-WebSocket-Accept is base64(SHA-1(key + GUID)), exactly.
  const accept = headers['sec-websocket-accept'];
  if (accept === undefined) return fail('Missing Sec-WebSocket-Accept header');
  if (typeof accept !== 'string' || accept !== computeAcceptKey(expected.key)) {
    return fail('Invalid Sec-WebSocket-Accept header');
  }
  // Item 5: no extension that we did not offer; those offered are checked by their owner.
  const extensionHeader = headers['sec-websocket-extensions'];
  const extensions = Array.isArray(extensionHeader) ? extensionHeader.join(', ') : (extensionHeader ?? '');
  if (extensions !== '' && expected.extensionsOffered !== true) {
    return fail('Server sent a Sec-WebSocket-Extensions header but no extension was offered');
  }
  // Item 6: a subprotocol only from those offered (none at all is fine, as browsers accept).
  const protocol = headers['sec-websocket-protocol'];
  if (protocol === undefined) return { ok: true, protocol: '', extensions };
  if (Array.isArray(protocol) || !isToken(protocol)) return fail('Invalid Sec-WebSocket-Protocol header');
  if (expected.protocols.length === 0) return fail('Server sent a subprotocol but none was requested');
  if (!expected.protocols.includes(protocol)) return fail(`Server sent an invalid subprotocol: "${protocol}"`);
  return { ok: true, protocol, extensions };
}

/** Where a redirect points, or a message saying why it cannot be followed. */
export function redirectTarget(response: ResponseHead, current: string): WebSocketTarget | string {
  const location = response.headers.location;
  if (typeof location !== 'string' || location === '') {
    return `Unexpected server response: ${response.statusCode} (a redirect without a valid Location header)`;
  }
  try {
    return parseWebSocketUrl(location, current);
  } catch (error) {
    return `Invalid redirect to "${printable(location)}": ${(error as Error).message}`;
  }
}
