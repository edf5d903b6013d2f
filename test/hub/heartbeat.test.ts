import { afterEach, describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import { WebSocket as WsClient } from 'ws';
import { Heartbeat } from '../../src/hub/heartbeat.js';
import { rawClient, startHubServer, until, type HubServer } from './helpers.js';

/** A fake socket: its peer answers every ping after `delay` ms, or never when silent. */
class FakeSocket {
  bytesReceived = 0;
  pings = 0;
  silent = false;
  constructor(readonly delay = 1) {}
  ping(): void {
    this.pings++;
    if (!this.silent) setTimeout(() => (this.bytesReceived += 2), this.delay);
  }
}

const hooks = (onSilent: (socket: FakeSocket) => void) => ({
  ping: (socket: FakeSocket) => socket.ping(),
  onSilent,
  bytesReceived: (socket: FakeSocket) => socket.bytesReceived,
});

describe('Heartbeat (one timer, fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('terminates a silent peer at its first unanswered ping + timeout, never earlier', () => {
    vi.useFakeTimers();
    const dead: FakeSocket[] = [];
    const heartbeat = new Heartbeat<FakeSocket>({ interval: 1000, timeout: 300 }, hooks((s) => dead.push(s)));
    const alive = new FakeSocket();
    const silent = new FakeSocket();
    silent.silent = true;
    heartbeat.add(alive);
    heartbeat.add(silent);
    vi.advanceTimersByTime(1000); // first ping
    expect(silent.pings).toBe(1);
    vi.advanceTimersByTime(299);
    expect(dead).toEqual([]);
    vi.advanceTimersByTime(1); // ping + timeout: gone
    expect(dead).toEqual([silent]);
    vi.advanceTimersByTime(10_000);
    expect(dead).toEqual([silent]);
    expect(alive.pings).toBe(11);
    heartbeat.stop();
  });

  it('a peer that goes silent any time is gone within interval + timeout', () => {
    vi.useFakeTimers();
    for (const [interval, timeout] of [
      [1000, 300],
      [1000, 1000],
      [500, 1200], // timeout longer than the interval: checks overlap the next pings
    ]) {
      for (const silentAt of [0, 1, 499, 999, 1000, 1001, 2500]) {
        let goneAt = -1;
        const start = Date.now();
        const heartbeat = new Heartbeat<FakeSocket>({ interval, timeout }, hooks(() => (goneAt = Date.now() - start)));
        const socket = new FakeSocket();
        heartbeat.add(socket);
        vi.advanceTimersByTime(silentAt);
        socket.silent = true;
        // A reply in flight when it went silent still counts as life: allow it to land.
        vi.advanceTimersByTime(interval + timeout + 1);
        expect(goneAt, `interval ${interval} timeout ${timeout} silent at ${silentAt}`).toBeGreaterThan(-1);
        expect(goneAt - silentAt).toBeLessThanOrEqual(interval + timeout + 1);
        heartbeat.stop();
      }
    }
  });

  it('any byte received counts as life, not only pongs', () => {
    vi.useFakeTimers();
    const dead: FakeSocket[] = [];
    const heartbeat = new Heartbeat<FakeSocket>({ interval: 100, timeout: 50 }, hooks((s) => dead.push(s)));
    const talker = new FakeSocket();
    talker.silent = true; // never pongs...
    const chatter = setInterval(() => (talker.bytesReceived += 10), 30); // ...but keeps sending data
    heartbeat.add(talker);
    vi.advanceTimersByTime(2000);
    expect(dead).toEqual([]);
    clearInterval(chatter);
    vi.advanceTimersByTime(200);
    expect(dead).toEqual([talker]);
    heartbeat.stop();
  });

  it('uses one timer whatever the number of sockets', () => {
    vi.useFakeTimers();
    const heartbeat = new Heartbeat<FakeSocket>({ interval: 100, timeout: 50 }, hooks(() => {}));
    for (let i = 0; i < 1000; i++) heartbeat.add(new FakeSocket(1000)); // replies land after many sweeps
    // 1 heartbeat timer; the fake peers' replies are their own timers, created only on pings.
    expect(vi.getTimerCount()).toBe(1);
    heartbeat.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Hub heartbeat over real sockets', () => {
  let server: HubServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('terminates a raw TCP client that completed the handshake and then stopped reading and answering', async () => {
    const interval = 60;
    const timeout = 40;
    server = await startHubServer({ heartbeat: { interval, timeout } });
    const connected = server.nextConnection();
    const client = await rawClient(server.port, '/', false);
    const ws = await connected;
    const start = Date.now();
    expect(server.hub.size).toBe(1);
    await once(ws, 'close');
    const elapsed = Date.now() - start;
    // The client's TCP is cut too: once it reads again it sees the end.
    client.socket.resume();
    await client.closed;
    expect(server.hub.size).toBe(0);
    expect(server.hub.stats().heartbeatTerminations).toBe(1);
    // interval + timeout is the bound; the slack only absorbs a busy test machine's timer lateness.
    expect(elapsed).toBeLessThan(interval + timeout + 1000);
  });

  it('keeps clients that answer pings, and counts no terminations', async () => {
    server = await startHubServer({ heartbeat: { interval: 20, timeout: 2000 } }); // generous: a busy machine may answer late
    const connected = server.nextConnection();
    const client = new WsClient(server.url);
    await once(client, 'open');
    const ws = await connected;
    let pings = 0;
    client.on('ping', () => pings++);
    await until(() => pings >= 5);
    expect(server.hub.size).toBe(1);
    expect(server.hub.get(server.hub.idOf(ws)!)).toBe(ws);
    expect(server.hub.stats().heartbeatTerminations).toBe(0);
    client.close();
    await once(client, 'close');
  });

  it('never pings a socket that is closing (its error listeners hear nothing from the hub)', async () => {
    server = await startHubServer({ heartbeat: { interval: 10, timeout: 1000 } });
    const connected = server.nextConnection();
    const client = await rawClient(server.port, '/', false);
    const ws = await connected;
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    let sweeps = 0;
    const ping = ws.ping.bind(ws);
    ws.ping = (...args: Parameters<typeof ws.ping>) => {
      sweeps++;
      ping(...args);
    };
    await until(() => sweeps >= 2);
    ws.close(); // the peer never answers: the socket stays CLOSING
    const before = sweeps;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sweeps).toBe(before);
    expect(errors).toEqual([]);
    client.socket.destroy();
  });
});
