/**
 * A limit on zlib jobs running on libuv's thread pool at once, process-wide (ws's
 * `concurrencyLimit`, default 10). Many zlib contexts working at once fragment memory badly
 * (nodejs/node#8871, websockets/ws#1202), and the pool has only a few threads anyway. Each codec
 * submits at most one job per direction at a time, so a busy connection cannot crowd the queue.
 */

/** A job receives `release`, to be called once when its zlib work is over. */
export type LimitedJob = (release: () => void) => void;

export class ZlibLimiter {
  readonly limit: number;
  #active = 0;
  #peak = 0;
  // A FIFO as an array and a head index: shift() would copy the queue on every start.
  #queue: LimitedJob[] = [];
  #head = 0;
  #starting = false;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Jobs running now. */
  get active(): number {
    return this.#active;
  }

  /** Jobs waiting for a place. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** The most jobs that ever ran at once (for tests and diagnostics). */
  get peak(): number {
    return this.#peak;
  }

  /** Run `job` now if there is room, else when a running job releases its place. */
  run(job: LimitedJob): void {
    this.#queue.push(job);
    this.#startWaiting();
  }

  #startWaiting(): void {
    // A job may release synchronously inside its start; the flag turns that recursion into
    // this loop, so a long queue of such jobs cannot overflow the stack.
    if (this.#starting) return;
    this.#starting = true;
    while (this.#active < this.limit && this.#head < this.#queue.length) {
      const job = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined as unknown as LimitedJob;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#active++;
      if (this.#active > this.#peak) this.#peak = this.#active;
      let released = false;
      job(() => {
        if (released) return;
        released = true;
        this.#active--;
        this.#startWaiting();
      });
    }
    this.#starting = false;
  }
}

const limiters = new Map<number, ZlibLimiter>();

/** The process-wide limiter for this limit (one per distinct `concurrencyLimit` value). */
export function sharedZlibLimiter(limit: number): ZlibLimiter {
  let limiter = limiters.get(limit);
  if (limiter === undefined) {
    limiter = new ZlibLimiter(limit);
    limiters.set(limit, limiter);
  }
  return limiter;
}
