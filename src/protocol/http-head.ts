/**
 * The head of an HTTP/1.1 message (RFC 7230 §3): a start line, header fields, a blank line.
 * The opening handshake (RFC 6455 §4.1, §4.2.1) is such a message in each direction; the server
 * reads requests with it when it listens on its own port, the client reads the server's response.
 *
 * Bytes go in with `push` in any chunking until the blank line; the head is then parsed in one
 * pass. Each scanner looks at every character once (no backtracking regular expression), and the
 * head is capped in size, so a hostile peer costs at most linear time and bounded memory.
 */

/** RFC 7230 §3.2.6 tchar: "!#$%&'*+-.^_`|~", digits and letters. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
}

/** Is this character code a tchar? */
export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHAR[code] === 1;
}

/** RFC 7230 §3.2.3 OWS: a space or a horizontal tab. */
export function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Is `value` a non-empty RFC 7230 token? */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return false;
  }
  return true;
}

/** RFC 7230 §3.2: field-content is visible characters, spaces, tabs and obs-text; no CTLs. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/**
 * May an application send this as a header value? §3.2 field-content (no control characters but
 * HTAB), and nothing above U+00FF: a head goes out as latin1, which keeps only the low byte of a
 * character, so U+010D U+010A would reach the wire as CR LF and inject headers of its own.
 */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) return false;
  }
  return true;
}

/** Strip leading and trailing spaces and tabs (OWS, §3.2.3) in linear time. */
function trimWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isWhitespace(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

export interface HttpHead {
  /** The request line or status line, as received. */
  startLine: string;
  /** Lower-cased names; a repeated header becomes an array, in order. */
  headers: Record<string, string | string[]>;
  /** Names and values as received, alternating (node:http's `rawHeaders`). */
  rawHeaders: string[];
}

/**
 * Parse the header lines of a head (everything after the start line, without the blank line).
 * Returns a message saying what is malformed, or the headers.
 */
export function parseHeaderLines(
  lines: readonly string[],
  from: number,
): Pick<HttpHead, 'headers' | 'rawHeaders'> | string {
  const headers = Object.create(null) as Record<string, string | string[]>;
  const rawHeaders: string[] = [];
  for (let i = from; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    // §3.2.4: no whitespace before the colon; obsolete line folding is rejected.
    if (colon <= 0) return `malformed header line "${printable(line)}"`;
    const name = line.slice(0, colon);
    if (!isToken(name)) return `invalid header name "${printable(name)}"`;
    const value = trimWhitespace(line.slice(colon + 1));
    if (hasControlCharacter(value)) return `invalid characters in the "${name}" header`;
    rawHeaders.push(name, value);
    const lower = name.toLowerCase();
    const previous = headers[lower];
    if (previous === undefined) headers[lower] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[lower] = [previous, value];
  }
  return { headers, rawHeaders };
}

/** Split a head's text into its start line and headers. */
export function parseHead(text: string): HttpHead | string {
  const lines = text.split('\r\n');
  const parsed = parseHeaderLines(lines, 1);
  if (typeof parsed === 'string') return parsed;
  return { startLine: lines[0], ...parsed };
}

export type HeadReadResult =
  | { kind: 'incomplete' }
  /** `rest` holds the bytes after the blank line (for a WebSocket: its first frames). */
  | { kind: 'complete'; head: HttpHead; rest: Buffer }
  | { kind: 'error'; message: string; tooLarge: boolean };

const INCOMPLETE: HeadReadResult = { kind: 'incomplete' };
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
/** First size of the buffer a head is collected in; it doubles as needed, up to the cap. */
const INITIAL_CAPACITY = 1024;

/** Says what is wrong with a start line, or null when it is acceptable. */
export type StartLineCheck = (line: string) => string | null;

/**
 * Collects bytes until the blank line that ends a head, then parses it. Any bytes in any chunking
 * give the same result; it never throws. Later bytes are ignored once it has a result.
 *
 * A peer may trickle its head one byte per TCP segment, so bytes are collected in a buffer that
 * doubles (linear time overall), and what can be judged early is: a head must start with a
 * token (a method, or "HTTP/"), every line must end in CRLF (§3.5: a bare LF would never end
 * the head), and the start line, once complete, goes to `checkStartLine`. Bytes that cannot be
 * HTTP (a TLS ClientHello on a plain port, say) are answered at once instead of at a timeout.
 */
export class HttpHeadReader {
  private readonly maxSize: number;
  private readonly checkStartLine: StartLineCheck | null;
  /** The bytes so far are storage[0, length). */
  private storage: Buffer = EMPTY;
  private length = 0;
  /** Bytes before this offset have had their line endings checked. */
  private checkedUpTo = 0;
  private startLineChecked = false;
  private result: HeadReadResult = INCOMPLETE;

  constructor(maxSize: number, checkStartLine: StartLineCheck | null = null) {
    this.maxSize = maxSize;
    this.checkStartLine = checkStartLine;
  }

  push(chunk: Uint8Array): HeadReadResult {
    if (this.result.kind !== 'incomplete') return this.result;
    const searchFrom = Math.max(0, this.length - 3);
    this.append(chunk);
    const buffered = this.storage.subarray(0, this.length);
    const end = buffered.indexOf(CRLF_CRLF, searchFrom);
    const scanEnd = end === -1 ? this.length : end + CRLF_CRLF.length;
    const early = this.checkSoFar(buffered, Math.min(scanEnd, this.maxSize));
    if (early !== null) {
      this.finish({ kind: 'error', message: early, tooLarge: false });
    } else if (end === -1) {
      if (this.length >= this.maxSize) this.finish(this.tooLarge());
    } else if (scanEnd > this.maxSize) {
      this.finish(this.tooLarge());
    } else {
      const parsed = parseHead(buffered.toString('latin1', 0, end));
      this.finish(
        typeof parsed === 'string'
          ? { kind: 'error', message: parsed, tooLarge: false }
          : { kind: 'complete', head: parsed, rest: buffered.subarray(scanEnd) },
      );
    }
    return this.result;
  }

  /** The early checks on buffered[0, scanEnd): what is wrong already, or null. */
  private checkSoFar(buffered: Buffer, scanEnd: number): string | null {
    // RFC 7230 §3.1: a request line starts with a method, a status line with "HTTP/": a token.
    if (this.checkedUpTo === 0 && scanEnd > 0 && !isTokenChar(buffered[0])) {
      return `not an HTTP message (it starts with byte 0x${buffered[0].toString(16).padStart(2, '0')})`;
    }
    for (let lf = buffered.indexOf(LF, this.checkedUpTo); lf !== -1 && lf < scanEnd; lf = buffered.indexOf(LF, lf + 1)) {
      if (lf === 0 || buffered[lf - 1] !== CR) return 'a line ends in a bare LF instead of CRLF';
      if (!this.startLineChecked) {
        this.startLineChecked = true;
        const problem = this.checkStartLine?.(buffered.toString('latin1', 0, lf - 1)) ?? null;
        if (problem !== null) return problem;
      }
    }
    this.checkedUpTo = scanEnd;
    return null;
  }

  /** Add a chunk, doubling the buffer when it is full. */
  private append(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.storage.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.storage.length * 2, INITIAL_CAPACITY));
      this.storage.copy(grown, 0, 0, this.length);
      this.storage = grown;
    }
    this.storage.set(chunk, this.length);
    this.length = needed;
  }

  private tooLarge(): HeadReadResult {
    return { kind: 'error', message: `the headers exceed ${this.maxSize} bytes`, tooLarge: true };
  }

  private finish(result: HeadReadResult): void {
    this.result = result;
    this.storage = EMPTY;
    this.length = 0;
  }
}

