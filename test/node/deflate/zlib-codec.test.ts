import fc from 'fast-check';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  createMessageCodec,
  drainZlibPools,
  SYNC_COMPRESS_MAX_INPUT,
  SYNC_INFLATE_MAX_INPUT,
  SYNC_INFLATE_MAX_OUTPUT,
} from '../../../src/node/deflate/zlib-codec.js';
import { openZlibContexts } from '../../../src/node/deflate/zlib-context.js';
import { sharedZlibLimiter } from '../../../src/node/deflate/zlib-limiter.js';
import {
  normalizePerMessageDeflate,
  type DeflateRole,
  type PerMessageDeflateOptions,
} from '../../../src/protocol/extensions/deflate-options.js';
import type { InflateResult, MessageCodec } from '../../../src/protocol/extensions/message-codec.js';
import type { DeflateParams } from '../../../src/protocol/extensions/permessage-deflate.js';

const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

function params(p: Partial<DeflateParams> = {}): DeflateParams {
  return { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15, ...p };
}
function codec(p: DeflateParams, role: DeflateRole, options: PerMessageDeflateOptions = {}): MessageCodec {
  return createMessageCodec(p, role, normalizePerMessageDeflate(options, role)!);
}
const TAKEOVER = params({ serverNoContextTakeover: false, clientNoContextTakeover: false });

interface Outcome<T> {
  value: T;
  sync: boolean;
}
function compress(c: MessageCodec, data: Buffer): Promise<Outcome<Buffer>> {
  return new Promise((resolve, reject) => {
    let called = false;
    const sync = c.compress(data, (error, compressed) => {
      if (called) reject(new Error('done called twice'));
      called = true;
      if (error !== null) reject(error);
      else queueMicrotask(() => resolve({ value: compressed, sync }));
    });
    if (sync !== called) reject(new Error(`compress returned ${sync} but done ${called ? 'was' : 'was not'} called`));
  });
}
function inflate(c: MessageCodec, data: Buffer, maxBytes = 64 << 20): Promise<Outcome<InflateResult>> {
  return new Promise((resolve, reject) => {
    let called = false;
    const sync = c.decompress(data, maxBytes, (result) => {
      if (called) reject(new Error('done called twice'));
      called = true;
      queueMicrotask(() => resolve({ value: result, sync }));
    });
    if (sync !== called) reject(new Error(`decompress returned ${sync} but done ${called ? 'was' : 'was not'} called`));
  });
}
async function inflated(c: MessageCodec, data: Buffer, maxBytes?: number): Promise<Buffer> {
  const { value } = await inflate(c, data, maxBytes);
  if (!value.ok) throw new Error(`${value.reason}: ${value.message}`);
  return value.data;
}

/** Text with repeats at every distance up to 32 KiB, so that the window size matters. */
function sample(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const distance = [300, 700, 3000, 9000, 20000][x % 5];
    out[i] = i >= distance && x % 7 < 5 ? out[i - distance] : 0x61 + (x >> 16) % 26;
  }
  return out;
}

