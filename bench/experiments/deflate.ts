// Experiment for permessage-deflate (RFC 7692): which zlib path should a message take?
// `npm run build && node --expose-gc build/bench/experiments/deflate.js [--codec-only]`
//
// Part 1 measures node:zlib's public paths on one message at a time, for compress and inflate:
//   sync one-shot   deflateRawSync / inflateRawSync (a fresh zlib context per call, on the event loop)
//   async stream    one reused DeflateRaw/InflateRaw stream, write + flush + reset (thread pool)
//   async one-shot  zlib.deflateRaw / zlib.inflateRaw (a fresh context per call, thread pool)
// For each it prints the wall time per operation and the event loop's busy time per operation
// (performance.eventLoopUtilization), i.e. what the operation takes from every other connection.
// Part 2 measures wsmith's codec (dist/node/deflate/) on the same payloads, and the memory a
// codec costs per connection in each mode.
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
type CodecModule = {
  createMessageCodec(params: Params, role: Role, settings: Settings): Codec;
};
type OptionsModule = {
  normalizePerMessageDeflate(option: boolean, role: Role): Settings;
};
interface Modules {
  codec: CodecModule;
  options: OptionsModule;
}

const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 600);

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

function print(label: string, figure: Figure): void {
  console.log(
    `${label.padEnd(46)} ${figure.wallMicros.toFixed(1).padStart(9)} µs/op  ${figure.busyMicros.toFixed(1).padStart(9)} µs event loop/op`,
  );
}

function measureSync(run: () => void): Figure {
  for (let i = 0; i < 20; i++) run();
  let rounds = 0;
  const start = performance.now();
  while (performance.now() - start < WINDOW_MS) {
    run();
    rounds++;
  }
  const micros = ((performance.now() - start) * 1000) / rounds;
  return { wallMicros: micros, busyMicros: micros };
}

async function measureAsync(run: () => Promise<unknown>): Promise<Figure> {
  for (let i = 0; i < 20; i++) await run();
  let rounds = 0;
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  while (performance.now() - start < WINDOW_MS) {
    await run();
    rounds++;
  }
  const wall = performance.now() - start;
  const used = performance.eventLoopUtilization(elu);
  return { wallMicros: (wall * 1000) / rounds, busyMicros: (used.active * 1000) / rounds };
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

async function zlibPaths(size: number): Promise<void> {
  const data = payload(size);
  const compressed = zlib.deflateRawSync(data, { finishFlush: SYNC_FLUSH }).subarray(0, -4);
  console.log(`\n--- ${size} bytes (compresses to ${compressed.length})`);
  print('compress  sync one-shot', measureSync(() => zlib.deflateRawSync(data, { finishFlush: SYNC_FLUSH })));
  const deflater = zlib.createDeflateRaw({ chunkSize: 64 * 1024 });
  print('compress  async reused stream (64 KiB chunks)', await measureAsync(() => streamRound(deflater, [data])));
  print(
    'compress  async one-shot',
    await measureAsync(
      () => new Promise((resolve) => zlib.deflateRaw(data, { finishFlush: SYNC_FLUSH }, (_error, result) => resolve(result))),
    ),
  );
  print(
    'inflate   sync one-shot (concat tail)',
    measureSync(() =>
      zlib.inflateRawSync(Buffer.concat([compressed, TAIL]), { finishFlush: SYNC_FLUSH, maxOutputLength: 1 << 26 }),
    ),
  );
  const inflater = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
  print('inflate   async reused stream (64 KiB chunks)', await measureAsync(() => streamRound(inflater, [compressed, TAIL])));
  const inflater16 = zlib.createInflateRaw();
  print('inflate   async reused stream (16 KiB chunks)', await measureAsync(() => streamRound(inflater16, [compressed, TAIL])));
  print(
    'inflate   async one-shot',
    await measureAsync(
      () =>
        new Promise((resolve) =>
          zlib.inflateRaw(Buffer.concat([compressed, TAIL]), { finishFlush: SYNC_FLUSH }, (_error, result) => resolve(result)),
        ),
    ),
  );
  deflater.close();
  inflater.close();
  inflater16.close();
}

function codecRound(codec: Codec, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    codec.compress(data, (error, compressed) => (error === null ? resolve(compressed) : reject(error)));
  });
}

function inflateRound(codec: Codec, data: Buffer): Promise<unknown> {
  return new Promise((resolve, reject) =>
    codec.decompress(data, 1 << 26, (result) => (result.ok ? resolve(result) : reject(new Error('inflate failed')))),
  );
}

const NO_TAKEOVER: Params = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const TAKEOVER: Params = { ...NO_TAKEOVER, serverNoContextTakeover: false, clientNoContextTakeover: false };
const MODES = [
  ['no context takeover', NO_TAKEOVER],
  ['context takeover', TAKEOVER],
] as const;

/** Each item once, in order (context takeover: messages must be inflated in the order sent). */
async function measureList(items: Buffer[], run: (item: Buffer) => Promise<unknown>): Promise<Figure> {
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  for (const item of items) await run(item);
  const wall = performance.now() - start;
  const used = performance.eventLoopUtilization(elu);
  return { wallMicros: (wall * 1000) / items.length, busyMicros: (used.active * 1000) / items.length };
}

async function codecPaths({ codec, options }: Modules): Promise<void> {
  const server = options.normalizePerMessageDeflate(true, 'server');
  const client = options.normalizePerMessageDeflate(true, 'client');
  for (const size of [1024, 1 << 20]) {
    const data = payload(size);
    const count = size > 65536 ? 40 : 4000;
    console.log(`\n--- wsmith codec, ${size} bytes`);
    for (const [mode, params] of MODES) {
      const sender = codec.createMessageCodec(params, 'server', server);
      await codecRound(sender, data); // warm up (pools, takeover context)
      print(`compress  ${mode}`, await measureAsync(() => codecRound(sender, data)));
      // The receiver must see every message of the sender, in order: compress a series first.
      const peer = codec.createMessageCodec(params, 'server', server);
      const series: Buffer[] = [];
      for (let i = 0; i < count; i++) series.push(await codecRound(peer, data));
      const receiver = codec.createMessageCodec(params, 'client', client);
      print(`inflate   ${mode}`, await measureList(series, (compressed) => inflateRound(receiver, compressed)));
      for (const c of [sender, peer, receiver]) c.dispose();
    }
  }
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
    await inflateRound(warm, await codecRound(warm, big));
    warm.dispose();
    gc();
    const before = process.memoryUsage();
    const codecs: Codec[] = [];
    for (let i = 0; i < count; i++) {
      const c = codec.createMessageCodec(params, 'server', server);
      await codecRound(c, data);
      await inflateRound(c, compressed);
      await inflateRound(c, await codecRound(c, big));
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
    for (const size of [1024, 2048, 4096, 8192, 16 * 1024, 64 * 1024, 256 * 1024, 1 << 20]) await zlibPaths(size);
  }
  let modules: Modules;
  try {
    modules = {
      codec: (await import(new URL('../../../dist/node/deflate/zlib-codec.js', import.meta.url).href)) as CodecModule,
      options: (await import(new URL('../../../dist/protocol/extensions/deflate-options.js', import.meta.url).href)) as OptionsModule,
    };
  } catch {
    console.log('\n(build wsmith first for the codec figures)');
    return;
  }
  await codecPaths(modules);
  await memoryPerConnection(modules);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
