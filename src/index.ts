/**
 * wsmith's main entry: the `ws`-shaped API (`WebSocket`, `WebSocketServer`) and the client
 * conveniences around it. The Hub is in `wsmith/hub`, frame inspection in `wsmith/inspect`, and
 * the sans-I/O protocol core in `wsmith/protocol`.
 */
import type { ClientOptions as ClientOptionsFor } from './node/client-options.js';
import type { WebSocket } from './node/websocket.js';

export { WebSocket } from './node/websocket.js';
export type { SendData, SendOptions, SendCallback, WebSocketEventMap } from './node/websocket.js';
export { WebSocketServer } from './node/server.js';
export type {
  WebSocketServerOptions,
  WebSocketServerEventMap,
  VerifyClientResult,
  VerifyClientInfo,
  VerifyClientCallback,
} from './node/server.js';
export { connect } from './node/connect.js';
export type { ConnectOptions } from './node/connect.js';
export { ReconnectingWebSocket } from './node/reconnecting.js';
export type { ReconnectingWebSocketOptions, ReconnectingWebSocketEventMap } from './node/reconnecting.js';
export { CloseCode, isValidCloseCode } from './protocol/close.js';
export { ProtocolError } from './protocol/errors.js';
export type { ProtocolErrorCode } from './protocol/errors.js';
export { ReadyState } from './protocol/protocol.js';
export type { TraceOption, TraceSink } from './node/trace.js';

/** The client's options (`ws`'s ClientOptions): `finishRequest` receives the WebSocket. */
export type ClientOptions = ClientOptionsFor<WebSocket>;
export type { ClientOptions as WebSocketClientOptions };
