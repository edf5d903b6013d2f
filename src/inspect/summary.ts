/**
 * What inspection shows of one frame: the RFC 6455 §5.2 header fields, the §5.3 masking key
 * and the unmasked payload, copied out of the real `FrameParser` (which reuses its header), and
 * for a continuation frame the message it continues (§5.4).
 */
import {
  Opcode,
  isControlOpcode,
  receivedHeaderLength,
  type FrameHeader,
} from '../protocol/frame.js';
import type { FrameParser } from '../protocol/parser.js';

/** What the one-line format shows of a frame. `payload` may be a prefix of the real payload. */
export interface FrameSummary extends Omit<FrameHeader, 'maskKey'> {
  /** The masking key (§5.3), or null for an unmasked frame or a key cut short. */
  maskKey: Uint8Array | null;
  /** The unmasked payload, or its first bytes (then shorter than `payloadLength`). */
  payload: Uint8Array;
  /** For a continuation frame, the opcode of the message it continues (Text/Binary), else 0. */
  messageOpcode?: number;
  /** The exact 64-bit length when it is beyond 2^53 (only a refused header has one). */
  exactLength?: bigint;
  /** The bytes end inside the extended length (§5.2): `payloadLength` is not known (0). */
  lengthCutShort?: boolean;
}

/** Copy a header the parser accepted out of its reused object. */
export function summarize(header: FrameHeader, payload: Uint8Array, messageOpcode: number): FrameSummary {
  return {
    fin: header.fin,
    rsv1: header.rsv1,
    rsv2: header.rsv2,
    rsv3: header.rsv3,
    opcode: header.opcode,
    masked: header.masked,
    maskKey: header.masked ? Uint8Array.from(header.maskKey) : null,
    payloadLength: header.payloadLength,
    lengthForm: header.lengthForm,
    payload,
    messageOpcode,
  };
}

/** A header cut short or refused carries no payload bytes. */
const NO_PAYLOAD = new Uint8Array(0);

/**
 * What the parser read of the header it stopped in: one it refused, or one the bytes cut
 * short. Null when it read nothing of it (fewer than 2 bytes). The fields it has not read yet
 * (the extended length, the masking key) are marked as cut short (`parser.headerBytesRead`).
 */
export function summarizeHeaderRead(parser: FrameParser, messageOpcode: number): FrameSummary | null {
  const read = parser.headerBytesRead;
  if (read === 0) return null;
  const header = parser.header;
  const summary = summarize(header, NO_PAYLOAD, messageOpcode);
  if (read < receivedHeaderLength(header)) {
    summary.maskKey = null;
    if (header.lengthForm !== 7) summary.lengthCutShort = true;
  } else if (parser.unsafeLength !== null) {
    summary.exactLength = parser.unsafeLength;
  }
  return summary;
}

/** Follows which message a continuation frame belongs to (§5.4), across frames. */
export class MessageTracker {
  #openOpcode = 0;

  /** For a continuation, the opcode of the message it continues; 0 for any other frame. */
  messageOf(header: FrameHeader): number {
    return header.opcode === Opcode.Continuation ? this.#openOpcode : 0;
  }

  /** Record a complete frame; returns `messageOf` it. */
  frameEnded(header: FrameHeader): number {
    const opcode = header.opcode;
    if (isControlOpcode(opcode)) return 0;
    const continued = this.messageOf(header);
    if (opcode !== Opcode.Continuation) this.#openOpcode = opcode;
    if (header.fin) this.#openOpcode = 0;
    return continued;
  }
}
