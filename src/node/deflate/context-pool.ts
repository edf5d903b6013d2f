/**
 * Idle zlib contexts shared by every connection that uses no context takeover (RFC 7692
 * §7.1.1): a message borrows one, it is reset, and the next message (of any connection) uses
 * it. A connection then keeps no zlib state between messages. Contexts in use never outnumber
 * the jobs the limiter lets run, and at most `maxIdle` wait here per kind of context.
 */
import { ZlibContext } from './zlib-context.js';

export class ContextPool {
  readonly #create: () => ZlibContext;
  readonly #maxIdle: number;
  readonly #idle: ZlibContext[] = [];

  constructor(create: () => ZlibContext, maxIdle: number) {
    this.#create = create;
    this.#maxIdle = maxIdle;
  }

  acquire(): ZlibContext {
    for (let context = this.#idle.pop(); context !== undefined; context = this.#idle.pop()) {
      if (!context.dead) return context;
      context.close(); // failed while idle
    }
    return this.#create();
  }

  /** Give a context back after its message: reset it for the next one, or close it. */
  release(context: ZlibContext): void {
    if (context.dead || this.#idle.length >= this.#maxIdle) {
      context.close();
      return;
    }
    context.reset();
    this.#idle.push(context);
  }

  /** Close every idle context (they are made again on demand). */
  drain(): void {
    for (const context of this.#idle.splice(0)) context.close();
  }
}