/** Shorten and escape a line for an error message. */
export function printable(line: string): string {
  const short = line.length > 64 ? line.slice(0, 64) + '…' : line;
  return JSON.stringify(short).slice(1, -1);
}

// --- requests and plain responses (RFC 7230 §3.1) ---------------------------------------------

export interface RequestLine {
  method: string;
  /** The request-target, e.g. "/chat?room=1". */
  target: string;
  /** "1.1" */
  httpVersion: string;
}

/**
 * Parse an HTTP request line (RFC 7230 §3.1.1): `method SP request-target SP HTTP-version`.
 * Returns null if it is malformed.
 */
export function parseRequestLine(line: string): RequestLine | null {
  const firstSpace = line.indexOf(' ');
  const lastSpace = line.lastIndexOf(' ');
  if (firstSpace <= 0 || lastSpace === firstSpace) return null;
  const method = line.slice(0, firstSpace);
  const target = line.slice(firstSpace + 1, lastSpace);
  const version = line.slice(lastSpace + 1);
  if (!isToken(method)) return null;
  if (target.length === 0) return null;
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return null; // no whitespace or control characters
  }
  if (version.length !== 8 || !version.startsWith('HTTP/') || version[6] !== '.') return null;
  const major = version.charCodeAt(5) - 0x30;
  const minor = version.charCodeAt(7) - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return null;
  return { method, target, httpVersion: `${major}.${minor}` };
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Header fields given by an application: a name and one value, or several values (repeated). */
export type OutgoingHeaders = Readonly<Record<string, string | number | readonly string[]>>;

/**
 * Header lines for the wire. RFC 7230 §3.2: a name is a token and a value holds no control
 * characters; a CR or LF from the application would end the header early and let it inject
 * headers (or a body) of its choosing, so anything else throws a TypeError before it is sent.
 */
export function formatHeaderLines(headers: OutgoingHeaders | undefined): string {
  if (headers === undefined) return '';
  let lines = '';
  for (const name of Object.keys(headers)) {
    if (!isToken(name)) throw new TypeError(`Invalid header name "${printable(name)}"`);
    const raw = headers[name];
    const values = Array.isArray(raw) ? (raw as readonly string[]) : [String(raw)];
    for (const value of values) {
      const text = String(value);
      if (!isFieldValue(text)) throw new TypeError(`Invalid value for the "${name}" header`);
      lines += `${name}: ${text}\r\n`;
    }
  }
  return lines;
}

/**
 * A complete HTTP error response with a one-line plain-text reason. It closes the connection
 * unless `keepAlive` is set (RFC 7230 §6.3: the client may then send its next request).
 */
export function buildRejectResponse(
  status: number,
  reason: string,
  headers?: OutgoingHeaders,
  keepAlive = false,
): string {
  const body = rejectBody(reason);
  let response =
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
    (keepAlive ? '' : 'Connection: close\r\n') +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    formatHeaderLines(headers);
  return response + '\r\n' + body;
}

/** The one-line plain-text body of a refusal. */
export function rejectBody(reason: string): string {
  return reason.replace(/[\r\n]+/g, ' ') + '\n';
}
