// The chat's Transport on wsmith: its WebSocketServer for /ws and its Hub (with the Redis adapter when
// the chat runs on several processes). Only the public API of 'wsmith' is used.
import { WebSocketServer, type WebSocket } from 'wsmith';
import { Hub, RedisAdapter } from 'wsmith/hub';
import type { Transport } from './app.js';

export const wsmithTransport: Transport<WebSocket> = {
  endpoint({ server, path, maxPayload, allowedOrigins, verify, selectProtocol, onConnection }) {
    const wss = new WebSocketServer({
      server,
      path,
      maxPayload,
      // Chat messages are small JSON; browsers offer permessage-deflate, and wsmith's default
      // (no context takeover) keeps no zlib state per connection. Messages under 1 KiB go plain.
      perMessageDeflate: true,
      allowedOrigins,
      verifyClient: (info: { req: import("node:http").IncomingMessage }) => verify(info.req),
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    wss.on('connection', (socket) => onConnection(socket));
    return {
      close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
    };
  },
  hub({ heartbeat, redis, log }) {
    const adapter = redis
      ? new RedisAdapter({ publisher: redis.publisher, subscriber: redis.subscriber, prefix: redis.prefix })
      : undefined;
    return new Hub({ heartbeat, adapter, onAdapterError: (error) => log(`hub adapter: ${error.message}`) });
  },
};
