// Pre-built bytes for the load client: masked client frames, the upgrade request, and what a
// correct server must answer. Everything here is computed once per scenario, never per message,
// so the client spends its CPU on sockets rather than on encoding.
import { createHash, randomBytes } from 'node:crypto';

export const Opcode = { Text: 0x1, Binary: 0x2, Close: 0x8 } as const;

// RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing.
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKeyFor(key: string): string {
  return createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
}

function headerLength(payloadLength: number, masked: boolean): number {
  // RFC 6455 §5.2: 7-bit, 16-bit or 64-bit payload length, plus 4 bytes of mask key from a client.
  const lengthBytes = payloadLength < 126 ? 0 : payloadLength < 65536 ? 2 : 8;
  return 2 + lengthBytes + (masked ? 4 : 0);
}

// RFC 7692 §6: RSV1 marks the first frame of a compressed message.
const RSV1 = 0x40;

function writeHeader(target: Buffer, opcode: number, payloadLength: number, masked: boolean, rsv1 = false): number {
  target[0] = 0x80 | (rsv1 ? RSV1 : 0) | opcode; // FIN (+ RSV1) + opcode
  const maskBit = masked ? 0x80 : 0;
  if (payloadLength < 126) {
    target[1] = maskBit | payloadLength;
    return 2;
  }
  if (payloadLength < 65536) {
    target[1] = maskBit | 126;
    target.writeUInt16BE(payloadLength, 2);
    return 4;
  }
  target[1] = maskBit | 127;
  target.writeBigUInt64BE(BigInt(payloadLength), 2);
  return 10;
}

/** A client frame (masked with a random non-zero key, RFC 6455 §5.3); `rsv1` for a compressed one. */
export function maskedFrame(opcode: number, payload: Buffer, rsv1 = false): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(payload.length, true) + payload.length);
  let offset = writeHeader(frame, opcode, payload.length, true, rsv1);
  let mask = randomBytes(4);
  while (mask.readUInt32BE(0) === 0) mask = randomBytes(4); // a zero mask would flatter a shortcut
  mask.copy(frame, offset);
  offset += 4;
  for (let i = 0; i < payload.length; i++) frame[offset + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/** A server frame (unmasked), as a correct server sends it back. */
export function serverFrame(opcode: number, payload: Buffer, rsv1 = false): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(payload.length, false) + payload.length);
  const offset = writeHeader(frame, opcode, payload.length, false, rsv1);
  payload.copy(frame, offset);
  return frame;
}

/** The payload bytes exactly as they travel inside a frame (masked for client frames). */
export function wirePayload(frame: Buffer): Buffer {
  let offset = 2;
  const len7 = frame[1] & 0x7f;
  if (len7 === 126) offset += 2;
  else if (len7 === 127) offset += 8;
  if (frame[1] & 0x80) offset += 4;
  return frame.subarray(offset);
}

/** Distinct payloads so a lost, duplicated or reordered message changes the bytes compared. */
export function distinctPayloads(count: number, size: number, text: boolean, salt: number): Buffer[] {
  const payloads: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const payload = Buffer.allocUnsafe(size);
    if (text) {
      // Printable ASCII that starts with the slot number: valid UTF-8 and readable in a dump.
      const tag = `${salt}:${i}:`;
      for (let j = 0; j < size; j++) payload[j] = 0x61 + ((i * 7 + j + salt) % 26);
      payload.write(tag.slice(0, size), 0, 'latin1');
    } else {
      randomBytes(size).copy(payload);
      if (size >= 8) {
        payload.writeUInt32BE(salt >>> 0, 0);
        payload.writeUInt32BE(i, 4);
      }
    }
    payloads.push(payload);
  }
  return payloads;
}

/**
 * Distinct chat-like JSON texts of at least `minSize` bytes (a few more: whole records only),
 * for the compression scenarios: repeated keys and similar values make them compress to about a
 * quarter, like the WebSocket traffic that is worth compressing. Slot and salt are in every
 * record, so a lost or reordered message changes the text.
 */
export function jsonPayloads(count: number, minSize: number, salt: number): Buffer[] {
  const payloads: Buffer[] = [];
  for (let slot = 0; slot < count; slot++) {
    const messages: object[] = [];
    let text = '';
    for (let i = 0; text.length < minSize; i++) {
      const seed = ((salt * 7919 + slot * 131 + i) * 2654435761) % 1000003;
      messages.push({
        id: salt * 1_000_000 + slot * 1000 + i,
        user: `user${(slot * 7 + i) % 97}`,
        room: 'general',
        text: `message ${i} of slot ${slot}: ${seed.toString(36)} lorem ipsum dolor sit amet`,
        ts: 1_767_225_600_000 + slot * 1000 + i * 37,
      });
      text = JSON.stringify({ type: 'chat', salt, slot, messages });
    }
    payloads.push(Buffer.from(text));
  }
  return payloads;
}

/** Concatenate `frames` twice so that any run of up to frames.length consecutive frames, starting
 * anywhere in the cycle, is one contiguous subarray: one write, no copy. */
export class FrameRing {
  readonly bytes: Buffer;
  private readonly offsets: number[];
  readonly size: number;

  constructor(frames: Buffer[]) {
    this.size = frames.length;
    this.offsets = [0];
    const doubled = frames.concat(frames);
    for (const frame of doubled) this.offsets.push(this.offsets[this.offsets.length - 1] + frame.length);
    this.bytes = Buffer.concat(doubled);
  }

  /** Bytes of `count` frames starting at cycle index `start` (count ≤ size). */
  slice(start: number, count: number): Buffer {
    const first = start % this.size;
    return this.bytes.subarray(this.offsets[first], this.offsets[first + count]);
  }
}

export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='; // RFC 6455 §1.3's example nonce

/** The upgrade request; `extensions` is a Sec-WebSocket-Extensions offer (RFC 6455 §9.1). */
export function upgradeRequest(path: string, key = SAMPLE_KEY, extensions?: string): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\n` +
      'Host: 127.0.0.1\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${key}\r\n` +
      'Sec-WebSocket-Version: 13\r\n' +
      (extensions === undefined ? '' : `Sec-WebSocket-Extensions: ${extensions}\r\n`) +
      '\r\n',
    'latin1',
  );
}

/** Close frame with status 1000 (RFC 6455 §7.4.1), masked as a client must. */
export function clientCloseFrame(): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(1000, 0);
  return maskedFrame(Opcode.Close, payload);
}
