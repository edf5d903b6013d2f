/**
 * The field-by-field report that `wsmith decode` prints: each frame's header bits (RFC 6455
 * §5.2), masking (§5.1, §5.3), fragmentation (§5.4), what the receiver did with it (§5.5,
 * §7.1.7), and a verdict for the whole stream.
 */
import { CloseCode } from '../protocol/close.js';
import { Opcode } from '../protocol/frame.js';
import type { DescribedFrame, FrameStreamDescription } from './decoder.js';
import { formatReason } from './failure.js';
import { closeCodeLabel, formatFrameLine, formatPayload, opcodeLabel } from './format.js';
import { toHex } from './hex.js';
import type { ReceiverAction } from './receiver-actions.js';
import { peerOf } from './role.js';
import type { FrameSummary } from './summary.js';

/** The report `wsmith decode` prints. `limit`: payload bytes shown per frame. */
export function formatDescription(description: FrameStreamDescription, limit = 64): string {
  const { role } = description;
  const sender = peerOf(role);
  const lines = [
    `Receiver: ${role} (reads frames sent by a ${sender}` +
      (description.roleInferred ? '; inferred from the mask bit of the first frame' : '') +
      ')',
  ];
  for (const frame of description.frames) lines.push('', ...formatFrame(frame, limit));
  if (description.trailingBytes > 0) {
    lines.push('', `${description.trailingBytes} trailing byte(s): too few for a frame header (2 at least)`);
  }
  lines.push('', ...formatVerdict(description));
  return lines.join('\n');
}

/** The §11.8 / §5.2 name of an opcode, as the RFC spells it. */
export function opcodeDescription(opcode: number): string {
  switch (opcode) {
    case Opcode.Continuation:
      return 'continuation frame';
    case Opcode.Text:
      return 'text frame';
    case Opcode.Binary:
      return 'binary frame';
    case Opcode.Close:
      return 'connection close (control)';
    case Opcode.Ping:
      return 'ping (control)';
    case Opcode.Pong:
      return 'pong (control)';
    default:
      return opcode < Opcode.Close
        ? 'reserved for further non-control frames'
        : 'reserved for further control frames';
  }
}

/** One labelled line of the report. */
function field(label: string, value: string): string {
  return `  ${(label + ':').padEnd(20)}${value}`;
}

function bit(set: boolean): string {
  return set ? '1' : '0';
}

/** A frame's lines: its one-line form, every header field, its payload, what the receiver did. */
function formatFrame(frame: DescribedFrame, limit: number): string[] {
  const end = frame.offset + frame.raw.length;
  const rsvSet = frame.rsv1 || frame.rsv2 || frame.rsv3;
  const lines = [
    `Frame ${frame.index}, bytes ${frame.offset}-${end - 1}: ${formatFrameLine(frame, 24)}`,
    field('header bytes', toHex(frame.raw.subarray(0, Math.min(frame.headerLength, frame.raw.length)))),
    field('FIN', `${bit(frame.fin)}  ${frame.fin ? 'final frame of its message' : 'more frames follow (§5.4)'}`),
    field(
      'RSV1 RSV2 RSV3',
      `${bit(frame.rsv1)} ${bit(frame.rsv2)} ${bit(frame.rsv3)}  ` +
        (rsvSet ? 'set: only a negotiated extension may use them (§5.2)' : 'reserved for extensions (§5.2)'),
    ),
    field('opcode', `0x${frame.opcode.toString(16)} ${opcodeLabel(frame.opcode)}  ${opcodeDescription(frame.opcode)}`),
    field(
      'MASK',
      `${bit(frame.masked)}  ` +
        (frame.masked ? 'masked: clients mask every frame (§5.1, §5.3)' : 'unmasked: servers never mask (§5.1)'),
    ),
    field('payload length', describeLength(frame)),
  ];
  if (frame.masked) lines.push(field('masking key', frame.maskKey === null ? '(cut short)' : toHex(frame.maskKey)));
  if (frame.payload.length > 0) {
    lines.push(field(frame.masked ? 'payload, unmasked' : 'payload', formatPayload(frame, limit)));
  }
  if (frame.incomplete) lines.push(field('incomplete', describeMissing(frame)));
  if (frame.action !== undefined) {
    lines.push(...describeAction(frame.action));
  } else if (!frame.incomplete) {
    lines.push(field('receiver', 'never reads this frame (it stopped reading before it)'));
  }
  for (const reply of frame.replies) lines.push(field('receiver sends', formatFrameLine(reply)));
  return lines;
}

