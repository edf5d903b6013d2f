// Waiting in tests for something asynchronous to have happened: poll, never a fixed sleep.

/** Poll `condition` every few milliseconds until it holds; fail, naming `what`, after `limitMs`. */
export async function until(condition: () => boolean, limitMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`${what} not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
