// Settings from the environment, with the defaults a newcomer's `npm start` needs.
import { parseOriginList } from './origin.js';

export interface ChatConfig {
  port: number;
  /** Interface to listen on; undefined listens on all, as gorilla's chat example does. */
  host: string | undefined;
  /** Directory for the JSON-lines history files (when Redis is not used). */
  dataDir: string;
  /** Extra origins allowed besides the page's own (CHAT_ORIGINS, comma separated). */
  origins: string[];
  /** When set, the handshake must carry this token. */
  token: string | undefined;
  /** When set, history, presence and broadcast are shared through Redis. */
  redisUrl: string | undefined;
  redisPrefix: string;
  /** With Redis: a process silent this long counts as dead and its users leave presence. */
  nodeTtlMs: number;
  /** RFC 6455 §10.4: bound the size of a message the server will buffer. */
  maxPayload: number;
  typingTimeoutMs: number;
  heartbeat: { interval: number; timeout: number };
}

export const MAX_PAYLOAD = 64 * 1024;

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ChatConfig {
  return {
    port: integer(env.PORT, 8080, 'PORT'),
    host: env.HOST || undefined,
    dataDir: env.CHAT_DATA_DIR || './data',
    origins: parseOriginList(env.CHAT_ORIGINS),
    token: env.CHAT_TOKEN || undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.CHAT_REDIS_PREFIX || 'chat:',
    nodeTtlMs: integer(env.CHAT_NODE_TTL_MS, 15_000, 'CHAT_NODE_TTL_MS'),
    maxPayload: MAX_PAYLOAD,
    typingTimeoutMs: integer(env.CHAT_TYPING_MS, 3000, 'CHAT_TYPING_MS'),
    heartbeat: {
      interval: integer(env.CHAT_HEARTBEAT_MS, 30_000, 'CHAT_HEARTBEAT_MS'),
      timeout: integer(env.CHAT_HEARTBEAT_TIMEOUT_MS, 10_000, 'CHAT_HEARTBEAT_TIMEOUT_MS'),
    },
  };
}
