import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FixtureProcess } from '../support/fixture-process.js';
import { READ_PAUSE_THRESHOLD } from '../../src/node/socket-transport.js';
import { transportOf } from '../../src/node/websocket.js';
import { maskedFrame, rawClient, SequenceScanner, startHubServer, until, type HubServer, type RawClient } from './helpers.js';
import { describeWithPeers } from '../support/peers.js';

const MiB = 1024 * 1024;
const FIXTURE = fileURLToPath(new URL('./fixtures/broadcast-server.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

interface Memory {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  external: number;
}
interface Report {
  baseline: Memory;
  peak: Memory;
  rawPeak: Memory;
  maxBuffered: number;
  slowBuffered: number;
  stats: Record<string, number>;
}

/** A hub server child process (the broadcast fixture), driven over IPC. */
function startServer(options: object): Promise<FixtureProcess> {
  return FixtureProcess.start(FIXTURE, [JSON.stringify(options)], { execArgv: ['--expose-gc'] });
}

interface Run {
  report: Report;
  readers: SequenceScanner[];
  messages: number;
  bytes: number;
}

/**
 * `readers` clients that read everything and one that never reads (id 'slow'), while `totalBytes`
 * are broadcast in batches; the next batch goes out when every reader has the last one (the
 * publisher's flow control), so only the non-reader can fall behind.
 */
async function runBroadcast(server: FixtureProcess, readers: number, totalBytes: number, size: number, batch: number): Promise<Run> {
  const clients: RawClient[] = [];
  const scanners: SequenceScanner[] = [];
  try {
    for (let i = 0; i < readers; i++) {
      const client = await rawClient(server.port, `/reader-${i}`);
      const scanner = new SequenceScanner(size);
      client.reader.push = (chunk: Buffer) => scanner.push(chunk);
      clients.push(client);
      scanners.push(scanner);
    }
    clients.push(await rawClient(server.port, '/slow', false));
    const messages = Math.ceil(totalBytes / size);
    let waiting: (() => void) | null = null;
    const caughtUp = (upTo: number): boolean => scanners.every((s) => s.received >= upTo || s.error !== null);
    for (const client of clients.slice(0, readers)) client.socket.on('data', () => waiting?.());
    for (let first = 0; first < messages; first += batch) {
      const count = Math.min(batch, messages - first);
      await server.request({ type: 'batch', first, count, size }, 'sent');
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (!caughtUp(first + count)) return;
          waiting = null;
          resolve();
        };
        waiting = check;
        check();
      });
      const failed = scanners.find((s) => s.error !== null);
      if (failed) throw new Error(failed.error!);
    }
    const report = await server.request<Report>({ type: 'report' }, 'report');
    return { report, readers: scanners, messages, bytes: messages * size };
  } finally {
    for (const client of clients) client.socket.destroy();
  }
}

describeWithPeers({ 'dist/ (npm run build)': existsSync(DIST) })('a slow consumer among 100 (server in its own process, memory measured)', () => {
  let server: FixtureProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  // The figure is 200 MiB (WSMITH_SLOW_CONSUMER_MIB=200, about 25 s on a 2-core machine);
  // npm test broadcasts 64 MiB, which shows the same bound: memory held does not grow with it.
  const totalMiB = Number(process.env.WSMITH_SLOW_CONSUMER_MIB ?? 64);

  it(`broadcasts ${totalMiB} MiB: the 99 readers get every message in order, server memory stays bounded`, async () => {
    server = await startServer({ slowConsumerPolicy: 'drop' });
    const size = 64 * 1024;
    const { report, readers, messages, bytes } = await runBroadcast(server, 99, totalMiB * MiB, size, 8);
    for (const reader of readers) {
      expect(reader.error).toBeNull();
      expect(reader.received).toBe(messages);
    }
    const growth = report.peak.arrayBuffers - report.baseline.arrayBuffers;
    const rawGrowth = report.rawPeak.arrayBuffers - report.baseline.arrayBuffers;
    const rssGrowth = report.rawPeak.rss - report.baseline.rss;
    console.log(
      `[hub slow consumer] broadcast ${(bytes / MiB).toFixed(0)} MiB in ${messages} messages to 100 sockets; ` +
        `server Buffer memory held at most +${(growth / MiB).toFixed(1)} MiB ` +
        `(+${(rawGrowth / MiB).toFixed(1)} MiB counting garbage not yet collected), RSS peak +${(rssGrowth / MiB).toFixed(1)} MiB; ` +
        `non-reader: ${report.stats.drops} messages dropped, ${(report.slowBuffered / MiB).toFixed(2)} MiB buffered; ` +
        `largest bufferedAmount seen ${(report.maxBuffered / MiB).toFixed(2)} MiB`,
    );
    // The non-reader holds at most its 1 MiB limit; everything else is in flight for one batch.
    expect(report.maxBuffered).toBeLessThanOrEqual(MiB);
    expect(report.stats.drops).toBeGreaterThan(0);
    expect(report.stats.slowConsumerCloses).toBe(0);
    // Held: one batch in flight (0.5 MiB) plus the non-reader's 1 MiB; allow for kernel-side slack.
    expect(growth).toBeLessThan(8 * MiB);
    expect(rssGrowth).toBeLessThan(Math.max(bytes / 2, 96 * MiB));
  }, 180_000);

  it('control: without a limit the same measure sees the non-reader hold everything sent to it', async () => {
    server = await startServer({ slowConsumerPolicy: 'drop', maxBufferedBytes: null });
    const size = 64 * 1024;
    const { report, bytes } = await runBroadcast(server, 4, 48 * MiB, size, 8);
    const growth = report.peak.arrayBuffers - report.baseline.arrayBuffers;
    console.log(
      `[hub slow consumer, control without limit] broadcast ${(bytes / MiB).toFixed(0)} MiB: ` +
        `server Buffer memory +${(growth / MiB).toFixed(1)} MiB, non-reader buffered ${(report.slowBuffered / MiB).toFixed(1)} MiB`,
    );
    expect(report.stats.drops).toBe(0);
    // Kernel socket buffers absorb the first few MiB; the rest stays in the server.
    expect(growth).toBeGreaterThan(bytes / 2);
  });
});

