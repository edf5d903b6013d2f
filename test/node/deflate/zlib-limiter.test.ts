import { describe, expect, it } from 'vitest';
import { sharedZlibLimiter, ZlibLimiter } from '../../../src/node/deflate/zlib-limiter.js';

describe('ZlibLimiter', () => {
  it('runs up to its limit at once and starts the others in order as places free up', () => {
    const limiter = new ZlibLimiter(2);
    const started: number[] = [];
    const releases: Array<() => void> = [];
    for (let i = 0; i < 5; i++) {
      limiter.run((release) => {
        started.push(i);
        releases.push(release);
      });
    }
    expect(started).toEqual([0, 1]);
    expect([limiter.active, limiter.waiting]).toEqual([2, 3]);
    releases[1]();
    expect(started).toEqual([0, 1, 2]);
    releases[0]();
    releases[0](); // a second release of the same job changes nothing
    expect(started).toEqual([0, 1, 2, 3]);
    expect([limiter.active, limiter.waiting]).toEqual([2, 1]);
    for (const release of releases.slice(2)) release();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    releases[4]();
    expect([limiter.active, limiter.waiting, limiter.peak]).toEqual([0, 0, 2]);
  });

  it('handles jobs that release at once without deep recursion, however many are queued', () => {
    const limiter = new ZlibLimiter(1);
    let blocker: (() => void) | null = null;
    limiter.run((release) => (blocker = release));
    let ran = 0;
    for (let i = 0; i < 200_000; i++) {
      limiter.run((release) => {
        ran++;
        release();
      });
    }
    expect(ran).toBe(0);
    blocker!();
    expect(ran).toBe(200_000);
    expect(limiter.active).toBe(0);
  });

  it('is shared process-wide per limit value', () => {
    expect(sharedZlibLimiter(11)).toBe(sharedZlibLimiter(11));
    expect(sharedZlibLimiter(12)).not.toBe(sharedZlibLimiter(11));
    expect(sharedZlibLimiter(Infinity).limit).toBe(Infinity);
  });
});
