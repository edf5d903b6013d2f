// Two chat processes over a real redis-server, a page on each, in Chromium at a phone's and a desktop's
// width. One process is killed (SIGKILL: no cleanup, no close frames): within a bounded time the page on
// the survivor says its user left, and shows the right members.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { REDIS_SERVER, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startChatProcess, type ChatProcess } from '../examples/chat/support/process.js';
import { WIDTHS, artifact, hasChromium, join, launchChromium, members, openChat, say, waitText, type ChatPage } from './support/chat-browser.js';
import { describeWithPeers } from '../support/peers.js';

if (!REDIS_SERVER) console.warn('skipping the chat browser test over Redis: redis-server is missing (apt-get install redis-server)');

const NODE_TTL_MS = 600; // a process silent for 0.6 s counts as dead; survivors look every 0.2 s

describeWithPeers({ Chromium: hasChromium, 'redis-server': Boolean(REDIS_SERVER) })('chat over Redis in Chromium: a process crashes', () => {
  let browser: Browser;
  let redis: RedisServer;
  const processes: ChatProcess[] = [];
  const pages: ChatPage[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.page.context().close();
    await Promise.all(processes.splice(0).map((node) => node.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await redis?.stop();
  });

  async function startNode(prefix: string): Promise<ChatProcess> {
    const node = await startChatProcess({
      REDIS_URL: redis.url,
      CHAT_REDIS_PREFIX: prefix,
      CHAT_NODE_TTL_MS: String(NODE_TTL_MS),
    });
    processes.push(node);
    return node;
  }

  it.each(WIDTHS)('at %i px, the page on the surviving process says the crashed one’s user left', async (width) => {
    const prefix = `b${randomUUID()}:`;
    const [a, b] = [await startNode(prefix), await startNode(prefix)];
    const ann = await openChat(browser, a.url, width);
    pages.push(ann);
    await join(ann, 'ann');
    const bob = await openChat(browser, b.url, width);
    pages.push(bob);
    await join(bob, 'bob');
    await waitText(ann.page, '#members', 'annbob');
    await say(ann, 'hello from process A');
    await waitText(bob.page, '#log', 'hello from process A', true);

    await a.kill();
    const killedAt = Date.now();
    await waitText(bob.page, '#log', 'ann left', true, 5000);
    const tookMs = Date.now() - killedAt;
    expect(await members(bob.page)).toEqual(['bob']);
    await waitText(bob.page, '#rooms', 'lobby1');
    // ann's page lost its process and says so; bob's saw no error at all.
    await waitText(ann.page, '#status', 'reconnecting', true);
    expect(bob.problems).toEqual([]);
    console.log(`chat over Redis at ${width} px: "ann left" shown ${tookMs} ms after SIGKILL (lease ${NODE_TTL_MS} ms)`);
    await bob.page.screenshot({ path: await artifact(`chat-crash-survivor-${width}.png`) });
    await ann.page.screenshot({ path: await artifact(`chat-crash-orphan-${width}.png`) });
  });
});
