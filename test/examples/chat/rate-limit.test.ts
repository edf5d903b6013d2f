import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../examples/chat/rate-limit.js';

describe('chat TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ rate: 20, burst: 40, now: () => now });
    for (let i = 0; i < 40; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 50; // 20 per second: one token every 50 ms
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 1000;
    for (let i = 0; i < 20; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than the burst, however long it idles', () => {
    let now = 0;
    const bucket = new TokenBucket({ rate: 20, burst: 40, now: () => now });
    now += 3_600_000;
    let taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(40);
  });

  it('sustains exactly the rate under steady load', () => {
    let now = 0;
    const bucket = new TokenBucket({ rate: 20, burst: 40, now: () => now });
    while (bucket.take());
    let accepted = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      now += 10;
      if (bucket.take()) accepted++;
    }
    expect(accepted).toBe(200);
  });
});
