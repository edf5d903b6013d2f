// Cross-Site WebSocket Hijacking defence: browsers send Origin on every WebSocket handshake, and a page
// from another site must not ride on the user's cookies into /ws. The default matches gorilla/websocket's
// checkSameOrigin: the Origin's host:port must equal the Host header. Extra origins come from CHAT_ORIGINS.

/** Normalizes "https://Example.com:443" to "https://example.com" (URL drops default ports). */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

export function parseOriginList(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => normalizeOrigin(entry) ?? entry.toLowerCase());
}

/**
 * True when a handshake with this Origin may proceed. A request without Origin comes from a non-browser
 * client (browsers always send it, RFC 6455 §4.1 and §10.2), which cannot be hijacked, so it is allowed.
 */
export function isOriginAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && url.host.toLowerCase() === host.toLowerCase()) return true;
  const normalized = normalizeOrigin(origin);
  return normalized !== undefined && allowed.includes(normalized);
}
