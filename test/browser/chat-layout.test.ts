// The chat page at a phone's width (400 px, touch, meta viewport honoured) and a desktop's (1100 px):
// no sideways scroll, the composer and its Send button whole, visible and working, fields that do not
// make a phone zoom, fingertip-sized targets, the viewport meta tag, and an icon instead of a 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestChat, type TestChat } from '../examples/chat/support/server.js';
import {
  WIDTHS,
  artifact,
  hasChromium,
  join,
  launchChromium,
  openChat,
  press,
  say,
  waitText,
  watchFailedResponses,
  type ChatPage,
} from './support/chat-browser.js';
import { describeWithPeers } from '../support/peers.js';

const LONG_NICK = 'a_nickname_of_thirty-two_chars__'; // Limits.nick
const LONG_ROOM = 'a-room-whose-name-goes-on-and-on-for-far-too-long-for-a-phone-xx'; // Limits.room
const UNBROKEN = 'https://example.com/' + 'x'.repeat(180); // no space to wrap at

/** The element's box, and whether it lies whole inside the viewport and is what a tap at its centre hits. */
function inspect(page: Page, selector: string) {
  return page.$eval(selector, (el) => {
    const box = el.getBoundingClientRect();
    const inside = box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight;
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return { width: box.width, height: box.height, left: box.left, right: box.right, inside, onTop: hit === el || el.contains(hit) };
  });
}

describeWithPeers({ Chromium: hasChromium })('chat page layout in Chromium', () => {
  let browser: Browser;
  let chat: TestChat;
  let failed: string[];

  beforeAll(async () => {
    chat = await startTestChat();
    failed = watchFailedResponses(chat.server);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
  });

  describe.each(WIDTHS)('at %i px', (width) => {
    it('fits the width, keeps the composer whole and working, with phone-sized fields and targets', async () => {
      const url = chat.url.replace('localhost', '127.0.0.1');
      const other = await openChat(browser, url, width);
      await join(other, `${LONG_NICK.slice(0, -4)}${width}`, LONG_ROOM);
      const ann = await openChat(browser, url, width);
      const { page } = ann;
      await join(ann, `ann${width}`, LONG_ROOM);

      // The viewport meta tag: the device's width, no initial zoom, and zooming never forbidden.
      const viewport = await page.getAttribute('meta[name="viewport"]', 'content');
      expect(viewport).toMatch(/width=device-width/);
      expect(viewport).toMatch(/initial-scale=1(\D|$)/);
      expect(viewport).not.toMatch(/user-scalable\s*=\s*(no|0)|maximum-scale/);

      // Long names and an unbroken line: still nothing wider than the screen.
      await say(other, UNBROKEN);
      await say(ann, 'hello from a small screen');
      await waitText(other.page, '#log', 'hello from a small screen', true);
      await waitText(page, '#log', UNBROKEN, true);
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        inner: innerWidth,
      }));
      expect(widths.inner).toBe(width);
      expect(widths.scroll).toBeLessThanOrEqual(width);
      expect(widths.body).toBeLessThanOrEqual(width);

      // The composer: every part inside the viewport and on top, the input wide enough to type in.
      for (const selector of ['#send-form', '#to', '#text', '#send']) {
        const box = await inspect(page, selector);
        expect({ selector, ...box }).toMatchObject({ selector, inside: true, onTop: true });
      }
      expect((await inspect(page, '#text')).width).toBeGreaterThanOrEqual(width < 640 ? 150 : 500);
      // The join form's fields and buttons too.
      for (const selector of ['#nick', '#room', '#join', '#leave']) {
        expect({ selector, ...(await inspect(page, selector)) }).toMatchObject({ selector, inside: true, onTop: true });
      }

      if (width < 640) {
        // 16px or more: mobile Safari zooms into smaller fields on focus.
        const sizes = await page.$$eval('input, select, textarea', (els) => els.map((el) => parseFloat(getComputedStyle(el).fontSize)));
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(16);
        // Every control a finger aims at: at least 44 × 44 CSS px.
        const targets = await page.$$eval('button, input, select, #members .me', (els) =>
          els
            .filter((el) => (el as HTMLElement).offsetParent !== null)
            .map((el) => ({ id: el.id || el.textContent, ...el.getBoundingClientRect().toJSON() }) as { id: string; width: number; height: number }),
        );
        expect(targets.length).toBeGreaterThanOrEqual(8); // join, leave, send, 2 fields, select, room chip, member chip
        // A long room name or nickname is cut short on its chip, leaving room for the others.
        const chips = await page.$$eval('aside li', (els) => els.map((el) => el.firstElementChild!.getBoundingClientRect().width));
        expect(chips.length).toBe(3);
        expect(Math.max(...chips)).toBeLessThanOrEqual(width / 2);
        for (const target of targets) {
          expect({ id: target.id, big: target.height >= 44 && target.width >= 44 }).toEqual({ id: target.id, big: true });
        }
      } else {
        // The desktop keeps its side column: rooms and members left of the conversation.
        const aside = await page.$eval('aside', (el) => el.getBoundingClientRect().toJSON() as DOMRect);
        const log = await page.$eval('#log', (el) => el.getBoundingClientRect().toJSON() as DOMRect);
        expect(aside.right).toBeLessThanOrEqual(log.left);
        expect(aside.height).toBeGreaterThan(log.height / 2);
      }

      // Usable: a chip picks the recipient, the keyboard-less Send (tap on the phone) sends.
      await press(ann, `#members .chip`);
      expect(await page.inputValue('#to')).toBe(`${LONG_NICK.slice(0, -4)}${width}`);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('text');
      await say(ann, 'whispered from the composer');
      await waitText(other.page, '#log', 'whispered from the composer', true);

      // The icon: served, so no 404 anywhere, neither in this page's console nor on the server.
      await expect.poll(() => ann.responses).toContain('200 /favicon.svg');
      await page.screenshot({ path: await artifact(`chat-layout-${width}.png`) });
      expect(ann.problems).toEqual([]);
      expect(other.problems).toEqual([]);
      expect(failed).toEqual([]);
      await ann.page.context().close();
      await other.page.context().close();
    });
  });
});
