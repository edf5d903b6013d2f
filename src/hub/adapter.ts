/**
 * The scale-out seam: how hubs in several processes reach each other. An adapter is plain
 * publish/subscribe on named channels carrying opaque bytes; the hub decides the channels (one
 * shared by all nodes, one per room) and the envelope (src/hub/envelope.ts). Redis pub/sub is one
 * implementation (src/hub/redis-adapter.ts); NATS subjects would fit the same five methods.
 *
 * What the hub relies on: messages published by one adapter arrive at every subscriber in
 * publish order (one connection per publisher, as Redis and NATS give), and a message published on
 * a channel the node is not subscribed to never arrives there.
 */
export interface HubAdapter {
  /** Called once by the hub: every message on a subscribed channel goes to `onMessage`. */
  open(onMessage: (channel: string, message: Buffer) => void): void;
  /** Publish bytes on a channel. Resolves when the broker has taken them. */
  publish(channel: string, message: Buffer): Promise<void>;
  /** Start receiving a channel. Resolves when the subscription is active. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Stop receiving (the user's own connections are left open: they belong to the user). */
  close(): Promise<void>;
}

/** The channel every node subscribes to: broadcasts to all sockets, and `sendTo`. */
export const SHARED_CHANNEL = 'all';

/** The channel of one room: only nodes with local members subscribe. */
export function roomChannel(room: string): string {
  return `room:${room}`;
}

/**
 * Call an adapter method as a promise, whatever it does: an adapter is the application's code, and
 * a synchronous throw or a missing promise from it must reach `onAdapterError`, not the caller of
 * `broadcast` (which may be a socket's 'message' listener) nor the process.
 */
export function callAdapter(call: () => Promise<void> | void): Promise<void> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
