/**
 * Masking 64 bytes per loop turn (RFC 6455 §5.3), with a WebAssembly SIMD kernel assembled here
 * by hand, so that it needs no toolchain and no native addon:
 *
 *   (func $unmask (param $length i32) (param $key i32)   ;; $length: a multiple of 64
 *     (local $i i32) (local $k v128)
 *     (local.set $k (i32x4.splat (local.get $key)))
 *     (block (loop
 *       (br_if 1 (i32.ge_u (local.get $i) (local.get $length)))
 *       (v128.store offset=0 (local.get $i) (v128.xor (v128.load offset=0 (local.get $i)) (local.get $k)))
 *       ... the same at offsets 16, 32 and 48: four lanes per turn, a quarter of the loop overhead per byte
 *       (local.set $i (i32.add (local.get $i) (i32.const 64)))
 *       (br 0))))
 *
 * WebAssembly sees only its own memory, so a buffer is copied in, XORed and copied back; for
 * large pieces that is still faster than the 32-bit JavaScript loop
 * (bench/experiments/unmask.ts measures it).
 */

function section(id: number, bytes: number[]): number[] {
  return [id, bytes.length, ...bytes]; // every section is < 128 bytes: a one-byte LEB128 size
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
}

/** One 16-byte lane of the loop: [$i + offset] ^= $k (offset < 128: a one-byte LEB128 memarg). */
function xorLane(offset: number): number[] {
  return [
    0x20, 0x02, // address: $i
    0x20, 0x02, 0xfd, 0x00, 0x04, offset, // v128.load [$i + offset]
    0x20, 0x03, 0xfd, 0x51, // v128.xor $k
    0xfd, 0x0b, 0x04, offset, // v128.store [$i + offset]
  ];
}

const UNMASK_BODY = [
  0x02, 0x01, 0x7f, 0x01, 0x7b, // locals: $i i32, $k v128
  0x20, 0x01, 0xfd, 0x11, 0x21, 0x03, // $k = i32x4.splat($key)
  0x02, 0x40, 0x03, 0x40, // block loop
  0x20, 0x02, 0x20, 0x00, 0x4f, 0x0d, 0x01, // br_if out when $i >= $length
  ...xorLane(0), ...xorLane(16), ...xorLane(32), ...xorLane(48),
  0x20, 0x02, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x02, 0x0c, 0x00, // $i += 64; br loop
  0x0b, 0x0b, 0x0b, // end end end
];

/** The module: one function `unmask(length, key)` and 2 pages (128 KiB) of memory. */
export const UNMASK_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00]), // type: (i32, i32) -> ()
  ...section(3, [0x01, 0x00]), // one function of type 0
  ...section(5, [0x01, 0x00, 0x02]), // memory: 2 pages
  ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('unmask'), 0x00, 0x00]),
  ...section(10, [0x01, UNMASK_BODY.length, ...UNMASK_BODY]),
]);

/** The few WebAssembly names used here (ES2022's lib declares none). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** Bytes XORed per call: one page, so a length rounded up to 64 still fits in the memory. */
const BLOCK = 64 * 1024;

/** Mask `source` into `target` (the same length; the same buffer to mask in place). */
export type MaskFunction = (
  source: Uint8Array,
  target: Uint8Array,
  key: ArrayLike<number>,
  keyOffset: number,
) => void;

/** A masker using the kernel, or null where WebAssembly SIMD is not available. */
export function createSimdMask(): MaskFunction | null {
  let memory: Uint8Array;
  let unmask: (length: number, key: number) => void;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(UNMASK_MODULE));
    memory = new Uint8Array((instance.exports.memory as { buffer: ArrayBuffer }).buffer);
    unmask = instance.exports.unmask as (length: number, key: number) => void;
  } catch {
    return null;
  }
  return (source, target, key, keyOffset) => {
    // The key rotated to this piece's position, as the little-endian word WebAssembly loads.
    const keyWord =
      key[keyOffset & 3] |
      (key[(keyOffset + 1) & 3] << 8) |
      (key[(keyOffset + 2) & 3] << 16) |
      (key[(keyOffset + 3) & 3] << 24);
    // BLOCK is a multiple of 4, so every block starts at the same key position.
    for (let start = 0; start < source.length; start += BLOCK) {
      const end = Math.min(start + BLOCK, source.length);
      const length = end - start;
      memory.set(source.subarray(start, end), 0);
      unmask((length + 63) & ~63, keyWord); // the bytes past `length` are scratch
      target.set(memory.subarray(0, length), start);
    }
  };
}
