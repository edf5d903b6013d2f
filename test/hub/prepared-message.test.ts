import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Protocol, type ProtocolHandler } from '../../src/protocol/protocol.js';
import {
  encodeMessageFrame,
  framePayload,
  isBinaryFrame,
  isEncodedMessageFrame,
} from '../../src/hub/prepared-message.js';

const quiet: ProtocolHandler = {
  onReady() {},
  onMessage() {},
  onPing() {},
  onPong() {},
  onCloseFrame() {},
  onProtocolError() {},
};

/** What a server connection would write for the same message. */
function referenceFrame(data: string | Buffer, binary: boolean): Buffer {
  const connection = new Protocol(quiet, { role: 'server' });
  if (binary) connection.sendBinary(typeof data === 'string' ? Buffer.from(data) : data);
  else connection.sendText(data);
  return Buffer.concat(connection.dataToSend());
}

describe('encodeMessageFrame', () => {
  it('matches the bytes a server connection writes, for every length form (§5.2)', () => {
    for (const size of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      const bytes = Buffer.alloc(size, 0x61);
      expect(encodeMessageFrame(bytes, true)).toEqual(referenceFrame(bytes, true));
      expect(encodeMessageFrame(bytes.toString(), false)).toEqual(referenceFrame(bytes.toString(), false));
    }
  });

  it('encodes strings as UTF-8 text and bytes as binary, round trip through the helpers', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 70_000 })), fc.boolean(), (value, binary) => {
        const data = typeof value === 'string' ? value : Buffer.from(value);
        const frame = encodeMessageFrame(data, binary);
        expect(isEncodedMessageFrame(frame)).toBe(true);
        expect(isBinaryFrame(frame)).toBe(binary);
        expect(framePayload(frame)).toEqual(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
        expect(frame).toEqual(referenceFrame(data, binary));
      }),
      { numRuns: 200 },
    );
  });

  it('recognises only a single complete unmasked final data frame', () => {
    const frame = encodeMessageFrame('hello', false);
    expect(isEncodedMessageFrame(frame.subarray(0, 4))).toBe(false);
    expect(isEncodedMessageFrame(Buffer.concat([frame, Buffer.from([0])]))).toBe(false);
    const masked = Buffer.from(frame);
    masked[1] |= 0x80;
    expect(isEncodedMessageFrame(masked)).toBe(false);
    const ping = Buffer.from(frame);
    ping[0] = 0x89;
    expect(isEncodedMessageFrame(ping)).toBe(false);
    const notFinal = Buffer.from(frame);
    notFinal[0] = 0x01;
    expect(isEncodedMessageFrame(notFinal)).toBe(false);
  });
});
