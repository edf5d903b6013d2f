/**
 * A frame encoded once for many connections whose bytes are not ready yet: a broadcast still
 * being compressed (RFC 7692 §7.2.1) off the main thread. Each connection it is queued on holds
 * its place in its output until the frame resolves, so messages stay in the order they were
 * sent (RFC 6455 §5.4).
 */
export class PendingFrame {
  /** The encoded frame, once ready. */
  frame: Buffer | null = null;
  /** What the connections waiting for it hold in the meantime (an estimate: the uncompressed size). */
  readonly sizeHint: number;
  #waiters: Array<() => void> | null = [];

  constructor(sizeHint: number) {
    this.sizeHint = sizeHint;
  }

  /** The frame is ready: every waiting connection releases it, in its place. */
  resolve(frame: Buffer): void {
    if (this.frame !== null) return;
    this.frame = frame;
    const waiters = this.#waiters!;
    this.#waiters = null;
    for (const waiter of waiters) waiter();
  }

  /** Call `callback` once the frame is ready (now, if it is). */
  whenReady(callback: () => void): void {
    if (this.#waiters === null) callback();
    else this.#waiters.push(callback);
  }
}
