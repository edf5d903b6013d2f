/** What the protocol needs from a DEFLATE engine (injected by the I/O layer; RFC 7692 §7.2). */
export type InflateResult =
  | { ok: true; data: Buffer }
  | { ok: false; reason: 'too-big' | 'corrupt'; message: string };
export interface MessageCodec {
  /** Compress one whole message payload. The result is DEFLATE data with the final 0x00 0x00 0xff 0xff removed (§7.2.1). Calls done exactly once, synchronously or later; returns true if it already called done. */
  compress(data: Buffer, done: (error: Error | null, compressed: Buffer) => void): boolean;
  /** Inflate one message's payload (compressed bytes without the tail; the codec appends 00 00 ff ff, §7.2.2). Output larger than maxBytes stops inflation at once with reason 'too-big' (never holding much more than maxBytes); invalid data gives 'corrupt'. Calls done exactly once, synchronously or later; returns true if it already called done. */
  decompress(data: Buffer, maxBytes: number, done: (result: InflateResult) => void): boolean;
  /** Free per-connection zlib state (context takeover mode); the connection has ended. */
  dispose(): void;
}
