import { describe, expect, it } from 'vitest';
import { closeCodeLabel, formatFrameLine, formatPayload, opcodeLabel } from '../../src/inspect/format.js';
import type { FrameSummary } from '../../src/inspect/summary.js';
import { Opcode } from '../../src/protocol/frame.js';

function frame(fields: Partial<FrameSummary> & { payload?: Uint8Array }): FrameSummary {
  const payload = fields.payload ?? new Uint8Array(0);
  return {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: Opcode.Text,
    masked: false,
    maskKey: null,
    payloadLength: payload.length,
    lengthForm: 7,
    ...fields,
    payload,
  };
}

const text = (s: string): Buffer => Buffer.from(s);

describe('formatFrameLine', () => {
  it('FIN or ---, the set RSV bits, the opcode, the key of a masked frame, the length and its form', () => {
    expect(formatFrameLine(frame({ payload: text('Hello') }))).toBe('FIN TEXT len=5 "Hello"');
    expect(formatFrameLine(frame({ fin: false, payload: text('Hel') }))).toBe('--- TEXT len=3 "Hel"');
    expect(
      formatFrameLine(frame({ masked: true, maskKey: Uint8Array.of(0x37, 0xfa, 0x21, 0x3d), payload: text('Hello') })),
    ).toBe('FIN TEXT key=37fa213d len=5 "Hello"');
    expect(formatFrameLine(frame({ rsv1: true, rsv3: true, opcode: Opcode.Binary }))).toBe('FIN RSV1 RSV3 BINARY len=0');
    expect(formatFrameLine(frame({ opcode: 0x3 }))).toBe('FIN OP(0x3) len=0');
    expect(formatFrameLine(frame({ opcode: Opcode.Binary, payloadLength: 256, lengthForm: 16 }))).toBe('FIN BINARY len=256 (16-bit)');
  });

  it('an exact length beyond 2^53, and a length the bytes cut short', () => {
    const huge = frame({ opcode: Opcode.Binary, lengthForm: 64, payloadLength: 2 ** 63, exactLength: (1n << 63n) + 1n });
    expect(formatFrameLine(huge)).toBe('FIN BINARY len=9223372036854775809 (64-bit)');
    expect(formatFrameLine(frame({ lengthForm: 16, payloadLength: 0, lengthCutShort: true }))).toBe('FIN TEXT len=? (16-bit)');
    // A masked frame whose key was cut short shows no key.
    expect(formatFrameLine(frame({ masked: true, maskKey: null, payloadLength: 5 }))).toBe('FIN TEXT len=5');
  });

  it('previews a long payload and counts the rest', () => {
    const long = frame({ payload: Buffer.alloc(200, 'a'), lengthForm: 16 });
    expect(formatFrameLine(long)).toBe(`FIN TEXT len=200 (16-bit) "${'a'.repeat(48)}" …+152 bytes`);
    // A prefix of the payload (the trace keeps only the first bytes).
    const prefix = frame({ payload: text('He'), payloadLength: 5 });
    expect(formatFrameLine(prefix)).toBe('FIN TEXT len=5 "He" …+3 bytes');
  });
});

describe('formatPayload', () => {
  it('a Close body as its code and reason (§5.5.1)', () => {
    expect(formatPayload(frame({ opcode: Opcode.Close, payload: Buffer.from('03e8627965', 'hex') }))).toBe(
      'code=1000 Normal "bye"',
    );
    expect(formatPayload(frame({ opcode: Opcode.Close, payload: Uint8Array.of(0x03) }))).toBe('(1-byte body: a code needs 2)');
  });

  it('text of a continuation frame reads as text, binary as hex, invalid UTF-8 as hex with a note', () => {
    const continued = frame({ opcode: Opcode.Continuation, messageOpcode: Opcode.Text, payload: text('lo') });
    expect(formatPayload(continued)).toBe('"lo"');
    expect(formatPayload(frame({ opcode: Opcode.Binary, payload: Uint8Array.of(1, 2, 3) }))).toBe('<01 02 03>');
    expect(formatPayload(frame({ payload: Uint8Array.of(0xc3, 0x28) }))).toBe('<c3 28> (not valid UTF-8)');
  });

  it('a payload prefix that ends inside a code point is still text', () => {
    // "é" is c3 a9: a prefix that stops after c3 holds it back instead of calling it invalid.
    const cut = frame({ payload: Uint8Array.of(0x61, 0xc3), payloadLength: 3 });
    expect(formatPayload(cut)).toBe('"a" …+2 bytes');
  });
});

describe('labels', () => {
  it('names opcodes and close codes', () => {
    expect(opcodeLabel(Opcode.Pong)).toBe('PONG');
    expect(opcodeLabel(0xb)).toBe('OP(0xb)');
    expect(closeCodeLabel(1002)).toBe('1002 ProtocolError');
    expect(closeCodeLabel(3000)).toBe('3000 (registered for libraries)');
    expect(closeCodeLabel(4000)).toBe('4000 (private use)');
    expect(closeCodeLabel(999)).toBe('999 (reserved)');
  });
});
