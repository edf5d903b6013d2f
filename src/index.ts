/** wsmith's public API. */
export { WebSocket } from './node/websocket.js';
export type {
  SendData,
  SendOptions,
  SendCallback,
  WebSocketEventMap,
} from './node/websocket.js';
export { WebSocketServer } from './node/server.js';
export type {
  WebSocketServerOptions,
  WebSocketServerEventMap,
  VerifyClientResult,
} from './node/server.js';
export type { ClientOptions } from './node/client.js';
export { CloseCode, isValidCloseCode } from './protocol/close.js';
export { ProtocolError } from './protocol/errors.js';
export type { ProtocolErrorCode } from './protocol/errors.js';
export { ReadyState } from './protocol/connection.js';
export { Opcode } from './protocol/frame.js';
export type { ClientOptions as WebSocketClientOptions } from './node/client.js';
export { connect } from './node/connect.js';
export type { ConnectOptions } from './node/connect.js';
export { ReconnectingWebSocket } from './node/reconnecting.js';
export type { ReconnectingWebSocketOptions, ReconnectingWebSocketEventMap } from './node/reconnecting.js';
export { Hub, DEFAULT_MAX_BUFFERED_BYTES } from './hub/hub.js';
export type {
  HubOptions,
  AddOptions,
  BroadcastOptions,
  SendToOptions,
  HubCloseOptions,
  HubStats,
  HubMessage,
  SlowConsumerPolicy,
} from './hub/hub.js';
export type { HeartbeatOptions } from './hub/heartbeat.js';
export type { HubAdapter } from './hub/adapter.js';
export { RedisAdapter } from './hub/redis-adapter.js';
export type {
  RedisAdapterOptions,
  RedisPublisher,
  IORedisSubscriber,
  NodeRedisSubscriber,
} from './hub/redis-adapter.js';
export type { TraceOption, TraceSink } from './node/trace.js';
