/**
 * Cutting a stream into frames with the real parser: where each frame lies, and what the
 * parser read of the last one when it refused it or the bytes cut it short.
 */
import { describe, expect, it } from 'vitest';
import { cutFrames } from '../../src/inspect/cutter.js';
import { parseHex } from '../../src/inspect/hex.js';
import { Opcode } from '../../src/protocol/frame.js';

describe('cutFrames', () => {
  it('finds each frame with its offset, header length and end', () => {
    const bytes = parseHex('81 85 37 fa 21 3d 7f 9f 4d 51 58  8a 80 01 02 03 04');
    const { frames, refusal, trailingBytes, unparsedBytes } = cutFrames(bytes, { role: 'server' });
    expect(refusal).toBeNull();
    expect(trailingBytes).toBe(0);
    expect(unparsedBytes).toBe(0);
    expect(frames.map(({ offset, headerLength, end, cutShort }) => ({ offset, headerLength, end, cutShort }))).toEqual([
      { offset: 0, headerLength: 6, end: 11, cutShort: false },
      { offset: 11, headerLength: 6, end: 17, cutShort: false },
    ]);
    expect(Buffer.from(frames[0].summary.payload).toString()).toBe('Hello');
    // The caller's bytes stay masked.
    expect(bytes[6]).toBe(0x7f);
  });

  it('reads the fields of a header without judging them, and needs two bytes', () => {
    // One byte: nothing to read, a trailing byte.
    const one = cutFrames(parseHex('ff'), { role: 'server' });
    expect(one.frames).toEqual([]);
    expect(one.trailingBytes).toBe(1);
    // Every bit set: refused (RSV), yet each field is shown; the header would take 14 bytes.
    const all = cutFrames(parseHex('ff ff'), { role: 'server' });
    expect(all.refusal?.code).toBe('WS_ERR_UNEXPECTED_RSV_1');
    expect(all.frames).toHaveLength(1);
    expect(all.frames[0]).toMatchObject({ offset: 0, headerLength: 14, end: 2, cutShort: true });
    expect(all.frames[0].summary).toMatchObject({
      fin: true,
      rsv1: true,
      rsv2: true,
      rsv3: true,
      opcode: 0xf,
      masked: true,
      maskKey: null,
      lengthForm: 64,
      lengthCutShort: true,
    });
  });

  it('a refused frame that is all there: its payload unmasked, and the bytes after it unparsed', () => {
    const { frames, refusal, unparsedBytes } = cutFrames(parseHex('83 83 01 02 03 04 61 62 63 81 00'), { role: 'server' });
    expect(refusal?.code).toBe('WS_ERR_INVALID_OPCODE');
    expect(frames[0]).toMatchObject({ headerLength: 6, end: 9, cutShort: false });
    expect(Buffer.from(frames[0].summary.payload)).toEqual(Buffer.from([0x61 ^ 1, 0x62 ^ 2, 0x63 ^ 3]));
    expect(unparsedBytes).toBe(2);
  });

  it('a frame cut short in its payload: the payload at hand, and the message it continues', () => {
    const { frames, refusal } = cutFrames(parseHex('01 01 61 80 05 62 63'), { role: 'client' });
    expect(refusal).toBeNull();
    expect(frames[1]).toMatchObject({ offset: 3, headerLength: 2, end: 7, cutShort: true });
    expect(frames[1].summary).toMatchObject({ opcode: Opcode.Continuation, messageOpcode: Opcode.Text, payloadLength: 5 });
    expect(Buffer.from(frames[1].summary.payload).toString()).toBe('bc');
  });
});
