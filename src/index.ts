/**
 * wsmith's main entry: the `ws`-shaped API (`WebSocket`, `WebSocketServer`) and the client
 * conveniences around it. The Hub is in `wsmith/hub`, frame inspection in `wsmith/inspect`, and
 * the sans-I/O protocol core in `wsmith/protocol`.
 */
import type { ClientOptions as ClientOptionsFor } from './node/client-options.js';
import { connect } from './node/connect.js';
import { ReconnectingWebSocket } from './node/reconnecting.js';
import { WebSocketServer } from './node/server.js';
import { WebSocket } from './node/websocket.js';
import { createWebSocketStream } from './node/websocket-stream.js';
import { CloseCode, isValidCloseCode } from './protocol/close.js';
import { ProtocolError } from './protocol/errors.js';
import { ReadyState } from './protocol/protocol.js';

export { WebSocket, WebSocketServer, createWebSocketStream, connect, ReconnectingWebSocket, CloseCode, isValidCloseCode, ProtocolError, ReadyState };
export type { SendData, SendOptions, SendCallback, WebSocketEventMap, RawData, BinaryType } from './node/websocket.js';
export type { Event, MessageEvent, CloseEvent, ErrorEvent, AddEventListenerOptions } from './node/event-target.js';
export type {
  WebSocketServerOptions,
  WebSocketServerEventMap,
  VerifyClientResult,
  VerifyClientInfo,
  VerifyClientCallback,
} from './node/server.js';
export type { ConnectOptions } from './node/connect.js';
export type { ReconnectingWebSocketOptions, ReconnectingWebSocketEventMap } from './node/reconnecting.js';
export type { ProtocolErrorCode } from './protocol/errors.js';
export type { TraceOption, TraceSink } from './node/trace.js';
// Safety limits (README "Limits and defaults", SECURITY.md).
export { messageMemory } from './node/message-guard.js';
export type { MessageMemory } from './node/message-guard.js';
export type { KeepaliveOptions } from './node/keepalive.js';
export type { GuardOptions } from './node/connection-guard.js';
export type { AdmissionOptions, ServerLimit } from './node/admission.js';

/** The client's options (`ws`'s ClientOptions): `finishRequest` receives the WebSocket. */
export type ClientOptions = ClientOptionsFor<WebSocket>;
export type { ClientOptions as WebSocketClientOptions };

/** What the default export carries besides the class: the rest of the API, as `ws` hangs its own on WebSocket. */
const statics = {
  WebSocket,
  WebSocketServer,
  /** `ws`'s older name for WebSocketServer. */
  Server: WebSocketServer,
  createWebSocketStream,
  connect,
  ReconnectingWebSocket,
  CloseCode,
  isValidCloseCode,
  ProtocolError,
  ReadyState,
};

/**
 * The default export, shaped like `ws`'s: the WebSocket class with the API as statics
 * (`WebSocket.WebSocketServer`, `WebSocket.Server`, `WebSocket.WebSocket`...), so that
 * `import WebSocket from 'wsmith'` and `const WebSocket = require('wsmith')` give what ws gives.
 */
const wsmith: typeof WebSocket & typeof statics = Object.assign(WebSocket, statics);
/** As a type, the default export is a WebSocket (`let ws: WebSocket`), as ws's is. */
type wsmith = WebSocket;
/** The types, reachable from the default export too (`WebSocket.ClientOptions`), as ws's are. */
declare namespace wsmith {
  export type WebSocket = import('./node/websocket.js').WebSocket;
  export type WebSocketServer = import('./node/server.js').WebSocketServer;
  /** `ws`'s older name for WebSocketServer. */
  export type Server = import('./node/server.js').WebSocketServer;
  export type ReconnectingWebSocket = import('./node/reconnecting.js').ReconnectingWebSocket;
  export type ProtocolError = import('./protocol/errors.js').ProtocolError;
  export type CloseCode = import('./protocol/close.js').CloseCode;
  export type ReadyState = import('./protocol/protocol.js').ReadyState;
  export type ClientOptions = ClientOptionsFor<import('./node/websocket.js').WebSocket>;
  export type WebSocketClientOptions = ClientOptions;
  export type SendData = import('./node/websocket.js').SendData;
  export type SendOptions = import('./node/websocket.js').SendOptions;
  export type SendCallback = import('./node/websocket.js').SendCallback;
  export type WebSocketEventMap = import('./node/websocket.js').WebSocketEventMap;
  export type WebSocketServerOptions = import('./node/server.js').WebSocketServerOptions;
  export type WebSocketServerEventMap = import('./node/server.js').WebSocketServerEventMap;
  export type VerifyClientResult = import('./node/server.js').VerifyClientResult;
  export type VerifyClientInfo = import('./node/server.js').VerifyClientInfo;
  export type VerifyClientCallback = import('./node/server.js').VerifyClientCallback;
  export type ConnectOptions = import('./node/connect.js').ConnectOptions;
  export type ReconnectingWebSocketOptions = import('./node/reconnecting.js').ReconnectingWebSocketOptions;
  export type ReconnectingWebSocketEventMap = import('./node/reconnecting.js').ReconnectingWebSocketEventMap;
  export type ProtocolErrorCode = import('./protocol/errors.js').ProtocolErrorCode;
  export type TraceOption = import('./node/trace.js').TraceOption;
  export type TraceSink = import('./node/trace.js').TraceSink;
}
export default wsmith;
