/** `wsmith/hub`: rooms, encode-once broadcast, heartbeat, slow consumers, shutdown and scale-out. */
export { Hub, DEFAULT_MAX_BUFFERED_BYTES } from './hub.js';
export type {
  HubOptions,
  AddOptions,
  BroadcastOptions,
  SendToOptions,
  HubCloseOptions,
  HubStats,
  HubMessage,
  SlowConsumerPolicy,
} from './hub.js';
export type { KeepaliveOptions, KeepaliveOptions as HeartbeatOptions } from '../node/keepalive.js';
export type { HubAdapter } from './adapter.js';
export { RedisAdapter } from './redis-adapter.js';
export type { RedisAdapterOptions, RedisPublisher, IORedisSubscriber, NodeRedisSubscriber } from './redis-adapter.js';
