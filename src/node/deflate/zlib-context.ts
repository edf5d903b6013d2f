/**
 * One zlib stream (raw DEFLATE or INFLATE) that takes one message at a time through libuv's
 * thread pool: write the input (and, inflating, the 00 00 ff ff tail of RFC 7692 §7.2.2), flush
 * with Z_SYNC_FLUSH, collect the output. Public node:zlib stream API only.
 *
 * The output is counted as it arrives: past `limit` bytes the stream is closed at once, so an
 * inflation bomb stops within one output chunk of the limit. A context that failed, was closed
 * or reached the end of its DEFLATE stream (a block with BFINAL set) is `dead` and must not be
 * reused. Listeners are attached once, for the stream's life, not per message.
 */
import * as zlib from 'node:zlib';

const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;

/** How a message through a context ended. */
export type ContextOutcome =
  | { kind: 'done'; output: Buffer[]; length: number }
  | { kind: 'too-big'; produced: number }
  | { kind: 'error'; error: Error };

export type ContextCallback = (outcome: ContextOutcome) => void;

let openContexts = 0;

/** How many zlib streams the deflate engine holds open now (pooled and per connection). */
export function openZlibContexts(): number {
  return openContexts;
}

export class ZlibContext {
  readonly stream: zlib.DeflateRaw | zlib.InflateRaw;
  #output: Buffer[] = [];
  #length = 0;
  #limit = Infinity;
  #callback: ContextCallback | null = null;
  #dead = false;
  #closed = false;

  constructor(stream: zlib.DeflateRaw | zlib.InflateRaw) {
    this.stream = stream;
    openContexts++;
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    // zlib closes its handle itself after an error.
    stream.on('error', (error: Error) => {
      this.#dead = true;
      this.#finish({ kind: 'error', error });
    });
    stream.on('end', () => {
      this.#dead = true; // §7.2.3.4: a BFINAL block ended this DEFLATE stream
    });
    stream.on('close', () => {
      this.#dead = true;
      if (!this.#closed) {
        this.#closed = true;
        openContexts--;
      }
      this.#finish({ kind: 'error', error: new Error('The zlib stream was closed while it was working') });
    });
  }

  /** Not to be used again: it failed, was closed or reached the end of its DEFLATE stream. */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Take one message: write `input` (then `tail`, when given), flush, and call `callback` once
   * with the output, or with 'too-big' as soon as the output passes `limit` bytes.
   */
  process(input: Buffer, tail: Buffer | null, limit: number, callback: ContextCallback): void {
    if (this.#dead || this.#callback !== null) {
      // Never synchronously: the caller counts on a later callback.
      const error = new Error('The zlib context is not available');
      queueMicrotask(() => callback({ kind: 'error', error }));
      return;
    }
    this.#callback = callback;
    this.#limit = limit;
    this.stream.write(input);
    if (tail !== null) this.stream.write(tail);
    this.stream.flush(SYNC_FLUSH, (error?: Error | null) => {
      // Finished already when too big, failed or closed.
      if (error) this.#finish({ kind: 'error', error });
      else this.#finish({ kind: 'done', output: this.#output, length: this.#length });
    });
  }

  /** Forget the LZ77 window (between messages without context takeover, §7.1.1). */
  reset(): void {
    if (!this.#dead) this.stream.reset();
  }

  /** Free the zlib state; a message going through ends with an error. Closing twice is harmless. */
  close(): void {
    this.#dead = true;
    if (!this.stream.destroyed) this.stream.close();
  }

  #onData(chunk: Buffer): void {
    if (this.#callback === null) return;
    this.#length += chunk.length;
    if (this.#length > this.#limit) {
      // Stop inflating now: closing frees the handle; zlib does no more work for this message.
      // Closed before the callback runs, so that nobody reuses it.
      const produced = this.#length;
      const callback = this.#take()!;
      this.close();
      callback({ kind: 'too-big', produced });
      return;
    }
    this.#output.push(chunk);
  }

  #finish(outcome: ContextOutcome): void {
    this.#take()?.(outcome);
  }

  /** End the current message: its callback (null if none), and empty output for the next. */
  #take(): ContextCallback | null {
    const callback = this.#callback;
    this.#callback = null;
    this.#output = [];
    this.#length = 0;
    return callback;
  }
}
