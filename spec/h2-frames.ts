// The few HTTP/2 frames the suite writes and reads itself (RFC 9113 §4, §6), for the handshake
// cases of section h2: requests node:http2 will not send (an extended CONNECT without :path,
// :scheme or :authority, :protocol on a GET, HTTP/1.1's connection headers), and a byte-exact
// view of the refusals (node:http2's client can lose a response that a RST_STREAM follows at
// once). Header blocks go through the suite's own HPACK (hpack.ts).
import type { Duplex } from 'node:stream';
import { h2ErrorName } from './carrier.js';
import { isSuccess } from './h2-handshake.js';
import { HpackDecoder, encodeLiterals } from './hpack.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** RFC 9113 §6. */
export const FrameType = { Data: 0x0, Headers: 0x1, RstStream: 0x3, Settings: 0x4, Ping: 0x6, Goaway: 0x7, Continuation: 0x9 } as const;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
const FRAME_HEADER_BYTES = 9;
/** RFC 8441 §3. */
export const SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x8;

export interface H2Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export function encodeH2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** Frames out of a byte stream, in any chunking. */
export class H2FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): H2Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: H2Frame[] = [];
    while (this.buf.length >= FRAME_HEADER_BYTES) {
      const length = this.buf.readUIntBE(0, 3);
      if (this.buf.length < FRAME_HEADER_BYTES + length) break;
      frames.push({
        type: this.buf[3],
        flags: this.buf[4],
        streamId: this.buf.readUInt32BE(5) & 0x7fffffff,
        payload: this.buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length),
      });
      this.buf = this.buf.subarray(FRAME_HEADER_BYTES + length);
    }
    return frames;
  }
}

/** The header block of a HEADERS frame, without padding and priority (RFC 9113 §6.2). */
export function headerBlock(frame: H2Frame): Buffer {
  let p = frame.payload;
  let pad = 0;
  if (frame.flags & PADDED) {
    pad = p[0];
    p = p.subarray(1);
  }
  if (frame.flags & PRIORITY) p = p.subarray(5);
  return p.subarray(0, p.length - pad);
}

/** How a response's stream went on after its headers. */
export type StreamEnd =
  | { how: 'end-stream' }
  | { how: 'reset'; code: number }
  | { how: 'connection-closed'; why: string }
  /** Neither END_STREAM nor RST_STREAM within the time allowed (or not waited for: a 2xx). */
  | { how: 'open' };

/** What the server did with the request the suite wrote itself. */
export type RawAnswer =
  | { kind: 'response'; status: number; headers: [string, string][]; end: StreamEnd }
  | { kind: 'reset'; code: number }
  | { kind: 'connection-closed'; why: string }
  | { kind: 'no-extended-connect' }
  /** A frame RFC 9113 says is malformed (a connection error of type FRAME_SIZE_ERROR or PROTOCOL_ERROR). */
  | { kind: 'malformed'; why: string }
  | { kind: 'timeout' };

export interface RawRequestOptions {
  timeoutMs: number;
  /** RFC 8441 §3: a request with :protocol waits for SETTINGS_ENABLE_CONNECT_PROTOCOL = 1. */
  extendedConnect: boolean;
  /** Every frame received, for the wire log. */
  onFrame?: (f: H2Frame) => void;
}

const SETTINGS_ACK = encodeH2Frame(FrameType.Settings, ACK, 0);
const STREAM = 1;

/** The sizes RFC 9113 §6 fixes for the frames the suite reads; null when the frame keeps to them. */
function malformed(f: H2Frame): string | null {
  const n = f.payload.length;
  const fixed: Record<number, number> = { [FrameType.RstStream]: 4, [FrameType.Ping]: 8 };
  if (fixed[f.type] !== undefined && n !== fixed[f.type]) return `a ${describeH2Frame(f)}: RFC 9113 §6 fixes its size at ${fixed[f.type]} bytes`;
  if (f.type === FrameType.Goaway && n < 8) return `a ${describeH2Frame(f)}: shorter than 8 bytes (RFC 9113 §6.8)`;
  if (f.type === FrameType.Settings && n % 6 !== 0) return `a ${describeH2Frame(f)}: not a multiple of 6 bytes (RFC 9113 §6.5)`;
  if (f.type === FrameType.Headers && headerBlockOverrun(f)) return `a ${describeH2Frame(f)}: its padding or priority runs past the frame (RFC 9113 §6.2)`;
  return null;
}

function headerBlockOverrun(f: H2Frame): boolean {
  if (f.flags & PADDED && f.payload.length === 0) return true;
  const padLength = f.flags & PADDED ? 1 + f.payload[0] : 0;
  const priority = f.flags & PRIORITY ? 5 : 0;
  return padLength + priority > f.payload.length;
}

