import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageAssembler } from '../../src/protocol/assembler.js';

/** How many Buffers the assembler holds (white-box: bounding that is the point of the class). */
const heldPieces = (assembler: MessageAssembler): number =>
  (assembler as unknown as { pieces: Buffer[] | null }).pieces?.length ?? 0;

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
