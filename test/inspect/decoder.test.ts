import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeFrames } from '../../src/inspect/decoder.js';
import { formatFrameLine } from '../../src/inspect/format.js';
import { parseHex } from '../../src/inspect/hex.js';
import { DEFAULT_RECEIVER_MAX_PAYLOAD } from '../../src/inspect/receiver-actions.js';
import { Opcode, writeFrameHeader, type FrameHeader } from '../../src/protocol/frame.js';
import { applyMask } from '../../src/protocol/mask.js';
import { FrameParser, type FrameSink } from '../../src/protocol/parser.js';

/** RFC 6455 §5.7 examples. */
const HELLO_UNMASKED = '81 05 48 65 6c 6c 6f';
const HELLO_MASKED = '81 85 37 fa 21 3d 7f 9f 4d 51 58';
const HELLO_FRAGMENTED = '01 03 48 65 6c 80 02 6c 6f';
const PING_UNMASKED = '89 05 48 65 6c 6c 6f';
const PONG_MASKED = '8a 85 37 fa 21 3d 7f 9f 4d 51 58';

function binaryFrame(length: number, extended: string): Buffer {
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = i & 0xff;
  return Buffer.concat([parseHex('82' + extended), payload]);
}

describe('describeFrames on the RFC 6455 §5.7 examples', () => {
  it('a single-frame unmasked text message', () => {
    const result = describeFrames(parseHex(HELLO_UNMASKED));
    expect(result.role).toBe('client');
    expect(result.roleInferred).toBe(true);
    expect(result.error).toBeNull();
    expect(result.frames).toHaveLength(1);
    const [frame] = result.frames;
    expect(frame).toMatchObject({
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: Opcode.Text,
      masked: false,
      maskKey: null,
      payloadLength: 5,
      lengthForm: 7,
      offset: 0,
      headerLength: 2,
      incomplete: false,
    });
    expect(Buffer.from(frame.payload).toString()).toBe('Hello');
    expect(frame.action).toEqual({ kind: 'message', isBinary: false, data: Buffer.from('Hello') });
    expect(frame.replies).toEqual([]);
    expect(formatFrameLine(frame)).toBe('FIN TEXT len=5 "Hello"');
  });

  it('a single-frame masked text message', () => {
    const input = parseHex(HELLO_MASKED);
    const result = describeFrames(input);
    expect(result.role).toBe('server');
    const [frame] = result.frames;
    expect(frame.masked).toBe(true);
    expect(Buffer.from(frame.maskKey!).toString('hex')).toBe('37fa213d');
    expect(frame.headerLength).toBe(6);
    expect(Buffer.from(frame.payload).toString()).toBe('Hello');
    // The raw bytes stay masked, as on the wire, and the caller's bytes are untouched.
    expect(frame.raw.toString('hex')).toBe('818537fa213d7f9f4d5158');
    expect(input.toString('hex')).toBe('818537fa213d7f9f4d5158');
    expect(frame.action).toEqual({ kind: 'message', isBinary: false, data: Buffer.from('Hello') });
    expect(formatFrameLine(frame)).toBe('FIN TEXT key=37fa213d len=5 "Hello"');
  });

  it('a fragmented unmasked text message', () => {
    const result = describeFrames(parseHex(HELLO_FRAGMENTED));
    expect(result.error).toBeNull();
    const [first, second] = result.frames;
    expect(first).toMatchObject({ fin: false, opcode: Opcode.Text, payloadLength: 3, offset: 0 });
    expect(first.action).toEqual({ kind: 'fragment' });
    expect(second).toMatchObject({ fin: true, opcode: Opcode.Continuation, payloadLength: 2, offset: 5 });
    expect(second.action).toEqual({ kind: 'message', isBinary: false, data: Buffer.from('Hello') });
    expect(formatFrameLine(first)).toBe('--- TEXT len=3 "Hel"');
    expect(formatFrameLine(second)).toBe('FIN CONT len=2 "lo"');
  });

  it('an unmasked Ping, answered with a (masked, client) Pong', () => {
    const result = describeFrames(parseHex(PING_UNMASKED));
    const [frame] = result.frames;
    expect(frame.opcode).toBe(Opcode.Ping);
    expect(frame.action).toEqual({ kind: 'ping', data: Buffer.from('Hello') });
    expect(frame.replies).toHaveLength(1);
    expect(frame.replies[0]).toMatchObject({ opcode: Opcode.Pong, masked: true, payloadLength: 5 });
    expect(Buffer.from(frame.replies[0].payload).toString()).toBe('Hello');
  });

  it('a masked Pong, read by a server', () => {
    const result = describeFrames(parseHex(PONG_MASKED));
    expect(result.role).toBe('server');
    expect(result.frames[0].action).toEqual({ kind: 'pong', data: Buffer.from('Hello') });
    expect(result.frames[0].replies).toEqual([]);
  });

  it('256 bytes of binary data: the 16-bit length form', () => {
    const result = describeFrames(binaryFrame(256, '7e0100'));
    const [frame] = result.frames;
    expect(frame).toMatchObject({ opcode: Opcode.Binary, payloadLength: 256, lengthForm: 16, headerLength: 4 });
    expect(frame.action).toMatchObject({ kind: 'message', isBinary: true });
    expect(formatFrameLine(frame)).toMatch(/^FIN BINARY len=256 \(16-bit\) <00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f …\+240 bytes>$/);
  });

  it('64 KiB of binary data: the 64-bit length form', () => {
    const result = describeFrames(binaryFrame(65536, '7f0000000000010000'));
    const [frame] = result.frames;
    expect(frame).toMatchObject({ payloadLength: 65536, lengthForm: 64, headerLength: 10 });
    expect(result.error).toBeNull();
    expect(formatFrameLine(frame)).toContain('len=65536 (64-bit)');
  });

  it('a whole conversation: message, ping, close; bytes after the Close are never read', () => {
    const result = describeFrames(parseHex(`${HELLO_UNMASKED} ${PING_UNMASKED} 88 02 03 e8 81 00`));
    expect(result.frames.map((frame) => frame.action?.kind)).toEqual(['message', 'ping', 'close', undefined]);
    expect(result.frames[2].action).toEqual({ kind: 'close', code: 1000, reason: Buffer.alloc(0) });
    expect(result.frames[2].replies[0]).toMatchObject({ opcode: Opcode.Close });
    expect(result.unreadBytes).toBe(2);
    expect(result.error).toBeNull();
  });
});

