// A token bucket per connection: `rate` tokens a second refill a bucket of `burst` tokens, and each
// message takes one. Refilled lazily on take(), so it needs no timer.

export interface TokenBucketOptions {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: the most messages accepted back to back. */
  burst: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor({ rate, burst, now = () => performance.now() }: TokenBucketOptions) {
    this.rate = rate;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
