// The opening handshake as the suite speaks it (RFC 6455 §4): a request writer and a response
// parser for server mode, a request parser and a 101 writer for client mode.
import { createHash, randomBytes } from 'node:crypto';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function computeAccept(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

export function newKey(): string {
  return randomBytes(16).toString('base64');
}

export interface HttpHead {
  /** Request: method; response: HTTP version. */
  startLine: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Bytes after the head (a frame that arrived in the same segment). */
  rest: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Parse an HTTP head if `buf` holds a complete one; null while more bytes are needed. */
export function parseHttpHead(buf: Buffer): HttpHead | null {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { startLine: lines[0], headers, rest: buf.subarray(end + 4) };
}

export interface RequestOptions {
  host: string;
  path: string;
  key?: string;
  method?: string;
  httpVersion?: string;
  /** Header lines to use instead of the standard ones; null drops a standard header. */
  headers?: Record<string, string | null>;
}

/** A client opening handshake (RFC 6455 §4.1), with every header overridable for the fuzzing. */
export function buildRequest(opts: RequestOptions): string {
  const base: Record<string, string | null> = {
    Host: opts.host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': opts.key ?? newKey(),
    'Sec-WebSocket-Version': '13',
  };
  const merged: Record<string, string | null> = { ...base, ...(opts.headers ?? {}) };
  let out = `${opts.method ?? 'GET'} ${opts.path} ${opts.httpVersion ?? 'HTTP/1.1'}\r\n`;
  for (const [name, value] of Object.entries(merged)) {
    if (value !== null) out += `${name}: ${value}\r\n`;
  }
  return out + '\r\n';
}

export function statusCode(head: HttpHead): number {
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(head.startLine);
  return m ? Number(m[1]) : 0;
}

/** Does a comma-separated header contain `token` (case-insensitive)? RFC 6455 §4.2.1. */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((t) => t.trim().toLowerCase() === token.toLowerCase());
}

/** Check a 101 response against the key we sent (RFC 6455 §4.1, steps 1–4 of the client). */
export function checkUpgradeResponse(head: HttpHead, key: string): string | null {
  const status = statusCode(head);
  if (status !== 101) return `expected status 101, got "${head.startLine}"`;
  if (head.headers.upgrade?.toLowerCase() !== 'websocket') return `bad Upgrade header: ${head.headers.upgrade}`;
  if (!hasToken(head.headers.connection, 'upgrade')) return `bad Connection header: ${head.headers.connection}`;
  if (head.headers['sec-websocket-accept'] !== computeAccept(key)) {
    return `bad Sec-WebSocket-Accept: ${head.headers['sec-websocket-accept']}`;
  }
  return null;
}

/** The 101 response a fuzzing server sends back (RFC 6455 §4.2.2); no subprotocol, an extension when given. */
export function buildUpgradeResponse(key: string, extensions?: string): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    (extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
    `Sec-WebSocket-Accept: ${computeAccept(key)}\r\n\r\n`
  );
}

/** Is this a usable client key: base64 of exactly 16 bytes (RFC 6455 §4.1 step 7)? */
export function isValidKey(key: string | undefined): boolean {
  if (key === undefined || !/^[A-Za-z0-9+/]{22}==$/.test(key)) return false;
  return Buffer.from(key, 'base64').length === 16;
}