/** SETTINGS_ENABLE_CONNECT_PROTOCOL's value in a SETTINGS frame, if present. */
function enableConnectProtocol(f: H2Frame): number | undefined {
  let value: number | undefined;
  for (let i = 0; i + 6 <= f.payload.length; i += 6) {
    if (f.payload.readUInt16BE(i) === SETTINGS_ENABLE_CONNECT_PROTOCOL) value = f.payload.readUInt32BE(i + 2);
  }
  return value;
}

/**
 * Speak HTTP/2 on `socket` (RFC 9113 §3.4: the preface, then SETTINGS), wait for the server's
 * SETTINGS, send `fields` as the HEADERS of stream 1, the stream left open as a CONNECT leaves
 * it, and read the answer. A refusal is followed to its end: END_STREAM completes it (RFC 9113
 * §8.1), a RST_STREAM before that cuts it off.
 */
export function rawRequest(socket: Duplex, fields: [string, string][], opts: RawRequestOptions): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const reader = new H2FrameReader();
    const hpack = new HpackDecoder();
    let sent = false;
    let block: Buffer[] | null = null; // a header block still waiting for END_HEADERS
    let response: Extract<RawAnswer, { kind: 'response' }> | null = null;
    const timer = setTimeout(() => done(response ?? { kind: 'timeout' }), opts.timeoutMs);
    function done(answer: RawAnswer): void {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      resolve(answer);
    }
    function streamEnded(end: StreamEnd): void {
      if (response) done({ ...response, end });
      else if (end.how === 'reset') done({ kind: 'reset', code: end.code });
      else if (end.how === 'connection-closed') done({ kind: 'connection-closed', why: end.why });
    }
    function onSettings(f: H2Frame): void {
      if (f.flags & ACK) return;
      socket.write(SETTINGS_ACK);
      if (sent) return;
      if (opts.extendedConnect && enableConnectProtocol(f) !== 1) return done({ kind: 'no-extended-connect' });
      sent = true;
      socket.write(encodeH2Frame(FrameType.Headers, END_HEADERS, STREAM, encodeLiterals(fields)));
    }
    function onHeaderBlock(f: H2Frame, fragment: Buffer): void {
      block = [...(block ?? []), fragment];
      if (!(f.flags & END_HEADERS)) return;
      let headers: [string, string][];
      try {
        headers = hpack.decode(Buffer.concat(block));
      } catch (err) {
        return done({ kind: 'connection-closed', why: `the suite could not decode the response headers: ${(err as Error).message}` });
      }
      block = null;
      if (response) return; // trailers
      const status = Number(headers.find(([name]) => name === ':status')?.[1]);
      if (status >= 100 && status <= 199) return; // an interim response (RFC 9113 §8.1)
      response = { kind: 'response', status, headers, end: { how: 'open' } };
      if (isSuccess(status)) done(response);
    }
    function onStreamFrame(f: H2Frame): void {
      if (f.type === FrameType.Headers) onHeaderBlock(f, headerBlock(f));
      else if (f.type === FrameType.Continuation) onHeaderBlock(f, f.payload);
      else if (f.type === FrameType.RstStream) return streamEnded({ how: 'reset', code: f.payload.readUInt32BE(0) });
      if ((f.type === FrameType.Headers || f.type === FrameType.Data) && f.flags & END_STREAM) streamEnded({ how: 'end-stream' });
    }
    function onGoaway(f: H2Frame): void {
      const last = f.payload.readUInt32BE(0) & 0x7fffffff;
      const code = f.payload.readUInt32BE(4);
      // RFC 9113 §6.8: streams up to `last` are still answered, unless the connection is failing.
      if (last < STREAM || code !== 0) streamEnded({ how: 'connection-closed', why: `GOAWAY (${h2ErrorName(code)})` });
    }
    function onData(chunk: Buffer): void {
      for (const f of reader.push(chunk)) {
        opts.onFrame?.(f);
        const bad = malformed(f);
        if (bad) return done({ kind: 'malformed', why: bad });
        if (f.type === FrameType.Settings) onSettings(f);
        else if (f.type === FrameType.Ping && !(f.flags & ACK)) socket.write(encodeH2Frame(FrameType.Ping, ACK, 0, f.payload));
        else if (f.type === FrameType.Goaway) onGoaway(f);
        else if (f.streamId === STREAM) onStreamFrame(f);
      }
    }
    function onClose(): void {
      streamEnded({ how: 'connection-closed', why: 'the server closed the connection' });
    }
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(Buffer.concat([PREFACE, encodeH2Frame(FrameType.Settings, 0, 0)]));
  });
}

/** A frame as one wire log line. */
export function describeH2Frame(f: H2Frame): string {
  const names: Record<number, string> = { 0: 'DATA', 1: 'HEADERS', 2: 'PRIORITY', 3: 'RST_STREAM', 4: 'SETTINGS', 5: 'PUSH_PROMISE', 6: 'PING', 7: 'GOAWAY', 8: 'WINDOW_UPDATE', 9: 'CONTINUATION' };
  return `${names[f.type] ?? `frame type ${f.type}`} stream ${f.streamId} flags 0x${f.flags.toString(16)} (${f.payload.length} bytes)`;
}
