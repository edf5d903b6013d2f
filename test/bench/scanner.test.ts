// The load client's frame scanner decides whether a benchmark number is printed at all, so it is
// tested like protocol code: any chunking, and every kind of wrong answer.
import { describe, expect, it } from 'vitest';
import { distinctPayloads, maskedFrame, Opcode, serverFrame, wirePayload } from '../../bench/load/frames.js';
import { FrameScanner } from '../../bench/load/scanner.js';

const payloads = distinctPayloads(4, 300, true, 1); // 300 B: the 16-bit length form
const stream = Buffer.concat([...payloads, ...payloads].map((p) => serverFrame(Opcode.Text, p)));

function scanInPieces(bytes: Buffer, piece: number): FrameScanner {
  const scanner = new FrameScanner({ opcode: Opcode.Text, masked: false, payloads });
  for (let i = 0; i < bytes.length; i += piece) scanner.push(bytes.subarray(i, i + piece));
  return scanner;
}

describe('FrameScanner', () => {
  it('counts every frame whatever the chunking', () => {
    for (const piece of [1, 2, 3, 7, 13, 302, 303, 1000, stream.length]) {
      const scanner = scanInPieces(stream, piece);
      expect(scanner.error).toBeNull();
      expect(scanner.received).toBe(8);
    }
  });

  it('accepts masked frames echoed back by a raw TCP echo', () => {
    const frames = payloads.map((p) => maskedFrame(Opcode.Text, p));
    const scanner = new FrameScanner({ opcode: Opcode.Text, masked: true, payloads: frames.map(wirePayload) });
    expect(scanner.push(Buffer.concat(frames))).toBe(4);
    expect(scanner.error).toBeNull();
  });

  it('handles 64-bit lengths', () => {
    const big = distinctPayloads(2, 70_000, false, 2);
    const scanner = new FrameScanner({ opcode: Opcode.Binary, masked: false, payloads: big });
    const bytes = Buffer.concat(big.map((p) => serverFrame(Opcode.Binary, p)));
    for (let i = 0; i < bytes.length; i += 4096) scanner.push(bytes.subarray(i, i + 4096));
    expect(scanner.error).toBeNull();
    expect(scanner.received).toBe(2);
  });

  it('fails on a missing message (the next one does not match)', () => {
    const skipped = Buffer.concat([payloads[0], payloads[2]].map((p) => serverFrame(Opcode.Text, p)));
    const scanner = scanInPieces(skipped, 5);
    expect(scanner.error).toMatch(/message #1/);
    expect(scanner.received).toBe(1);
  });

  it('fails on one flipped payload byte, on a wrong length, opcode or mask bit', () => {
    const flipped = Buffer.from(stream);
    flipped[stream.length - 1] ^= 1;
    expect(scanInPieces(flipped, 64).error).toMatch(/payload of message #7/);

    const shorter = serverFrame(Opcode.Text, payloads[0].subarray(0, 299));
    expect(scanInPieces(shorter, 64).error).toMatch(/length 299, expected 300/);

    const binary = serverFrame(Opcode.Binary, payloads[0]);
    expect(scanInPieces(binary, 64).error).toMatch(/first byte 0x82/);

    const masked = maskedFrame(Opcode.Text, payloads[0]);
    expect(scanInPieces(masked, 64).error).toMatch(/mask bit 1/);
  });

  it('ignores input after an error', () => {
    const scanner = scanInPieces(serverFrame(Opcode.Binary, payloads[0]), 64);
    expect(scanner.push(stream)).toBe(0);
  });
});
