import { describe, expect, it } from 'vitest';
import {
  MAX_HEADER_LENGTH,
  Opcode,
  frameHeaderLength,
  isControlOpcode,
  isKnownOpcode,
  opcodeName,
  writeFrameHeader,
} from '../../src/protocol/frame.js';

function header(fin: boolean, opcode: number, length: number, key: Uint8Array | null = null, rsv1 = false): Buffer {
  const target = Buffer.alloc(MAX_HEADER_LENGTH + 2, 0xee);
  const written = writeFrameHeader(target, 1, fin, opcode, length, key, rsv1);
  expect(written).toBe(frameHeaderLength(length, key !== null));
  expect(target[0]).toBe(0xee); // nothing written before the offset
  expect(target[1 + written]).toBe(0xee); // nor after the header
  return target.subarray(1, 1 + written);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

describe('opcodes (RFC 6455 §5.2, §11.8)', () => {
  it('knows the six defined opcodes and reserves the rest', () => {
    const known = [0x0, 0x1, 0x2, 0x8, 0x9, 0xa];
    for (let opcode = 0; opcode < 16; opcode++) {
      expect(isKnownOpcode(opcode), `0x${opcode.toString(16)}`).toBe(known.includes(opcode));
      expect(isControlOpcode(opcode)).toBe(opcode >= 8);
    }
    expect(opcodeName(Opcode.Text)).toBe('Text');
    expect(opcodeName(0xb)).toBe('Reserved(0xb)');
  });
});

describe('writeFrameHeader (§5.2, examples of §5.7)', () => {
  it('unmasked "Hello": 81 05', () => {
    expect(hex(header(true, Opcode.Text, 5))).toBe('8105');
  });

  it('masked "Hello": 81 85 37 fa 21 3d', () => {
    expect(hex(header(true, Opcode.Text, 5, KEY))).toBe('818537fa213d');
  });

  it('fragmented "Hel" + "lo": 01 03 and 80 02', () => {
    expect(hex(header(false, Opcode.Text, 3))).toBe('0103');
    expect(hex(header(true, Opcode.Continuation, 2))).toBe('8002');
  });

  it('ping 89 05 and masked pong 8a 85 ...', () => {
    expect(hex(header(true, Opcode.Ping, 5))).toBe('8905');
    expect(hex(header(true, Opcode.Pong, 5, KEY))).toBe('8a8537fa213d');
  });

  it('256 bytes binary: 82 7E 01 00', () => {
    expect(hex(header(true, Opcode.Binary, 256))).toBe('827e0100');
  });

  it('64 KiB binary: 82 7F 00 00 00 00 00 01 00 00', () => {
    expect(hex(header(true, Opcode.Binary, 65536))).toBe('827f0000000000010000');
  });

  it('uses the shortest length form at the 7/16/64-bit boundaries', () => {
    expect(hex(header(true, Opcode.Binary, 0))).toBe('8200');
    expect(hex(header(true, Opcode.Binary, 125))).toBe('827d');
    expect(hex(header(true, Opcode.Binary, 126))).toBe('827e007e');
    expect(hex(header(true, Opcode.Binary, 65535))).toBe('827effff');
    expect(hex(header(true, Opcode.Binary, 65536))).toBe('827f0000000000010000');
    expect(hex(header(true, Opcode.Binary, 2 ** 32))).toBe('827f0000000100000000');
    expect(hex(header(true, Opcode.Binary, Number.MAX_SAFE_INTEGER))).toBe('827f001fffffffffffff');
  });

  it('sets RSV1 only when asked and the mask bit with a key', () => {
    expect(hex(header(true, Opcode.Text, 1, null, true))).toBe('c101');
    expect(hex(header(false, Opcode.Binary, 126, KEY))).toBe('02fe007e37fa213d');
    expect(hex(header(true, Opcode.Binary, 65536, KEY))).toBe('82ff000000000001000037fa213d');
  });

  it('frameHeaderLength matches the RFC layout', () => {
    expect(frameHeaderLength(0, false)).toBe(2);
    expect(frameHeaderLength(125, false)).toBe(2);
    expect(frameHeaderLength(126, false)).toBe(4);
    expect(frameHeaderLength(65535, true)).toBe(8);
    expect(frameHeaderLength(65536, false)).toBe(10);
    expect(frameHeaderLength(65536, true)).toBe(MAX_HEADER_LENGTH);
  });
});
