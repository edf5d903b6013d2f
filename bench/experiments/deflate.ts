// Experiment for permessage-deflate (RFC 7692): which zlib path should a message take?
// `npm run build && node --expose-gc build/bench/experiments/deflate.js [--codec-only] [--rounds N]`
//
// Part 1 measures node:zlib's public paths on one message at a time, for compress and inflate:
//   sync one-shot   deflateRawSync / inflateRawSync (a fresh zlib context per call, on the event loop)
//   pooled stream   one reused DeflateRaw/InflateRaw stream, write + flush + reset (thread pool)
//   async one-shot  zlib.deflateRaw / zlib.inflateRaw (a fresh context per call, thread pool)
// For each it prints the wall time per operation and the event loop's busy time per operation
// (performance.eventLoopUtilization), i.e. what the operation takes from every other connection.
// Part 2 measures wsmith's codec (dist/node/deflate/) on 1 KiB and 1 MiB, and the memory a
// codec costs per connection in each mode.
// The machine is shared: every case runs in each of N rounds (default 5), the cases interleaved,
// and the median of the rounds is printed, then (in brackets) the fastest round: on a busy
// machine the fastest is the closer to what the operation costs by itself.
import * as zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';

type Codec = {
  compress(data: Buffer, done: (error: Error | null, compressed: Buffer) => void): boolean;
  decompress(data: Buffer, maxBytes: number, done: (result: { ok: boolean }) => void): boolean;
  dispose(): void;
};
type Params = {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
};
type Role = 'server' | 'client';
type Settings = object;
interface Modules {
  codec: { createMessageCodec(params: Params, role: Role, settings: Settings): Codec };
  options: { normalizePerMessageDeflate(option: boolean, role: Role): Settings };
}

const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 250);
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg === -1 ? 5 : Number(process.argv[roundsArg + 1]);

/** Chat-like JSON: compresses to about a fifth, like most WebSocket traffic that is worth compressing. */
function payload(size: number): Buffer {
  let text = '';
  for (let i = 0; text.length < size; i++) {
    text += JSON.stringify({ id: i, user: `user${i % 97}`, text: `message ${i} ${((i * 2654435761) % 1000003).toString(36)}`, ts: 1.7e12 + i * 37 });
  }
  return Buffer.from(text.slice(0, size));
}

interface Figure {
  wallMicros: number;
  busyMicros: number;
}

/** One thing to measure: `prepare` (untimed) runs before each round, `run` is one operation. */
interface Case {
  label: string;
  prepare?: () => Promise<void>;
  run: () => unknown;
  sync: boolean;
  /** Stop a round after this many operations (a prepared series has an end). */
  maxOperations?: () => number;
}

async function measure(c: Case): Promise<Figure> {
  await c.prepare?.();
  let operations = 0;
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  const max = c.maxOperations?.() ?? Infinity;
  while (performance.now() - start < WINDOW_MS && operations < max) {
    if (c.sync) c.run();
    else await c.run();
    operations++;
  }
  const wall = (performance.now() - start) * 1000;
  const busy = c.sync ? wall : performance.eventLoopUtilization(elu).active * 1000;
  return { wallMicros: wall / operations, busyMicros: busy / operations };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Warm every case up, then measure them interleaved, ROUNDS times; print the medians. */
async function runCases(title: string, cases: Case[]): Promise<void> {
  console.log(`\n--- ${title}`);
  for (const c of cases) {
    await c.prepare?.();
    for (let i = 0; i < 10; i++) await c.run();
  }
  const figures = cases.map((): Figure[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) figures[i].push(await measure(c));
  }
  for (const [i, c] of cases.entries()) {
    const walls = figures[i].map((f) => f.wallMicros);
    const busy = figures[i].map((f) => f.busyMicros);
    const cell = (values: number[]): string =>
      `${median(values).toFixed(1).padStart(8)} (${Math.min(...values).toFixed(1).padStart(7)})`;
    console.log(`${c.label.padEnd(40)} ${cell(walls)} µs/op  ${cell(busy)} µs event loop/op`);
  }
}

function streamRound(stream: zlib.DeflateRaw | zlib.InflateRaw, inputs: Buffer[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    stream.on('data', onData);
    for (const input of inputs) stream.write(input);
    stream.flush(SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.reset();
      resolve(Buffer.concat(chunks));
    });
  });
}

function zlibCases(size: number): Case[] {
  const data = payload(size);
  const compressed = zlib.deflateRawSync(data, { finishFlush: SYNC_FLUSH }).subarray(0, -4);
  const deflater = zlib.createDeflateRaw();
  const deflater64 = zlib.createDeflateRaw({ chunkSize: 64 * 1024 });
  const inflater = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
  const inflater16 = zlib.createInflateRaw();
  const inflateOptions = { finishFlush: SYNC_FLUSH, maxOutputLength: 1 << 26 };
  return [
    { label: 'compress  sync one-shot', sync: true, run: () => zlib.deflateRawSync(data, { finishFlush: SYNC_FLUSH }) },
    { label: 'compress  pooled stream (16 KiB chunks)', sync: false, run: () => streamRound(deflater, [data]) },
    { label: 'compress  pooled stream (64 KiB chunks)', sync: false, run: () => streamRound(deflater64, [data]) },
    {
      label: 'compress  async one-shot',
      sync: false,
      run: () => new Promise((resolve) => zlib.deflateRaw(data, { finishFlush: SYNC_FLUSH }, (_e, out) => resolve(out))),
    },
    {
      label: 'inflate   sync one-shot (concat tail)',
      sync: true,
      run: () => zlib.inflateRawSync(Buffer.concat([compressed, TAIL]), inflateOptions),
    },
    { label: 'inflate   pooled stream (64 KiB chunks)', sync: false, run: () => streamRound(inflater, [compressed, TAIL]) },
    { label: 'inflate   pooled stream (16 KiB chunks)', sync: false, run: () => streamRound(inflater16, [compressed, TAIL]) },
    {
      label: 'inflate   async one-shot',
      sync: false,
      run: () => new Promise((resolve) => zlib.inflateRaw(Buffer.concat([compressed, TAIL]), inflateOptions, (_e, out) => resolve(out))),
    },
  ];
}

