import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  MAX_CLOSE_REASON_BYTES,
  decodeClosePayload,
  encodeClosePayload,
  isValidCloseCode,
} from '../../src/protocol/close.js';
import { ProtocolError } from '../../src/protocol/errors.js';

/** RFC 6455 §7.4.1–§7.4.2 and the IANA registry: the codes allowed on the wire. */
function expectedValid(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function body(code: number, reason: Buffer | string = ''): Buffer {
  const reasonBytes = typeof reason === 'string' ? Buffer.from(reason) : reason;
  const out = Buffer.alloc(2 + reasonBytes.length);
  out.writeUInt16BE(code, 0);
  reasonBytes.copy(out, 2);
  return out;
}

function decodeError(payload: Buffer): ProtocolError {
  try {
    decodeClosePayload(payload);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a protocol error');
}

describe('close codes (RFC 6455 §7.4)', () => {
  it('classifies every code from 0 to 5000', () => {
    for (let code = 0; code <= 5000; code++) {
      if (isValidCloseCode(code) !== expectedValid(code)) throw new Error(`misclassified ${code}`);
    }
    // Spot checks of the edges named by the RFC.
    for (const code of [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) expect(isValidCloseCode(code), String(code)).toBe(false);
    for (const code of [1000, 1003, 1007, 1011, 1014, 3000, 4999]) expect(isValidCloseCode(code), String(code)).toBe(true);
  });

  it('decodes every code 0..5000 from the wire: valid ones returned, others a 1002 protocol error', () => {
    for (let code = 0; code <= 5000; code++) {
      const payload = body(code, 'ok');
      if (expectedValid(code)) {
        const decoded = decodeClosePayload(payload);
        if (decoded.code !== code || decoded.reason.toString() !== 'ok') throw new Error(`bad decode of ${code}`);
      } else {
        const error = decodeError(payload);
        if (error.closeCode !== 1002 || error.code !== 'WS_ERR_INVALID_CLOSE_CODE') throw new Error(`bad error for ${code}`);
      }
    }
    expect(decodeError(body(65535)).closeCode).toBe(1002);
  });

  it('an empty body means no status (1005)', () => {
    const decoded = decodeClosePayload(Buffer.alloc(0));
    expect(decoded.code).toBe(CloseCode.NoStatusReceived);
    expect(decoded.reason.length).toBe(0);
  });

  it('a 1-byte body is a protocol error (1002)', () => {
    const error = decodeError(Buffer.of(0x03));
    expect(error.closeCode).toBe(1002);
    expect(error.code).toBe('WS_ERR_INVALID_CLOSE_PAYLOAD');
  });

  it('a reason that is not UTF-8 is 1007 (§8.1)', () => {
    for (const bad of ['ff', 'c0 80', 'ed a0 80', 'ce ba e1 bd', 'f4 90 80 80']) {
      const error = decodeError(body(1000, Buffer.from(bad.replace(/ /g, ''), 'hex')));
      expect(error.closeCode, bad).toBe(1007);
      expect(error.code).toBe('WS_ERR_INVALID_UTF8');
    }
    expect(decodeClosePayload(body(1000, 'κόσμε')).reason.toString()).toBe('κόσμε');
  });

  it('the code is checked before the reason', () => {
    expect(decodeError(body(1005, Buffer.of(0xff))).closeCode).toBe(1002);
  });
});

describe('encodeClosePayload', () => {
  it('encodes code and reason big-endian (§5.5.1)', () => {
    expect(encodeClosePayload(1000).toString('hex')).toBe('03e8');
    expect(encodeClosePayload(4999, 'bye').toString('hex')).toBe('1387' + Buffer.from('bye').toString('hex'));
    expect(encodeClosePayload(3000, Buffer.from('é'))).toEqual(body(3000, 'é'));
    expect(encodeClosePayload().length).toBe(0);
  });

  it('round-trips through decodeClosePayload', () => {
    for (const code of [1000, 1001, 1003, 1007, 1014, 3000, 4321, 4999]) {
      const decoded = decodeClosePayload(encodeClosePayload(code, 'reason ✓'));
      expect(decoded.code).toBe(code);
      expect(decoded.reason.toString()).toBe('reason ✓');
    }
  });

  it('refuses a reason over 123 bytes, counting UTF-8 bytes', () => {
    expect(encodeClosePayload(1000, 'a'.repeat(MAX_CLOSE_REASON_BYTES)).length).toBe(125);
    expect(() => encodeClosePayload(1000, 'a'.repeat(124))).toThrow(RangeError);
    expect(() => encodeClosePayload(1000, Buffer.alloc(124))).toThrow(RangeError);
    // 62 two-byte characters: 62 characters but 124 bytes.
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(RangeError);
    expect(encodeClosePayload(1000, 'é'.repeat(61)).length).toBe(124);
  });

  it('refuses codes that may not be sent, and a reason without a code', () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000, 1000.5, Number.NaN]) {
      expect(() => encodeClosePayload(code), String(code)).toThrow(TypeError);
    }
    expect(() => encodeClosePayload(undefined, 'why')).toThrow(TypeError);
    expect(encodeClosePayload(undefined, '').length).toBe(0);
  });
});
