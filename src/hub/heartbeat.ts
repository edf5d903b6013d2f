/**
 * The heartbeat: ONE timer for the whole hub, whatever the number of sockets.
 *
 * Every `interval` a sweep pings every socket; `timeout` after that ping a sweep terminates the
 * sockets that have sent nothing since — no pong, no data, not a byte. This is how half-open TCP
 * connections (a peer that vanished without a FIN) are found: TCP alone may not notice for hours.
 *
 * Liveness is "the socket's byte count moved", read once per sweep, so the read path pays nothing.
 * Checks are tied to the ping they follow (by generation), not to wall-clock comparisons, so a
 * late timer never terminates a socket early: a socket that goes silent is gone at most
 * `interval + timeout` later (plus however late the event loop runs the timer).
 */

export interface HeartbeatOptions {
  /** Milliseconds between pings. Default 30 s. */
  interval: number;
  /** Milliseconds after a ping within which the peer must have sent something. Default 10 s. */
  timeout: number;
}

export interface HeartbeatHooks<T> {
  /** How many bytes the peer of `target` has sent so far. */
  bytesReceived(target: T): number;
  /** Send a ping to `target` (the owner decides whether the socket can still send). */
  ping(target: T): void;
  /** `target` sent nothing within `timeout` of a ping: the owner terminates it. */
  onSilent(target: T): void;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { interval: 30_000, timeout: 10_000 };

/** Per socket: its byte count at the last sweep, and since which ping it has been silent. */
interface Watch {
  lastBytes: number;
  /** The generation of the first ping it has not answered, or -1 while it is known alive. */
  silentSince: number;
}

interface PendingCheck {
  at: number;
  generation: number;
}

export class Heartbeat<T> {
  private readonly watched = new Map<T, Watch>();
  private readonly interval: number;
  private readonly timeout: number;
  private readonly hooks: HeartbeatHooks<T>;
  private timer: NodeJS.Timeout | null = null;
  private generation = 0;
  private nextPingAt = 0;
  /** Pending checks, earliest first (more than one only when timeout > interval). */
  private checks: PendingCheck[] = [];
  private readonly dead: T[] = [];

  constructor(options: HeartbeatOptions, hooks: HeartbeatHooks<T>) {
    if (!(options.interval > 0) || !(options.timeout > 0)) {
      throw new RangeError('heartbeat interval and timeout must be positive numbers of milliseconds');
    }
    this.interval = options.interval;
    this.timeout = options.timeout;
    this.hooks = hooks;
  }

  get size(): number {
    return this.watched.size;
  }

  add(target: T): void {
    this.watched.set(target, { lastBytes: this.hooks.bytesReceived(target), silentSince: -1 });
    if (this.timer === null) this.start();
  }

  delete(target: T): void {
    this.watched.delete(target);
  }

  /** Stop the timer (the hub is closing). `add` starts it again. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.checks = [];
  }

  private start(): void {
    this.nextPingAt = Date.now() + this.interval;
    this.schedule();
  }

  private schedule(): void {
    const due = this.checks.length > 0 ? Math.min(this.nextPingAt, this.checks[0].at) : this.nextPingAt;
    this.timer = setTimeout(this.fire, Math.max(0, due - Date.now()), due);
    // The heartbeat alone must not keep a process alive.
    this.timer.unref();
  }

  /** The timer fired for the event due at `due`: run every check and ping due by then. */
  private readonly fire = (due: number): void => {
    this.timer = null;
    let expireUpTo = -1;
    while (this.checks.length > 0 && this.checks[0].at <= due) expireUpTo = this.checks.shift()!.generation;
    const ping = this.nextPingAt <= due;
    const generation = ping ? ++this.generation : this.generation;
    for (const [target, watch] of this.watched) {
      const bytes = this.hooks.bytesReceived(target);
      if (bytes !== watch.lastBytes) {
        watch.lastBytes = bytes;
        watch.silentSince = -1;
      } else if (watch.silentSince !== -1 && watch.silentSince <= expireUpTo) {
        this.dead.push(target);
        continue;
      }
      if (ping) {
        if (watch.silentSince === -1) watch.silentSince = generation;
        this.hooks.ping(target);
      }
    }
    if (ping) {
      this.checks.push({ at: due + this.timeout, generation });
      this.nextPingAt = due + this.interval;
    }
    for (const target of this.dead) {
      this.watched.delete(target);
      this.hooks.onSilent(target);
    }
    this.dead.length = 0;
    if (this.watched.size > 0 || this.checks.length > 0) this.schedule();
  };
}