describe('slow-consumer policies in one process', () => {
  let server: HubServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function fillUntil(hub: HubServer['hub'], condition: () => boolean): Promise<number> {
    const chunk = Buffer.alloc(256 * 1024, 1);
    let sent = 0;
    while (!condition()) {
      hub.broadcast(chunk);
      sent++;
      await new Promise((resolve) => setImmediate(resolve));
      if (sent > 2000) throw new Error('the slow consumer was never detected');
    }
    return sent;
  }

  it("'close': sends 1013 and terminates the peer after closeTimeout; the others are untouched", async () => {
    server = await startHubServer({ heartbeat: false, maxBufferedBytes: 512 * 1024, closeTimeout: 50 });
    const connected = server.nextConnection();
    const slow = await rawClient(server.port, '/', false);
    const slowServerSide = await connected;
    const closed = once(slowServerSide, 'close');
    await fillUntil(server.hub, () => server!.hub.stats().slowConsumerCloses > 0);
    await closed; // it never reads its Close frame, so only the terminate can end it
    expect(server.hub.size).toBe(0);
    expect(server.hub.stats()).toMatchObject({ slowConsumerCloses: 1, drops: 0 });
    slow.socket.destroy();
  });

  it("'drop': skips messages for the slow peer while it is over the limit, and counts them", async () => {
    server = await startHubServer({ heartbeat: false, maxBufferedBytes: 512 * 1024, slowConsumerPolicy: 'drop' });
    const connected = server.nextConnection();
    const slow = await rawClient(server.port, '/', false);
    const slowServerSide = await connected;
    await fillUntil(server.hub, () => server!.hub.stats().drops >= 10);
    expect(slowServerSide.bufferedAmount).toBeLessThanOrEqual(512 * 1024);
    expect(server.hub.size).toBe(1);
    // Once it reads again it catches up and receives again.
    slow.socket.resume();
    await until(() => slowServerSide.bufferedAmount === 0);
    const drops = server.hub.stats().drops;
    expect(server.hub.broadcast('back')).toBe(1);
    expect(server.hub.stats().drops).toBe(drops);
    slow.socket.destroy();
  });

  it('a slow reader is still read while the broadcasts its limit allows wait for it', async () => {
    // The read pause (for peers that do not take the replies to their own frames) must not count
    // the broadcasts the hub decided to queue: the peer's messages and its Close must still arrive.
    server = await startHubServer({ heartbeat: false, maxBufferedBytes: 4 * 1024 * 1024, slowConsumerPolicy: 'drop' });
    const connected = server.nextConnection();
    const slow = await rawClient(server.port, '/', false);
    const slowServerSide = await connected;
    const received: string[] = [];
    slowServerSide.on('message', (data) => received.push(data.toString()));
    await fillUntil(server.hub, () => slowServerSide.bufferedAmount > 2 * READ_PAUSE_THRESHOLD);
    slow.socket.write(maskedFrame(0x1, Buffer.from('still here')));
    await until(() => received.length === 1, 5000);
    expect(received).toEqual(['still here']);
    // Replies to its own frames are still bounded, above what the hub allows; outside the hub, as before.
    expect(transportOf(slowServerSide)!.readPauseThreshold).toBe(4 * 1024 * 1024 + READ_PAUSE_THRESHOLD);
    server.hub.remove(slowServerSide);
    expect(transportOf(slowServerSide)!.readPauseThreshold).toBe(READ_PAUSE_THRESHOLD);
    slow.socket.destroy();
  });

  it('an idle socket takes a message larger than the limit; a busy one does not', async () => {
    server = await startHubServer({ heartbeat: false, maxBufferedBytes: 1024, slowConsumerPolicy: 'drop' });
    const connected = server.nextConnection();
    const reader = await rawClient(server.port);
    await connected;
    const big = Buffer.alloc(64 * 1024, 7);
    expect(server.hub.broadcast(big)).toBe(1); // idle: queued although 64 KiB > 1 KiB
    expect(server.hub.broadcast(big)).toBe(0); // the first is still queued (flushed next microtask)
    expect(server.hub.stats().drops).toBe(1);
    await until(() => reader.reader.frames.length === 1);
    expect(reader.reader.frames[0].payload).toEqual(big);
    reader.socket.destroy();
  });
});
