/**
 * Limits on messages still arriving (RFC 6455 §10.4: "implementations SHOULD impose limits on
 * resources"), which need what the protocol core does not have: state shared by every connection
 * of the process, and a clock.
 *
 * - `messageMemory`: one budget for the bytes every connection holds for messages not yet
 *   complete. `maxPayload` bounds one message; without a shared bound, four peers that each send
 *   half of a 60 MiB frame and go silent hold 120 MiB for as long as they like. The connection
 *   whose bytes take the total past the limit is failed with 1009.
 * - A deadline for each message once it has started: one that is not complete `messageTimeout`
 *   ms after its first frame arrived fails its connection with 1008, and lets go of its bytes.
 *
 * The protocol object reports the bytes it holds (`Protocol.heldBytes`, O(1)) and whether a
 * message is in progress; the connection's guard (connection-guard.ts) reads them after each
 * read. Deadlines cost ONE timer per distinct `messageTimeout`, and only connections with a
 * message spanning reads are in its list.
 */

/**
 * The process-wide budget for bytes held by unfinished messages. Default 256 MiB: four messages
 * at the default `maxPayload` (64 MiB). `ws` and python-websockets have no such budget.
 */
export const DEFAULT_MESSAGE_MEMORY_LIMIT = 256 * 1024 * 1024;

/**
 * A message must be complete within 60 s of its first frame. `ws` and python-websockets have no
 * such deadline. A server that takes large messages over slow links raises it (64 MiB in 60 s
 * needs about 9 Mbit/s).
 */
export const DEFAULT_MESSAGE_TIMEOUT = 60_000;

/** The shared budget. One instance per process: `messageMemory`. */
export class MessageMemory {
  /** Bytes all connections may hold for unfinished messages together; beyond it, 1009. */
  limit = DEFAULT_MESSAGE_MEMORY_LIMIT;
  #used = 0;
  #peak = 0;
  #refusals = 0;

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** The most ever held at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Connections failed with 1009 because the budget was spent. */
  get refusals(): number {
    return this.#refusals;
  }

  /**
   * A connection now holds `delta` more (or fewer) bytes. Returns false when an increase takes
   * the total past the limit: the caller fails that connection (and calls this again to release).
   */
  adjust(delta: number): boolean {
    const used = (this.#used += delta);
    if (used > this.#peak) this.#peak = used;
    if (delta <= 0 || used <= this.limit) return true;
    this.#refusals++;
    return false;
  }
}

/** The budget every connection of this process shares (`import { messageMemory } from 'wsmith'`). */
export const messageMemory = new MessageMemory();

/** One connection with a message in progress: a node in its sweep's list. */
export class DeadlineEntry<T> {
  readonly target: T;
  sweep: DeadlineSweep<T> | null = null;
  prev: DeadlineEntry<T> | null = null;
  next: DeadlineEntry<T> | null = null;
  /** When the message started (Date.now()), and which one (`Protocol.messagesStarted`). */
  startedAt = 0;
  message = 0;

  constructor(target: T) {
    this.target = target;
  }
}

/** Watches the messages in progress for one `messageTimeout`. */
export class DeadlineSweep<T> {
  readonly timeout: number;
  private readonly onExpired: (target: T) => void;
  private head: DeadlineEntry<T> | null = null;
  private count = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly expired: Array<DeadlineEntry<T>> = [];

  constructor(timeout: number, onExpired: (target: T) => void) {
    this.timeout = timeout;
    this.onExpired = onExpired;
  }

  /** Message number `message` of `entry` started at `startedAt`. */
  watch(entry: DeadlineEntry<T>, message: number, startedAt: number): void {
    entry.message = message;
    entry.startedAt = startedAt;
    if (entry.sweep === this) return;
    entry.sweep?.remove(entry);
    entry.sweep = this;
    entry.prev = null;
    entry.next = this.head;
    if (this.head !== null) this.head.prev = entry;
    this.head = entry;
    this.count++;
    // Checked four times per timeout: a message fails between 1 and 1.25 timeouts after it began.
    this.timer ??= setInterval(this.sweep, Math.max(1, Math.ceil(this.timeout / 4))).unref();
  }

  remove(entry: DeadlineEntry<T>): void {
    if (entry.sweep !== this) return;
    if (entry.prev !== null) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next !== null) entry.next.prev = entry.prev;
    entry.prev = entry.next = null;
    entry.sweep = null;
    if (--this.count === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    for (let entry = this.head; entry !== null; entry = entry.next) {
      if (now - entry.startedAt >= this.timeout) this.expired.push(entry);
    }
    for (let i = 0; i < this.expired.length; i++) {
      const entry = this.expired[i];
      this.remove(entry);
      this.onExpired(entry.target);
    }
    this.expired.length = 0;
  };
}
