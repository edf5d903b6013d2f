// What a user keeps across a session, in Chromium at a phone's and a desktop's width: typing a private
// message shows only to its recipient; a reload joins the same room under the same nickname; after a
// dropped connection the log comes back with the user's private messages and the joins and leaves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { Browser } from 'playwright-core';
import { startTestChat, type TestChat } from '../examples/chat/support/server.js';
import {
  WIDTHS,
  artifact,
  hasChromium,
  join,
  launchChromium,
  logLines,
  members,
  openChat,
  press,
  receivedOfType,
  say,
  waitText,
  type ChatPage,
} from './support/chat-browser.js';
import { describeWithPeers } from '../support/peers.js';

const TYPING_MS = 2000; // long enough to take a screenshot of the indicator on a busy machine

describeWithPeers({ Chromium: hasChromium })('chat sessions in Chromium', () => {
  let browser: Browser;
  let chat: TestChat;
  let url: string;
  /** The server side of every WebSocket connection, in the order they were made. */
  const upgrades: Socket[] = [];
  const pages: ChatPage[] = [];

  beforeAll(async () => {
    chat = await startTestChat({ typingTimeoutMs: TYPING_MS });
    chat.server.on('upgrade', (_request, socket: Socket) => upgrades.push(socket));
    url = chat.url.replace('localhost', '127.0.0.1');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
  });

  async function open(width: (typeof WIDTHS)[number], nick?: string, room?: string): Promise<ChatPage> {
    const page = await openChat(browser, url, width);
    pages.push(page);
    if (nick && room) await join(page, nick, room);
    return page;
  }

  async function closeAll(): Promise<void> {
    for (const page of pages.splice(0)) {
      expect(page.problems).toEqual([]);
      await page.page.context().close();
    }
  }

  /** Picks `nick` as the recipient by pressing their chip in the members list. */
  const pick = (page: ChatPage, nick: string) => press(page, `#members .chip[title="message ${nick} privately"]`);

  describe.each(WIDTHS)('at %i px', (width) => {
    it('shows typing for a private message to its recipient only', async () => {
      const room = `typing-${width}`;
      const ann = await open(width, 'ann', room);
      const bob = await open(width, 'bob', room);
      const cy = await open(width, 'cy', room);
      await waitText(ann.page, '#members', 'annbobcy');

      await pick(ann, 'bob');
      await ann.page.locator('#text').pressSequentially('psst bob');
      await waitText(bob.page, '#typing', 'ann is typing to you…');
      await bob.page.screenshot({ path: await artifact(`chat-private-typing-${width}.png`) });
      await press(ann, '#send');
      await waitText(bob.page, '#log', 'ann → you (private)psst bob', true);
      expect(await bob.page.textContent('#typing')).toBe(''); // the message ends the indicator
      // bob answers in the room: it reaches cy after anything ann's typing made the server send.
      await say(bob, 'got it');
      await waitText(cy.page, '#log', 'got it', true);
      // (bob's own typing, as he wrote that, is the room's business.)
      expect((await cy.typingShown()).filter((text) => text.includes('ann'))).toEqual([]);
      expect(receivedOfType(cy, 'typing').filter((m) => m.nick === 'ann')).toEqual([]);
      expect(receivedOfType(ann, 'typing').filter((m) => m.nick === 'ann')).toEqual([]);

      // The control: typing to everyone does show on cy's page, so the checks above could see it.
      await ann.page.selectOption('#to', '');
      await ann.page.locator('#text').pressSequentially('hello all');
      await waitText(cy.page, '#typing', 'ann is typing…');
      await press(ann, '#send');
      await waitText(cy.page, '#log', 'hello all', true);
      expect(await cy.typingShown()).toContain('ann is typing…');
      expect((await cy.typingShown()).join()).not.toContain('to you');
      await closeAll();
    });

    it('joins the same room under the same nickname after a reload', async () => {
      const room = `garden-${width}`;
      const ann = await open(width, 'ann', room);
      const bob = await open(width, 'bob', room);
      await say(ann, 'said before the reload');
      await waitText(bob.page, '#log', 'said before the reload', true);

      await ann.page.reload();
      await waitText(ann.page, '#status', 'connected');
      await waitText(ann.page, '#current-room', room);
      await waitText(ann.page, '#log', `You joined ${room} as ann`, true);
      expect(await members(ann.page)).toEqual(['ann', 'bob']);
      expect(await ann.page.inputValue('#nick')).toBe('ann');
      expect(await ann.page.isDisabled('#text')).toBe(false);
      await waitText(ann.page, '#log', 'said before the reload', true);
      await waitText(bob.page, '#log', 'ann joined', true); // once more, after "ann left"
      expect((await logLines(bob.page)).slice(-3)).toEqual(['ann said before the reload', 'ann left', 'ann joined']);
      await ann.page.screenshot({ path: await artifact(`chat-reload-${width}.png`) });

      // A second tab of the same browser offers the nickname but joins nothing: it would clash.
      const tab = await openChat(browser, url, width, { context: ann });
      pages.push(tab);
      await tab.page.waitForFunction(() => document.querySelector('#rooms li') !== null);
      expect(await tab.page.inputValue('#nick')).toBe('ann');
      expect(await tab.page.textContent('#current-room')).toBe('no room');
      expect(tab.sent.filter((frame) => frame.includes('"join"'))).toEqual([]);

      // After Leave, a reload stays out of the room.
      await press(ann, '#leave');
      await waitText(ann.page, '#current-room', 'no room');
      const sentBefore = ann.sent.length;
      await ann.page.reload();
      await waitText(ann.page, '#status', 'connected');
      await ann.page.waitForFunction(() => document.querySelector('#rooms li') !== null);
      expect(ann.sent.slice(sentBefore).filter((frame) => frame.includes('"join"'))).toEqual([]);
      expect(await ann.page.textContent('#current-room')).toBe('no room');
      expect(await ann.page.inputValue('#nick')).toBe('ann');
      await closeAll();
    });

    it('gets back its private messages and the joins and leaves, in order, after the connection drops', async () => {
      const room = `history-${width}`;
      const ann = await open(width, 'ann', room);
      const annSocket = upgrades.at(-1)!; // the server's end of ann's connection
      const bob = await open(width, 'bob', room);
      const cy = await open(width, 'cy', room);
      await pick(ann, 'bob');
      await say(ann, 'for bob only');
      await waitText(bob.page, '#log', 'for bob only', true);
      await pick(bob, 'ann');
      await say(bob, 'for ann only');
      await waitText(ann.page, '#log', 'for ann only', true);
      await pick(cy, 'bob');
      await say(cy, 'cy to bob');
      await waitText(bob.page, '#log', 'cy to bob', true);
      await bob.page.selectOption('#to', '');
      await say(bob, 'hello all');
      await waitText(ann.page, '#log', 'hello all', true);
      await cy.page.context().close();
      pages.splice(pages.indexOf(cy), 1);
      await waitText(ann.page, '#log', 'cy left', true);

      annSocket.destroy(); // the network drops: no closing handshake
      await waitText(ann.page, '#status', 'reconnecting', true);
      await waitText(ann.page, '#status', 'connected');
      await waitText(ann.page, '#log', `You joined ${room} as ann`, true);
      expect(await logLines(ann.page)).toEqual([
        'ann joined',
        'bob joined',
        'cy joined',
        'you → bob (private) for bob only',
        'bob → you (private) for ann only',
        'bob hello all',
        'cy left',
        'ann left',
        `You joined ${room} as ann`,
      ]);
      expect(await ann.page.$$eval('#log li.private', (items) => items.length)).toBe(2);
      await waitText(bob.page, '#log', 'ann joined', true);
      expect((await logLines(bob.page)).slice(-2)).toEqual(['ann left', 'ann joined']);
      await ann.page.screenshot({ path: await artifact(`chat-reconnect-history-${width}.png`) });
      await closeAll();
    });
  });
});
