/**
 * The permessage-deflate engine (RFC 7692 §7.2) on node:zlib, behind the protocol's
 * `MessageCodec` interface. Public node:zlib APIs only.
 *
 * Which path a message takes — measured by bench/experiments/deflate.ts (Node 20.20, zlib 1.3.1,
 * 2 cores shared with other work; chat-like JSON that compresses to about a fifth; median of 7
 * rounds; µs per message, wall time / event-loop busy time; sizes are uncompressed):
 *
 *                                1 KiB      4 KiB      16 KiB      64 KiB          1 MiB
 *   compress  sync one-shot    23 / 23    42 / 42    99 / 99    745 / 745    13352 / 13352
 *   compress  pool, 16 KiB     85 / 38   109 / 56   135 / 45    827 / 96     13586 / 476
 *   inflate   sync one-shot    10 / 10    14 / 14    22 / 22     77 / 77      1301 / 1301
 *   inflate   pool, 64 KiB     67 / 49   101 / 58    67 / 46    143 / 90      1419 / 698
 *
 * "sync" is deflateRawSync / inflateRawSync (a fresh zlib context per call, on the event loop);
 * "pool" is a reused stream through libuv's thread pool, with the output chunk size shown
 * (inflating 1 MiB with 16 KiB chunks: 2296 / 1445, a hop per chunk; compressing 1 MiB with
 * 64 KiB chunks: 12912 / 2658). A hop costs 40-60 µs of event-loop time and more of latency
 * whatever the size, so a message goes to the pool only where doing it on the event loop would
 * cost more than handing it over: compressing up to 4 KiB of input, and inflating up to 64 KiB of
 * output, happen synchronously. The inflated size is unknown in advance: input up to 8 KiB
 * (text inflates 4-5×) is inflated synchronously with its output capped at 64 KiB, and a message
 * that passes the cap (and not the limit) is inflated again in the pool, a waste of under 80 µs
 * on a message that costs more than 140 µs anyway.
 *
 * Without context takeover in a direction, a connection keeps no zlib state for it: small
 * messages use one-shot calls, larger ones borrow a context from a pool shared by all connections
 * with the same window, level and memLevel. With context takeover, the connection owns a zlib
 * stream, made on first use; node:zlib has no public way to drive a stream synchronously (its
 * `_processChunk` closes the stream after one call), so those messages always take the pool's
 * path through the thread pool: one more reason for wsmith's default of no context takeover.
 * Memory per connection in each mode: README.md, "Compression".
 */
