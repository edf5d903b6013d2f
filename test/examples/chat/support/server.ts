// Starts a chat server for a test, on wsmith (dist/, built by `npm test`): port 0 on 127.0.0.1, history in a
// fresh temporary directory.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChatServer, type ChatTuning, type RunningChat } from '../../../../examples/chat/app.js';
import { configFromEnv, type ChatConfig } from '../../../../examples/chat/config.js';
import { wsmithTransport } from '../../../../examples/chat/wsmith-transport.js';
import type { WebSocket } from 'wsmith';

export interface TestChat extends RunningChat<WebSocket> {
  wsUrl: string;
  config: ChatConfig;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'wsmith-chat-'));
}

export async function startTestChat(overrides: Partial<ChatConfig> = {}, tuning: ChatTuning = {}): Promise<TestChat> {
  const config: ChatConfig = {
    ...configFromEnv({}),
    port: 0,
    host: '127.0.0.1',
    dataDir: overrides.dataDir ?? (await tempDir()),
    ...overrides,
  };
  const running = await startChatServer(config, wsmithTransport, { log: () => {}, sweepIntervalMs: 0, ...tuning });
  return { ...running, config, wsUrl: `ws://127.0.0.1:${running.port}/ws` };
}
