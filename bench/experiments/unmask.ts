// Experiment for issue 7's echo-large hint ("unmask by 32-bit words, or a small WebAssembly SIMD
// routine built at build time and embedded; measure both"): unmasking 64 KiB, in GB/s.
// `node build/bench/experiments/unmask.js`. The WebAssembly module below is assembled by hand
// (22 instructions: i32x4.splat the key, then v128.load / v128.xor / v128.store 16 bytes at a
// time) so that it needs no toolchain. WebAssembly only sees its own memory, so a real use pays
// a copy in and a copy out; that variant is measured too.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SIZE = 64 * 1024;

function section(id: number, bytes: number[]): number[] {
  return [id, bytes.length, ...bytes]; // every section here is < 128 bytes: one-byte LEB128 size
}
function name(text: string): number[] {
  return [text.length, ...Buffer.from(text, 'latin1')];
}

/** (func (param $len i32) (param $key i32)) XORs memory[0, len) with the key, 16 bytes a step. */
const UNMASK_BODY = [
  0x02, 0x01, 0x7f, 0x01, 0x7b, //                    locals: $i i32, $k v128
  0x20, 0x01, 0xfd, 0x11, 0x21, 0x03, //              $k = i32x4.splat($key)
  0x02, 0x40, 0x03, 0x40, //                          block loop
  0x20, 0x02, 0x41, 0x10, 0x6a, 0x20, 0x00, 0x4b, 0x0d, 0x01, // br_if out when $i + 16 > $len
  0x20, 0x02, 0x20, 0x02, 0xfd, 0x00, 0x04, 0x00, //  v128.load [$i]
  0x20, 0x03, 0xfd, 0x51, 0xfd, 0x0b, 0x04, 0x00, //  v128.xor $k; v128.store [$i]
  0x20, 0x02, 0x41, 0x10, 0x6a, 0x21, 0x02, 0x0c, 0x00, // $i += 16; br loop
  0x0b, 0x0b, 0x0b, //                                end end end
];

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00]), // type: (i32, i32) -> ()
  ...section(3, [0x01, 0x00]), // one function of type 0
  ...section(5, [0x01, 0x00, 0x02]), // memory: 2 pages (128 KiB)
  ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('unmask'), 0x00, 0x00]),
  ...section(10, [0x01, UNMASK_BODY.length, ...UNMASK_BODY]),
]);

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
  const { instance } = await WebAssembly.instantiate(MODULE);
  const memory = Buffer.from((instance.exports.memory as WebAssembly.Memory).buffer);
  const unmask = instance.exports.unmask as Unmask;
  const { applyMask } = (await import(new URL('../../../dist/protocol/mask.js', import.meta.url).href)) as {
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