function describeLength(frame: FrameSummary): string {
  if (frame.lengthCutShort === true) {
    const form = frame.lengthForm === 16 ? '126, then 2 bytes' : '127, then 8 bytes';
    return `cut short (${frame.lengthForm}-bit form: ${form})`;
  }
  if (frame.exactLength !== undefined) {
    const top = frame.exactLength >= 1n << 63n ? ', most significant bit set' : '';
    return `${frame.exactLength} (64-bit form: 127, then 8 bytes${top})`;
  }
  if (frame.lengthForm === 7) return `${frame.payloadLength} (7-bit form: 0-125 fit in the second byte)`;
  if (frame.lengthForm === 16) return `${frame.payloadLength} (16-bit form: 126, then 2 bytes)`;
  return `${frame.payloadLength} (64-bit form: 127, then 8 bytes)`;
}

function describeMissing(frame: DescribedFrame): string {
  const headerMissing = frame.headerLength - frame.raw.length;
  if (frame.lengthCutShort === true) {
    return `${headerMissing} more header byte(s) needed to know the payload length`;
  }
  const missing = frame.headerLength + frame.payloadLength - frame.raw.length;
  return `${missing} more byte(s) needed to complete this frame`;
}

function describeAction(action: ReceiverAction): string[] {
  switch (action.kind) {
    case 'fragment':
      return [field('receiver', 'keeps this fragment; the message continues (§5.4)')];
    case 'message': {
      const kind = action.isBinary ? 'binary' : 'text';
      const body = action.data.length === 0 ? '(empty)' : formatPayload(messageSummary(action), 64);
      return [field('receiver', `delivers a ${kind} message of ${action.data.length} bytes: ${body}`)];
    }
    case 'ping':
      return [field('receiver', 'answers with a Pong carrying the same data (§5.5.2)')];
    case 'pong':
      return [field('receiver', 'takes note of the Pong; no answer is due (§5.5.3)')];
    case 'close': {
      const code =
        action.code === CloseCode.NoStatusReceived
          ? 'with no status code (reported as 1005)'
          : closeCodeLabel(action.code);
      return [field('receiver', `gets Close ${code}, answers with Close, reads nothing more (§5.5.1)`)];
    }
    case 'error':
      return [
        field('receiver', `FAILS the connection (§7.1.7) with close code ${closeCodeLabel(action.error.closeCode)}`),
        field('why', formatReason(action.error)),
      ];
  }
}

/** A delivered message, shaped as one whole frame so that formatPayload can show it. */
function messageSummary(action: { isBinary: boolean; data: Buffer }): FrameSummary {
  return {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: action.isBinary ? Opcode.Binary : Opcode.Text,
    masked: false,
    maskKey: null,
    payloadLength: action.data.length,
    lengthForm: 7,
    payload: action.data,
  };
}

/** The last lines: OK, INCOMPLETE or INVALID, and the bytes never read. */
function formatVerdict(description: FrameStreamDescription): string[] {
  const lines: string[] = [];
  const count = description.frames.length;
  const { error } = description;
  if (error !== null) {
    lines.push(
      `INVALID: the receiver fails the connection with close code ${closeCodeLabel(error.closeCode)}` +
        ` (${error.code}, ${error.section}).`,
    );
  } else if (description.frames.some((frame) => frame.incomplete)) {
    lines.push(`INCOMPLETE: ${count} frame(s), the last one cut short.`);
  } else {
    lines.push(`OK: ${count} valid frame(s).`);
  }
  if (description.unreadBytes > 0) {
    lines.push(`The ${description.unreadBytes} byte(s) after that are never read.`);
  }
  return lines;
}