/** node:zlib's own raw inflater/deflater, one message at a time (a stream: context carries over). */
function nodeStream(stream: zlib.InflateRaw | zlib.DeflateRaw, input: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    stream.on('data', onData);
    stream.once('error', reject);
    for (const part of input) stream.write(part);
    stream.flush(SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', reject);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Buffer.equals: vitest's deep equality walks a large Buffer element by element, far slower. */
function expectSame(actual: Buffer, expected: Buffer, label?: string): void {
  expect(actual.length, label).toBe(expected.length);
  expect(actual.equals(expected), label).toBe(true);
}

async function settle(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('RFC 7692 §7.2.3 examples', () => {
  it('compresses "Hello" to the §7.2.3.1 bytes, and the second one to §7.2.3.2 with context takeover', async () => {
    const hello = Buffer.from('Hello');
    expect([...(await compress(codec(params(), 'server'), hello)).value]).toEqual([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    const sharing = codec(TAKEOVER, 'server');
    expect([...(await compress(sharing, hello)).value]).toEqual([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    expect([...(await compress(sharing, hello)).value]).toEqual([0xf2, 0x00, 0x11, 0x00, 0x00]);
    sharing.dispose();
  });

  it('inflates every example payload to "Hello"', async () => {
    const vectors = {
      '7.2.3.1 one compressed block': [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
      '7.2.3.3 a stored block': [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00],
      '7.2.3.4 BFINAL set': [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
      '7.2.3.5 two blocks': [0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00],
    };
    for (const mode of [params(), TAKEOVER]) {
      const receiver = codec(mode, 'client');
      for (const [name, bytes] of Object.entries(vectors)) {
        expect((await inflated(receiver, Buffer.from(bytes))).toString(), name).toBe('Hello');
      }
      receiver.dispose();
    }
  });

  it('inflates the §7.2.3.2 pair with one context, and an empty message from 0x00', async () => {
    const receiver = codec(TAKEOVER, 'client');
    expect((await inflated(receiver, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]))).toString()).toBe('Hello');
    expect((await inflated(receiver, Buffer.from([0xf2, 0x00, 0x11, 0x00, 0x00]))).toString()).toBe('Hello');
    expect((await inflated(receiver, Buffer.from([0x00]))).length).toBe(0);
    receiver.dispose();
    expect((await compress(codec(params(), 'server'), Buffer.alloc(0))).value).toEqual(Buffer.from([0x00]));
  });
});

describe('round trips', () => {
  const sizes = [0, 1, 200, SYNC_COMPRESS_MAX_INPUT, SYNC_COMPRESS_MAX_INPUT + 1, 40_000, 300_000];

  it('every window from 9 to 15, each direction with and without context takeover', async () => {
    const messages = sizes.map((size, i) => sample(size, i + 1));
    for (const serverNoContextTakeover of [true, false]) {
      for (const clientNoContextTakeover of [true, false]) {
        for (let bits = 9; bits <= 15; bits++) {
          const agreed = params({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits: bits, clientMaxWindowBits: 24 - bits });
          const server = codec(agreed, 'server');
          const client = codec(agreed, 'client');
          for (const message of messages) {
            const label = `${JSON.stringify(agreed)} ${message.length}`;
            expectSame(await inflated(client, (await compress(server, message)).value), message, label);
            expectSame(await inflated(server, (await compress(client, message)).value), message, label);
          }
          server.dispose();
          client.dispose();
        }
      }
    }
  });

  it('what we compress, node:zlib inflates with the same window, and the other way round', async () => {
    for (const takeover of [false, true]) {
      for (let bits = 9; bits <= 15; bits++) {
        const agreed = params({ serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover, serverMaxWindowBits: bits, clientMaxWindowBits: bits });
        const ours = codec(agreed, 'server');
        const theirInflater = zlib.createInflateRaw({ windowBits: bits });
        const theirDeflater = zlib.createDeflateRaw({ windowBits: bits });
        for (const [i, size] of sizes.entries()) {
          const message = sample(size, 100 + i);
          const compressed = (await compress(ours, message)).value;
          if (!takeover) theirInflater.reset();
          expectSame(await nodeStream(theirInflater, [compressed, TAIL]), message, `${bits} ${size}`);
          if (!takeover) theirDeflater.reset();
          const theirs = await nodeStream(theirDeflater, [message]);
          expect([...theirs.subarray(-4)]).toEqual([...TAIL]);
          expectSame(await inflated(ours, theirs.subarray(0, -4)), message, `${bits} ${size}`);
        }
        ours.dispose();
        theirInflater.close();
        theirDeflater.close();
      }
    }
  });

  it('honours level and memLevel: level 0 stores, level 9 compresses at least as well as level 1', async () => {
    const message = sample(3000);
    const stored = (await compress(codec(params(), 'server', { level: 0 }), message)).value;
    expect(stored.length).toBeGreaterThan(message.length);
    const fast = (await compress(codec(params(), 'server', { level: 1, memLevel: 1 }), message)).value;
    const best = (await compress(codec(params(), 'server', { zlibDeflateOptions: { level: 9, memLevel: 9 } }), message)).value;
    expect(best.length).toBeLessThanOrEqual(fast.length);
    for (const compressed of [stored, fast, best]) expectSame(await inflated(codec(params(), 'client'), compressed), message);
  });

  it('a BFINAL message ends the peer stream: the next message starts a fresh context, the ended one is closed (§7.2.3.4)', async () => {
    const before = openZlibContexts();
    const receiver = codec(TAKEOVER, 'client');
    expect((await inflated(receiver, Buffer.from([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]))).toString()).toBe('Hello');
    expect((await inflated(receiver, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]))).toString()).toBe('Hello');
    // A large BFINAL message takes the pool's path without takeover; its ended context is not reused.
    const large = sample(100_000);
    const finished = zlib.deflateRawSync(large, { level: 0 }); // Z_FINISH: the last block has BFINAL set
    const pooled = codec(params(), 'client');
    for (let i = 0; i < 2; i++) expectSame(await inflated(pooled, finished), large);
    receiver.dispose();
    await settle(() => openZlibContexts() <= before + 1);
    expect(openZlibContexts()).toBeLessThanOrEqual(before + 1); // at most one idle pooled inflater
  });
});

describe('sync and async paths', () => {
  it('small messages finish synchronously without context takeover; large ones and takeover go to the pool', async () => {
    const c = codec(params(), 'server');
    const small = sample(1000);
    const large = sample(SYNC_COMPRESS_MAX_INPUT * 4);
    const smallCompressed = await compress(c, small);
    const largeCompressed = await compress(c, large);
    expect(smallCompressed.sync).toBe(true);
    expect(largeCompressed.sync).toBe(false);
    expect((await inflate(c, smallCompressed.value)).sync).toBe(true);
    const bigInput = zlib.deflateRawSync(sample(200_000), { finishFlush: SYNC_FLUSH, level: 0 }).subarray(0, -4);
    expect(bigInput.length).toBeGreaterThan(SYNC_INFLATE_MAX_INPUT);
    expect((await inflate(c, bigInput)).sync).toBe(false);
    const t = codec(TAKEOVER, 'server');
    expect((await compress(t, small)).sync).toBe(false);
    expect((await inflate(t, smallCompressed.value)).sync).toBe(false);
    t.dispose();
  });

  it('a small input that inflates past the synchronous cap is inflated again in the pool, whole', async () => {
    const message = Buffer.alloc(SYNC_INFLATE_MAX_OUTPUT * 3, 'abc');
    const compressed = (await compress(codec(params(), 'client'), message)).value;
    expect(compressed.length).toBeLessThanOrEqual(SYNC_INFLATE_MAX_INPUT);
    const result = await inflate(codec(params(), 'server'), compressed);
    expect(result.sync).toBe(false);
    expect(result.value.ok && result.value.data.equals(message)).toBe(true);
  });

  it('keeps messages in order when small (sync) ones queue behind a large (async) one', async () => {
    const c = codec(params(), 'server');
    const messages = [sample(50_000, 1), sample(10, 2), sample(100_000, 3), sample(20, 4), sample(30, 5)];
    const order: number[] = [];
    const results = await Promise.all(
      messages.map(
        (message, i) =>
          new Promise<Buffer>((resolve) =>
            c.compress(message, (_error, compressed) => {
              order.push(i);
              resolve(compressed);
            }),
          ),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    const receiver = codec(params(), 'client');
    for (const [i, compressed] of results.entries()) expectSame(await inflated(receiver, compressed), messages[i]);
  });

  it('with context takeover, messages queued at once are compressed in order on one context', async () => {
    const sender = codec(TAKEOVER, 'client');
    const receiver = codec(TAKEOVER, 'server');
    const messages = Array.from({ length: 6 }, (_, i) => sample(3000, i % 3));
    const compressed = await Promise.all(messages.map((m) => compress(sender, m)));
    for (const [i, { value }] of compressed.entries()) expectSame(await inflated(receiver, value), messages[i]);
    // Shared window: a message sent before compresses to a few bytes of back-references.
    for (const i of [3, 4, 5]) expect(compressed[i].value.length).toBeLessThan(compressed[i - 3].value.length / 10);
    sender.dispose();
    receiver.dispose();
  });
});

/** A DEFLATE stream of `megabytes` MiB of zeros, about 1 KiB per MiB. */
function zeroBomb(megabytes: number): Buffer {
  const segment = zlib.deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: SYNC_FLUSH });
  return Buffer.concat(Array.from({ length: megabytes }, () => segment)).subarray(0, -4);
}
function producedBytes(result: InflateResult): number {
  if (result.ok || result.reason !== 'too-big') throw new Error(`expected too-big, got ${JSON.stringify(result)}`);
  const match = /stopped at (\d+) bytes/.exec(result.message);
  if (match === null) throw new Error(`no count in: ${result.message}`);
  return Number(match[1]);
}

describe('bombs and corrupt input', () => {
  it('stops a 256 MiB bomb (256 KiB of input) within one output chunk of the limit, in the pool', async () => {
    const bomb = zeroBomb(256);
    expect(bomb.length).toBeLessThan(300_000);
    for (const mode of [params(), TAKEOVER]) {
      const c = codec(mode, 'server');
      const { value, sync } = await inflate(c, bomb, 1 << 20);
      expect(sync).toBe(false);
      expect(value).toMatchObject({ ok: false, reason: 'too-big' });
      const produced = producedBytes(value);
      expect(produced).toBeGreaterThan(1 << 20);
      expect(produced).toBeLessThanOrEqual((1 << 20) + 64 * 1024);
      c.dispose();
    }
  });

  it('a small bomb: too-big at once when the limit is under the synchronous cap, else stopped in the pool', async () => {
    const bomb = zeroBomb(4);
    expect(bomb.length).toBeLessThanOrEqual(SYNC_INFLATE_MAX_INPUT);
    const c = codec(params(), 'server');
    const atOnce = await inflate(c, bomb, 1000);
    expect(atOnce.sync).toBe(true);
    expect(atOnce.value).toMatchObject({ ok: false, reason: 'too-big', message: /more than 1000 bytes/ });
    const inPool = await inflate(c, bomb, 1 << 20);
    expect(inPool.sync).toBe(false);
    expect(producedBytes(inPool.value)).toBeLessThanOrEqual((1 << 20) + 64 * 1024);
    // Exactly at the limit is fine.
    const exact = await inflate(c, zeroBomb(1), 1 << 20);
    expect(exact.value.ok && exact.value.data.length).toBe(1 << 20);
    const zero = await inflate(c, Buffer.from([0x00]), 0);
    expect(zero.value).toMatchObject({ ok: true });
    expect((await inflate(c, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), 4)).value).toMatchObject({ reason: 'too-big' });
  });

  it('gives corrupt for invalid data, on both paths and in both modes, and keeps working after', async () => {
    const invalid = [
      Buffer.from([0xff, 0xff, 0xff]), // block type 3 does not exist
      Buffer.from([0x00, 0x05, 0x00, 0x00, 0x00]), // stored block lengths that disagree
      Buffer.alloc(SYNC_INFLATE_MAX_INPUT * 2, 0xff), // the same, large enough for the pool
    ];
    for (const mode of [params(), TAKEOVER]) {
      const c = codec(mode, 'client');
      for (const data of invalid) {
        expect((await inflate(c, data)).value, `${data.length}`).toMatchObject({ ok: false, reason: 'corrupt', message: /Invalid compressed data/ });
      }
      expect((await inflated(c, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]))).toString()).toBe('Hello');
      c.dispose();
    }
  });

  it('any bytes: ok, corrupt or too-big, never a throw, done called once', async () => {
    const plain = codec(params(), 'server');
    const shared = codec(TAKEOVER, 'server');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: SYNC_INFLATE_MAX_INPUT + 1, maxLength: SYNC_INFLATE_MAX_INPUT + 64 })),
        fc.integer({ min: 0, max: 1 << 16 }),
        fc.boolean(),
        async (bytes, maxBytes, takeover) => {
          const { value } = await inflate(takeover ? shared : plain, Buffer.from(bytes), maxBytes);
          if (value.ok) expect(value.data.length).toBeLessThanOrEqual(maxBytes);
          else expect(['corrupt', 'too-big']).toContain(value.reason);
        },
      ),
      { numRuns: 300 },
    );
    shared.dispose();
  });

  it('any bytes compress and inflate back, in both modes', async () => {
    const modes = [params(), TAKEOVER].map((p) => [codec(p, 'server'), codec(p, 'client')] as const);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 20_000 }), fc.boolean(), async (bytes, takeover) => {
        const [sender, receiver] = modes[takeover ? 1 : 0];
        const data = Buffer.from(bytes);
        expectSame(await inflated(receiver, (await compress(sender, data)).value), data);
      }),
      { numRuns: 200 },
    );
    for (const pair of modes) for (const c of pair) c.dispose();
  });
});

