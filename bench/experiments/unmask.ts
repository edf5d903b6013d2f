// Experiment for issue 7's echo-large hint ("unmask by 32-bit words, or a small WebAssembly SIMD
// routine built at build time and embedded; measure both"): unmasking 64 KiB, in GB/s.
// `node build/bench/experiments/unmask.js`. The WebAssembly module is wsmith's own hand-assembled
// kernel (src/protocol/mask-simd.ts: i32x4.splat the key, then v128.load / v128.xor / v128.store
// 16 bytes at a time). WebAssembly only sees its own memory, so a real use pays a copy in and a
// copy out; that variant is measured too. `applyMask` now switches to the kernel from 1 KiB.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SIZE = 64 * 1024;

type Unmask = (length: number, key: number) => void;

function measure(label: string, run: () => void): void {
  for (let i = 0; i < 2000; i++) run();
  const start = process.hrtime.bigint();
  let rounds = 0;
  while (process.hrtime.bigint() - start < 400_000_000n) {
    for (let i = 0; i < 100; i++) run();
    rounds += 100;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(48)} ${((rounds * SIZE) / 1e9 / seconds).toFixed(1).padStart(6)} GB/s`);
}

async function main(): Promise<void> {
  // The kernel wsmith itself uses (src/protocol/mask-simd.ts), instantiated here on its own.
  const { UNMASK_MODULE } = (await import(new URL('../../../dist/cjs/protocol/mask-simd.js', import.meta.url).href)) as {
    UNMASK_MODULE: Uint8Array<ArrayBuffer>;
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(UNMASK_MODULE));
  const memory = Buffer.from((instance.exports.memory as WebAssembly.Memory).buffer);
  const unmask = instance.exports.unmask as Unmask;
  const { applyMask } = (await import(new URL('../../../dist/cjs/protocol/mask.js', import.meta.url).href)) as {
    applyMask: (data: Uint8Array, key: Uint8Array, offset?: number) => void;
  };
  const source = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) source[i] = (i * 7) & 0xff;
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const keyWord = key.readInt32LE(0); // WebAssembly memory is little-endian
  const target = Buffer.alloc(SIZE);

  source.copy(memory);
  unmask(SIZE, keyWord);
  const expected = Buffer.from(source);
  applyMask(expected, key, 0);
  if (!memory.subarray(0, SIZE).equals(expected)) throw new Error('WebAssembly unmask disagrees with applyMask');

  measure('wsmith applyMask (JS, 32-bit words), in place', () => applyMask(source, key, 0));
  measure('applyMask + copy into the message (today)', () => {
    applyMask(source, key, 0);
    source.copy(target);
  });
  measure('WebAssembly SIMD, in its own memory', () => unmask(SIZE, keyWord));
  measure('copy in + WebAssembly SIMD + copy out', () => {
    source.copy(memory);
    unmask(SIZE, keyWord);
    memory.copy(target, 0, 0, SIZE);
  });
  try {
    const bufferutil = require('bufferutil') as {
      mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void;
    };
    measure('bufferutil.mask source -> message (native)', () => bufferutil.mask(source, key, target, 0, SIZE));
  } catch {
    console.log('bufferutil not installed');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