import { constants as bufferConstants } from 'node:buffer';
import * as zlib from 'node:zlib';
import type { DeflateRole, DeflateSettings } from '../../protocol/extensions/deflate-options.js';
import { MIN_ZLIB_WINDOW_BITS } from '../../protocol/extensions/deflate-options.js';
import type { InflateResult, MessageCodec } from '../../protocol/extensions/message-codec.js';
import type { DeflateParams } from '../../protocol/extensions/permessage-deflate.js';
import { ContextPool } from './context-pool.js';
import { ZlibContext, type ContextOutcome } from './zlib-context.js';
import { sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter.js';

/** Compress synchronously up to this many bytes of input (see the table above). */
export const SYNC_COMPRESS_MAX_INPUT = 4 * 1024;
/** Inflate synchronously up to this many bytes of input ... */
export const SYNC_INFLATE_MAX_INPUT = 8 * 1024;
/** ... and of output; past it, the message is inflated again in the thread pool. */
export const SYNC_INFLATE_MAX_OUTPUT = 64 * 1024;
/** Output chunks of the pooled streams (see the table above). */
const POOLED_DEFLATE_CHUNK_SIZE = 16 * 1024;
const POOLED_INFLATE_CHUNK_SIZE = 64 * 1024;
/**
 * Output chunk of a connection's own streams (context takeover): zlib's default. 64 KiB would
 * inflate large messages faster, but every such connection would hold 48 KiB more.
 */
const CONNECTION_CHUNK_SIZE = 16 * 1024;
/** Idle pooled contexts kept per kind; more are closed when released. */
const MAX_IDLE_PER_POOL = 8;
/** RFC 7692 §7.2.2: what the sender removed and the receiver appends. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;
const MAX_BUFFER = bufferConstants.MAX_LENGTH;

/** How one side of a connection compresses and inflates; shared by every codec alike. */
interface Engine {
  limiter: ZlibLimiter;
  compressTakeover: boolean;
  inflateTakeover: boolean;
  /** One-shot deflate options for small inputs, by output chunk size (powers of two, 512..8 KiB). */
  syncDeflate: Map<number, zlib.ZlibOptions>;
  deflatePool: ContextPool;
  inflatePool: ContextPool;
  createConnectionDeflater: () => ZlibContext;
  createConnectionInflater: () => ZlibContext;
}

const engines = new Map<string, Engine>();
const pools = new Map<string, ContextPool>();

function pool(key: string, options: zlib.ZlibOptions, inflate: boolean): ContextPool {
  let found = pools.get(key);
  if (found === undefined) {
    const create = (): ZlibContext => new ZlibContext(inflate ? zlib.createInflateRaw(options) : zlib.createDeflateRaw(options));
    found = new ContextPool(create, MAX_IDLE_PER_POOL);
    pools.set(key, found);
  }
  return found;
}

function engineFor(params: DeflateParams, role: DeflateRole, settings: DeflateSettings): Engine {
  const server = role === 'server';
  const ownBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
  const peerBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
  const compressTakeover = !(server ? params.serverNoContextTakeover : params.clientNoContextTakeover);
  const inflateTakeover = !(server ? params.clientNoContextTakeover : params.serverNoContextTakeover);
  const key = [role, ownBits, peerBits, compressTakeover, inflateTakeover, settings.level, settings.memLevel, settings.strategy,
    settings.deflateChunkSize, settings.inflateChunkSize, settings.concurrencyLimit].join();
  let engine = engines.get(key);
  if (engine !== undefined) return engine;
  if (ownBits < MIN_ZLIB_WINDOW_BITS) throw new RangeError('zlib cannot compress raw DEFLATE with a window of 8 bits');
  const deflate = { windowBits: ownBits, level: settings.level, memLevel: settings.memLevel, strategy: settings.strategy };
  const syncDeflate = new Map<number, zlib.ZlibOptions>();
  for (let size = 512; size <= 2 * SYNC_COMPRESS_MAX_INPUT; size *= 2) {
    syncDeflate.set(size, { ...deflate, finishFlush: SYNC_FLUSH, chunkSize: size });
  }
  const pooledDeflate = { ...deflate, chunkSize: settings.deflateChunkSize ?? POOLED_DEFLATE_CHUNK_SIZE };
  // A 15-bit window reads whatever any agreed window produced: one inflate pool for all.
  const pooledInflate = { windowBits: 15, chunkSize: settings.inflateChunkSize ?? POOLED_INFLATE_CHUNK_SIZE };
  const connectionDeflate = { ...deflate, chunkSize: settings.deflateChunkSize ?? CONNECTION_CHUNK_SIZE };
  // At least 9 bits: reads what a window of 8 makes, and what zlib makes when asked for 8.
  const connectionInflate = {
    windowBits: Math.max(MIN_ZLIB_WINDOW_BITS, peerBits),
    chunkSize: settings.inflateChunkSize ?? CONNECTION_CHUNK_SIZE,
  };
  engine = {
    limiter: sharedZlibLimiter(settings.concurrencyLimit),
    compressTakeover,
    inflateTakeover,
    syncDeflate,
    deflatePool: pool(`deflate,${Object.values(pooledDeflate).join()}`, pooledDeflate, false),
    inflatePool: pool(`inflate,${Object.values(pooledInflate).join()}`, pooledInflate, true),
    createConnectionDeflater: () => new ZlibContext(zlib.createDeflateRaw(connectionDeflate)),
    createConnectionInflater: () => new ZlibContext(zlib.createInflateRaw(connectionInflate)),
  };
  engines.set(key, engine);
  return engine;
}

/** Close the idle pooled contexts (they are made again when needed). */
export function drainZlibPools(): void {
  for (const found of pools.values()) found.drain();
}

/**
 * A codec for one connection. `params` are what the handshake agreed; `role` is this side;
 * `settings` the normalised perMessageDeflate option (level, memLevel, concurrencyLimit ...).
 */
export function createMessageCodec(params: DeflateParams, role: DeflateRole, settings: DeflateSettings): MessageCodec {
  return new ZlibMessageCodec(engineFor(params, role, settings));
}

type CompressDone = (error: Error | null, compressed: Buffer) => void;
type InflateDone = (result: InflateResult) => void;
interface CompressJob {
  data: Buffer;
  done: CompressDone;
}
interface InflateJob {
  data: Buffer;
  maxBytes: number;
  done: InflateDone;
}

const EMPTY = Buffer.alloc(0);
const DISPOSED = 'The permessage-deflate codec was disposed: the connection has ended';

class ZlibMessageCodec implements MessageCodec {
  readonly #engine: Engine;
  /** The connection's own streams, with context takeover only. */
  #deflater: ZlibContext | null = null;
  #inflater: ZlibContext | null = null;
  /** A message is being compressed (inflated); later ones wait in the queue, in order. */
  #compressing = false;
  #inflating = false;
  #compressQueue: CompressJob[] | null = null;
  #inflateQueue: InflateJob[] | null = null;
  #disposed = false;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  compress(data: Buffer, done: CompressDone): boolean {
    if (this.#compressing) {
      (this.#compressQueue ??= []).push({ data, done });
      return false;
    }
    this.#compressing = true;
    if (!this.#startCompress(data, done)) return false;
    this.#drainCompress();
    return true;
  }

  decompress(data: Buffer, maxBytes: number, done: InflateDone): boolean {
    if (this.#inflating) {
      (this.#inflateQueue ??= []).push({ data, maxBytes, done });
      return false;
    }
    this.#inflating = true;
    if (!this.#startInflate(data, maxBytes, done)) return false;
    this.#drainInflate();
    return true;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // A message going through a closed stream ends with an error; queued ones follow it.
    this.#deflater?.close();
    this.#inflater?.close();
    this.#deflater = null;
    this.#inflater = null;
  }

  /** The connection's own stream in that direction (context takeover), made on first use. */
  #ownContext(compress: boolean): ZlibContext {
    const engine = this.#engine;
    return compress ? (this.#deflater ??= engine.createConnectionDeflater()) : (this.#inflater ??= engine.createConnectionInflater());
  }

  /** A dead context (failed, or its DEFLATE stream ended): close it; the next message makes another. */
  #dropOwn(context: ZlibContext): void {
    context.close();
    if (this.#deflater === context) this.#deflater = null;
    else if (this.#inflater === context) this.#inflater = null;
  }

  // --- compress ----------------------------------------------------------------------------

  /** Start one message; true if it finished synchronously (done was called). */
  #startCompress(data: Buffer, done: CompressDone): boolean {
    const engine = this.#engine;
    if (this.#disposed) {
      done(new Error(DISPOSED), EMPTY);
      return true;
    }
    if (!engine.compressTakeover && data.length <= SYNC_COMPRESS_MAX_INPUT) {
      let output: Buffer;
      try {
        output = zlib.deflateRawSync(data, engine.syncDeflate.get(chunkSizeFor(data.length + 64))!);
      } catch (error) {
        done(error as Error, EMPTY);
        return true;
      }
      finishDeflated(output, done);
      return true;
    }
    this.#runInPool(true, data, null, Infinity, (outcome) => this.#finishCompress(done, outcome));
    return false;
  }

  #finishCompress(done: CompressDone, outcome: ContextOutcome): void {
    if (outcome.kind === 'done') {
      finishDeflated(outcome.output.length === 1 ? outcome.output[0] : Buffer.concat(outcome.output, outcome.length), done);
    } else {
      done(outcome.kind === 'error' ? outcome.error : new Error('unexpected output limit'), EMPTY);
    }
    this.#drainCompress();
  }

  /** Run queued messages in order until one goes to the thread pool or none is left. */
  #drainCompress(): void {
    const queue = this.#compressQueue;
    while (queue !== null && queue.length > 0) {
      const job = queue.shift()!;
      if (!this.#startCompress(job.data, job.done)) return;
    }
    this.#compressing = false;
  }

  // --- inflate -----------------------------------------------------------------------------

  #startInflate(data: Buffer, maxBytes: number, done: InflateDone): boolean {
    const engine = this.#engine;
    if (this.#disposed) {
      done({ ok: false, reason: 'corrupt', message: DISPOSED });
      return true;
    }
    const limit = maxBytes >= 0 ? Math.min(maxBytes, MAX_BUFFER) : 0; // NaN and negatives: nothing allowed
    if (!engine.inflateTakeover && data.length <= SYNC_INFLATE_MAX_INPUT) {
      const result = inflateSync(data, limit);
      if (result !== null) {
        done(result);
        return true;
      }
      // Larger than the synchronous cap, within the limit: inflate it again in the pool.
    }
    this.#runInPool(false, data, TAIL, limit, (outcome) => this.#finishInflate(done, limit, outcome));
    return false;
  }

  /**
   * One message through a zlib stream on the thread pool, under the limiter: the connection's own
   * stream (context takeover) or one borrowed from the shared pool.
   */
  #runInPool(compress: boolean, data: Buffer, tail: Buffer | null, limit: number, finish: (outcome: ContextOutcome) => void): void {
    const engine = this.#engine;
    const takeover = compress ? engine.compressTakeover : engine.inflateTakeover;
    const pool = compress ? engine.deflatePool : engine.inflatePool;
    engine.limiter.run((release) => {
      if (this.#disposed) {
        release();
        finish({ kind: 'error', error: new Error(DISPOSED) });
        return;
      }
      const context = takeover ? this.#ownContext(compress) : pool.acquire();
      context.process(data, tail, limit, (outcome) => {
        if (!takeover) pool.release(context);
        else if (context.dead) this.#dropOwn(context);
        release();
        finish(outcome);
      });
    });
  }

  #finishInflate(done: InflateDone, limit: number, outcome: ContextOutcome): void {
    if (outcome.kind === 'done') {
      done({ ok: true, data: outcome.output.length === 1 ? compact(outcome.output[0]) : Buffer.concat(outcome.output, outcome.length) });
    } else if (outcome.kind === 'too-big') {
      done(tooBig(limit, outcome.produced));
    } else {
      done(corrupt(outcome.error));
    }
    this.#drainInflate();
  }

  #drainInflate(): void {
    const queue = this.#inflateQueue;
    while (queue !== null && queue.length > 0) {
      const job = queue.shift()!;
      if (!this.#startInflate(job.data, job.maxBytes, job.done)) return;
    }
    this.#inflating = false;
  }
}

