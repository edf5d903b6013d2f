// The chat's Transport on wsmith: its WebSocketServer for /ws and its Hub (with the Redis adapter when
// the chat runs on several processes). Only the public API of 'wsmith' is used.
import * as wsmith from 'wsmith';
import type { WebSocket } from 'wsmith';
import type { FullHub, HubSettings, Transport } from './app.js';

// The Hub (issue 5) is being written alongside this example; until it is exported, its constructors
// are looked up by name so the rest of the build does not break. Its contract, as the chat uses it:
interface HubModule {
  Hub?: new (options: { heartbeat?: HubSettings['heartbeat'] | false; adapter?: unknown }) => FullHub<WebSocket>;
  RedisAdapter?: new (options: { publisher: unknown; subscriber: unknown; prefix?: string }) => unknown;
}
const { Hub, RedisAdapter } = wsmith as unknown as HubModule;

/** True once the installed wsmith exports a Hub. */
export const hasHub = typeof Hub === 'function';

export const wsmithTransport: Transport<WebSocket> = {
  endpoint({ server, path, maxPayload, verify, selectProtocol, onConnection }) {
    const wss = new wsmith.WebSocketServer({
      server,
      path,
      maxPayload,
      verifyClient: (request) => verify(request),
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    wss.on('connection', (socket) => onConnection(socket));
    return {
      close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
    };
  },
  hub({ heartbeat, redis }) {
    if (!Hub || (redis && !RedisAdapter)) throw new Error('this build of wsmith has no Hub yet (issue 5)');
    const adapter =
      redis && RedisAdapter
        ? new RedisAdapter({ publisher: redis.publisher, subscriber: redis.subscriber, prefix: redis.prefix })
        : undefined;
    return new Hub({ heartbeat, adapter });
  },
};
