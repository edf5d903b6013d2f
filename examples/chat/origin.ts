// CHAT_ORIGINS: the extra page origins allowed to open /ws, for the WebSocket server's `allowedOrigins`
// (which does the Cross-Site WebSocket Hijacking check itself; see app.ts allowedOrigins).

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

/**
 * "https://app.example.com, http://localhost:3000" -> normalized origins. Entries with a '*' (host
 * patterns such as https://*.example.com) are kept as they are; anything else that is not an origin
 * throws, so that a typo stops the server at start instead of locking every page out.
 */
export function parseOriginList(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      if (entry.includes('*')) return entry;
      const origin = normalizeOrigin(entry);
      if (origin === undefined) throw new Error(`CHAT_ORIGINS: "${entry}" is not an origin like https://app.example.com`);
      return origin;
    });
}
