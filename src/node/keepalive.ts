/**
 * Keepalive: finds peers that are gone without a word. A machine that loses power or its network
 * sends no FIN, and TCP alone may not notice for hours (a half-open connection); meanwhile the
 * connection holds its memory and its file descriptor. So every `interval` each connection is
 * sent a Ping (RFC 6455 §5.5.2: the peer MUST answer with a Pong), and one that shows no sign of
 * life within `timeout` of it is cut.
 *
 * A sign of life is a Pong or a data frame (`Protocol.activity`), never a mere byte: a peer that
 * trickles one byte every few seconds, or sends Pings of its own, but never answers ours, is not
 * reading what we send, and is cut like a dead one.
 *
 * Cost: ONE timer per distinct setting, whatever the number of connections. Each connection is a
 * node in an intrusive list (allocated once, when it joins); a sweep walks the list and allocates
 * nothing per connection. Checks are tied to the ping they follow (by generation), not to clock
 * comparisons per connection, so a late timer never cuts a connection early: one that goes silent
 * is gone at most `interval + timeout` later (plus however late the event loop runs the timer).
 */

export interface KeepaliveOptions {
  /** Milliseconds between pings. */
  interval: number;
  /** Milliseconds after a ping within which the peer must answer (a Pong or a data frame). */
  timeout: number;
}

/**
 * python-websockets pings every 20 s and waits 20 s; `ws` has no keepalive of its own. 30 s keeps
 * a connection busy enough for load balancers whose idle timeout is 60 s (AWS ALB's default), and
 * a dead peer is found within a minute.
 */
export const DEFAULT_KEEPALIVE: Readonly<KeepaliveOptions> = { interval: 30_000, timeout: 30_000 };

/** What a sweep does with the connections it watches. */
export interface KeepaliveHooks<T> {
  /** A number that moves whenever `target` shows a sign of life (a Pong or a data frame). */
  activity(target: T): number;
  /** Send `target` a Ping (if it can still send). */
  ping(target: T): void;
  /** `target` showed no sign of life within `timeout` of a ping: cut it. */
  onSilent(target: T): void;
}

/** One watched connection: a node of its sweep's list. */
export class KeepaliveEntry<T> {
  readonly target: T;
  sweep: KeepaliveSweep<T> | null = null;
  prev: KeepaliveEntry<T> | null = null;
  next: KeepaliveEntry<T> | null = null;
  /** Its activity at the last sweep. */
  seen = 0;
  /** The generation of the first ping it has not answered, or -1 while it is known alive. */
  silentSince = -1;

  constructor(target: T) {
    this.target = target;
  }
}

/** Check positive millisecond settings (a TypeError or RangeError names the bad one). */
export function checkKeepaliveOptions(options: KeepaliveOptions): void {
  for (const name of ['interval', 'timeout'] as const) {
    const value = options[name];
    if (typeof value !== 'number' || !(value > 0) || value > 2 ** 31 - 1) {
      throw new RangeError(`keepalive.${name} must be a number of milliseconds between 1 and 2^31 - 1, not ${String(value)}`);
    }
  }
}

export class KeepaliveSweep<T> {
  readonly interval: number;
  readonly timeout: number;
  private readonly hooks: KeepaliveHooks<T>;
  private head: KeepaliveEntry<T> | null = null;
  private count = 0;
  private timer: NodeJS.Timeout | null = null;
  private generation = 0;
  private nextPingAt = 0;
  /** Pending checks, earliest first: when, and for which ping (more than one only when timeout > interval). */
  private readonly checkAt: number[] = [];
  private readonly checkGeneration: number[] = [];
  /** Reused by every sweep. */
  private readonly silent: Array<KeepaliveEntry<T>> = [];

  constructor(options: KeepaliveOptions, hooks: KeepaliveHooks<T>) {
    checkKeepaliveOptions(options);
    this.interval = options.interval;
    this.timeout = options.timeout;
    this.hooks = hooks;
  }

  /** How many connections are watched. */
  get size(): number {
    return this.count;
  }

  /** Is the sweep's timer running? (It runs only while there is something to watch.) */
  get running(): boolean {
    return this.timer !== null;
  }

  /** Watch `entry` (moving it from another sweep if it is in one). */
  add(entry: KeepaliveEntry<T>): void {
    if (entry.sweep === this) return;
    entry.sweep?.remove(entry);
    entry.sweep = this;
    entry.seen = this.hooks.activity(entry.target);
    entry.silentSince = -1;
    entry.prev = null;
    entry.next = this.head;
    if (this.head !== null) this.head.prev = entry;
    this.head = entry;
    this.count++;
    if (this.timer === null) this.start();
  }

  remove(entry: KeepaliveEntry<T>): void {
    if (entry.sweep !== this) return;
    if (entry.prev !== null) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next !== null) entry.next.prev = entry.prev;
    entry.prev = entry.next = null;
    entry.sweep = null;
    this.count--;
    if (this.count === 0) this.stop();
  }

  /** Stop the timer; `add` starts it again. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.checkAt.length = 0;
    this.checkGeneration.length = 0;
  }

  private start(): void {
    this.nextPingAt = Date.now() + this.interval;
    this.schedule();
  }

  private schedule(): void {
    const due = this.checkAt.length > 0 ? Math.min(this.nextPingAt, this.checkAt[0]) : this.nextPingAt;
    this.timer = setTimeout(this.fire, Math.max(0, due - Date.now()), due);
    // Keepalive alone must not keep a process alive.
    this.timer.unref();
  }

  /** The timer fired for the event due at `due`: run every check and ping due by then. */
  private readonly fire = (due: number): void => {
    this.timer = null;
    let expireUpTo = -1;
    while (this.checkAt.length > 0 && this.checkAt[0] <= due) {
      this.checkAt.shift();
      expireUpTo = this.checkGeneration.shift()!;
    }
    const ping = this.nextPingAt <= due;
    const generation = ping ? ++this.generation : this.generation;
    const hooks = this.hooks;
    for (let entry = this.head; entry !== null; entry = entry.next) {
      const activity = hooks.activity(entry.target);
      if (activity !== entry.seen) {
        entry.seen = activity;
        entry.silentSince = -1;
      } else if (entry.silentSince !== -1 && entry.silentSince <= expireUpTo) {
        this.silent.push(entry);
        continue;
      }
      if (ping) {
        if (entry.silentSince === -1) entry.silentSince = generation;
        hooks.ping(entry.target);
      }
    }
    if (ping) {
      this.checkAt.push(due + this.timeout);
      this.checkGeneration.push(generation);
      this.nextPingAt = due + this.interval;
    }
    // Cut the silent ones after the walk: cutting may run code that changes the list.
    for (let i = 0; i < this.silent.length; i++) {
      const entry = this.silent[i];
      this.remove(entry);
      hooks.onSilent(entry.target);
    }
    this.silent.length = 0;
    if (this.count > 0 && this.timer === null) this.schedule();
  };
}
