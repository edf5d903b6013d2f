/**
 * The envelope a hub publishes to other processes through its adapter. Binary-safe (no JSON, no
 * base64): the encoded WebSocket frame travels as it is and is written to sockets as it arrives.
 *
 *     version   u8      ENVELOPE_VERSION
 *     kind      u8      EnvelopeKind
 *     origin    u8 length + UTF-8   the publishing hub's node id (a hub skips its own messages)
 *     target    u16 length + UTF-8  Broadcast: the room ('' = every socket); Direct: the socket id
 *     except    u16 length + UTF-8  Broadcast: the id of a socket to skip ('' = none)
 *     frame     the rest            one complete unmasked data frame (src/hub/prepared-message.ts)
 */
import { isEncodedMessageFrame } from './prepared-message.js';

export const ENVELOPE_VERSION = 1;

export enum EnvelopeKind {
  /** To the members of a room, or to every socket. */
  Broadcast = 1,
  /** To one socket, by id (`hub.sendTo`). */
  Direct = 2,
}

export interface Envelope {
  kind: EnvelopeKind;
  origin: string;
  target: string;
  except: string;
  frame: Buffer;
}

const MAX_ORIGIN_BYTES = 0xff;
const MAX_FIELD_BYTES = 0xffff;

export function encodeEnvelope(envelope: Envelope): Buffer {
  const originLength = Buffer.byteLength(envelope.origin);
  const targetLength = Buffer.byteLength(envelope.target);
  const exceptLength = Buffer.byteLength(envelope.except);
  if (originLength > MAX_ORIGIN_BYTES) throw new RangeError('node id longer than 255 bytes');
  if (targetLength > MAX_FIELD_BYTES) throw new RangeError('room or socket id longer than 65535 bytes');
  if (exceptLength > MAX_FIELD_BYTES) throw new RangeError('socket id longer than 65535 bytes');
  const headerLength = 2 + 1 + originLength + 2 + targetLength + 2 + exceptLength;
  const bytes = Buffer.allocUnsafe(headerLength + envelope.frame.length);
  let offset = 0;
  bytes[offset++] = ENVELOPE_VERSION;
  bytes[offset++] = envelope.kind;
  bytes[offset++] = originLength;
  offset += bytes.write(envelope.origin, offset, 'utf8');
  offset = bytes.writeUInt16BE(targetLength, offset);
  offset += bytes.write(envelope.target, offset, 'utf8');
  offset = bytes.writeUInt16BE(exceptLength, offset);
  offset += bytes.write(envelope.except, offset, 'utf8');
  envelope.frame.copy(bytes, offset);
  return bytes;
}

/**
 * Decode an envelope, or return null for anything malformed (another program publishing on our
 * channel, a future version): the hub ignores those instead of failing. The frame is a view.
 */
export function decodeEnvelope(bytes: Buffer): Envelope | null {
  if (bytes.length < 9 || bytes[0] !== ENVELOPE_VERSION) return null;
  const kind = bytes[1];
  if (kind !== EnvelopeKind.Broadcast && kind !== EnvelopeKind.Direct) return null;
  let offset = 2;
  const originLength = bytes[offset++];
  if (offset + originLength + 2 > bytes.length) return null;
  const origin = bytes.toString('utf8', offset, offset + originLength);
  offset += originLength;
  const targetLength = bytes.readUInt16BE(offset);
  offset += 2;
  if (offset + targetLength + 2 > bytes.length) return null;
  const target = bytes.toString('utf8', offset, offset + targetLength);
  offset += targetLength;
  const exceptLength = bytes.readUInt16BE(offset);
  offset += 2;
  if (offset + exceptLength > bytes.length) return null;
  const except = bytes.toString('utf8', offset, offset + exceptLength);
  offset += exceptLength;
  const frame = bytes.subarray(offset);
  if (!isEncodedMessageFrame(frame)) return null;
  return { kind, origin, target, except, frame };
}
