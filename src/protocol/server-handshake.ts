/**
 * The opening handshake, server side. RFC 6455 §4.2.1 (reading the client's request), §4.2.2
 * (the server's response) and §1.3 (Sec-WebSocket-Accept); header grammar from RFC 7230 §3.2.6
 * (tokens) and §7 (comma-separated lists).
 *
 * Everything here is a pure function of the request's method, version and headers: the I/O
 * layer hands them over and writes the response this module builds.
 */
import * as crypto from 'node:crypto';
import { parseExtensionHeader, type ExtensionElement } from './extensions/extension-header.js';
import { formatHeaderLines, isTokenChar, isWhitespace, type OutgoingHeaders } from './http-head.js';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** RFC 6455 §4.1: the only version this specification defines. */
export const WEBSOCKET_VERSION = '13';

/** Node's one-shot hash (20.12+): no Hash object per handshake, about 2.5× faster than createHash. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;

/** §1.3: base64(SHA-1(key + GUID)). */
export function computeAcceptKey(key: string): string {
  const input = key + WEBSOCKET_GUID;
  if (oneShotHash !== undefined) return oneShotHash('sha1', input, 'base64');
  return crypto.createHash('sha1').update(input).digest('base64');
}

/**
 * §4.1: the key is a base64-encoded 16-byte value, so exactly 22 base64 characters and "==".
 * Like `ws` and browsers' peers, we accept non-zero bits in the last character's unused low bits
 * (RFC 4648 §3.5 lets decoders ignore them): the key still decodes to 16 bytes.
 */
export function isValidKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(key);
}

/** The parts of an HTTP request the handshake looks at (what node:http's IncomingMessage has). */
export interface UpgradeRequest {
  method?: string;
  /** "1.1", "2.0" ... */
  httpVersion?: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
}

export type UpgradeValidation =
  | {
      ok: true;
      key: string;
      /** Subprotocols the client offered, in its order of preference (§4.2.1 item 8). */
      protocols: string[];
      /** Extensions the client offered (§9.1), in its order of preference. */
      extensions: ExtensionElement[];
    }
  | {
      ok: false;
      /** 400 for a malformed request, 426 for a version we do not speak (§4.2.2, §4.4). */
      status: 400 | 426;
      reason: string;
      headers: Record<string, string>;
    };

function reject(reason: string): UpgradeValidation {
  return { ok: false, status: 400, reason, headers: {} };
}

