/**
 * Frames explained: the decoder behind `wsmith decode` and the one-line format of the trace.
 * RFC 6455 §5.2 (the frame layout), §5.3 (masking), §5.4 (fragmentation), §5.5 (control
 * frames), §5.7 (the examples), §7.4 (close codes) and §8.1 (UTF-8).
 *
 * The verdicts are not re-implemented here: `describeFrames` cuts the input into frames with the
 * real `FrameParser`, then feeds each frame to a real `Connection` and reports what it did —
 * the message it delivered, the Pong or Close it queued, or the error it failed with. What the
 * decoder says is therefore what a wsmith endpoint does with the same bytes.
 */
import { CloseCode } from './close.js';
import { Protocol as Connection, DEFAULT_MAX_PAYLOAD, type ProtocolHandler as ConnectionHandler, type Role } from './protocol.js';
import type { ProtocolError, ProtocolErrorCode } from './errors.js';
import {
  FIN_BIT,
  MASK_BIT,
  MASK_KEY_LENGTH,
  OPCODE_MASK,
  Opcode,
  PAYLOAD_LENGTH_MASK,
  RSV1_BIT,
  RSV2_BIT,
  RSV3_BIT,
  extendedLengthBytes,
  receivedHeaderLength,
  isControlOpcode,
  type FrameHeader,
} from './frame.js';
import { applyMask } from './mask.js';
import { FrameParser, type FrameSink } from './parser.js';

// --- the one-line format ---------------------------------------------------------------------

/** What the one-line format shows of a frame. `payload` may be a prefix of the real payload. */
export interface FrameSummary extends Omit<FrameHeader, 'maskKey'> {
  /** The masking key (§5.3), or null for an unmasked frame. */
  maskKey: Uint8Array | null;
  /** The unmasked payload, or its first bytes (then shorter than `payloadLength`). */
  payload: Uint8Array;
  /** For a continuation frame, the opcode of the message it continues (Text/Binary), else 0. */
  messageOpcode?: number;
  /** The exact 64-bit length when it is beyond 2^53 (only a refused header has one). */
  exactLength?: bigint;
}

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

/** Bytes of payload shown by the one-line format before it says how many more there are. */
export const PREVIEW_BYTES = 48;

export function toHex(bytes: Uint8Array, separator = ' '): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) text += separator;
    text += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  return text;
}

