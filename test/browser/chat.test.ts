// The chat page in a real browser (Debian's Chromium through playwright-core), against a real chat server:
// presence, typing indicators that expire, messages, private messages, a hostile nickname shown as text,
// presence after a page closes, and the reconnect after a server restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestChat, type TestChat } from '../examples/chat/support/server.js';
import { artifact, hasChromium, launchChromium, waitText } from './support/chat-browser.js';
import { describeWithPeers } from '../support/peers.js';

const TYPING_MS = 600; // the page's typing expiry, injected through the server so the test waits 0.6 s, not 3
const HOSTILE = '<img src=x onerror=alert(1)>';

describeWithPeers({ Chromium: hasChromium })('chat page in Chromium', () => {
  let browser: Browser;
  let chat: TestChat;
  const dialogs: string[] = [];
  const sentFrames = new Map<Page, string[]>();

  beforeAll(async () => {
    chat = await startTestChat({ typingTimeoutMs: TYPING_MS });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
  });

  async function open(nick: string, room = 'lobby'): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    const sent: string[] = [];
    sentFrames.set(page, sent);
    page.on('websocket', (socket) => socket.on('framesent', (frame) => sent.push(String(frame.payload))));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(chat.url.replace('localhost', '127.0.0.1'));
    await waitText(page, '#status', 'connected');
    await page.fill('#nick', nick);
    await page.fill('#room', room);
    await page.click('#join');
    await page.waitForFunction((n) => Array.from(document.querySelectorAll('#members li')).some((li) => li.textContent === n), nick);
    return page;
  }

  const members = (page: Page) => page.$$eval('#members li', (items) => items.map((li) => li.textContent));
  const logTexts = (page: Page) => page.$$eval('#log li', (items) => items.map((li) => li.textContent ?? ''));

  it('the page negotiates permessage-deflate with the chat server (RFC 7692)', async () => {
    const page = await open('zed');
    expect(await page.getAttribute('#status', 'title')).toBe('messages are compressed (permessage-deflate)');
    await page.close();
  });

  it('two pages chat: presence, typing, messages, private messages, leaving', async () => {
    const ann = await open('ann');
    const bob = await open('bob');
    await ann.waitForFunction(() => document.querySelectorAll('#members li').length === 2);
    expect(await members(ann)).toEqual(['ann', 'bob']);
    expect(await members(bob)).toEqual(['ann', 'bob']);
    await waitText(ann, '#log', 'bob joined', true);
    // The rooms list shows the count.
    await waitText(bob, '#rooms', 'lobby2');

    // Typing: shown to the other page only, and gone ~TYPING_MS after the last keystroke. Throttled on
    // the sender: a burst of keystrokes sends one typing event, not one per key.
    const typingSent = () => sentFrames.get(ann)!.filter((frame) => frame.includes('"type":"typing"')).length;
    await ann.locator('#text').pressSequentially('hello bo'); // 8 keystrokes
    await waitText(bob, '#typing', 'ann is typing…');
    expect(typingSent()).toBeGreaterThanOrEqual(1);
    expect(typingSent()).toBeLessThanOrEqual(2);
    expect(await ann.textContent('#typing')).toBe('');
    await waitText(bob, '#typing', '');

    // A message goes across, with a timestamp and the sender's name.
    await ann.locator('#text').pressSequentially('b');
    await ann.press('#text', 'Enter');
    await waitText(bob, '#log', 'hello bob', true);
    const line = bob.locator('#log li.line').last();
    expect(await line.locator('.nick').textContent()).toBe('ann');
    expect(await line.locator('time').textContent()).toMatch(/\d{1,2}:\d{2}/);

    // A third page with a hostile nickname: shown as text, never run.
    const cy = await open(HOSTILE);
    await ann.waitForFunction(() => document.querySelectorAll('#members li').length === 3);
    expect(await members(ann)).toContain(HOSTILE);
    await cy.fill('#text', HOSTILE);
    await cy.press('#text', 'Enter');
    await waitText(ann, '#log', `${HOSTILE}${HOSTILE}`, true); // the nick and the text, both as text
    expect(await ann.locator('#log img, #members img').count()).toBe(0);

    // A private message from ann to bob: bob sees it, cy never does.
    await ann.selectOption('#to', 'bob');
    await ann.fill('#text', 'just for bob');
    await ann.press('#text', 'Enter');
    await waitText(bob, '#log', 'just for bob', true);
    await waitText(ann, '#log', 'you → bob (private)', true);
    expect(await bob.locator('#log li.private').last().textContent()).toContain('ann → you (private)');
    await ann.selectOption('#to', '');
    await ann.fill('#text', 'public again');
    await ann.press('#text', 'Enter');
    await waitText(cy, '#log', 'public again', true); // sent after the whisper, so the whisper would be here by now
    expect((await logTexts(cy)).join('\n')).not.toContain('just for bob');

    await ann.screenshot({ path: await artifact('chat.png') });

    // Closing bob's page updates presence for the others.
    await bob.context().close();
    await ann.waitForFunction(() => document.querySelectorAll('#members li').length === 2);
    expect(await members(ann)).toEqual([HOSTILE, 'ann'].sort((a, b) => a.localeCompare(b)));
    await waitText(ann, '#log', 'bob left', true);
    expect(dialogs).toEqual([]);
    await ann.context().close();
    await cy.context().close();
  });

  it('switching to a room where the nickname is taken leaves the page in no room, saying why', async () => {
    const bob = await open('bob', 'kitchen');
    const ann = await open('ann', 'hall');
    await ann.fill('#nick', 'BOB');
    await ann.fill('#room', 'kitchen');
    await ann.click('#join');
    await waitText(ann, '#join-error', 'the nickname "BOB" is taken in "kitchen"');
    await waitText(ann, '#current-room', 'no room');
    expect(await members(ann)).toEqual([]);
    expect(await ann.isDisabled('#text')).toBe(true);
    // It did leave the hall: the rooms list, seen from bob, no longer counts ann there.
    await waitText(bob, '#rooms', 'kitchen1');
    await bob.context().close();
    await ann.context().close();
  });

  it('reconnects after a server restart, shows it, and rejoins with history', async () => {
    const page = await open('dee', 'garden');
    await page.fill('#text', 'said before the restart');
    await page.press('#text', 'Enter');
    await waitText(page, '#log', 'said before the restart', true);

    const { port, config } = chat;
    await chat.close();
    await waitText(page, '#status', 'reconnecting', true);
    expect(await page.getAttribute('#status', 'class')).toContain('reconnecting');
    expect(await page.isDisabled('#text')).toBe(true);
    await page.screenshot({ path: await artifact('chat-reconnecting.png') });
    chat = await startTestChat({ ...config, port });

    await waitText(page, '#status', 'connected');
    await page.waitForFunction(() => document.querySelector('#current-room')?.textContent === 'garden');
    await waitText(page, '#log', 'said before the restart', true); // history from disk, sent on the rejoin
    expect(await members(page)).toEqual(['dee']);
    expect(await page.isDisabled('#text')).toBe(false);
    await page.screenshot({ path: await artifact('chat-reconnected.png') });
    await page.context().close();
  });
});