describe('resources', () => {
  it('runs at most concurrencyLimit zlib jobs at once, process-wide, and queues the rest', async () => {
    const limit = 3; // a limit no other test uses: its own limiter
    const limiter = sharedZlibLimiter(limit);
    const codecs = Array.from({ length: 24 }, () => codec(params(), 'server', { concurrencyLimit: limit }));
    const message = sample(64 * 1024);
    const jobs = codecs.map((c) => compress(c, message));
    expect(limiter.active).toBe(limit);
    expect(limiter.waiting).toBe(codecs.length - limit);
    const results = await Promise.all(jobs);
    expect(limiter.peak).toBe(limit);
    expect(limiter.active).toBe(0);
    for (const { value } of results) expect(value.length).toBeLessThan(message.length);
  });

  it('submits one job per connection and direction at a time; the others wait in the codec', async () => {
    const limiter = sharedZlibLimiter(7);
    const c = codec(params(), 'server', { concurrencyLimit: 7 });
    const jobs = Array.from({ length: 5 }, (_, i) => compress(c, sample(64 * 1024, i)));
    const inflation = inflate(c, zlib.deflateRawSync(sample(200_000), { level: 0, finishFlush: SYNC_FLUSH }).subarray(0, -4));
    expect(limiter.active).toBe(2); // one compress, one inflate
    expect(limiter.waiting).toBe(0);
    await Promise.all([...jobs, inflation]);
    expect(limiter.peak).toBe(2);
  });

  it('keeps no zlib context per connection without context takeover', async () => {
    const before = openZlibContexts();
    const codecs = Array.from({ length: 40 }, () => codec(params(), 'server'));
    for (const c of codecs) {
      await inflated(c, (await compress(c, sample(20_000))).value);
      await inflated(c, (await compress(c, sample(100))).value);
    }
    // The pool grew by at most one deflate and one inflate context, used one message at a time.
    expect(openZlibContexts() - before).toBeLessThanOrEqual(2);
  });

  it('frees idle pooled contexts on request; they are made again when needed', async () => {
    const c = codec(params(), 'server');
    await inflated(c, (await compress(c, sample(20_000))).value);
    drainZlibPools();
    await settle(() => openZlibContexts() === 0);
    expect(openZlibContexts()).toBe(0);
    expectSame(await inflated(c, (await compress(c, sample(20_000))).value), sample(20_000));
    expect(openZlibContexts()).toBe(2);
  });

  it('makes a takeover context on first use and frees it on dispose', async () => {
    const before = openZlibContexts();
    const codecs = Array.from({ length: 10 }, () => codec(TAKEOVER, 'server'));
    expect(openZlibContexts()).toBe(before);
    for (const c of codecs) await inflated(c, (await compress(c, sample(500))).value);
    expect(openZlibContexts()).toBe(before + 20);
    for (const c of codecs) c.dispose();
    await settle(() => openZlibContexts() === before);
    expect(openZlibContexts()).toBe(before);
  });

  it('after dispose: a job in flight and those queued end with an error, new ones at once', async () => {
    const c = codec(TAKEOVER, 'server');
    const first = compress(c, sample(300_000)).then(
      () => 'done',
      (error: Error) => error.message,
    );
    const second = compress(c, sample(100)).then(
      () => 'done',
      (error: Error) => error.message,
    );
    c.dispose();
    expect(await first).toMatch(/closed|disposed/);
    expect(await second).toMatch(/disposed/);
    let error: Error | null = null;
    expect(c.compress(Buffer.from('x'), (e) => (error = e))).toBe(true);
    expect(error).toBeInstanceOf(Error);
    const late = await inflate(c, Buffer.from([0x00]));
    expect(late.sync).toBe(true);
    expect(late.value).toMatchObject({ ok: false, reason: 'corrupt', message: /disposed/ });
  });
});
