/**
 * The client side of the opening handshake (RFC 6455 §4.1). Issue 3 builds it: dialing ws:// and
 * wss://, the request, the strict check of the server's response, then `ws.setSocket(...)`.
 * This module must not import websocket.ts at runtime (no import cycle): it drives the socket
 * through the WebSocket's internal methods only.
 */
import type { WebSocket } from './websocket.js';

export interface ClientOptions {
  /** Largest message accepted (1009 beyond it). Default 64 MiB. */
  maxPayload?: number;
  /** How long to wait for the peer's Close before cutting TCP. Default 30 s. */
  closeTimeout?: number;
  /** Fail the handshake if it has not completed within this many milliseconds. */
  handshakeTimeout?: number;
}

export function startClientHandshake(
  ws: WebSocket,
  address: string | URL,
  protocols: string | string[] | undefined,
  options: ClientOptions,
): void {
  void protocols;
  void options;
  ws.abortHandshake(new Error(`Cannot dial ${String(address)}: the client is not built yet`));
}