describe('describeFrames on invalid frames: the close code the receiver sends', () => {
  const cases: Array<[string, string, number, string, string?]> = [
    ['a reserved opcode', '83 00', 1002, 'WS_ERR_INVALID_OPCODE'],
    ['a reserved control opcode', '8b 00', 1002, 'WS_ERR_INVALID_OPCODE'],
    ['RSV1 without an extension', 'c1 00', 1002, 'WS_ERR_UNEXPECTED_RSV_1'],
    ['RSV2 without an extension', 'a1 00', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
    ['a control frame over 125 bytes', '89 7e 00 7e', 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
    ['a fragmented control frame', '09 00', 1002, 'WS_ERR_EXPECTED_FIN'],
    ['invalid UTF-8 in a text message', '81 02 c3 28', 1007, 'WS_ERR_INVALID_UTF8'],
    ['invalid UTF-8 split over fragments', '01 01 ed 80 02 a0 80', 1007, 'WS_ERR_INVALID_UTF8'],
    ['a close code that must never be sent (1005)', '88 02 03 ed', 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
    ['a reserved close code (999)', '88 02 03 e7', 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
    ['a 1-byte close body', '88 01 03', 1002, 'WS_ERR_INVALID_CLOSE_PAYLOAD'],
    ['a close reason that is not UTF-8', '88 03 03 e8 ff', 1007, 'WS_ERR_INVALID_UTF8'],
    ['a 64-bit length with the top bit set', '82 7f 80 00 00 00 00 00 00 00', 1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
    ['a continuation with no message', '80 00', 1002, 'WS_ERR_UNEXPECTED_CONTINUATION'],
    ['a new message inside a fragmented one', '01 01 61 81 01 62', 1002, 'WS_ERR_EXPECTED_CONTINUATION'],
    ['an unmasked frame read by a server', '81 00', 1002, 'WS_ERR_EXPECTED_MASK', 'server'],
  ];
  for (const [name, hex, closeCode, code, role] of cases) {
    it(`${name} -> ${closeCode}`, () => {
      const result = describeFrames(parseHex(hex), role === undefined ? {} : { role: role as 'server' });
      expect(result.error).toMatchObject({ closeCode, code });
      expect(result.error!.section).toMatch(/^RFC 6455 §\d/);
      const failing = result.frames.find((frame) => frame.action?.kind === 'error')!;
      expect(failing).toBeDefined();
      expect(failing.incomplete).toBe(false);
      // The receiver's Close frame carries that code (§7.1.7).
      const close = failing.replies.find((reply) => reply.opcode === Opcode.Close)!;
      expect((close.payload[0] << 8) | close.payload[1]).toBe(closeCode);
    });
  }

  it('a message over the receiver limit -> 1009', () => {
    const result = describeFrames(binaryFrame(256, '7e0100'), { maxPayload: 100 });
    expect(result.error).toMatchObject({ closeCode: 1009, code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
  });

  it('shows the fields the parser read of a refused header, including an exact 64-bit length', () => {
    const result = describeFrames(parseHex('82 7f 80 00 00 00 00 00 00 01'));
    expect(formatFrameLine(result.frames[0])).toBe('FIN BINARY len=9223372036854775809 (64-bit)');
    expect(result.frames[0].exactLength).toBe((1n << 63n) + 1n);
    expect(result.error).toMatchObject({ code: 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', section: 'RFC 6455 §5.2' });
  });

  it('a refused header shows its key and unmasked payload when they are there', () => {
    // RSV1 on the masked "Hello" of §5.7.
    const result = describeFrames(parseHex('c1 85 37 fa 21 3d 7f 9f 4d 51 58'));
    const [frame] = result.frames;
    expect(formatFrameLine(frame)).toBe('FIN RSV1 TEXT key=37fa213d len=5 "Hello"');
    expect(frame.raw.length).toBe(11);
    expect(frame.action).toMatchObject({ kind: 'error', error: { code: 'WS_ERR_UNEXPECTED_RSV_1' } });
  });

  it('reports a frame cut short, and stray trailing bytes', () => {
    const cut = describeFrames(parseHex('81 05 48 65'));
    expect(cut.error).toBeNull();
    expect(cut.frames[0].incomplete).toBe(true);
    expect(cut.frames[0].action).toBeUndefined();
    expect(formatFrameLine(cut.frames[0])).toBe('FIN TEXT len=5 "He" …+3 bytes');
    const stray = describeFrames(parseHex(`${HELLO_UNMASKED} 81`));
    expect(stray.trailingBytes).toBe(1);
    expect(stray.frames).toHaveLength(1);
  });

  it('a header cut short in its extended length or its key', () => {
    const length = describeFrames(parseHex('81 7e 01'));
    expect(length.frames[0]).toMatchObject({ lengthForm: 16, lengthCutShort: true, incomplete: true, headerLength: 4 });
    expect(formatFrameLine(length.frames[0])).toBe('FIN TEXT len=? (16-bit)');
    const key = describeFrames(parseHex('81 85 37 fa'));
    expect(key.frames[0]).toMatchObject({ masked: true, maskKey: null, payloadLength: 5, incomplete: true });
    expect(key.error).toBeNull();
  });
});

/** The real parser's own account of a stream: its frames (fields and payload) and its verdict. */
function parseDirectly(bytes: Uint8Array, role: 'server' | 'client'): { frames: object[]; parser: FrameParser; end: number } {
  const frames: object[] = [];
  let pieces: Buffer[] = [];
  let current: FrameHeader | null = null;
  let end = 0;
  const sink: FrameSink = {
    onFrameHeader(header) {
      current = header;
      pieces = [];
      return true;
    },
    onFramePayload(piece) {
      pieces.push(Buffer.from(piece));
      return true;
    },
    onFrameEnd() {
      const { fin, rsv1, rsv2, rsv3, opcode, masked, payloadLength, lengthForm } = current!;
      frames.push({ fin, rsv1, rsv2, rsv3, opcode, masked, payloadLength, lengthForm, payload: Buffer.concat(pieces) });
      end += (lengthForm === 7 ? 2 : lengthForm === 16 ? 4 : 10) + (masked ? 4 : 0) + payloadLength;
      return true;
    },
  };
  const parser = new FrameParser(sink, { role, maxFramePayload: DEFAULT_RECEIVER_MAX_PAYLOAD });
  parser.push(Buffer.from(bytes));
  return { frames, parser, end };
}

/** Frames of every kind, valid or not: any opcode, RSV bits, mask, a payload; then maybe cut. */
const anyFrameArb = fc
  .record({
    fin: fc.boolean(),
    rsv: fc.constantFrom(0, 0, 0, 0x40, 0x20, 0x10),
    opcode: fc.oneof(fc.constantFrom(0, 1, 2, 8, 9, 10), fc.integer({ min: 0, max: 15 })),
    masked: fc.boolean(),
    payload: fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 300 })),
  })
  .map(({ fin, rsv, opcode, masked, payload }) => {
    const header = Buffer.alloc(14);
    const length = writeFrameHeader(header, 0, fin, opcode, payload.length, masked ? [1, 2, 3, 4] : null);
    header[0] |= rsv;
    const body = Buffer.from(payload);
    if (masked) applyMask(body, [1, 2, 3, 4], 0);
    return Buffer.concat([header.subarray(0, length), body]);
  });

const streamArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(fc.array(anyFrameArb, { minLength: 1, maxLength: 5 }), fc.nat(), fc.uint8Array({ maxLength: 12 }))
    .map(([frames, cut, tail]) => {
      const whole = Buffer.concat([...frames, tail]);
      // Sometimes cut short anywhere, to end inside a header or a payload.
      return cut % 3 === 0 ? whole.subarray(0, 1 + (cut % whole.length)) : whole;
    }),
);

describe('properties', () => {
  const frameArbitrary = fc.record({
    fin: fc.boolean(),
    opcode: fc.constantFrom(Opcode.Binary, Opcode.Text),
    payload: fc.uint8Array({ maxLength: 300 }),
    key: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: null }),
  });

  it('the fields of any encoded data frame are decoded back', () => {
    fc.assert(
      fc.property(frameArbitrary, ({ fin, opcode, payload, key }) => {
        const header = Buffer.alloc(14);
        const headerLength = writeFrameHeader(header, 0, fin, opcode, payload.length, key);
        const body = Buffer.from(payload);
        if (key !== null) applyMask(body, key, 0);
        const bytes = Buffer.concat([header.subarray(0, headerLength), body]);
        const [frame] = describeFrames(bytes).frames;
        expect(frame).toMatchObject({ fin, opcode, masked: key !== null, payloadLength: payload.length });
        expect(Buffer.from(frame.payload)).toEqual(Buffer.from(payload));
        expect(frame.lengthForm).toBe(payload.length < 126 ? 7 : payload.length <= 0xffff ? 16 : 64);
      }),
    );
  });

  it('any bytes, any role: never throws, accounts for every byte, and agrees with the real parser', () => {
    fc.assert(
      fc.property(streamArb, fc.constantFrom<'server' | 'client'>('server', 'client'), (bytes, role) => {
        const result = describeFrames(bytes, { role });
        const direct = parseDirectly(bytes, role);
        // Every byte is in a frame, trailing, or after the point where the receiver stopped.
        const covered = result.frames.reduce((sum, frame) => sum + frame.raw.length, 0);
        const stop = result.frames.find((frame) => frame.action?.kind === 'error' || frame.action?.kind === 'close');
        if (stop === undefined) expect(covered + result.trailingBytes).toBe(bytes.length);
        else expect(stop.offset + stop.raw.length + result.unreadBytes).toBe(bytes.length);
        result.frames.forEach((frame, i) => {
          expect(frame.offset).toBe(i === 0 ? 0 : result.frames[i - 1].offset + result.frames[i - 1].raw.length);
        });
        // The frames the parser accepts whole are the decoder's first frames, field for field.
        const accepted = result.frames.slice(0, direct.frames.length).map((frame) => ({
          fin: frame.fin,
          rsv1: frame.rsv1,
          rsv2: frame.rsv2,
          rsv3: frame.rsv3,
          opcode: frame.opcode,
          masked: frame.masked,
          payloadLength: frame.payloadLength,
          lengthForm: frame.lengthForm,
          payload: Buffer.from(frame.payload),
        }));
        expect(accepted).toEqual(direct.frames);
        // At most one more frame: the one the parser refused or is waiting to complete.
        expect(result.frames.length - direct.frames.length).toBeLessThanOrEqual(1);
        const refusal = direct.parser.error;
        const stoppedBefore = result.frames.slice(0, direct.frames.length).some((f) => f.action?.kind === 'error' || f.action?.kind === 'close');
        if (refusal !== null && !stoppedBefore) {
          // The receiver fails on the refused header, with the parser's code, close code and reason.
          const last = result.frames.at(-1)!;
          expect(last.offset).toBe(direct.end);
          expect(last.incomplete).toBe(false);
          expect(result.error).toMatchObject({ code: refusal.code, closeCode: refusal.closeCode, message: refusal.message });
          expect(last.action).toEqual({ kind: 'error', error: result.error });
        }
        if (refusal === null && result.error !== null) {
          // A rule beyond one header: fragmentation, UTF-8, close codes (the connection's).
          expect(['RFC 6455 §5.4', 'RFC 6455 §8.1', 'RFC 6455 §7.4', 'RFC 6455 §5.5.1']).toContain(result.error.section);
        }
        if (refusal === null) {
          // Only a frame the bytes cut short (2 bytes or more of it) is incomplete, and only the
          // last, unless the receiver already refused it from its header (§5.4 continuation rules).
          const incomplete = result.frames.filter((frame) => frame.incomplete);
          const refusedEarly = result.frames.at(-1)?.action?.kind === 'error';
          expect(incomplete.length).toBe(bytes.length - direct.end >= 2 && !refusedEarly ? 1 : 0);
          if (incomplete.length === 1) expect(incomplete[0]).toBe(result.frames.at(-1));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
