/**
 * `connect(url, options)`: the client for `await` users. Resolves with the open WebSocket, or
 * rejects with the error that made the handshake fail (the same error 'error' listeners get).
 */
import type { ClientOptions } from './client-options.js';
import { WebSocket } from './websocket.js';

export interface ConnectOptions extends ClientOptions<WebSocket> {
  /** Subprotocols to offer (§4.1 item 10). */
  protocols?: string | string[];
}

export function connect(url: string | URL, options: ConnectOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols, options);
    const settle = (): void => {
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('close', onClose);
    };
    const onOpen = (): void => {
      settle();
      resolve(ws);
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    const onClose = (code: number): void => {
      settle();
      reject(new Error(`The connection closed before it opened (${code})`));
    };
    ws.on('open', onOpen);
    ws.on('error', onError);
    ws.on('close', onClose);
  });
}