function compressWith(codec: Codec, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    codec.compress(data, (error, compressed) => (error === null ? resolve(compressed) : reject(error)));
  });
}

function inflateWith(codec: Codec, data: Buffer): Promise<unknown> {
  return new Promise((resolve, reject) =>
    codec.decompress(data, 1 << 26, (result) => (result.ok ? resolve(result) : reject(new Error('inflate failed')))),
  );
}

const NO_TAKEOVER: Params = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const TAKEOVER: Params = { ...NO_TAKEOVER, serverNoContextTakeover: false, clientNoContextTakeover: false };
const MODES = [
  ['no context takeover', NO_TAKEOVER],
  ['context takeover', TAKEOVER],
] as const;

function codecCases({ codec, options }: Modules, size: number): Case[] {
  const server = options.normalizePerMessageDeflate(true, 'server');
  const client = options.normalizePerMessageDeflate(true, 'client');
  const data = payload(size);
  const cases: Case[] = [];
  for (const [mode, params] of MODES) {
    const sender = codec.createMessageCodec(params, 'server', server);
    cases.push({ label: `compress  ${mode}`, sync: false, run: () => compressWith(sender, data) });
    // A receiver with context takeover must see every message of its sender, in order: each
    // round inflates a fresh series, compressed beforehand (untimed).
    let series: Buffer[] = [];
    let next = 0;
    let receiver: Codec | null = null;
    cases.push({
      label: `inflate   ${mode}`,
      sync: false,
      prepare: async () => {
        receiver?.dispose();
        receiver = codec.createMessageCodec(params, 'client', client);
        const peer = codec.createMessageCodec(params, 'server', server);
        // Enough for a window at a guess of the fastest rate (30 µs for 1 KiB, 2 ms for 1 MiB).
        const count = Math.ceil((WINDOW_MS * 1000) / (size > 65536 ? 2000 : 30)) + 20;
        series = [];
        for (let i = 0; i < count; i++) series.push(await compressWith(peer, data));
        peer.dispose();
        next = 0;
      },
      run: () => inflateWith(receiver!, series[next++]),
      maxOperations: () => series.length - next,
    });
  }
  return cases;
}

async function memoryPerConnection({ codec, options }: Modules): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    console.log('\n(run with node --expose-gc for the memory per connection)');
    return;
  }
  const server = options.normalizePerMessageDeflate(true, 'server');
  const data = payload(4096);
  const compressed = zlib.deflateRawSync(data, { finishFlush: SYNC_FLUSH }).subarray(0, -4);
  const big = payload(64 * 1024);
  console.log('\n--- memory per connection (codecs that each compressed and inflated a 4 KiB and a 64 KiB message)');
  for (const [mode, params] of MODES) {
    const count = mode === 'context takeover' ? 500 : 5000;
    // Warm the shared pools first, so that only per-connection memory is counted.
    const warm = codec.createMessageCodec(params, 'server', server);
    await inflateWith(warm, await compressWith(warm, big));
    warm.dispose();
    gc();
    const before = process.memoryUsage();
    const codecs: Codec[] = [];
    for (let i = 0; i < count; i++) {
      const c = codec.createMessageCodec(params, 'server', server);
      await compressWith(c, data);
      await inflateWith(c, compressed);
      await inflateWith(c, await compressWith(c, big));
      codecs.push(c);
    }
    gc();
    const after = process.memoryUsage();
    const kib = (bytes: number): string => (bytes / count / 1024).toFixed(2).padStart(8);
    console.log(
      `${mode.padEnd(22)} ${count} codecs: JS heap ${kib(after.heapUsed - before.heapUsed)} KiB/conn, ` +
        `external ${kib(after.external - before.external)} KiB/conn, RSS ${kib(after.rss - before.rss)} KiB/conn`,
    );
    for (const c of codecs) c.dispose();
    codecs.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the streams' close events run
    gc();
  }
}

async function main(): Promise<void> {
  if (!process.argv.includes('--codec-only')) {
    for (const size of [1024, 2048, 4096, 8192, 16 * 1024, 64 * 1024, 256 * 1024, 1 << 20]) {
      const packed = zlib.deflateRawSync(payload(size), { finishFlush: SYNC_FLUSH }).length - 4;
      await runCases(`${size} bytes (compresses to ${packed})`, zlibCases(size));
    }
  }
  let modules: Modules;
  try {
    modules = {
      codec: (await import(new URL('../../../dist/node/deflate/zlib-codec.js', import.meta.url).href)) as Modules['codec'],
      options: (await import(new URL('../../../dist/protocol/extensions/deflate-options.js', import.meta.url).href)) as Modules['options'],
    };
  } catch {
    console.log('\n(build wsmith first for the codec figures)');
    return;
  }
  for (const size of [1024, 1 << 20]) await runCases(`wsmith codec, ${size} bytes`, codecCases(modules, size));
  await memoryPerConnection(modules);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
