/**
 * The frames of one broadcast, each made once: the plain frame (gorilla's PreparedMessage), and,
 * for connections that agreed to permessage-deflate without server context takeover
 * (RFC 7692 §7.1.1.1), the compressed frame, once per distinct compressor — usually one for the
 * whole server — so that a broadcast to a thousand compressing receivers costs one compression.
 */
import { PendingFrame } from '../protocol/pending-frame.js';
import { Opcode, encodeFrame } from '../protocol/frame.js';
import type { BroadcastCompressor } from '../node/deflate/setup.js';
import type { SocketTransport } from '../node/socket-transport.js';
import { framePayload, isBinaryFrame } from './prepared-message.js';

export class BroadcastFrames {
  readonly plain: Buffer;
  #payload: Buffer | null = null;
  #compressed: Map<BroadcastCompressor, Buffer | PendingFrame> | null = null;

  constructor(plain: Buffer) {
    this.plain = plain;
  }

  /** The message's payload (a view into the plain frame). */
  get payload(): Buffer {
    return (this.#payload ??= framePayload(this.plain));
  }

  get isBinary(): boolean {
    return isBinaryFrame(this.plain);
  }

  /**
   * The frame for this receiver, or null when the connection must compress the message itself
   * (it agreed to server context takeover, so its compressor's state is its own).
   */
  frameFor(transport: SocketTransport): Buffer | PendingFrame | null {
    // A socket this process dialed masks its frames (§5.3): no shared encoding for it.
    if (transport.protocol.role === 'client') return null;
    const compressor = transport.broadcastCompressor;
    if (compressor === null) return transport.protocol.compressionEnabled ? null : this.plain;
    if (this.payload.length < compressor.threshold) return this.plain;
    const compressed = (this.#compressed ??= new Map()).get(compressor);
    if (compressed !== undefined) return compressed;
    const made = this.compress(compressor);
    this.#compressed.set(compressor, made);
    return made;
  }

  /** Compress the payload once; the frame is ready now (small messages) or later (PendingFrame). */
  private compress(compressor: BroadcastCompressor): Buffer | PendingFrame {
    const opcode = this.isBinary ? Opcode.Binary : Opcode.Text;
    let frame: Buffer | PendingFrame | null = null;
    const finishedNow = compressor.codec.compress(this.payload, (error, compressed) => {
      // A failed compression sends the message plain: a message may always go uncompressed.
      const ready = error === null ? encodeFrame(true, opcode, compressed, null, true) : this.plain;
      if (frame instanceof PendingFrame) frame.resolve(ready);
      else frame = ready;
    });
    if (finishedNow) return frame!;
    frame = new PendingFrame(this.payload.length);
    return frame;
  }
}