/** The smallest power of two from 512 that holds `size` bytes (deflate output chunks). */
function chunkSizeFor(size: number): number {
  let chunk = 512;
  while (chunk < size) chunk *= 2;
  return chunk;
}

function finishDeflated(output: Buffer, done: CompressDone): void {
  const result = withoutTail(output);
  if (result instanceof Error) done(result, EMPTY);
  else done(null, result);
}

/** §7.2.1: the output of a sync flush ends with 00 00 ff ff, which the sender removes. */
function withoutTail(output: Buffer): Buffer | Error {
  const n = output.length;
  // Nothing new since the last flush: zlib wrote no block. §7.2.1 step 2 appends an empty
  // stored block (00 00 00 ff ff) and step 3 removes 4 bytes of it.
  if (n === 0) return Buffer.from([0x00]);
  if (n < 4 || output[n - 4] !== 0x00 || output[n - 3] !== 0x00 || output[n - 2] !== 0xff || output[n - 1] !== 0xff) {
    return new Error('zlib output does not end with an empty stored block (RFC 7692 §7.2.1)');
  }
  return output.subarray(0, n - 4);
}

/** The output options of one-shot inflation, by cap (usually one value: the connection limit). */
const syncInflateOptions = new Map<number, zlib.ZlibOptions>();

