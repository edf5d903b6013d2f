/**
 * `RedisAdapter`: hubs in several processes share rooms through Redis pub/sub.
 *
 * The user passes two connected clients of their own — a publisher and a dedicated subscriber
 * (a Redis connection in subscribe mode can do nothing else) — from `ioredis` or `redis`
 * (node-redis v4+). wsmith never imports either: the shapes below are all it uses.
 *
 * Messages are Buffers end to end (ioredis: the 'messageBuffer' event; node-redis: buffer-mode
 * listeners), so binary payloads cross unchanged. Redis delivers the messages of one publishing
 * connection in order to every subscriber, which gives the hub its per-publisher order.
 */
import type { HubAdapter } from './adapter.js';

/** The publishing client: ioredis's and node-redis's `publish` both fit. */
export interface RedisPublisher {
  publish(channel: string, message: Buffer): Promise<unknown>;
}

/** An ioredis client in subscriber mode. */
export interface IORedisSubscriber {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  removeListener(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
}

/** A node-redis (v4+) client dedicated to subscriptions; recognised by its `isOpen` property. */
export interface NodeRedisSubscriber {
  readonly isOpen: boolean;
  subscribe(channel: string, listener: (message: Buffer, channel: Buffer) => void, bufferMode: true): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: Buffer, channel: Buffer) => void, bufferMode: true): Promise<unknown>;
}

export interface RedisAdapterOptions {
  publisher: RedisPublisher;
  subscriber: IORedisSubscriber | NodeRedisSubscriber;
  /** Prepended to every channel name, so several applications can share one Redis. Default 'wsmith:'. */
  prefix?: string;
}

function isNodeRedis(subscriber: IORedisSubscriber | NodeRedisSubscriber): subscriber is NodeRedisSubscriber {
  return 'isOpen' in subscriber;
}

export class RedisAdapter implements HubAdapter {
  readonly prefix: string;
  private readonly publisher: RedisPublisher;
  private readonly subscriber: IORedisSubscriber | NodeRedisSubscriber;
  private readonly channels = new Set<string>();
  private onMessage: ((channel: string, message: Buffer) => void) | null = null;
  private closed = false;

  constructor(options: RedisAdapterOptions) {
    this.publisher = options.publisher;
    this.subscriber = options.subscriber;
    this.prefix = options.prefix ?? 'wsmith:';
  }

  open(onMessage: (channel: string, message: Buffer) => void): void {
    if (this.onMessage !== null) throw new Error('This RedisAdapter already serves a hub');
    this.onMessage = onMessage;
    if (!isNodeRedis(this.subscriber)) this.subscriber.on('messageBuffer', this.onIORedisMessage);
  }

  async publish(channel: string, message: Buffer): Promise<void> {
    if (this.closed) return;
    await this.publisher.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string): Promise<void> {
    if (this.closed) return;
    const name = this.prefix + channel;
    this.channels.add(name);
    if (isNodeRedis(this.subscriber)) await this.subscriber.subscribe(name, this.onNodeRedisMessage, true);
    else await this.subscriber.subscribe(name);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (this.closed) return;
    const name = this.prefix + channel;
    this.channels.delete(name);
    await this.unsubscribeName(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const names = Array.from(this.channels);
    this.channels.clear();
    if (!isNodeRedis(this.subscriber)) this.subscriber.removeListener('messageBuffer', this.onIORedisMessage);
    this.onMessage = null;
    // The connections stay open: they are the user's. A dead connection must not block shutdown.
    await Promise.allSettled(names.map((name) => this.unsubscribeName(name)));
  }

  private unsubscribeName(name: string): Promise<unknown> {
    return isNodeRedis(this.subscriber)
      ? this.subscriber.unsubscribe(name, this.onNodeRedisMessage, true)
      : this.subscriber.unsubscribe(name);
  }

  private deliver(channel: Buffer, message: Buffer): void {
    // The subscriber connection may be shared with other users of the same prefix-less channels.
    if (this.onMessage === null) return;
    const name = channel.toString('utf8');
    if (!this.channels.has(name)) return;
    this.onMessage(name.slice(this.prefix.length), message);
  }

  private readonly onIORedisMessage = (channel: Buffer, message: Buffer): void => {
    this.deliver(channel, message);
  };

  private readonly onNodeRedisMessage = (message: Buffer, channel: Buffer): void => {
    this.deliver(channel, message);
  };
}
