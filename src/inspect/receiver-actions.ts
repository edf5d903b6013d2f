/**
 * What a wsmith endpoint does with each frame it receives, by RFC 6455: deliver a message
 * (§5.4 assembles fragments), answer a Ping (§5.5.2), answer a Close and stop reading
 * (§5.5.1), or fail the connection with a close code (§7.1.7). Found by feeding the frames
 * to a real receiver, so the decoder's verdicts are the library's. This is the only file of
 * src/inspect/ that knows the connection's API: porting the decoder to another receiver means
 * porting `replayToReceiver`.
 */
import { DEFAULT_MAX_PAYLOAD, Protocol, type ProtocolHandler } from '../protocol/protocol.js';
import type { ProtocolError } from '../protocol/errors.js';
import { describeError, type DescribedError } from './failure.js';
import type { Role } from './role.js';

/** What the receiving endpoint did with a frame. */
export type ReceiverAction =
  | { kind: 'fragment' }
  | { kind: 'message'; isBinary: boolean; data: Buffer }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'pong'; data: Buffer }
  | { kind: 'close'; code: number; reason: Buffer }
  | { kind: 'error'; error: DescribedError };

export interface ReceiverOptions {
  role: Role;
  /** The receiver's largest message (1009 beyond it). */
  maxPayload: number;
}

/** What the receiver did on reading one frame's bytes. */
export interface ReceiverStep {
  /** Null when nothing came of it yet: it keeps the bytes (a fragment, or a frame cut short). */
  action: Exclude<ReceiverAction, { kind: 'fragment' }> | null;
  /** The bytes it wrote in answer (a Pong, a Close), as they go on the wire; may be empty. */
  output: Buffer;
}

/** The receiver's message size limit when none is given: the library's default. */
export const DEFAULT_RECEIVER_MAX_PAYLOAD: number = DEFAULT_MAX_PAYLOAD;

/** A fixed key for the receiver's answers when it is a client (real clients use random keys). */
const EXAMPLE_REPLY_KEY = Uint8Array.of(0x12, 0x34, 0x56, 0x78);

/** Collects what a real protocol object does, frame by frame. */
class ActionRecorder implements ProtocolHandler {
  action: ReceiverStep['action'] = null;
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

/**
 * Feed `frames` (each one frame's bytes as on the wire; the last may be cut short) one at a
 * time to a real receiver and record what it does with each, until it stops reading: after a
 * Close frame (§5.5.1) or a failure (§7.1.7). Returns one step per frame it read; it never
 * reads the frames after those.
 */
export function replayToReceiver(frames: readonly Uint8Array[], options: ReceiverOptions): ReceiverStep[] {
  const recorder = new ActionRecorder();
  // An OPEN connection (the handshake is not what the decoder explains).
  const connection = new Protocol(recorder, {
    role: options.role,
    maxPayload: options.maxPayload,
    maskKeySource: options.role === 'client' ? () => EXAMPLE_REPLY_KEY : undefined,
  });
  const steps: ReceiverStep[] = [];
  for (const frame of frames) {
    recorder.action = null;
    connection.receiveData(Buffer.from(frame)); // a copy: the receiver unmasks in place
    const action = recorder.action as ReceiverStep['action'];
    steps.push({ action, output: Buffer.concat(connection.dataToSend()) });
    if (action !== null && (action.kind === 'error' || action.kind === 'close')) break;
  }
  return steps;
}
