// The keepalive sweep on a fake clock: when it pings, when it cuts, what counts as a sign of life,
// and that it costs one timer however many connections it watches.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeepaliveEntry, KeepaliveSweep, checkKeepaliveOptions } from '../../src/node/keepalive.js';
import { resolveGuardOptions } from '../../src/node/connection-guard.js';

/** A fake connection: its peer answers every ping (a Pong: activity moves) after `delay` ms, or never. */
class FakePeer {
  activity = 0;
  bytes = 0;
  pings = 0;
  answers = true;
  readonly entry = new KeepaliveEntry<FakePeer>(this);
  constructor(readonly delay = 1) {}
  ping(): void {
    this.pings++;
    if (this.answers) setTimeout(() => this.activity++, this.delay);
  }
}

function sweep(interval: number, timeout: number, cut: (peer: FakePeer) => void): KeepaliveSweep<FakePeer> {
  return new KeepaliveSweep<FakePeer>(
    { interval, timeout },
    { activity: (peer) => peer.activity, ping: (peer) => peer.ping(), onSilent: cut },
  );
}

describe('KeepaliveSweep (one timer, fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('cuts a silent peer at its first unanswered ping + timeout, never earlier', () => {
    vi.useFakeTimers();
    const cut: FakePeer[] = [];
    const keepalive = sweep(1000, 300, (peer) => cut.push(peer));
    const alive = new FakePeer();
    const silent = new FakePeer();
    silent.answers = false;
    keepalive.add(alive.entry);
    keepalive.add(silent.entry);
    vi.advanceTimersByTime(1000); // first ping
    expect(silent.pings).toBe(1);
    vi.advanceTimersByTime(299);
    expect(cut).toEqual([]);
    vi.advanceTimersByTime(1); // ping + timeout: gone
    expect(cut).toEqual([silent]);
    expect(keepalive.size).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(cut).toEqual([silent]);
    expect(alive.pings).toBe(11);
    keepalive.remove(alive.entry);
    expect(keepalive.running).toBe(false);
  });

  it('a peer that goes silent at any time is gone within interval + timeout', () => {
    vi.useFakeTimers();
    for (const [interval, timeout] of [
      [1000, 300],
      [1000, 1000],
      [500, 1200], // timeout longer than the interval: checks overlap the next pings
    ]) {
      for (const silentAt of [0, 1, 499, 999, 1000, 1001, 2500]) {
        let goneAt = -1;
        const start = Date.now();
        const keepalive = sweep(interval, timeout, () => (goneAt = Date.now() - start));
        const peer = new FakePeer();
        keepalive.add(peer.entry);
        vi.advanceTimersByTime(silentAt);
        peer.answers = false;
        // An answer in flight when it went silent still counts: allow it to land.
        vi.advanceTimersByTime(interval + timeout + 1);
        expect(goneAt, `interval ${interval} timeout ${timeout} silent at ${silentAt}`).toBeGreaterThan(-1);
        expect(goneAt - silentAt).toBeLessThanOrEqual(interval + timeout + 1);
        expect(keepalive.running).toBe(false);
      }
    }
  });

  it('bytes are not a sign of life: a peer that trickles bytes but never answers is cut', () => {
    vi.useFakeTimers();
    const cut: FakePeer[] = [];
    const keepalive = sweep(100, 50, (peer) => cut.push(peer));
    const trickler = new FakePeer();
    trickler.answers = false;
    // One byte every 5 ms (what a slowloris peer, or Pings of its own, look like): activity never moves.
    const trickle = setInterval(() => trickler.bytes++, 5);
    keepalive.add(trickler.entry);
    vi.advanceTimersByTime(151);
    expect(cut).toEqual([trickler]);
    expect(trickler.bytes).toBeGreaterThan(25);
    clearInterval(trickle);
  });

  it('a data frame is a sign of life: a peer that sends messages but no Pongs is kept', () => {
    vi.useFakeTimers();
    const cut: FakePeer[] = [];
    const keepalive = sweep(100, 50, (peer) => cut.push(peer));
    const talker = new FakePeer();
    talker.answers = false;
    const talk = setInterval(() => talker.activity++, 30); // a message every 30 ms
    keepalive.add(talker.entry);
    vi.advanceTimersByTime(2000);
    expect(cut).toEqual([]);
    clearInterval(talk);
    vi.advanceTimersByTime(200);
    expect(cut).toEqual([talker]);
  });

  it('uses one timer whatever the number of connections, and none once they are gone', () => {
    vi.useFakeTimers();
    const keepalive = sweep(100, 50, () => {});
    const peers = Array.from({ length: 1000 }, () => new FakePeer(1000)); // answers land after many sweeps
    for (const peer of peers) keepalive.add(peer.entry);
    // 1 sweep timer; the fake peers' answers are their own timers, made only on pings.
    expect(vi.getTimerCount()).toBe(1);
    for (const peer of peers) keepalive.remove(peer.entry);
    expect(keepalive.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('moves an entry between sweeps (a Hub setting its own keepalive) without double counting', () => {
    vi.useFakeTimers();
    const a = sweep(100, 50, () => {});
    const b = sweep(1000, 500, () => {});
    const peer = new FakePeer();
    a.add(peer.entry);
    b.add(peer.entry);
    expect([a.size, b.size, a.running, b.running]).toEqual([0, 1, false, true]);
    b.add(peer.entry);
    expect(b.size).toBe(1);
    b.remove(peer.entry);
    b.remove(peer.entry);
    expect(b.size).toBe(0);
  });

  it('refuses settings that are not positive numbers of milliseconds', () => {
    for (const bad of [0, -1, NaN, Infinity, 2 ** 31, '10' as unknown as number]) {
      expect(() => checkKeepaliveOptions({ interval: bad, timeout: 10 })).toThrow(RangeError);
      expect(() => checkKeepaliveOptions({ interval: 10, timeout: bad })).toThrow(RangeError);
    }
    expect(() => resolveGuardOptions({ keepalive: { interval: -5 } })).toThrow(/keepalive.interval/);
    expect(() => resolveGuardOptions({ messageTimeout: 0 })).toThrow(/messageTimeout/);
    expect(resolveGuardOptions({})).toEqual({ keepalive: { interval: 30_000, timeout: 30_000 }, messageTimeout: 60_000 });
    expect(resolveGuardOptions({ keepalive: false, messageTimeout: false })).toEqual({ keepalive: null, messageTimeout: null });
    expect(resolveGuardOptions({ keepalive: { timeout: 5 } }).keepalive).toEqual({ interval: 30_000, timeout: 5 });
  });
});
