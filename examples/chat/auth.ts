// Optional shared-token auth. Browsers cannot set headers on a WebSocket handshake, so the token travels
// either in the query (?token=...) or as a Sec-WebSocket-Protocol value "bearer.<token>" next to the real
// subprotocol. The server never selects the bearer value, so the token is not echoed back.
import { createHash, timingSafeEqual } from 'node:crypto';

export const CHAT_SUBPROTOCOL = 'wsmith-chat';
export const BEARER_PREFIX = 'bearer.';

/** Tokens presented by a handshake request: the ?token= value and every bearer subprotocol. */
export function presentedTokens(url: string | undefined, protocolHeader: string | string[] | undefined): string[] {
  const tokens: string[] = [];
  const query = new URL(url ?? '/', 'http://localhost').searchParams.getAll('token');
  tokens.push(...query);
  const header = Array.isArray(protocolHeader) ? protocolHeader.join(',') : (protocolHeader ?? '');
  for (const value of header.split(',')) {
    const protocol = value.trim();
    if (protocol.startsWith(BEARER_PREFIX)) tokens.push(protocol.slice(BEARER_PREFIX.length));
  }
  return tokens;
}

/**
 * Constant-time comparison. Hashing first gives both sides the same length, so timingSafeEqual
 * neither throws nor leaks the expected token's length.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function isAuthorized(
  expected: string | undefined,
  url: string | undefined,
  protocolHeader: string | string[] | undefined,
): boolean {
  if (!expected) return true;
  let ok = false;
  // Check every presented token without an early exit, so timing does not reveal which one matched.
  for (const token of presentedTokens(url, protocolHeader)) ok = tokenMatches(token, expected) || ok;
  return ok;
}
