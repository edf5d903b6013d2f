/**
 * The frame header. RFC 6455 §5.2:
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-------+-+-------------+-------------------------------+
 *     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *     |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *     |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *     | |1|2|3|       |K|             |                               |
 *     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *     |     Extended payload length continued, if payload len == 127  |
 *     + - - - - - - - - - - - - - - - +-------------------------------+
 *     |                               |Masking-key, if MASK set to 1  |
 *     +-------------------------------+-------------------------------+
 *     | Masking-key (continued)       |          Payload Data         |
 *     +-------------------------------- - - - - - - - - - - - - - - - +
 */

import { applyMask } from './mask.js';

/** RFC 6455 §5.2 opcodes (§11.8). 0x3–0x7 and 0xB–0xF are reserved. */
export enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** §5.2: the bits of the first two header bytes. */
export const FIN_BIT = 0x80;
export const RSV1_BIT = 0x40;
export const RSV2_BIT = 0x20;
export const RSV3_BIT = 0x10;
export const OPCODE_MASK = 0x0f;
export const MASK_BIT = 0x80;
export const PAYLOAD_LENGTH_MASK = 0x7f;

/** The 7-bit length values that announce a 16-bit or a 64-bit extended length (§5.2). */
export const PAYLOAD_LENGTH_16 = 126;
export const PAYLOAD_LENGTH_64 = 127;
/** RFC 6455 §5.5: all control frames have a payload of 125 bytes or less. */
export const MAX_CONTROL_PAYLOAD = 125;
/** §5.2: "Masking-key: 0 or 4 bytes". */
export const MASK_KEY_LENGTH = 4;
/** The largest header: 2 bytes + 8 of extended length + 4 of masking key. */
export const MAX_HEADER_LENGTH = 14;

/** §5.5: control frames are those whose opcode has the high bit set. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x08) !== 0;
}

/** The opcodes RFC 6455 defines; the rest are reserved (§5.2) and fail the connection. */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= Opcode.Binary || (opcode >= Opcode.Close && opcode <= Opcode.Pong);
}

export function opcodeName(opcode: number): string {
  const name = Opcode[opcode];
  return name === undefined ? `Reserved(0x${opcode.toString(16)})` : name;
}

/** A decoded header; the parser reuses one object, so copy what you keep. */
export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** The payload length (up to 2^53 - 1: JavaScript's safe integers). */
  payloadLength: number;
  /** Which length form the sender used: 7, 16 or 64 bits (useful for tracing). */
  lengthForm: 7 | 16 | 64;
  /** The masking key, valid when `masked`. */
  maskKey: number[];
}

/** §5.2: how many extended length bytes follow a 7-bit length of 126 (2) or 127 (8). */
export function extendedLengthBytes(length7: number): 0 | 2 | 8 {
  return length7 === PAYLOAD_LENGTH_16 ? 2 : length7 === PAYLOAD_LENGTH_64 ? 8 : 0;
}

/** Bytes a received frame's header took, from the length form its sender used (§5.2). */
export function receivedHeaderLength(header: Pick<FrameHeader, 'lengthForm' | 'masked'>): number {
  const lengthBytes = header.lengthForm === 16 ? 2 : header.lengthForm === 64 ? 8 : 0;
  return 2 + lengthBytes + (header.masked ? MASK_KEY_LENGTH : 0);
}

/** Bytes needed for the header of a frame of this payload length (§5.2). */
export function frameHeaderLength(payloadLength: number, masked: boolean): number {
  const lengthBytes = payloadLength < PAYLOAD_LENGTH_16 ? 0 : payloadLength <= 0xffff ? 2 : 8;
  return 2 + lengthBytes + (masked ? MASK_KEY_LENGTH : 0);
}

/**
 * Write a frame header into `target` at `offset` and return its length. The payload length
 * uses the shortest form (§5.2: "the minimal number of bytes MUST be used").
 */
export function writeFrameHeader(
  target: Buffer,
  offset: number,
  fin: boolean,
  opcode: number,
  payloadLength: number,
  maskKey: ArrayLike<number> | null,
  rsv1 = false,
): number {
  let position = offset;
  target[position++] = (fin ? FIN_BIT : 0) | (rsv1 ? RSV1_BIT : 0) | opcode;
  const maskBit = maskKey === null ? 0 : MASK_BIT;
  if (payloadLength < PAYLOAD_LENGTH_16) {
    target[position++] = maskBit | payloadLength;
  } else if (payloadLength <= 0xffff) {
    target[position++] = maskBit | PAYLOAD_LENGTH_16;
    target[position++] = payloadLength >>> 8;
    target[position++] = payloadLength & 0xff;
  } else {
    target[position++] = maskBit | PAYLOAD_LENGTH_64;
    // Split into two 32-bit halves: bitwise operators in JavaScript stop at 32 bits.
    const high = Math.floor(payloadLength / 0x1_0000_0000);
    target.writeUInt32BE(high, position);
    target.writeUInt32BE(payloadLength >>> 0, position + 4);
    position += 8;
  }
  if (maskKey !== null) {
    target[position++] = maskKey[0];
    target[position++] = maskKey[1];
    target[position++] = maskKey[2];
    target[position++] = maskKey[3];
  }
  return position - offset;
}

/**
 * Write a whole frame at `offset`: the header, then the payload (UTF-8 for a string), masked
 * when `maskKey` is given (§5.3). `target` must have room for
 * `frameHeaderLength(payloadLength, masked) + payloadLength` bytes.
 */
export function writeFrame(
  target: Buffer,
  offset: number,
  fin: boolean,
  opcode: number,
  payload: string | Uint8Array,
  payloadLength: number,
  maskKey: ArrayLike<number> | null,
  rsv1 = false,
): void {
  const payloadStart = offset + writeFrameHeader(target, offset, fin, opcode, payloadLength, maskKey, rsv1);
  if (typeof payload === 'string') target.write(payload, payloadStart, 'utf8');
  else target.set(payload, payloadStart);
  if (maskKey !== null) applyMask(target.subarray(payloadStart, payloadStart + payloadLength), maskKey, 0);
}

/**
 * One whole frame in a Buffer of its own: a message encoded once for many connections (a
 * server's frames are never masked, §5.1), or a frame that must wait outside the shared slab.
 * `rsv1` marks a compressed message's first frame (RFC 7692 §6).
 */
export function encodeFrame(
  fin: boolean,
  opcode: number,
  payload: string | Uint8Array,
  maskKey: ArrayLike<number> | null = null,
  rsv1 = false,
): Buffer {
  const payloadLength = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const frame = Buffer.allocUnsafe(frameHeaderLength(payloadLength, maskKey !== null) + payloadLength);
  writeFrame(frame, 0, fin, opcode, payload, payloadLength, maskKey, rsv1);
  return frame;
}
