/**
 * Frames explained: `describeFrames` decodes a byte stream as the receiving endpoint would.
 * RFC 6455 §5.2 (the frame layout), §5.3 (masking), §5.4 (fragmentation), §5.5 (control
 * frames) and §7.1.7 (failing the connection).
 *
 * The verdicts are not re-implemented here: the stream is cut into frames with the real
 * `FrameParser` (cutter.ts), then each frame is fed to a real receiver (receiver-actions.ts),
 * which says what it did: the message it delivered, the Pong or Close it sent, or the error it
 * failed with. What the decoder says is therefore what a wsmith endpoint does with the bytes.
 */
import { cutFrames, type CutFrame } from './cutter.js';
import type { DescribedError } from './failure.js';
import {
  DEFAULT_RECEIVER_MAX_PAYLOAD,
  replayToReceiver,
  type ReceiverAction,
  type ReceiverStep,
} from './receiver-actions.js';
import { inferRole, peerOf, type Role } from './role.js';
import type { FrameSummary } from './summary.js';

export interface DescribedFrame extends FrameSummary {
  /** 1-based position in the stream. */
  index: number;
  /** Where the frame starts in the input, and how many bytes its header takes. */
  offset: number;
  headerLength: number;
  /** The frame's bytes as they were on the wire (still masked), or what the input has of them. */
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
  /** Bytes after the Close frame or the failing frame, which the receiver never reads (§5.5.1). */
  unreadBytes: number;
  /** Bytes at the end too short to start a frame (fewer than 2). */
  trailingBytes: number;
}

export interface DescribeOptions {
  /** Who receives the bytes: 'server' (expects masked frames) or 'client'. Default: inferred. */
  role?: Role;
  /** The receiver's largest message (1009 beyond it). Default 100 MiB, as the library. */
  maxPayload?: number;
}

/**
 * Decode a byte stream as the receiving endpoint would: every frame field by field, and what
 * the receiver does with it (deliver, answer, fail with which close code).
 */
export function describeFrames(input: Uint8Array, options: DescribeOptions = {}): FrameStreamDescription {
  const bytes = Buffer.from(input); // never touch the caller's bytes
  const role = options.role ?? inferRole(bytes);
  const maxPayload = options.maxPayload ?? DEFAULT_RECEIVER_MAX_PAYLOAD;

  // 1. Cut the stream into frames with the real parser.
  const cut = cutFrames(bytes, { role, maxFramePayload: maxPayload });
  const frames = cut.frames.map((frame, i) => describedFrame(bytes, frame, i + 1));

  // 2. Feed them one by one to a real receiver and record what it does with each.
  const steps = replayToReceiver(
    frames.map((frame) => frame.raw),
    { role, maxPayload },
  );
  const replyRole = peerOf(role);
  steps.forEach((step, i) => applyStep(frames[i], step, replyRole));

  const last = steps.at(-1)?.action;
  const stopped = last?.kind === 'error' || last?.kind === 'close';
  const unread = frames.slice(steps.length).reduce((sum, frame) => sum + frame.raw.length, 0);
  return {
    role,
    roleInferred: options.role === undefined,
    frames,
    error: last?.kind === 'error' ? last.error : null,
    unreadBytes: stopped ? unread + cut.unparsedBytes + cut.trailingBytes : 0,
    trailingBytes: cut.trailingBytes,
  };
}

function describedFrame(bytes: Buffer, frame: CutFrame, index: number): DescribedFrame {
  return {
    ...frame.summary,
    index,
    offset: frame.offset,
    headerLength: frame.headerLength,
    raw: bytes.subarray(frame.offset, frame.end),
    incomplete: frame.cutShort,
    replies: [],
  };
}

/** Record on `frame` what the receiver did with it, and the frames it sent in answer. */
function applyStep(frame: DescribedFrame, step: ReceiverStep, replyRole: Role): void {
  const { action } = step;
  if (action !== null) frame.action = action;
  else if (!frame.incomplete) frame.action = { kind: 'fragment' };
  // A header the receiver refused is not waiting for more bytes: it is rejected outright.
  if (action?.kind === 'error') frame.incomplete = false;
  // Decoded as the peer reads them.
  if (step.output.length > 0) frame.replies = cutFrames(step.output, { role: replyRole }).frames.map((f) => f.summary);
}