/** The name of a close code, e.g. `1002 ProtocolError`, or `4000 (application)`. */
export function closeCodeLabel(code: number): string {
  const name = CloseCode[code];
  if (name !== undefined) return `${code} ${name}`;
  if (code >= 3000 && code <= 3999) return `${code} (registered for libraries)`;
  if (code >= 4000 && code <= 4999) return `${code} (private use)`;
  return `${code} (reserved)`;
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

/**
 * One frame on one line, the format shared by `wsmith decode` and the trace:
 * `FIN TEXT key=37fa213d len=5 "Hello"`. The first word is `FIN` on the last frame of a
 * message and `---` on the others (§5.4); `RSV1`..`RSV3` appear only when set; `key=` only
 * on masked frames (§5.3); an extended length says its form: `len=256 (16-bit)`.
 */
export function formatFrameLine(frame: FrameSummary, limit = PREVIEW_BYTES): string {
  let line = frame.fin ? 'FIN' : '---';
  if (frame.rsv1) line += ' RSV1';
  if (frame.rsv2) line += ' RSV2';
  if (frame.rsv3) line += ' RSV3';
  line += ' ' + opcodeLabel(frame.opcode);
  if (frame.masked && frame.maskKey !== null) line += ` key=${toHex(frame.maskKey, '')}`;
  line += ` len=${frame.exactLength ?? frame.payloadLength}`;
  if (frame.lengthForm !== 7) line += ` (${frame.lengthForm}-bit)`;
  const payload = formatPayload(frame, limit);
  if (payload !== '') line += ' ' + payload;
  return line;
}

/** Copy what a summary needs out of the parser's reused header. */
/** Follows which message a continuation frame belongs to (§5.4), across frames. */
class MessageTracker {
  private openOpcode = 0;

  /** For a continuation, the opcode of the message it continues; 0 for any other frame. */
  frameEnded(header: FrameHeader): number {
    const opcode = header.opcode;
    if (isControlOpcode(opcode)) return 0;
    const continued = opcode === Opcode.Continuation ? this.openOpcode : 0;
    if (opcode !== Opcode.Continuation) this.openOpcode = opcode;
    if (header.fin) this.openOpcode = 0;
    return continued;
  }
}

function summaryFromHeader(header: FrameHeader, payload: Uint8Array, messageOpcode: number): FrameSummary {
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

// --- reading a header without judging it -----------------------------------------------------

/** The fields of a header read as raw bits (for frames the parser refused, or cut short). */
export interface RawFrame extends FrameSummary {
  /** Bytes the header takes (2 to 14), and whether that many were present. */
  headerLength: number;
  headerComplete: boolean;
  /** Payload bytes present in the input (the payload may be cut short). */
  payloadAvailable: number;
}

/**
 * Read the header at `offset` bit by bit, without any of the checks of `FrameParser`, so that
 * an invalid or truncated frame can still be shown field by field. Needs at least 2 bytes.
 */
export function readRawFrame(bytes: Uint8Array, offset: number): RawFrame | null {
  const available = bytes.length - offset;
  if (available < 2) return null;
  const first = bytes[offset];
  const second = bytes[offset + 1];
  const masked = (second & MASK_BIT) !== 0;
  const length7 = second & PAYLOAD_LENGTH_MASK;
  const lengthBytes = extendedLengthBytes(length7);
  const headerLength = 2 + lengthBytes + (masked ? MASK_KEY_LENGTH : 0);
  const headerComplete = available >= headerLength;
  let payloadLength = length7;
  let exactLength: bigint | undefined;
  let lengthForm: 7 | 16 | 64 = 7;
  if (lengthBytes === 2 && available >= 4) {
    payloadLength = (bytes[offset + 2] << 8) | bytes[offset + 3];
    lengthForm = 16;
  } else if (lengthBytes === 8 && available >= 10) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset + 2, 8);
    payloadLength = view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4);
    // Beyond 2^53 a double is not exact: keep the exact value for display.
    if (payloadLength > Number.MAX_SAFE_INTEGER) exactLength = view.getBigUint64(0);
    lengthForm = 64;
  }
  let maskKey: Uint8Array | null = null;
  if (masked && headerComplete) {
    const keyStart = offset + 2 + lengthBytes;
    maskKey = Uint8Array.from(bytes.subarray(keyStart, keyStart + MASK_KEY_LENGTH));
  }
  let payload: Uint8Array = new Uint8Array(0);
  let payloadAvailable = 0;
  if (headerComplete) {
    const start = offset + headerLength;
    const end = Math.min(bytes.length, start + Math.min(payloadLength, Number.MAX_SAFE_INTEGER));
    payload = Buffer.from(bytes.subarray(start, end));
    payloadAvailable = payload.length;
    if (maskKey !== null) applyMask(payload, maskKey, 0);
  }
  return {
    fin: (first & FIN_BIT) !== 0,
    rsv1: (first & RSV1_BIT) !== 0,
    rsv2: (first & RSV2_BIT) !== 0,
    rsv3: (first & RSV3_BIT) !== 0,
    opcode: first & OPCODE_MASK,
    masked,
    maskKey,
    payloadLength,
    lengthForm,
    payload,
    headerLength,
    headerComplete,
    payloadAvailable,
    ...(exactLength === undefined ? {} : { exactLength }),
  };
}

// --- decoding a byte stream ------------------------------------------------------------------

/** The RFC 6455 section behind each failure. */
export const ERROR_SECTIONS: Record<ProtocolErrorCode, string> = {
  WS_ERR_INVALID_OPCODE: '§5.2',
  WS_ERR_UNEXPECTED_RSV_1: '§5.2',
  WS_ERR_UNEXPECTED_RSV_2_3: '§5.2',
  WS_ERR_EXPECTED_FIN: '§5.5',
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: '§5.5',
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: '§5.2',
  WS_ERR_EXPECTED_MASK: '§5.1',
  WS_ERR_UNEXPECTED_MASK: '§5.1',
  WS_ERR_UNEXPECTED_CONTINUATION: '§5.4',
  WS_ERR_EXPECTED_CONTINUATION: '§5.4',
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: '§7.4.1',
  WS_ERR_INVALID_UTF8: '§8.1',
  WS_ERR_INVALID_CLOSE_CODE: '§7.4',
  WS_ERR_INVALID_COMPRESSED_DATA: 'RFC 7692 §7.2.2',
  WS_ERR_COMPRESSION_FAILED: 'RFC 7692 §7.2.1',
  WS_ERR_INVALID_CLOSE_PAYLOAD: '§5.5.1',
};

