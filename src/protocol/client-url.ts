/**
 * The URL a client dials (RFC 6455 §3), read as `ws` reads it so that a `ws` program gets the
 * same answers: ws:// and wss://, http:// and https:// taken as their WebSocket twins, and
 * `ws+unix:/path/to/socket:/request/path` for a Unix domain socket (or a Windows named pipe).
 * Pure: nothing here resolves a name or opens a socket.
 */

export interface WebSocketTarget {
  secure: boolean;
  /** The host to dial: a name or an IP address, without the brackets of an IPv6 literal. */
  hostname: string;
  port: number;
  /** The Host header (§4.1 item 4): host, and the port unless it is the scheme's default. */
  host: string;
  /** The request target: path and query (§3 "resource name"), at least "/". */
  path: string;
  /** The URL, normalised (http: and https: turned into ws: and wss:): what `websocket.url` says. */
  href: string;
  /** ws+unix: the socket's path; undefined for a TCP connection. */
  socketPath?: string;
  /** "user:password" as written in the URL (for Basic authentication); '' when the URL has none. */
  auth: string;
}

const PROTOCOL_MESSAGE = 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"';

function parseUrl(address: string | URL, base?: string | URL): URL {
  try {
    return new URL(String(address), base === undefined ? undefined : String(base));
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
}

/**
 * Read a client URL. Throws SyntaxError with `ws`'s messages for an unparsable URL, another
 * scheme, a fragment (§3: "Fragment identifiers are meaningless") or a ws+unix URL without a path.
 */
export function parseWebSocketUrl(address: string | URL, base?: string | URL): WebSocketTarget {
  const url = parseUrl(address, base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  const unix = url.protocol === 'ws+unix:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:' && !unix) throw new SyntaxError(PROTOCOL_MESSAGE);
  if (unix && url.pathname === '') throw new SyntaxError("The URL's pathname is empty");
  if (url.hash !== '') throw new SyntaxError('The URL contains a fragment identifier');
  const auth = url.username !== '' || url.password !== '' ? `${url.username}:${url.password}` : '';
  if (unix) return unixTarget(url, auth);
  if (url.hostname === '') throw new SyntaxError(`The URL has no host: ${url.href}`);
  const secure = url.protocol === 'wss:';
  return {
    secure,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    host: url.host,
    path: (url.pathname === '' ? '/' : url.pathname) + url.search,
    href: url.href,
    auth,
  };
}

/** ws+unix:/run/app.sock:/chat?room=1 — the socket path ends at the first ':' (it may not contain one). */
function unixTarget(url: URL, auth: string): WebSocketTarget {
  const whole = url.pathname + url.search;
  const colon = whole.indexOf(':');
  const socketPath = colon === -1 ? whole : whole.slice(0, colon);
  const path = colon === -1 ? '' : whole.slice(colon + 1);
  // No host to name: node:http (and so `ws`) sends "Host: localhost".
  return { secure: false, hostname: 'localhost', port: 80, host: 'localhost', path: path === '' ? '/' : path, href: url.href, socketPath, auth };
}

/**
 * Where a redirect's Location points, resolved against the URL that answered it (RFC 9110
 * §10.2.2). Throws SyntaxError as `ws` does: `Invalid URL: <location>` when it does not parse,
 * the scheme or fragment messages of `parseWebSocketUrl` when it is no WebSocket URL.
 */
export function resolveRedirect(location: string, current: string): WebSocketTarget {
  return parseWebSocketUrl(location, current);
}

/** Is this response a redirect to follow: a 3xx with a Location (what `ws` follows)? */
export function isRedirect(statusCode: number, location: string | string[] | undefined): location is string {
  return statusCode >= 300 && statusCode < 400 && typeof location === 'string' && location !== '';
}
