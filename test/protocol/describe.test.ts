import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameTracer,
  describeFrames,
  formatDescription,
  formatFrameLine,
  parseHex,
  readRawFrame,
} from '../../src/protocol/describe.js';
import { Opcode, writeFrameHeader } from '../../src/protocol/frame.js';
import { applyMask } from '../../src/protocol/mask.js';

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
    const result = describeFrames(parseHex(HELLO_MASKED));
    expect(result.role).toBe('server');
    const [frame] = result.frames;
    expect(frame.masked).toBe(true);
    expect(Buffer.from(frame.maskKey!).toString('hex')).toBe('37fa213d');
    expect(frame.headerLength).toBe(6);
    expect(Buffer.from(frame.payload).toString()).toBe('Hello');
    // The raw bytes stay masked, as on the wire.
    expect(frame.raw.toString('hex')).toBe('818537fa213d7f9f4d5158');
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
      expect(result.error!.section).toMatch(/^§\d/);
      const failing = result.frames.find((frame) => frame.action?.kind === 'error')!;
      expect(failing).toBeDefined();
      expect(failing.incomplete).toBe(false);
      // The receiver's Close frame carries that code (§7.1.7).
      const close = failing.replies.find((reply) => reply.opcode === Opcode.Close)!;
      expect((close.payload[0] << 8) | close.payload[1]).toBe(closeCode);
      expect(formatDescription(result)).toContain(`INVALID: the receiver fails the connection with close code ${closeCode}`);
    });
  }

  it('a message over the receiver limit -> 1009', () => {
    const result = describeFrames(binaryFrame(256, '7e0100'), { maxPayload: 100 });
    expect(result.error).toMatchObject({ closeCode: 1009, code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
  });

  it('shows the raw fields of a refused header, including an exact 64-bit length', () => {
    const result = describeFrames(parseHex('82 7f 80 00 00 00 00 00 00 01'));
    expect(formatFrameLine(result.frames[0])).toBe('FIN BINARY len=9223372036854775809 (64-bit)');
    const report = formatDescription(result);
    expect(report).toContain('most significant bit set');
    expect(report).toContain('RFC 6455 §5.2');
  });

  it('reports a frame cut short, and stray trailing bytes', () => {
    const cut = describeFrames(parseHex('81 05 48 65'));
    expect(cut.error).toBeNull();
    expect(cut.frames[0].incomplete).toBe(true);
    expect(formatDescription(cut)).toContain('3 more byte(s) needed');
    const stray = describeFrames(parseHex(`${HELLO_UNMASKED} 81`));
    expect(stray.trailingBytes).toBe(1);
  });
});

describe('formatDescription', () => {
  it('prints every field of the masked example', () => {
    const report = formatDescription(describeFrames(parseHex(HELLO_MASKED)));
    for (const expected of [
      'Receiver: server',
      'header bytes:       81 85 37 fa 21 3d',
      'FIN:                1',
      'RSV1 RSV2 RSV3:     0 0 0',
      'opcode:             0x1 TEXT',
      'MASK:               1',
      'payload length:     5 (7-bit form',
      'masking key:        37 fa 21 3d',
      'payload, unmasked:  "Hello"',
      'delivers a text message of 5 bytes: "Hello"',
      'OK: 1 valid frame(s).',
    ]) {
      expect(report).toContain(expected);
    }
  });

  it('decodes a Close frame body into code and reason', () => {
    expect(formatFrameLine(describeFrames(parseHex('88 05 03 e8 62 79 65')).frames[0])).toBe(
      'FIN CLOSE len=5 code=1000 Normal "bye"',
    );
  });
});

describe('parseHex', () => {
  it('accepts spaced, packed, 0x-prefixed and multi-line hex', () => {
    const expected = Buffer.from([0x81, 0x05, 0x48]);
    expect(parseHex('81 05 48')).toEqual(expected);
    expect(parseHex('810548')).toEqual(expected);
    expect(parseHex('0x81, 0x05,0x48')).toEqual(expected);
    expect(parseHex('81\n05\t48\n')).toEqual(expected);
  });
  it('refuses what is not hex', () => {
    expect(() => parseHex('81 0g')).toThrow(/Not a hex digit/);
    expect(() => parseHex('810')).toThrow(/Odd number/);
  });
});

describe('readRawFrame', () => {
  it('reads fields without judging them, and needs two bytes', () => {
    expect(readRawFrame(parseHex('ff'), 0)).toBeNull();
    expect(readRawFrame(parseHex('ff ff'), 0)).toMatchObject({
      fin: true,
      rsv1: true,
      rsv2: true,
      rsv3: true,
      opcode: 0xf,
      masked: true,
      headerComplete: false,
      headerLength: 14,
    });
  });
});

describe('FrameTracer', () => {
  it('writes one line per frame, whatever the chunking', () => {
    const lines: string[] = [];
    const tracer = new FrameTracer('server', (line) => lines.push(line));
    const bytes = parseHex(`${HELLO_MASKED} ${PONG_MASKED}`);
    const original = Buffer.from(bytes);
    for (const byte of bytes) tracer.push(Buffer.of(byte));
    expect(lines).toEqual(['FIN TEXT key=37fa213d len=5 "Hello"', 'FIN PONG key=37fa213d len=5 "Hello"']);
    // Tracing never unmasks the caller's bytes in place.
    expect(bytes).toEqual(original);
  });

  it('shows a refused header with the reason', () => {
    const lines: string[] = [];
    const tracer = new FrameTracer('client', (line) => lines.push(line));
    tracer.push(parseHex(HELLO_UNMASKED));
    tracer.push(parseHex('83'));
    tracer.push(parseHex('00'));
    expect(lines).toEqual([
      'FIN TEXT len=5 "Hello"',
      'FIN OP(0x3) len=0 !! Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)',
    ]);
  });

  it('finds a refused header wherever it starts: same chunk, or after a frame spread over chunks', () => {
    const lines: string[] = [];
    const tracer = new FrameTracer('client', (line) => lines.push(line));
    const long = Buffer.concat([parseHex('82 7e 01 00'), Buffer.alloc(256, 1)]);
    tracer.push(long.subarray(0, 100));
    tracer.push(long.subarray(100, 200));
    tracer.push(Buffer.concat([long.subarray(200), parseHex(`${HELLO_UNMASKED} c2 00`)]));
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('FIN TEXT len=5 "Hello"');
    expect(lines[2]).toBe(
      'FIN RSV1 BINARY len=0 !! Reserved bits set without a negotiated extension (RSV 0x40) (WS_ERR_UNEXPECTED_RSV_1, RFC 6455 §5.2)',
    );
    // After a refused header the tracer, like the connection, reads nothing more.
    tracer.push(parseHex(HELLO_UNMASKED));
    expect(lines).toHaveLength(3);
  });

  it('previews long payloads', () => {
    const lines: string[] = [];
    const tracer = new FrameTracer('client', (line) => lines.push(line));
    tracer.push(Buffer.concat([parseHex('81 7e 00 c8'), Buffer.alloc(200, 'a')]));
    expect(lines[0]).toBe(`FIN TEXT len=200 (16-bit) "${'a'.repeat(48)}" …+152 bytes`);
  });
});

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

  it('never throws on garbage, and the report always ends with a verdict', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom('server', 'client'), (bytes, role) => {
        const report = formatDescription(describeFrames(bytes, { role: role as 'server' | 'client' }));
        expect(report).toMatch(/(OK|INVALID|INCOMPLETE): .*\n?.*$/);
      }),
    );
  });
});