export interface DescribedError {
  /** The close code the receiver sends when it fails the connection (§7.1.7). */
  closeCode: number;
  code: ProtocolErrorCode;
  message: string;
  /** The RFC 6455 section of the rule that was broken, e.g. `§5.2`. */
  section: string;
}

/** What the receiving endpoint did with a frame. */
export type ReceiverAction =
  | { kind: 'fragment' }
  | { kind: 'message'; isBinary: boolean; data: Buffer }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'pong'; data: Buffer }
  | { kind: 'close'; code: number; reason: Buffer }
  | { kind: 'error'; error: DescribedError };

export interface DescribedFrame extends FrameSummary {
  /** 1-based position in the stream. */
  index: number;
  /** Where the frame starts in the input, and how many bytes of header and in total it has. */
  offset: number;
  headerLength: number;
  /** The frame's bytes as they were on the wire (still masked). */
  raw: Buffer;
  /** Set when the frame is cut short: it needs more bytes than the input has. */
  incomplete: boolean;
  /** What the receiver did; absent when it never read this frame (after a Close or an error). */
  action?: ReceiverAction;
  /** Frames the receiver sent in answer (a Pong, a Close), one line each. */
  replies: FrameSummary[];
}

export interface FrameStreamDescription {
  /** Who receives these bytes (and so applies its rules, §5.1). */
  role: Role;
  /** True when the role was inferred from the first frame's mask bit. */
  roleInferred: boolean;
  frames: DescribedFrame[];
  /** The first protocol error, if the receiver failed the connection. */
  error: DescribedError | null;
  /** Bytes after the Close frame or the error, which the receiver never reads (§5.5.1). */
  unreadBytes: number;
  /** Bytes at the end too short to start a frame (fewer than 2). */
  trailingBytes: number;
}

export interface DescribeOptions {
  /** Who receives the bytes: 'server' (expects masked frames) or 'client'. Default: inferred. */
  role?: Role;
  /** The receiver's largest message (1009 beyond it). Default 64 MiB, as the library. */
  maxPayload?: number;
}

/** A fixed key for the receiver's answers when it is a client (real clients use random keys). */
const EXAMPLE_REPLY_KEY = Uint8Array.of(0x12, 0x34, 0x56, 0x78);

/** A frame boundary found by the parser. */
interface Cut {
  summary: FrameSummary;
  offset: number;
  headerLength: number;
}

/** Records every complete frame the parser finds, with its position. */
class FrameRecorder implements FrameSink {
  readonly cuts: Cut[] = [];
  /** Where the next frame starts. */
  position = 0;
  private pieces: Buffer[] = [];
  private readonly messages = new MessageTracker();
  private headerLength = 0;
  private header: FrameHeader | null = null;

  onFrameHeader(header: FrameHeader): boolean {
    this.header = header;
    this.pieces = [];
    this.headerLength = receivedHeaderLength(header);
    return true;
  }

  onFramePayload(piece: Buffer): boolean {
    this.pieces.push(piece);
    return true;
  }

  onFrameEnd(): boolean {
    const header = this.header!;
    const messageOpcode = this.messages.frameEnded(header);
    const payload = Buffer.concat(this.pieces);
    this.cuts.push({
      summary: summaryFromHeader(header, payload, messageOpcode),
      offset: this.position,
      headerLength: this.headerLength,
    });
    this.position += this.headerLength + header.payloadLength;
    return true;
  }
}

/** Collects what a real Connection does, frame by frame. */
class ActionRecorder implements ConnectionHandler {
  action: ReceiverAction | null = null;
  onMessage(data: Buffer, isBinary: boolean): void {
    this.action = { kind: 'message', isBinary, data };
  }
  onPing(data: Buffer): void {
    this.action = { kind: 'ping', data };
  }
  onPong(data: Buffer): void {
    this.action = { kind: 'pong', data };
  }
  onCloseFrame(code: number, reason: Buffer): void {
    this.action = { kind: 'close', code, reason };
  }
  onProtocolError(error: ProtocolError): void {
    this.action = { kind: 'error', error: describeError(error) };
  }
  onReady(): void {}
}

