import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeFrames } from '../../src/inspect/decoder.js';
import { parseHex } from '../../src/inspect/hex.js';
import { formatDescription } from '../../src/inspect/report.js';

const report = (hex: string, role?: 'server' | 'client'): string =>
  formatDescription(describeFrames(parseHex(hex), role === undefined ? {} : { role }));

describe('formatDescription', () => {
  it('prints every field of the masked example (§5.7)', () => {
    const text = report('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    for (const expected of [
      'Receiver: server',
      'Frame 1, bytes 0-10: FIN TEXT key=37fa213d len=5 "Hello"',
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
      expect(text).toContain(expected);
    }
  });

  it('decodes a Close frame body into code and reason', () => {
    expect(report('88 05 03 e8 62 79 65')).toContain('Frame 1, bytes 0-6: FIN CLOSE len=5 code=1000 Normal "bye"');
  });

  it('says INVALID with the close code, the stable code and the RFC section', () => {
    const text = report('83 00');
    expect(text).toContain('FAILS the connection (§7.1.7) with close code 1002 ProtocolError');
    expect(text).toContain('why:                Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)');
    expect(text).toContain('receiver sends:     FIN CLOSE key=12345678 len=2 code=1002 ProtocolError');
    expect(text).toContain(
      'INVALID: the receiver fails the connection with close code 1002 ProtocolError (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2).',
    );
  });

  const invalid: Array<[string, number, ('server' | 'client')?]> = [
    ['83 00', 1002],
    ['c1 00', 1002],
    ['89 7e 00 7e', 1002],
    ['09 00', 1002],
    ['81 02 c3 28', 1007],
    ['01 01 ed 80 02 a0 80', 1007],
    ['88 02 03 ed', 1002],
    ['88 01 03', 1002],
    ['82 7f 80 00 00 00 00 00 00 00', 1002],
    ['80 00', 1002],
    ['01 01 61 81 01 62', 1002],
    ['81 00', 1002, 'server'],
  ];
  for (const [hex, closeCode, role] of invalid) {
    it(`${hex}: INVALID, with close code ${closeCode}`, () => {
      expect(report(hex, role)).toContain(`INVALID: the receiver fails the connection with close code ${closeCode}`);
    });
  }

  it('shows the raw fields of a refused header, including an exact 64-bit length', () => {
    const text = report('82 7f 80 00 00 00 00 00 00 01');
    expect(text).toContain('payload length:     9223372036854775809 (64-bit form: 127, then 8 bytes, most significant bit set)');
    expect(text).toContain('RFC 6455 §5.2');
  });

  it('a frame cut short: how many bytes are missing', () => {
    expect(report('81 05 48 65')).toContain('incomplete:         3 more byte(s) needed to complete this frame');
    expect(report('81 05 48 65')).toContain('INCOMPLETE: 1 frame(s), the last one cut short.');
    const header = report('81 7e 01');
    expect(header).toContain('payload length:     cut short (16-bit form: 126, then 2 bytes)');
    expect(header).toContain('incomplete:         1 more header byte(s) needed to know the payload length');
    expect(report('81 85 37 fa')).toContain('masking key:        (cut short)');
  });

  it('frames after a Close are never read; stray bytes are named', () => {
    const closed = report('88 00 81 00');
    expect(closed).toContain('receiver:           never reads this frame (it stopped reading before it)');
    expect(closed).toContain('The 2 byte(s) after that are never read.');
    expect(report('81 00 81')).toContain('1 trailing byte(s): too few for a frame header (2 at least)');
  });

  it('never throws on garbage, and the report always ends with a verdict', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom('server', 'client'), (bytes, role) => {
        const text = formatDescription(describeFrames(bytes, { role: role as 'server' | 'client' }));
        expect(text).toMatch(/(OK|INVALID|INCOMPLETE): .*\n?.*$/);
      }),
    );
  });
});
