/**
 * The frame trace: every frame in and out of a connection, one line each, in the format of
 * `wsmith decode` (src/inspect/format.ts `formatFrameLine`). Turned on per server or client
 * with `trace: true` (or a sink of your own), or for the whole process with `WSMITH_TRACE=1`.
 *
 *   #1 open server 127.0.0.1:50412
 *   #1 <- FIN TEXT key=37fa213d len=5 "Hello"       received by this endpoint
 *   #1 -> FIN TEXT len=5 "Hello"                    sent by this endpoint
 *   #1 !! fail 1007 InvalidPayload: Invalid UTF-8 in a text message (WS_ERR_INVALID_UTF8, RFC 6455 §8.1)
 *   #1 closed 1000 Normal
 *
 * `#1` numbers connections in the order they open, servers' and clients' together. Tracing
 * decodes a copy of the bytes with its own parser, so it never changes what goes on the wire;
 * when it is off, the only cost is one null check per read and per write.
 */
import type { Socket } from 'node:net';
import { CloseCode } from '../protocol/close.js';
import type { Role } from '../protocol/protocol.js';
import type { ProtocolError } from '../protocol/errors.js';
import { describeError, formatReason } from '../inspect/failure.js';
import { peerOf } from '../inspect/role.js';
import { closeCodeLabel } from '../inspect/format.js';
import { FrameTracer } from '../inspect/tracer.js';

/** Receives one trace line at a time (without a line break). */
export type TraceSink = (line: string) => void;

/**
 * `true` traces to standard error, a function or anything with `write(text)` (a stream) gets
 * the lines, `false` turns tracing off even when `WSMITH_TRACE=1`. Unset: the environment decides.
 */
export type TraceOption = boolean | TraceSink | { write(text: string): unknown };

/** The environment variable that turns tracing on for every connection of the process. */
export const TRACE_ENV = 'WSMITH_TRACE';

function writeToStderr(line: string): void {
  process.stderr.write(line + '\n');
}

/** Where trace lines go, or null when tracing is off. */
export function resolveTraceSink(option: TraceOption | undefined): TraceSink | null {
  if (option === undefined) {
    const env = process.env[TRACE_ENV];
    return env !== undefined && env !== '' && env !== '0' && env !== 'false' ? writeToStderr : null;
  }
  if (option === false) return null;
  if (option === true) return writeToStderr;
  if (typeof option === 'function') return option;
  return (line) => {
    option.write(line + '\n');
  };
}

let lastConnectionId = 0;

/** The trace of one connection: its id, and a frame decoder for each direction. */
export class ConnectionTrace {
  readonly id: number;
  private readonly sink: TraceSink;
  private readonly inbound: FrameTracer;
  private readonly outbound: FrameTracer;

  constructor(role: Role, sink: TraceSink, socket: Socket, protocol: string) {
    this.id = ++lastConnectionId;
    this.sink = sink;
    // Each direction is decoded with the rules of the endpoint that reads it (§5.1 masking).
    const peerRole = peerOf(role);
    const prefixIn = `#${this.id} <- `;
    const prefixOut = `#${this.id} -> `;
    this.inbound = new FrameTracer(role, (line) => sink(prefixIn + line));
    this.outbound = new FrameTracer(peerRole, (line) => sink(prefixOut + line));
    const peer = socket.remoteAddress === undefined ? '' : ` ${socket.remoteAddress}:${socket.remotePort}`;
    sink(`#${this.id} open ${role}${peer}${protocol === '' ? '' : ` protocol=${protocol}`}`);
  }

  /** Bytes read from the socket, before the connection parses them. */
  received(chunk: Buffer): void {
    this.inbound.push(chunk);
  }

  /** Bytes handed to the socket in one flush. */
  sent(buffers: readonly Buffer[]): void {
    for (const buffer of buffers) this.outbound.push(buffer);
  }

  /** The connection failed on a protocol error (§7.1.7). */
  failed(error: ProtocolError): void {
    const described = describeError(error);
    this.sink(`#${this.id} !! fail ${closeCodeLabel(described.closeCode)}: ${formatReason(described)}`);
  }

  /** The 'close' event: the code and reason reported to the application. */
  closed(code: number, reason: Buffer): void {
    const why = code === CloseCode.AbnormalClosure ? ' (TCP closed without a closing handshake)' : '';
    const text = reason.length === 0 ? '' : ` ${JSON.stringify(reason.toString('utf8'))}`;
    this.sink(`#${this.id} closed ${closeCodeLabel(code)}${text}${why}`);
  }
}