export function describeError(error: ProtocolError): DescribedError {
  return {
    closeCode: error.closeCode,
    code: error.code,
    message: error.message,
    section: ERROR_SECTIONS[error.code] ?? '§7.1.7',
  };
}

/** §5.1: clients mask, servers do not; so a masked first frame is read by a server. */
export function inferRole(bytes: Uint8Array): Role {
  return bytes.length >= 2 && (bytes[1] & MASK_BIT) === 0 ? 'client' : 'server';
}

/**
 * Decode a byte stream as the receiving endpoint would: every frame field by field, and what
 * the receiver does with it (deliver, answer, fail with which close code).
 */
export function describeFrames(input: Uint8Array, options: DescribeOptions = {}): FrameStreamDescription {
  const bytes = Buffer.from(input); // never touch the caller's bytes
  const role = options.role ?? inferRole(bytes);
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;

  // 1. Cut the stream into frames with the real parser (on a copy: it unmasks in place).
  const recorder = new FrameRecorder();
  const cutter = new FrameParser(recorder, { role, maxFramePayload: maxPayload });
  cutter.push(Buffer.from(bytes));

  const frames: DescribedFrame[] = recorder.cuts.map((cut, i) => ({
    ...cut.summary,
    index: i + 1,
    offset: cut.offset,
    headerLength: cut.headerLength,
    raw: bytes.subarray(cut.offset, cut.offset + cut.headerLength + cut.summary.payloadLength),
    incomplete: false,
    replies: [],
  }));
  // What the parser could not turn into a frame: a refused header, or a frame cut short.
  let trailingBytes = 0;
  const rest = recorder.position;
  if (rest < bytes.length) {
    const raw = readRawFrame(bytes, rest);
    if (raw === null) {
      trailingBytes = bytes.length - rest;
    } else {
      const complete = raw.headerComplete && raw.payloadAvailable === raw.payloadLength;
      frames.push({
        ...raw,
        index: frames.length + 1,
        offset: rest,
        raw: bytes.subarray(rest, complete ? rest + raw.headerLength + raw.payloadLength : bytes.length),
        incomplete: !complete,
        replies: [],
      });
    }
  }

  // 2. Feed the frames one by one to a real Connection and record what it does with each.
  const actions = new ActionRecorder();
  const connection = new Connection(actions, {
    role,
    maxPayload,
    maskKeySource: role === 'client' ? () => EXAMPLE_REPLY_KEY : undefined,
  });
  const replyRole: Role = role === 'server' ? 'client' : 'server';
  let error: DescribedError | null = null;
  let unreadBytes = 0;
  let stopped = false;
  for (const frame of frames) {
    if (stopped) {
      unreadBytes += frame.raw.length;
      continue;
    }
    actions.action = null;
    connection.receiveData(Buffer.from(frame.raw));
    const action = actions.action as ReceiverAction | null;
    if (action !== null) frame.action = action;
    else if (!frame.incomplete) frame.action = { kind: 'fragment' };
    // A header the receiver refused is not waiting for more bytes: it is rejected outright.
    if (action !== null && action.kind === 'error') frame.incomplete = false;
    const output = connection.dataToSend();
    if (output.length > 0) frame.replies = decodeReplies(Buffer.concat(output), replyRole);
    if (action !== null && (action.kind === 'error' || action.kind === 'close')) {
      if (action.kind === 'error') error = action.error;
      stopped = true;
    }
  }
  if (stopped) unreadBytes += trailingBytes;
  return { role, roleInferred: options.role === undefined, frames, error, unreadBytes, trailingBytes };
}

/** Decode frames the receiver wrote, as its peer would read them. */
function decodeReplies(bytes: Buffer, role: Role): FrameSummary[] {
  const recorder = new FrameRecorder();
  new FrameParser(recorder, { role }).push(bytes);
  return recorder.cuts.map((cut) => cut.summary);
}

// --- the report of `wsmith decode` -----------------------------------------------------------

function yesNo(bit: boolean): string {
  return bit ? '1' : '0';
}

