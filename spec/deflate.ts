// permessage-deflate's data path for the suite (RFC 7692 §7.2), with node:zlib's raw DEFLATE.
// Each message is one synchronous zlib call, so the Wire stays synchronous; context takeover is a
// preset dictionary holding the last window's worth of the earlier messages, which is exactly
// what the peer's LZ77 window holds. Inflating with the negotiated window bits and, without
// context takeover, no history, is what catches a peer that does not honour the negotiation.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Negotiated } from './extensions.js';

/** RFC 7692 §7.2.1/§7.2.2: the tail of an empty stored block, removed by the sender, appended by the receiver. */
export const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** RFC 7692 §6: the "Per-Message Compressed" bit is RSV1 (as the 0..7 rsv number of FrameSpec). */
export const RSV1 = 4;
/** The most an inflated message may grow to before the suite calls it a bomb. */
const MAX_INFLATED = 256 * 1024 * 1024;

/** Keep the last `size` bytes of `history` + `data`, copied so no large buffer stays referenced. */
function keepTail(history: Buffer, data: Buffer, size: number): Buffer {
  if (data.length >= size) return Buffer.from(data.subarray(data.length - size));
  const joined = Buffer.concat([history, data]);
  return Buffer.from(joined.subarray(Math.max(0, joined.length - size)));
}

export interface DeflateStats {
  /** Bytes before compression and after, for messages the suite sent. */
  sentPlain: number;
  sentCompressed: number;
  /** Bytes as received and after inflating, for compressed messages the peer sent. */
  receivedCompressed: number;
  receivedPlain: number;
}

export class DeflateCodec {
  readonly stats: DeflateStats = { sentPlain: 0, sentCompressed: 0, receivedCompressed: 0, receivedPlain: 0 };
  private sentHistory: Buffer = Buffer.alloc(0);
  private receivedHistory: Buffer = Buffer.alloc(0);

  constructor(readonly params: Negotiated) {}

  /** RFC 7692 §7.2.1: DEFLATE, flush with an empty stored block, remove its 00 00 ff ff. */
  compress(payload: Buffer): Buffer {
    const { ownWindowBits: bits, ownNoContextTakeover: fresh } = this.params;
    const out = deflateRawSync(payload, {
      // zlib cannot deflate with a 256-byte window; with 9 bits it never reaches back more than
      // 512 - 262 = 250 bytes, which an 8-bit window allows.
      windowBits: Math.max(bits, 9),
      finishFlush: constants.Z_SYNC_FLUSH,
      ...(!fresh && this.sentHistory.length > 0 ? { dictionary: this.sentHistory } : {}),
    });
    if (!fresh) this.sentHistory = keepTail(this.sentHistory, payload, 1 << bits);
    const data = out.subarray(out.length - 4).equals(DEFLATE_TAIL) ? out.subarray(0, out.length - 4) : out;
    this.stats.sentPlain += payload.length;
    this.stats.sentCompressed += data.length;
    return data;
  }

  /**
   * RFC 7692 §7.2.2: append 00 00 ff ff and inflate. Throws when the data is not valid DEFLATE
   * within the negotiated window and context. The output chunk is one window long, so a
   * reference further back than the window (give or take one chunk) is refused by zlib.
   */
  decompress(data: Buffer): Buffer {
    const { peerWindowBits: bits, peerNoContextTakeover: fresh } = this.params;
    const out = inflateRawSync(Buffer.concat([data, DEFLATE_TAIL]), {
      windowBits: bits,
      finishFlush: constants.Z_SYNC_FLUSH,
      chunkSize: Math.max(1 << bits, 1024),
      maxOutputLength: MAX_INFLATED,
      ...(!fresh && this.receivedHistory.length > 0 ? { dictionary: this.receivedHistory } : {}),
    });
    if (!fresh) this.receivedHistory = keepTail(this.receivedHistory, out, 1 << bits);
    this.stats.receivedCompressed += data.length;
    this.stats.receivedPlain += out.length;
    return out;
  }

  /** "sent 0.214, received 0.231": compressed size over plain size, per direction. */
  describeRatios(): string {
    const ratio = (c: number, p: number): string => (p > 0 ? (c / p).toFixed(3) : '-');
    const s = this.stats;
    return `compression ratio sent ${ratio(s.sentCompressed, s.sentPlain)}, received ${ratio(s.receivedCompressed, s.receivedPlain)}`;
  }
}
