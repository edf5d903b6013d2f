// Shared by the chat's browser tests: Debian's Chromium through playwright-core, a page per user at a
// given viewport width (400 px as a phone with touch, 1100 px as a desktop), the frames each page sent
// and received, and every problem a page shows a user or a developer: console errors, uncaught
// exceptions, responses of 400 and above.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipping the chat browser tests: ${CHROMIUM} is missing (apt-get install chromium)`);

/** The two widths every browser test runs at: a phone and a desktop. */
export const WIDTHS = [400, 1100] as const;
export type Width = (typeof WIDTHS)[number];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A phone (meta viewport honoured, touch) at 400 px; a desktop window at 1100 px. */
export function viewportOptions(width: Width): BrowserContextOptions {
  const phone = width < 640;
  return { viewport: { width, height: phone ? 800 : 720 }, isMobile: phone, hasTouch: phone, deviceScaleFactor: 1 };
}

export interface ChatPage {
  page: Page;
  width: Width;
  /** Payloads of the WebSocket frames the page sent and received. */
  sent: string[];
  received: string[];
  /** Console errors, uncaught exceptions and failed responses seen by this page. */
  problems: string[];
  /** "<status> <path>" of every response the page got. */
  responses: string[];
  /** Every text the #typing line showed, recorded in the page. */
  typingShown(): Promise<string[]>;
}

/** Opens the chat at `url` in a new context (its own storage) at `width`, waiting for "connected". */
export async function openChat(browser: Browser, url: string, width: Width, options: { context?: ChatPage } = {}): Promise<ChatPage> {
  const context = options.context ? options.context.page.context() : await browser.newContext(viewportOptions(width));
  const page = await context.newPage();
  const chat: ChatPage = {
    page,
    width,
    sent: [],
    received: [],
    problems: [],
    responses: [],
    typingShown: () => page.evaluate(() => (window as unknown as { typingShown: string[] }).typingShown),
  };
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => chat.sent.push(String(frame.payload)));
    socket.on('framereceived', (frame) => chat.received.push(String(frame.payload)));
  });
  page.on('console', (message) => {
    if (message.type() === 'error') chat.problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => chat.problems.push(`exception: ${error.message}`));
  page.on('response', (response) => {
    chat.responses.push(`${response.status()} ${new URL(response.url()).pathname}`);
    if (response.status() >= 400) chat.problems.push(`${response.status()} ${response.url()}`);
  });
  page.on('dialog', (dialog) => {
    chat.problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  // Records the typing line's every text, so a test can tell it never showed something.
  await page.addInitScript(() => {
    const shown: string[] = [];
    (window as unknown as { typingShown: string[] }).typingShown = shown;
    document.addEventListener('DOMContentLoaded', () => {
      const typing = document.getElementById('typing')!;
      new MutationObserver(() => shown.push(typing.textContent ?? '')).observe(typing, { childList: true, characterData: true, subtree: true });
    });
  });
  await page.goto(url);
  await waitText(page, '#status', 'connected');
  return chat;
}

/** Fills in the nickname and room, presses Join (a tap on a phone), and waits to be in the room. */
export async function join(chat: ChatPage, nick: string, room = 'lobby'): Promise<void> {
  const { page } = chat;
  await page.fill('#nick', nick);
  await page.fill('#room', room);
  await press(chat, '#join');
  await page.waitForFunction(
    ([n, r]) =>
      document.querySelector('#current-room')?.textContent === r &&
      Array.from(document.querySelectorAll('#members li')).some((li) => li.textContent === n),
    [nick, room] as const,
    { timeout: 5000 },
  );
}

/** A tap on a phone, a click on a desktop. */
export async function press(chat: ChatPage, selector: string): Promise<void> {
  if (chat.width < 640) await chat.page.tap(selector);
  else await chat.page.click(selector);
}

/** Types into the composer and sends with the Send button. */
export async function say(chat: ChatPage, text: string): Promise<void> {
  await chat.page.fill('#text', text);
  await press(chat, '#send');
}

/** Waits until the element's text equals `text` (or contains it, with `contains`). */
export function waitText(page: Page, selector: string, text: string, contains = false, timeout = 5000) {
  return page.waitForFunction(
    ([s, t, c]) => {
      const content = document.querySelector(s as string)?.textContent ?? '';
      return c ? content.includes(t as string) : content === t;
    },
    [selector, text, contains] as const,
    { timeout },
  );
}

export const members = (page: Page) => page.$$eval('#members li', (items) => items.map((li) => li.textContent));

/** The log's lines as the user reads them, without the time. */
export const logLines = (page: Page) =>
  page.$$eval('#log li', (items) => items.map((li) => Array.from(li.childNodes).slice(1).map((n) => n.textContent).join(' ').trim()));

/** Messages of one type the page received. */
export function receivedOfType(chat: ChatPage, type: string): Record<string, unknown>[] {
  return chat.received.map((frame) => JSON.parse(frame) as Record<string, unknown>).filter((m) => m.type === type);
}

/** Records each HTTP response the server sends with a status of 400 or more (the browser may cache
 *  a missing icon and never show it again, so the server is the witness). */
export function watchFailedResponses(server: Server): string[] {
  const failed: string[] = [];
  server.on('request', (request, response) => {
    response.on('finish', () => {
      if (response.statusCode >= 400) failed.push(`${response.statusCode} ${request.method} ${request.url}`);
    });
  });
  return failed;
}

export async function artifact(name: string): Promise<string> {
  await mkdir('test-artifacts', { recursive: true });
  return `test-artifacts/${name}`;
}