function describeAction(action: ReceiverAction): string[] {
  switch (action.kind) {
    case 'fragment':
      return [field('receiver', 'keeps this fragment; the message continues (§5.4)')];
    case 'message': {
      const summary: FrameSummary = {
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
      const kind = action.isBinary ? 'binary' : 'text';
      const body = action.data.length === 0 ? '(empty)' : formatPayload(summary, 64);
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
        field('why', `${action.error.message} (${action.error.code}, RFC 6455 ${action.error.section})`),
      ];
  }
}

function describeLength(frame: FrameSummary): string {
  if (frame.exactLength !== undefined) {
    const top = frame.exactLength >= 1n << 63n ? ', most significant bit set' : '';
    return `${frame.exactLength} (64-bit form: 127, then 8 bytes${top})`;
  }
  if (frame.lengthForm === 7) return `${frame.payloadLength} (7-bit form: 0-125 fit in the second byte)`;
  if (frame.lengthForm === 16) return `${frame.payloadLength} (16-bit form: 126, then 2 bytes)`;
  return `${frame.payloadLength} (64-bit form: 127, then 8 bytes)`;
}

/** One labelled line of the report. */
function field(label: string, value: string): string {
  return `  ${(label + ':').padEnd(20)}${value}`;
}

/** The field-by-field report `wsmith decode` prints. */
export function formatDescription(description: FrameStreamDescription, limit = 64): string {
  const lines: string[] = [];
  const { role } = description;
  const sender = role === 'server' ? 'client' : 'server';
  lines.push(
    `Receiver: ${role} (reads frames sent by a ${sender}` +
      (description.roleInferred ? '; inferred from the mask bit of the first frame' : '') +
      ')',
  );
  for (const frame of description.frames) {
    lines.push('');
    const end = frame.offset + frame.raw.length;
    lines.push(`Frame ${frame.index}, bytes ${frame.offset}-${end - 1}: ${formatFrameLine(frame, 24)}`);
    const headerBytes = frame.raw.subarray(0, Math.min(frame.headerLength, frame.raw.length));
    lines.push(field('header bytes', toHex(headerBytes)));
    lines.push(field('FIN', `${yesNo(frame.fin)}  ${frame.fin ? 'final frame of its message' : 'more frames follow (§5.4)'}`));
    const rsvSet = frame.rsv1 || frame.rsv2 || frame.rsv3;
    lines.push(
      field(
        'RSV1 RSV2 RSV3',
        `${yesNo(frame.rsv1)} ${yesNo(frame.rsv2)} ${yesNo(frame.rsv3)}  ` +
          (rsvSet ? 'set: only a negotiated extension may use them (§5.2)' : 'reserved for extensions (§5.2)'),
      ),
    );
    lines.push(field('opcode', `0x${frame.opcode.toString(16)} ${opcodeLabel(frame.opcode)}  ${opcodeDescription(frame.opcode)}`));
    lines.push(
      field(
        'MASK',
        `${yesNo(frame.masked)}  ` +
          (frame.masked ? 'masked: clients mask every frame (§5.1, §5.3)' : 'unmasked: servers never mask (§5.1)'),
      ),
    );
    lines.push(field('payload length', describeLength(frame)));
    if (frame.masked) {
      lines.push(field('masking key', frame.maskKey === null ? '(cut short)' : toHex(frame.maskKey)));
    }
    if (frame.payload.length > 0) {
      lines.push(field(frame.masked ? 'payload, unmasked' : 'payload', formatPayload(frame, limit)));
    }
    if (frame.incomplete) {
      const missing = frame.headerLength + frame.payloadLength - frame.raw.length;
      lines.push(field('incomplete', `${missing} more byte(s) needed to complete this frame`));
    }
    if (frame.action !== undefined) {
      lines.push(...describeAction(frame.action));
    } else if (!frame.incomplete) {
      lines.push(field('receiver', 'never reads this frame (it stopped reading before it)'));
    }
    for (const reply of frame.replies) {
      lines.push(field('receiver sends', formatFrameLine(reply)));
    }
  }
  if (description.trailingBytes > 0) {
    lines.push('', `${description.trailingBytes} trailing byte(s): too few for a frame header (2 at least)`);
  }
  lines.push('');
  const count = description.frames.length;
  if (description.error !== null) {
    lines.push(
      `INVALID: the receiver fails the connection with close code ${closeCodeLabel(description.error.closeCode)}` +
        ` (${description.error.code}, RFC 6455 ${description.error.section}).`,
    );
  } else if (description.frames.some((frame) => frame.incomplete)) {
    lines.push(`INCOMPLETE: ${count} frame(s), the last one cut short.`);
  } else {
    lines.push(`OK: ${count} valid frame(s).`);
  }
  if (description.unreadBytes > 0) {
    lines.push(`The ${description.unreadBytes} byte(s) after that are never read.`);
  }
  return lines.join('\n');
}

/**
 * Parse hex as typed by a person: `81 05 48 65`, `8105 4865`, `0x81,0x05`, line breaks.
 * Throws a TypeError naming the first thing that is not hex.
 */
export function parseHex(text: string): Buffer {
  const cleaned = text.replace(/0x/gi, '').replace(/[\s,:]+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(cleaned);
  if (bad !== null) throw new TypeError(`Not a hex digit: ${JSON.stringify(bad[0])}`);
  if (cleaned.length % 2 !== 0) throw new TypeError('Odd number of hex digits: each byte needs two');
  return Buffer.from(cleaned, 'hex');
}

// --- the trace: frames as they pass, one line each --------------------------------------------

/**
 * Decodes the bytes of one direction of a connection as they pass and writes one line per
 * frame. It runs its own parser on a copy of the bytes, so tracing never changes what the
 * connection reads or writes; a frame split over many reads is written once it is complete.
 */
export class FrameTracer implements FrameSink {
  private readonly parser: FrameParser;
  private readonly write: (frameLine: string) => void;
  /** Masked frames are unmasked in place by the parser, so they are traced from a copy. */
  private readonly copyInput: boolean;
  private preview: Buffer[] = [];
  private previewLength = 0;
  private readonly messages = new MessageTracker();
  private header: FrameHeader | null = null;
  /** Recent chunks, kept from the one where the next frame starts (to show a refused header). */
  private pending: Buffer[] = [];
  /** Stream offsets: where `pending[0]` starts, and where the next frame starts. */
  private pendingStart = 0;
  private nextFrameStart = 0;

  /** `role` is the role of the endpoint that receives these bytes (§5.1). */
  constructor(role: Role, write: (frameLine: string) => void) {
    this.write = write;
    this.copyInput = role === 'server';
    this.parser = new FrameParser(this, { role });
  }

  push(chunk: Uint8Array): void {
    if (this.parser.stopped || chunk.length === 0) return;
    const bytes = this.copyInput
      ? Buffer.from(chunk)
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Forget chunks that end before the next frame starts.
    while (this.pending.length > 0 && this.pendingStart + this.pending[0].length <= this.nextFrameStart) {
      this.pendingStart += this.pending[0].length;
      this.pending.shift();
    }
    this.pending.push(bytes);
    this.parser.push(bytes);
    const error = this.parser.error;
    if (error !== null) {
      // The parser refused a header: show its raw fields, and why.
      const rest = Buffer.concat(this.pending).subarray(this.nextFrameStart - this.pendingStart);
      const raw = readRawFrame(rest, 0);
      const shown = raw === null ? `<${toHex(rest)}>` : formatFrameLine(raw);
      this.write(`${shown} !! ${error.message} (${error.code}, RFC 6455 ${ERROR_SECTIONS[error.code]})`);
      this.pending = [];
    }
  }

  onFrameHeader(header: FrameHeader): boolean {
    this.header = header;
    this.preview = [];
    this.previewLength = 0;
    this.nextFrameStart += receivedHeaderLength(header) + header.payloadLength;
    return true;
  }

  onFramePayload(piece: Buffer): boolean {
    if (this.previewLength < PREVIEW_BYTES) {
      const take = piece.subarray(0, PREVIEW_BYTES - this.previewLength);
      this.preview.push(Buffer.from(take));
      this.previewLength += take.length;
    }
    return true;
  }

  onFrameEnd(): boolean {
    const header = this.header!;
    const messageOpcode = this.messages.frameEnded(header);
    const payload = this.preview.length === 1 ? this.preview[0] : Buffer.concat(this.preview);
    this.write(formatFrameLine(summaryFromHeader(header, payload, messageOpcode)));
    return true;
  }
}
