/** What a Hub is configured with, what its methods take, and the counters it keeps. */
import type { WebSocket } from '../node/websocket.js';
import type { HubAdapter } from './adapter.js';
import type { KeepaliveOptions } from '../node/keepalive.js';

export type SlowConsumerPolicy = 'close' | 'drop';
export type HubMessage = string | Buffer;

export interface HubOptions {
  /**
   * The keepalive of the hub's members (the connections' own, src/node/keepalive.ts): ping every
   * `interval` ms, cut a peer that sends neither a Pong nor a data frame within `timeout` ms of a
   * ping (counted in `heartbeatTerminations`). Unset or `false`: each socket keeps the keepalive
   * its server or client gave it (on by default: 30 s and 30 s).
   */
  heartbeat?: Partial<KeepaliveOptions> | false;
  /**
   * Unsent bytes a socket may hold (default 1 MiB): a message that would take it past this is not
   * queued, and the socket counts as a slow consumer. (An idle socket takes any one message.)
   */
  maxBufferedBytes?: number;
  /** 'close' (1013, then terminate after `closeTimeout`) or 'drop' (skip its messages). Default 'close'. */
  slowConsumerPolicy?: SlowConsumerPolicy;
  /** Wait for a closing handshake this long (ms) before terminating; `close()`'s default too. Default 5 s. */
  closeTimeout?: number;
  /** Share rooms with hubs in other processes (e.g. `RedisAdapter`). */
  adapter?: HubAdapter;
  /** Errors from the adapter (a broker gone away). They are counted in `stats()` either way. */
  onAdapterError?: (error: Error) => void;
}

export interface AddOptions {
  /** The socket's id for `get` and `sendTo`: unique across all nodes. Default: a random UUID. */
  id?: string;
  /** Anything the application wants to keep with the socket (`hub.data(ws)`). */
  data?: unknown;
}

export interface BroadcastOptions {
  /** Only the members of this room (on every node). Default: every socket. */
  room?: string;
  /** Skip this socket (or the socket with this id, on whichever node it is). */
  except?: WebSocket | string;
  /** Send as binary. Default: true for a Buffer, false for a string. */
  binary?: boolean;
}

export interface SendToOptions {
  binary?: boolean;
}

export interface HubCloseOptions {
  /** Default 1001 Going Away (§7.4.1). */
  code?: number;
  reason?: string;
  /** Milliseconds to wait for the closing handshakes before terminating. Default `closeTimeout`. */
  timeout?: number;
}

/** Counters since the hub was made; sockets and rooms are current values. */
export interface HubStats {
  sockets: number;
  /** Rooms with at least one local member. */
  rooms: number;
  /** Messages received from this hub's sockets, and their payload bytes. */
  messagesIn: number;
  bytesIn: number;
  /** Messages queued to sockets (one per receiver), and their bytes on the wire. */
  messagesOut: number;
  bytesOut: number;
  /** `broadcast` calls on this node, and broadcasts received from other nodes. */
  broadcasts: number;
  remoteBroadcasts: number;
  /** `sendTo` calls on this node (local or forwarded), and those received from other nodes. */
  directMessages: number;
  remoteDirectMessages: number;
  /** Messages skipped for a slow consumer ('drop' policy). */
  drops: number;
  /** Sockets closed with 1013 for being slow ('close' policy). */
  slowConsumerCloses: number;
  heartbeatTerminations: number;
  /** Envelopes published to the adapter, and adapter errors. */
  adapterPublished: number;
  adapterErrors: number;
}

