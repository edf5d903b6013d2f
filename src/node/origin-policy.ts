/**
 * `allowedOrigins`: which web pages may open a WebSocket to this server.
 *
 * The threat is Cross-Site WebSocket Hijacking (CSWSH). A browser attaches the user's cookies
 * (and HTTP authentication, and client certificates) to a WebSocket handshake whatever page
 * starts it, and the same-origin policy does not apply to WebSocket: a page on evil.example can
 * open a socket to your server as your logged-in user and read everything sent to them. What
 * the browser does add is the Origin header (RFC 6455 §4.1 item 8, §10.2), which that page
 * cannot forge; the server must check it.
 *
 * Entries:
 * - an exact origin: `https://chat.example.com`, `http://localhost:8080` (scheme, host and port;
 *   a default port may be left out, case does not matter);
 * - a host pattern: `https://*.example.com` (any subdomain of example.com, at any depth, with
 *   that scheme and port; not example.com itself, which is listed on its own);
 * - `'self'`: an origin whose host and port equal the request's Host header (the page was served
 *   by this server). Host comes from the client: a DNS-rebinding page can match it, though
 *   without the user's cookies. Servers on private networks should list exact origins.
 *
 * A request without an Origin header is not from a web page (browsers always send it on a
 * WebSocket handshake) and cannot carry a victim's cookies: it is allowed. Opaque origins
 * ("null": sandboxed frames, file: pages) never match.
 */

export interface OriginPolicy {
  /** May a handshake with this Origin (and this Host header) proceed? */
  allows(origin: string | undefined, host: string | undefined): boolean;
}

interface HostPattern {
  protocol: string;
  /** ".example.com" */
  suffix: string;
  port: string;
}

/** The URL of an origin, or null if it is not an http(s) origin (what browsers send). */
function parseOrigin(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

function invalidEntry(entry: unknown, why: string): TypeError {
  return new TypeError(`allowedOrigins: ${JSON.stringify(entry)} is not an origin, a host pattern or 'self' (${why})`);
}

function compilePattern(entry: string): HostPattern {
  const match = /^([a-z][a-z0-9+.-]*):\/\/\*(\.[^/:*]+)(?::(\d+))?$/i.exec(entry);
  if (match === null) throw invalidEntry(entry, "a pattern is scheme://*.domain[:port], with '*' as its leftmost label only");
  // Let URL normalise the rest (case, punycode, default port).
  const url = parseOrigin(`${match[1]}://wildcard${match[2]}${match[3] === undefined ? '' : ':' + match[3]}`);
  if (url === null) throw invalidEntry(entry, 'unsupported scheme or host');
  return { protocol: url.protocol, suffix: url.hostname.slice('wildcard'.length), port: url.port };
}

/** Check and compile the list once (a TypeError names a bad entry). */
export function compileOriginPolicy(entries: readonly string[]): OriginPolicy {
  if (!Array.isArray(entries)) throw new TypeError('allowedOrigins must be an array of strings');
  const exact = new Set<string>();
  const patterns: HostPattern[] = [];
  let self = false;
  for (const entry of entries) {
    if (typeof entry !== 'string') throw invalidEntry(entry, 'not a string');
    if (entry === 'self') {
      self = true;
    } else if (entry.includes('*')) {
      patterns.push(compilePattern(entry));
    } else {
      const url = parseOrigin(entry);
      if (url === null || url.href !== `${url.origin}/`) {
        throw invalidEntry(entry, 'an origin is http(s)://host[:port], without a path');
      }
      exact.add(url.origin);
    }
  }
  return {
    allows(origin, host) {
      if (origin === undefined) return true;
      const url = parseOrigin(origin);
      if (url === null) return false;
      if (exact.has(url.origin)) return true;
      for (const pattern of patterns) {
        const name = url.hostname;
        if (url.protocol === pattern.protocol && url.port === pattern.port && name.length > pattern.suffix.length && name.endsWith(pattern.suffix)) {
          return true;
        }
      }
      return self && host !== undefined && sameHost(url, host);
    },
  };
}

/** Does the origin's host and port equal the Host header's (default ports left out on both)? */
function sameHost(origin: URL, host: string): boolean {
  const fromHost = parseOrigin(`${origin.protocol}//${host}`);
  return fromHost !== null && fromHost.host === origin.host && fromHost.href === `${fromHost.origin}/`;
}
