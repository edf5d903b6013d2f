/**
 * A message encoded once for many receivers, after gorilla/websocket's `PreparedMessage`.
 *
 * RFC 6455 §5.1: a server never masks its frames, so the bytes of a server-to-client frame do not
 * depend on the connection. The hub therefore encodes a broadcast once — header and payload in
 * one Buffer — and queues that same Buffer on every receiver: no per-receiver framing or copying.
 */
import {
  Opcode,
  PAYLOAD_LENGTH_16,
  PAYLOAD_LENGTH_64,
  PAYLOAD_LENGTH_MASK,
  OPCODE_MASK,
  extendedLengthBytes,
  encodeFrame,
} from '../protocol/frame.js';

/** Encode one unfragmented, unmasked data frame (§5.2) carrying `data`. */
export function encodeMessageFrame(data: string | Uint8Array, binary: boolean): Buffer {
  return encodeFrame(true, binary ? Opcode.Binary : Opcode.Text, data);
}

/** The header length of a frame made by `encodeMessageFrame` (unmasked: no key). */
function encodedHeaderLength(frame: Buffer): number {
  return 2 + extendedLengthBytes(frame[1] & PAYLOAD_LENGTH_MASK);
}

/** The payload of an encoded frame (a view, not a copy). */
export function framePayload(frame: Buffer): Buffer {
  return frame.subarray(encodedHeaderLength(frame));
}

/** Is the encoded frame a binary message (rather than text)? */
export function isBinaryFrame(frame: Buffer): boolean {
  return (frame[0] & OPCODE_MASK) === Opcode.Binary;
}

/**
 * Does `bytes` hold exactly one complete, unmasked, final data frame? Used on frames that arrive
 * from other processes through an adapter, before they are written to sockets as they are.
 */
export function isEncodedMessageFrame(bytes: Buffer): boolean {
  if (bytes.length < 2) return false;
  const first = bytes[0];
  // FIN set, RSV bits clear, opcode Text or Binary; MASK bit clear.
  if (first !== (0x80 | Opcode.Text) && first !== (0x80 | Opcode.Binary)) return false;
  if ((bytes[1] & 0x80) !== 0) return false;
  const headerLength = encodedHeaderLength(bytes);
  if (bytes.length < headerLength) return false;
  const length7 = bytes[1] & PAYLOAD_LENGTH_MASK;
  let payloadLength = length7;
  if (length7 === PAYLOAD_LENGTH_16) payloadLength = bytes.readUInt16BE(2);
  else if (length7 === PAYLOAD_LENGTH_64) {
    payloadLength = bytes.readUInt32BE(2) * 0x1_0000_0000 + bytes.readUInt32BE(6);
  }
  return bytes.length === headerLength + payloadLength;
}
