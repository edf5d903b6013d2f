/**
 * The one-line frame format shared by `wsmith decode` and the trace, and the labels it uses:
 * RFC 6455 §5.2 (the header fields), §5.3 (the masking key), §5.4 (FIN and continuations),
 * §5.5.1 (a Close frame's code and reason), §7.4 (close code names), §8.1 (UTF-8 text).
 */
import { CloseCode } from '../protocol/close.js';
import { Opcode } from '../protocol/frame.js';
import { toHex } from './hex.js';
import type { FrameSummary } from './summary.js';

/** Bytes of payload shown by the one-line format before it says how many more there are. */
export const PREVIEW_BYTES = 48;

/** Short upper-case names for the one-line format. */
const OPCODE_LABELS: Record<number, string> = {
  [Opcode.Continuation]: 'CONT',
  [Opcode.Text]: 'TEXT',
  [Opcode.Binary]: 'BINARY',
  [Opcode.Close]: 'CLOSE',
  [Opcode.Ping]: 'PING',
  [Opcode.Pong]: 'PONG',
};

/** `TEXT`, `PING` ... or `OP(0x3)` for a reserved opcode (§5.2). */
export function opcodeLabel(opcode: number): string {
  return OPCODE_LABELS[opcode] ?? `OP(0x${opcode.toString(16)})`;
}

/** The name of a close code, e.g. `1002 ProtocolError`, or `4000 (private use)` (§7.4). */
export function closeCodeLabel(code: number): string {
  const name = CloseCode[code];
  if (name !== undefined) return `${code} ${name}`;
  if (code >= 3000 && code <= 3999) return `${code} (registered for libraries)`;
  if (code >= 4000 && code <= 4999) return `${code} (private use)`;
  return `${code} (reserved)`;
}

/**
 * One frame on one line: `FIN TEXT key=37fa213d len=5 "Hello"`. The first word is `FIN` on
 * the last frame of a message and `---` on the others (§5.4); `RSV1`..`RSV3` appear only when
 * set; `key=` only on masked frames (§5.3); an extended length says its form: `len=256 (16-bit)`,
 * and `len=?` when the bytes end inside it.
 */
export function formatFrameLine(frame: FrameSummary, limit = PREVIEW_BYTES): string {
  let line = frame.fin ? 'FIN' : '---';
  if (frame.rsv1) line += ' RSV1';
  if (frame.rsv2) line += ' RSV2';
  if (frame.rsv3) line += ' RSV3';
  line += ' ' + opcodeLabel(frame.opcode);
  if (frame.masked && frame.maskKey !== null) line += ` key=${toHex(frame.maskKey, '')}`;
  line += ` len=${frame.lengthCutShort === true ? '?' : (frame.exactLength ?? frame.payloadLength)}`;
  if (frame.lengthForm !== 7) line += ` (${frame.lengthForm}-bit)`;
  const payload = formatPayload(frame, limit);
  if (payload !== '') line += ' ' + payload;
  return line;
}

/**
 * How the payload reads: `"text"` when it is (the start of) valid UTF-8 in a text message or a
 * control frame, the close code and reason of a Close frame (§5.5.1), hex otherwise. At most
 * `limit` bytes are shown; the rest is counted.
 */
export function formatPayload(frame: FrameSummary, limit = PREVIEW_BYTES): string {
  const { payload, payloadLength } = frame;
  // Nothing of the payload at hand (an empty frame, or a header refused before its payload).
  if (payload.length === 0) return '';
  const opcode = frame.opcode === Opcode.Continuation ? (frame.messageOpcode ?? 0) : frame.opcode;
  if (frame.opcode === Opcode.Close) {
    if (payload.length < 2) return `(${payloadLength}-byte body: a code needs 2)`;
    const code = (payload[0] << 8) | payload[1];
    const reason = payload.subarray(2);
    const reasonText = reason.length === 0 ? '' : ` ${quoteIfText(reason, payloadLength - 2, limit)}`;
    return `code=${closeCodeLabel(code)}${reasonText}`;
  }
  if (opcode === Opcode.Text || opcode === Opcode.Ping || opcode === Opcode.Pong) {
    return quoteIfText(payload, payloadLength, limit);
  }
  return hexPreview(payload, payloadLength, limit);
}

function quoteIfText(bytes: Uint8Array, fullLength: number, limit: number): string {
  const shown = bytes.subarray(0, Math.min(bytes.length, limit));
  const complete = shown.length === fullLength;
  // A prefix may end inside a code point: decode in streaming mode, which holds those bytes back.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text: string;
  try {
    text = decoder.decode(shown, { stream: !complete });
  } catch {
    return hexPreview(bytes, fullLength, limit) + ' (not valid UTF-8)';
  }
  const more = fullLength - Buffer.byteLength(text);
  return JSON.stringify(text) + (more > 0 ? ` …+${more} bytes` : '');
}

function hexPreview(bytes: Uint8Array, fullLength: number, limit: number): string {
  // A byte takes three characters in hex: show a third as many, so lines stay about as long.
  const count = Math.min(bytes.length, Math.ceil(limit / 3));
  const more = fullLength - count;
  return `<${toHex(bytes.subarray(0, count))}${more > 0 ? ` …+${more} bytes` : ''}>`;
}
