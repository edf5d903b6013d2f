/**
 * wsmith's main entry: the `ws`-shaped API (`WebSocket`, `WebSocketServer`) and the client
 * conveniences around it. The Hub is in `wsmith/hub`, frame inspection in `wsmith/inspect`, and
 * the sans-I/O protocol core in `wsmith/protocol`.
 */
export { WebSocket } from './node/websocket.js';
export type { SendData, SendOptions, SendCallback, WebSocketEventMap, RawData, BinaryType } from './node/websocket.js';
export type { Event, MessageEvent, CloseEvent, ErrorEvent, AddEventListenerOptions } from './node/event-target.js';
export { createWebSocketStream } from './node/websocket-stream.js';
export { WebSocketServer } from './node/server.js';
export type {
  WebSocketServerOptions,
  WebSocketServerEventMap,
  VerifyClientResult,
  VerifyClientInfo,
  VerifyClientCallback,
} from './node/server.js';
export type { ClientOptions, ClientOptions as WebSocketClientOptions } from './node/client.js';
export { connect } from './node/connect.js';
export type { ConnectOptions } from './node/connect.js';
export { ReconnectingWebSocket } from './node/reconnecting.js';
export type { ReconnectingWebSocketOptions, ReconnectingWebSocketEventMap } from './node/reconnecting.js';
export { CloseCode, isValidCloseCode } from './protocol/close.js';
export { ProtocolError } from './protocol/errors.js';
export type { ProtocolErrorCode } from './protocol/errors.js';
export { ReadyState } from './protocol/protocol.js';
export type { TraceOption, TraceSink } from './node/trace.js';
// Safety limits (README "Limits and defaults", SECURITY.md).
export { messageMemory } from './node/message-guard.js';
export type { MessageMemory } from './node/message-guard.js';
export type { KeepaliveOptions } from './node/keepalive.js';
export type { GuardOptions } from './node/connection-guard.js';
export type { AdmissionOptions, ServerLimit } from './node/admission.js';
