import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageAssembler } from '../../src/protocol/assembler.js';

const heldPieces = (assembler: MessageAssembler): number => assembler.pieceCount;

describe('MessageAssembler (§5.4 fragments, §10.4 bounded memory)', () => {
  it('delivers a one-piece message as that very Buffer (no copy)', () => {
    const assembler = new MessageAssembler();
    const piece = Buffer.from('hello');
    assembler.add(piece);
    expect(assembler.take()).toBe(piece);
    expect(assembler.take()).toHaveLength(0); // empty again
  });

  it('copies tiny fragments into shared runs: 20,000 one-byte pieces are a few Buffers, not 20,000', () => {
    const assembler = new MessageAssembler();
    for (let i = 0; i < 20_000; i++) assembler.add(Buffer.of(i & 0xff));
    expect(heldPieces(assembler)).toBeLessThanOrEqual(2);
    const message = assembler.take();
    expect(message).toHaveLength(20_000);
    for (let i = 0; i < 20_000; i++) expect(message[i]).toBe(i & 0xff);
  });

  it('keeps large pieces by reference until the end, then joins everything with one copy', () => {
    const assembler = new MessageAssembler();
    const large = Buffer.alloc(64 * 1024, 1);
    assembler.add(large);
    assembler.add(Buffer.from('tail'));
    assembler.add(large);
    expect(heldPieces(assembler)).toBe(3); // large, the gathered "tail", large
    const message = assembler.take();
    expect(message).toHaveLength(2 * 64 * 1024 + 4);
    expect(message.subarray(64 * 1024, 64 * 1024 + 4).toString()).toBe('tail');
  });

  it('gives the concatenation of any pieces, in order (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 40 }), (pieces) => {
        const assembler = new MessageAssembler();
        for (const piece of pieces) assembler.add(Buffer.from(piece));
        const expected = Buffer.concat(pieces.map((p) => Buffer.from(p)));
        expect(assembler.length).toBe(expected.length);
        expect(assembler.take().equals(expected)).toBe(true);
      }),
    );
  });
});

const pinnedBytes = (assembler: MessageAssembler): number => assembler.retainedBytes;

/** `size` bytes of `fill`, as a view into a `capacity`-byte buffer that holds other bytes too. */
function viewInto(capacity: number, size: number, fill: number): Buffer {
  const read = Buffer.alloc(capacity, 0xee);
  return read.fill(fill, 100, 100 + size).subarray(100, 100 + size);
}

describe('MessageAssembler: what a message keeps alive (§10.4)', () => {
  it('copies a fragment that is a small part of its read, so reads full of other frames are not held', () => {
    // The attack: each 64 KiB read carries a 1 KiB fragment and 63 KiB of Pongs.
    const assembler = new MessageAssembler();
    const fragments = 200;
    for (let i = 0; i < fragments; i++) assembler.add(viewInto(64 * 1024, 1024, i & 0xff));
    const payload = fragments * 1024;
    expect(pinnedBytes(assembler)).toBeLessThanOrEqual(2 * payload);
    const message = assembler.take();
    expect(message).toHaveLength(payload);
    for (let i = 0; i < fragments; i++) expect(message[i * 1024 + 1023]).toBe(i & 0xff);
  });

  it('copies a large but sparse piece into a buffer of its own', () => {
    const assembler = new MessageAssembler();
    assembler.add(viewInto(1024 * 1024, 40 * 1024, 1));
    assembler.add(viewInto(1024 * 1024, 40 * 1024, 2));
    expect(pinnedBytes(assembler)).toBe(80 * 1024);
    expect(assembler.take().equals(Buffer.concat([Buffer.alloc(40 * 1024, 1), Buffer.alloc(40 * 1024, 2)]))).toBe(true);
  });

  it('keeps dense pieces, and pieces in a buffer of their frame alone, by reference', () => {
    const assembler = new MessageAssembler();
    const dense = viewInto(40 * 1024, 30 * 1024, 3); // 3/4 of its read
    const ofItsFrame = viewInto(1024 * 1024, 64 * 1024, 4); // the parser gathered a 1 MiB frame here
    assembler.add(dense);
    assembler.add(ofItsFrame, true);
    // Both kept by reference: what stays alive is exactly their two buffers, nothing copied.
    expect(assembler.pieceCount).toBe(2);
    expect(assembler.retainedBytes).toBe(dense.buffer.byteLength + ofItsFrame.buffer.byteLength);
  });

  it('keeps at most twice the payload alive for any pieces from any reads (fast-check)', () => {
    const piece = fc.record({
      capacity: fc.integer({ min: 1, max: 96 * 1024 }),
      size: fc.integer({ min: 1, max: 64 * 1024 }),
    });
    fc.assert(
      fc.property(fc.array(piece, { minLength: 2, maxLength: 30 }), (specs) => {
        const assembler = new MessageAssembler();
        const added: Buffer[] = [];
        for (const [i, { capacity, size }] of specs.entries()) {
          const view = viewInto(Math.max(capacity, size + 100), size, i & 0xff);
          added.push(Buffer.from(view));
          assembler.add(view);
        }
        const payload = added.reduce((sum, b) => sum + b.length, 0);
        // Views of dense pieces: ≤ 2× their size; copies: exact; the gather run: at most one
        // 16 KiB buffer beyond what the small pieces fill.
        expect(pinnedBytes(assembler)).toBeLessThanOrEqual(2 * payload + 16 * 1024);
        expect(assembler.take().equals(Buffer.concat(added))).toBe(true);
      }),
    );
  });
});

describe('MessageAssembler with adjacent pieces', () => {
  it('extends the view instead of copying when pieces sit next to each other in one buffer', () => {
    const frame = Buffer.from('0123456789abcdef');
    const assembler = new MessageAssembler();
    assembler.add(frame.subarray(0, 10));
    assembler.add(frame.subarray(10, 16));
    const message = assembler.take();
    expect(message.toString()).toBe('0123456789abcdef');
    expect(message.buffer).toBe(frame.buffer); // the same memory: no copy
    expect(message.byteOffset).toBe(frame.byteOffset);
  });
});
