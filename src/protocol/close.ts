/**
 * Close codes and the Close frame body.
 * RFC 6455 §5.5.1 (Close frame payload), §7.4 (status codes), §7.4.1 (defined codes), §7.4.2 (ranges).
 */
import { isUtf8 } from 'node:buffer';
import { ProtocolError } from './errors.js';

/** RFC 6455 §7.4.1 defined status codes, plus the IANA-registered 1012–1014. */
export enum CloseCode {
  Normal = 1000,
  GoingAway = 1001,
  ProtocolError = 1002,
  UnsupportedData = 1003,
  /** Reserved: never on the wire; reported when a Close frame had no status code. */
  NoStatusReceived = 1005,
  /** Reserved: never on the wire; reported when TCP closed without a Close frame. */
  AbnormalClosure = 1006,
  InvalidPayload = 1007,
  PolicyViolation = 1008,
  MessageTooBig = 1009,
  MandatoryExtension = 1010,
  InternalError = 1011,
  ServiceRestart = 1012,
  TryAgainLater = 1013,
  BadGateway = 1014,
  /** Reserved: never on the wire; TLS handshake failure. */
  TlsHandshake = 1015,
}

/** RFC 6455 §5.5: a control frame payload is at most 125 bytes; 2 of them hold the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * May this code appear in a Close frame? RFC 6455 §7.4.1–§7.4.2: 1000–1003 and 1007–1014 are
 * defined for use, 3000–4999 are for libraries and applications. 1004 is reserved, 1005, 1006
 * and 1015 must never be sent, and everything below 3000 that is not defined is reserved.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

export interface ClosePayload {
  /** The status code, or 1005 (NoStatusReceived) when the frame had an empty body. */
  code: number;
  /** The UTF-8 reason bytes (possibly empty). */
  reason: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * Decode a received Close frame body. RFC 6455 §5.5.1: the body is empty, or a 2-byte
 * big-endian code followed by a UTF-8 reason. A 1-byte body or an invalid code is a protocol
 * error (1002); a reason that is not valid UTF-8 is 1007 (§8.1).
 */
export function decodeClosePayload(payload: Buffer, validateUtf8 = true): ClosePayload {
  if (payload.length === 0) return { code: CloseCode.NoStatusReceived, reason: EMPTY };
  if (payload.length === 1) {
    throw new ProtocolError(
      CloseCode.ProtocolError,
      'WS_ERR_INVALID_CLOSE_PAYLOAD',
      'Close frame body of 1 byte: a status code needs 2',
    );
  }
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) {
    throw new ProtocolError(
      CloseCode.ProtocolError,
      'WS_ERR_INVALID_CLOSE_CODE',
      `Invalid close code on the wire: ${code}`,
    );
  }
  const reason = payload.subarray(2);
  if (validateUtf8 && !isUtf8(reason)) {
    throw new ProtocolError(
      CloseCode.InvalidPayload,
      'WS_ERR_INVALID_UTF8',
      'Close reason is not valid UTF-8',
    );
  }
  return { code, reason };
}

/**
 * Encode a Close frame body for sending. Misuse by the caller (a reserved code, a reason that
 * does not fit in a control frame) throws a TypeError/RangeError in `ws`'s words: it is a
 * programming error, not a protocol failure. With no code the body is empty (§5.5.1); a reason
 * needs a code.
 */
export function encodeClosePayload(code?: number, reason?: string | Uint8Array): Buffer {
  if (code === undefined) {
    if (reason !== undefined && reason.length > 0) {
      throw new TypeError('A close reason needs a close code');
    }
    return EMPTY;
  }
  if (typeof code !== 'number' || !Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new TypeError('First argument must be a valid error code number');
  }
  // Checked in `ws`'s order: the length (Node's own TypeError for what has none), then the type.
  const reasonLength = reason === undefined ? 0 : Buffer.byteLength(reason);
  // §5.5: a control frame payload is at most 125 bytes, 2 of them the code.
  if (reasonLength > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`The message must not be greater than ${MAX_CLOSE_REASON_BYTES} bytes`);
  }
  if (reason !== undefined && typeof reason !== 'string' && !(reason instanceof Uint8Array)) {
    throw new TypeError('Second argument must be a string or a Uint8Array');
  }
  const body = Buffer.allocUnsafe(2 + reasonLength);
  body.writeUInt16BE(code, 0);
  if (typeof reason === 'string') body.write(reason, 2, 'utf8');
  else if (reason !== undefined) body.set(reason, 2);
  return body;
}
