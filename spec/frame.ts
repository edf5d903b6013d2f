// The suite's own frame writer and reader (RFC 6455 §5.2). Written for the suite and kept
// deliberately small: it must never share code with the implementation under test, or a codec
// bug would hide itself. The writer encodes anything, including frames the RFC forbids; the
// reader decodes anything and leaves judging to the cases.
import { randomBytes } from 'node:crypto';

export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** RFC 6455 §5.5: control frames have the high bit of the opcode set. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

export function opcodeName(opcode: number): string {
  switch (opcode) {
    case Opcode.Continuation: return 'CONT';
    case Opcode.Text: return 'TEXT';
    case Opcode.Binary: return 'BINARY';
    case Opcode.Close: return 'CLOSE';
    case Opcode.Ping: return 'PING';
    case Opcode.Pong: return 'PONG';
    default: return `RESERVED(${opcode})`;
  }
}

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** Defaults to true. */
  fin?: boolean;
  /** The three reserved bits as a number 0..7 (RSV1 = 4, RSV2 = 2, RSV3 = 1). */
  rsv?: number;
  /** true: a random key; a 4-byte Buffer: that key; false/undefined: unmasked. */
  mask?: boolean | Buffer;
}

export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  maskKey: Buffer | null;
  /** Already unmasked. */
  payload: Buffer;
}

/** XOR `data` in place with the 4-byte key (RFC 6455 §5.3), four bytes at a time where aligned. */
export function applyMask(data: Buffer, key: Buffer, offset = 0): void {
  const n = data.length;
  let i = 0;
  if (offset === 0 && n >= 16 && data.byteOffset % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset, n >>> 2);
    const k = key.readUInt32LE(0);
    for (let w = 0; w < words.length; w++) words[w] ^= k;
    i = words.length * 4;
  }
  for (; i < n; i++) data[i] ^= key[(i + offset) & 3];
}

export function toPayload(payload: Buffer | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/** Encode one frame; the payload length picks the 7-, 16- or 64-bit form (RFC 6455 §5.2). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = toPayload(spec.payload);
  const fin = spec.fin ?? true;
  const rsv = (spec.rsv ?? 0) & 7;
  const key = spec.mask === true ? randomBytes(4) : spec.mask instanceof Buffer ? spec.mask : null;
  const len = payload.length;
  const extLen = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const headerLen = 2 + extLen + (key ? 4 : 0);
  const out = Buffer.allocUnsafe(headerLen + len);
  out[0] = (fin ? 0x80 : 0) | (rsv << 4) | (spec.opcode & 0xf);
  out[1] = (key ? 0x80 : 0) | (extLen === 0 ? len : extLen === 2 ? 126 : 127);
  if (extLen === 2) out.writeUInt16BE(len, 2);
  else if (extLen === 8) out.writeBigUInt64BE(BigInt(len), 2);
  if (key) key.copy(out, 2 + extLen);
  payload.copy(out, headerLen);
  if (key) applyMask(out.subarray(headerLen), key);
  return out;
}

/** Build a close frame payload: 2-byte code then the reason (RFC 6455 §5.5.1). */
export function closePayload(code?: number, reason: Buffer | string = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const r = toPayload(reason);
  const out = Buffer.allocUnsafe(2 + r.length);
  out.writeUInt16BE(code & 0xffff, 0);
  r.copy(out, 2);
  return out;
}

/**
 * Incremental frame reader: bytes in any chunking, whole frames out. It only refuses what it
 * cannot represent (a 64-bit length with the top bit set, or above maxFrameSize).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameSize = 256 * 1024 * 1024) {}

  /** Feed bytes; returns the frames completed by them. Throws on an unrepresentable length. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private consume(n: number): Buffer {
    const head = this.peek(n);
    const out = head.subarray(0, n);
    if (head.length === n) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.buffered -= n;
    return out;
  }

  private next(): Frame | null {
    if (this.buffered < 2) return null;
    const h = this.peek(2);
    const b0 = h[0];
    const b1 = h[1];
    let headerLen = 2;
    let len = b1 & 0x7f;
    const masked = (b1 & 0x80) !== 0;
    if (len === 126) headerLen += 2;
    else if (len === 127) headerLen += 8;
    if (masked) headerLen += 4;
    if (this.buffered < headerLen) return null;
    const hdr = this.peek(headerLen);
    if (len === 126) len = hdr.readUInt16BE(2);
    else if (len === 127) {
      const big = hdr.readBigUInt64BE(2);
      if (big > BigInt(this.maxFrameSize)) throw new Error(`frame length ${big} exceeds the suite's limit`);
      len = Number(big);
    }
    if (len > this.maxFrameSize) throw new Error(`frame length ${len} exceeds the suite's limit`);
    if (this.buffered < headerLen + len) return null;
    const header = Buffer.from(this.consume(headerLen));
    const maskKey = masked ? header.subarray(headerLen - 4, headerLen) : null;
    // Copy so that unmasking never writes into a buffer someone else holds.
    const payload = Buffer.from(len > 0 ? this.consume(len) : Buffer.alloc(0));
    if (maskKey) applyMask(payload, maskKey);
    return {
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 0xf,
      masked,
      maskKey,
      payload,
    };
  }
}
