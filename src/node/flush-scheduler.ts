/**
 * One microtask flushes every connection that queued frames outside a read: a broadcast to a
 * thousand sockets schedules one microtask, not a thousand, and each socket still gets one
 * write for everything queued to it in that tick.
 */

/** Something with queued output to write. */
export interface Flushable {
  flush(): void;
}

const queue: Flushable[] = [];
let queued = false;

function flushAll(): void {
  queued = false;
  // A flush can queue another connection (e.g. from a write callback); the loop reaches it too.
  for (let i = 0; i < queue.length; i++) queue[i].flush();
  queue.length = 0;
}

/** Flush `target` in this tick's microtask (the caller makes sure it is queued once). */
export function scheduleFlush(target: Flushable): void {
  queue.push(target);
  if (!queued) {
    queued = true;
    queueMicrotask(flushAll);
  }
}