/**
 * Inflate a small message on the event loop, its output capped at SYNC_INFLATE_MAX_OUTPUT
 * (and at `limit`). Returns null when the output passes the cap but not the limit.
 */
function inflateSync(data: Buffer, limit: number): InflateResult | null {
  const cap = Math.min(limit, SYNC_INFLATE_MAX_OUTPUT);
  let options = syncInflateOptions.get(cap);
  if (options === undefined) {
    // Node wants maxOutputLength >= 1; a limit of 0 is checked below.
    options = { windowBits: 15, finishFlush: SYNC_FLUSH, maxOutputLength: Math.max(cap, 1) };
    if (syncInflateOptions.size > 64) syncInflateOptions.clear();
    syncInflateOptions.set(cap, options);
  }
  let output: Buffer;
  try {
    output = zlib.inflateRawSync(Buffer.concat([data, TAIL], data.length + TAIL.length), options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') return corrupt(error as Error);
    return cap < limit ? null : tooBig(limit, undefined);
  }
  if (output.length > limit) return tooBig(limit, output.length);
  return { ok: true, data: compact(output) };
}

/**
 * node:zlib hands out slices of its output chunk; a small message kept by the application would
 * keep the whole chunk alive. Copy a slice that uses less than half of its memory.
 */
function compact(output: Buffer): Buffer {
  if (output.length * 2 >= output.buffer.byteLength) return output;
  return Buffer.from(output);
}

function tooBig(limit: number, produced: number | undefined): InflateResult {
  const stopped = produced === undefined ? '' : ` (inflation stopped at ${produced} bytes)`;
  return { ok: false, reason: 'too-big', message: `The message inflates to more than ${limit} bytes${stopped}` };
}

function corrupt(error: Error): InflateResult {
  return { ok: false, reason: 'corrupt', message: `Invalid compressed data: ${error.message}` };
}
