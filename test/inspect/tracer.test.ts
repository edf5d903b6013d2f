import { describe, expect, it } from 'vitest';
import { parseHex } from '../../src/inspect/hex.js';
import { FrameTracer } from '../../src/inspect/tracer.js';

const HELLO_UNMASKED = '81 05 48 65 6c 6c 6f';
const HELLO_MASKED = '81 85 37 fa 21 3d 7f 9f 4d 51 58';
const PONG_MASKED = '8a 85 37 fa 21 3d 7f 9f 4d 51 58';

function tracer(role: 'server' | 'client'): { tracer: FrameTracer; lines: string[] } {
  const lines: string[] = [];
  return { tracer: new FrameTracer(role, (line) => lines.push(line)), lines };
}

describe('FrameTracer', () => {
  it('writes one line per frame, whatever the chunking', () => {
    const { tracer: t, lines } = tracer('server');
    const bytes = parseHex(`${HELLO_MASKED} ${PONG_MASKED}`);
    const original = Buffer.from(bytes);
    for (const byte of bytes) t.push(Buffer.of(byte));
    expect(lines).toEqual(['FIN TEXT key=37fa213d len=5 "Hello"', 'FIN PONG key=37fa213d len=5 "Hello"']);
    // Tracing never unmasks the caller's bytes in place.
    expect(bytes).toEqual(original);
  });

  it('shows a refused header with the reason', () => {
    const { tracer: t, lines } = tracer('client');
    t.push(parseHex(HELLO_UNMASKED));
    t.push(parseHex('83'));
    t.push(parseHex('00'));
    expect(lines).toEqual([
      'FIN TEXT len=5 "Hello"',
      'FIN OP(0x3) len=0 !! Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)',
    ]);
  });

  it('finds a refused header wherever it starts: same chunk, or after a frame spread over chunks', () => {
    const { tracer: t, lines } = tracer('client');
    const long = Buffer.concat([parseHex('82 7e 01 00'), Buffer.alloc(256, 1)]);
    t.push(long.subarray(0, 100));
    t.push(long.subarray(100, 200));
    t.push(Buffer.concat([long.subarray(200), parseHex(`${HELLO_UNMASKED} c2 00`)]));
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('FIN TEXT len=5 "Hello"');
    expect(lines[2]).toBe(
      'FIN RSV1 BINARY len=0 !! Reserved bits set without a negotiated extension (RSV 0x40) (WS_ERR_UNEXPECTED_RSV_1, RFC 6455 §5.2)',
    );
    // After a refused header the tracer, like the connection, reads nothing more.
    t.push(parseHex(HELLO_UNMASKED));
    expect(lines).toHaveLength(3);
  });

  it('a refused header shows the fields the parser read: the key and length when they were there', () => {
    const whole = tracer('client');
    whole.tracer.push(parseHex('83 85 01 02 03 04 00 00 00 00 00'));
    expect(whole.lines).toEqual(['FIN OP(0x3) key=01020304 len=5 !! Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)']);
    // Refused from its first two bytes, before its 16-bit length arrived.
    const early = tracer('client');
    early.tracer.push(parseHex('89 7e'));
    expect(early.lines[0]).toMatch(/^FIN PING len=\? \(16-bit\) !! Control frame payload longer than 125 bytes/);
    // A length beyond 2^53, exactly.
    const huge = tracer('client');
    huge.tracer.push(parseHex('82 7f 00 20 00 00 00 00 00 01'));
    expect(huge.lines[0]).toMatch(/^FIN BINARY len=9007199254740993 \(64-bit\) !! Payload length beyond 2\^53 - 1/);
  });

  it('previews long payloads', () => {
    const { tracer: t, lines } = tracer('client');
    t.push(Buffer.concat([parseHex('81 7e 00 c8'), Buffer.alloc(200, 'a')]));
    expect(lines[0]).toBe(`FIN TEXT len=200 (16-bit) "${'a'.repeat(48)}" …+152 bytes`);
  });

  it('shows the text of a continuation frame as text (§5.4)', () => {
    const { tracer: t, lines } = tracer('client');
    t.push(parseHex('01 03 48 65 6c 89 00 80 02 6c 6f'));
    expect(lines).toEqual(['--- TEXT len=3 "Hel"', 'FIN PING len=0', 'FIN CONT len=2 "lo"']);
  });

  it('has only push on its public surface', () => {
    const { tracer: t } = tracer('client');
    expect(Object.keys(t)).toEqual([]);
    expect(Object.getOwnPropertyNames(FrameTracer.prototype).sort()).toEqual(['constructor', 'push']);
  });
});
