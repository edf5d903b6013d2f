/**
 * Decompression bombs and floods against a compressing server in its own process (RFC 7692
 * §8.1 warns of them; RFC 6455 §10.4 asks for limits): inflation stops at maxPayload while it
 * runs, so four connections each sending a frame that inflates to 1 GiB get 1009 and the
 * server's peak RSS (the kernel's maxRSS, not a sample) grows by a few times maxPayload only.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDeflateRaw, constants } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureProcess } from '../support/fixture-process.js';
import { maskedFrame, upgradeRequest } from './support/server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/deflate-server.mjs', import.meta.url));
const MiB = 1024 * 1024;

interface Report {
  maxRssKiB: number;
  rss: number;
  closes: number[];
  messages: number;
}

let server: FixtureProcess | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

/** DEFLATE data (RFC 7692 §7.2.1: sync-flushed, tail removed) that inflates to `size` zero bytes. */
async function bomb(size: number): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 9, memLevel: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const zeros = Buffer.alloc(4 * MiB);
  for (let written = 0; written < size; written += zeros.length) {
    if (!deflate.write(zeros)) await once(deflate, 'drain');
  }
  await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  deflate.end();
  const data = Buffer.concat(chunks);
  return data.subarray(0, data.length - 4);
}

async function openCompressing(port: number): Promise<{ socket: Socket; closeCode: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
  let received = Buffer.alloc(0);
  let headEnd = -1;
  const closeCode = new Promise<number>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (headEnd === -1) headEnd = received.indexOf('\r\n\r\n');
      const frames = headEnd === -1 ? null : received.subarray(headEnd + 4);
      // The server's Close frame: 0x88, a 7-bit length, then the code (§5.5.1).
      if (frames !== null && frames.length >= 4 && frames[0] === 0x88) resolve(frames.readUInt16BE(2));
    });
    socket.on('close', () => resolve(-1));
  });
  await new Promise<void>((resolve) => {
    const check = (): void => (received.includes('\r\n\r\n') ? resolve() : void setTimeout(check, 5));
    check();
  });
  expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 .*\r\nSec-WebSocket-Extensions: permessage-deflate/s);
  return { socket, closeCode };
}

describe('decompression bombs (RFC 7692 §8.1, RFC 6455 §10.4)', () => {
  it('four 1 GiB bombs at once: 1009 for each, and peak memory a few times maxPayload', async () => {
    const maxPayload = 4 * MiB;
    server = await FixtureProcess.start(FIXTURE, [JSON.stringify({ maxPayload })], { execArgv: ['--expose-gc'] });
    const payload = await bomb(1024 * MiB);
    expect(payload.length).toBeLessThan(2 * MiB); // about 1,000:1
    const before = await server.request<Report>({ type: 'report' }, 'report');
    const connections = await Promise.all([0, 1, 2, 3].map(() => openCompressing(server!.port)));
    for (const { socket } of connections) socket.write(maskedFrame(0x2, payload, true, 0x40));
    const codes = await Promise.all(connections.map((c) => c.closeCode));
    expect(codes).toEqual([1009, 1009, 1009, 1009]);
    const after = await server.request<Report>({ type: 'report' }, 'report');
    const peakGrowth = (after.maxRssKiB - before.maxRssKiB) * 1024;
    console.log(`bomb: peak RSS ${Math.round(before.maxRssKiB / 1024)} -> ${Math.round(after.maxRssKiB / 1024)} MiB (growth ${(peakGrowth / MiB).toFixed(1)} MiB) for 4 × 1 GiB bombs, maxPayload 4 MiB`);
    // Each inflation stops just past maxPayload; what the 4 × 1 MiB frames themselves take is
    // counted in too. Far from the 4 GiB the bombs would inflate to.
    expect(peakGrowth).toBeLessThan(16 * maxPayload);
    expect(after.messages).toBe(0);
    for (const { socket } of connections) socket.destroy();
  }, 120_000);

  it('a flood of compressed messages: one inflation at a time, and memory that does not grow with the flood', async () => {
    server = await FixtureProcess.start(FIXTURE, [JSON.stringify({})], { execArgv: ['--expose-gc'] });
    const { socket } = await openCompressing(server.port);
    // 256 KiB of zeros per message: too large for the synchronous path, inflated in the pool.
    const message = maskedFrame(0x2, await bomb(256 * 1024), true, 0x40);
    let sent = 0;
    const flood = async (count: number): Promise<Report> => {
      for (let i = 0; i < count; i++) {
        sent++;
        if (!socket.write(message)) await once(socket, 'drain');
      }
      for (;;) {
        const report = await server!.request<Report>({ type: 'report' }, 'report');
        if (report.messages === sent) return report;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const start = await server.request<Report>({ type: 'report' }, 'report');
    const first = await flood(400);
    const second = await flood(1600);
    const growth = (a: Report, b: Report): number => ((b.maxRssKiB - a.maxRssKiB) * 1024) / MiB;
    console.log(`flood: ${first.messages} then ${second.messages} messages inflating to 256 KiB each; peak RSS +${growth(start, first).toFixed(1)} MiB, then +${growth(first, second).toFixed(1)} MiB more`);
    // Garbage collection lets some inflated messages pile up before it runs, whatever the flood's
    // length; a flood four times longer must not need more (pending inflates are bounded).
    expect(growth(start, first)).toBeLessThan(128);
    expect(growth(first, second)).toBeLessThan(24);
    socket.destroy();
  }, 120_000);
});