/** One header's value; a repeated header is joined as a list (RFC 7230 §3.2.2). */
export function headerValue(headers: UpgradeRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Validate a client's opening handshake request (§4.2.1). */
export function validateUpgradeRequest(request: UpgradeRequest): UpgradeValidation {
  // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
  if (request.method !== 'GET') return reject(`Invalid method ${request.method ?? ''}: the handshake is a GET request`);
  if (!isHttpVersionAtLeast11(request.httpVersion)) {
    return reject(`Invalid HTTP version ${request.httpVersion ?? ''}: HTTP/1.1 or later is required`);
  }
  const headers = request.headers;
  // Item 2: a Host header.
  const host = headerValue(headers, 'host');
  if (host === undefined || host.trim() === '') return reject('Missing Host header');
  // Item 3: Upgrade contains "websocket" (ASCII case-insensitive).
  const upgrade = headerValue(headers, 'upgrade');
  if (upgrade === undefined || !upgradeListContains(upgrade, 'websocket')) {
    return reject('Missing or invalid Upgrade header: expected "websocket"');
  }
  // Item 4: Connection includes the token "Upgrade" ("keep-alive, Upgrade" is fine).
  const connection = headerValue(headers, 'connection');
  if (connection === undefined || !listContainsToken(connection, 'upgrade')) {
    return reject('Missing or invalid Connection header: expected the token "Upgrade"');
  }
  // Item 6: Sec-WebSocket-Version 13. §4.4: otherwise answer 426 with the versions we speak.
  const version = headerValue(headers, 'sec-websocket-version');
  if (version === undefined || version.trim() !== WEBSOCKET_VERSION) {
    return {
      ok: false,
      status: 426,
      reason:
        version === undefined
          ? 'Missing Sec-WebSocket-Version header: this server speaks version 13'
          : `Unsupported Sec-WebSocket-Version ${version.trim()}: this server speaks version 13`,
      headers: { 'Sec-WebSocket-Version': WEBSOCKET_VERSION },
    };
  }
  // Item 5: Sec-WebSocket-Key, a base64-encoded 16-byte nonce.
  const keyHeader = headers['sec-websocket-key'];
  // node:http (and our own-port reader, which mirrors it) joins a repeated header with ", ";
  // a base64 key never holds a comma, so one means the header came more than once.
  if (Array.isArray(keyHeader) || keyHeader?.includes(',')) return reject('More than one Sec-WebSocket-Key header');
  const key = keyHeader?.trim();
  if (key === undefined || !isValidKey(key)) {
    return reject('Missing or invalid Sec-WebSocket-Key header: expected 16 bytes in base64');
  }
  const offers = readOffers(headers);
  if (typeof offers === 'string') return reject(offers);
  return { ok: true, key, ...offers };
}

/**
 * §4.2.1 items 8 and 9 (and RFC 8441 §5, which keeps them): the subprotocols offered, a list of
 * tokens without repeats, and the extensions offered (§9.1 grammar). A message when invalid.
 */
export function readOffers(
  headers: UpgradeRequest['headers'],
): { protocols: string[]; extensions: ExtensionElement[] } | string {
  let protocols: string[] = [];
  const protocolHeader = headerValue(headers, 'sec-websocket-protocol');
  if (protocolHeader !== undefined) {
    const parsed = parseTokenList(protocolHeader);
    if (parsed === null) return 'Invalid Sec-WebSocket-Protocol header';
    if (new Set(parsed).size !== parsed.length) return 'Duplicate subprotocol in Sec-WebSocket-Protocol header';
    protocols = parsed;
  }
  let extensions: ExtensionElement[] = [];
  const extensionHeader = headerValue(headers, 'sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensionHeader(extensionHeader);
    if (typeof parsed === 'string') return `Invalid Sec-WebSocket-Extensions header: ${parsed}`;
    extensions = parsed;
  }
  return { protocols, extensions };
}

function isHttpVersionAtLeast11(version: string | undefined): boolean {
  if (version === undefined) return false;
  const dot = version.indexOf('.');
  const major = Number(dot === -1 ? version : version.slice(0, dot));
  const minor = dot === -1 ? 0 : Number(version.slice(dot + 1));
  if (!Number.isInteger(major) || !Number.isInteger(minor)) return false;
  return major > 1 || (major === 1 && minor >= 1);
}

// --- header grammar (RFC 7230) -------------------------------------------------------------
// Hand-written scanners: each looks at every character once, so hostile headers (64 KiB of
// commas, say) cost linear time — no regular expression that could backtrack.

/**
 * Parse `1#token` (RFC 7230 §7): tokens separated by commas and optional whitespace; empty
 * elements are allowed and skipped. Returns null if anything else appears.
 */
export function parseTokenList(value: string): string[] | null {
  const tokens: string[] = [];
  let i = 0;
  const length = value.length;
  while (i < length) {
    while (i < length && (isWhitespace(value.charCodeAt(i)) || value.charCodeAt(i) === 0x2c)) i++;
    if (i === length) break;
    const start = i;
    while (i < length && isTokenChar(value.charCodeAt(i))) i++;
    if (i === start) return null; // a character that is neither a token, a comma nor whitespace
    tokens.push(value.slice(start, i));
    while (i < length && isWhitespace(value.charCodeAt(i))) i++;
    if (i < length && value.charCodeAt(i) !== 0x2c) return null; // two tokens without a comma
  }
  return tokens;
}

/** Does a comma-separated header contain this token (ASCII case-insensitive)? */
export function listContainsToken(value: string, token: string): boolean {
  const tokens = parseTokenList(value);
  if (tokens === null) return false;
  for (const candidate of tokens) {
    if (candidate.length === token.length && candidate.toLowerCase() === token) return true;
  }
  return false;
}

/**
 * Does an Upgrade header offer this protocol (ASCII case-insensitive)? RFC 7230 §6.7: the value
 * is a list of `protocol-name ["/" protocol-version]`, e.g. "HTTP/2.0, websocket", so the other
 * elements need not be plain tokens. One split: linear time.
 */
function upgradeListContains(value: string, name: string): boolean {
  for (const element of value.split(',')) {
    const candidate = element.trim();
    if (candidate.length === name.length && candidate.toLowerCase() === name) return true;
  }
  return false;
}

// --- responses (§4.2.2) --------------------------------------------------------------------

export interface AcceptResponseOptions {
  /** The client's Sec-WebSocket-Key. */
  key: string;
  /** The chosen subprotocol, one of those offered (§4.2.2 item 5, /subprotocol/). */
  protocol?: string;
  /** The agreed extensions, as the Sec-WebSocket-Extensions value (§4.2.2 item 5, /extensions/). */
  extensions?: string;
  /** Extra headers to send; checked for invalid names and values (a TypeError). */
  headers?: OutgoingHeaders;
}

/** The 101 Switching Protocols response that completes the handshake (§4.2.2 item 5). */
export function buildAcceptResponse(options: AcceptResponseOptions): string {
  return joinResponseLines(acceptResponseLines(options));
}

/**
 * The same response as lines without their CRLF, status line first (what `ws`'s 'headers'
 * event lets an application read and change before it is sent).
 */
export function acceptResponseLines(options: AcceptResponseOptions): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${computeAcceptKey(options.key)}`,
  ];
  if (options.protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${options.protocol}`);
  if (options.extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
  const extra = formatHeaderLines(options.headers);
  if (extra !== '') lines.push(...extra.slice(0, -2).split('\r\n'));
  return lines;
}

/**
 * Response lines as they go on the wire. A line holding CR, LF or NUL would end the head early
 * and let whoever wrote it inject headers or a body (RFC 7230 §3.2.4): that throws a TypeError.
 */
export function joinResponseLines(lines: readonly string[]): string {
  for (const line of lines) {
    if (typeof line !== 'string' || /[\r\n\0]/.test(line)) {
      throw new TypeError(`Invalid response line: ${JSON.stringify(line)}`);
    }
  }
  return lines.join('\r\n') + '\r\n\r\n';
}
