// One WebSocket connection as the suite sees it: its own frame reader, a strict judge of what the
// peer sends, message assembly (and inflation, when permessage-deflate was negotiated), the
// closing handshake as a conforming endpoint performs it, and a wire log of every frame in both
// directions for the reports.
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { describePeerEnd, isOrderly, releaseCarrier, watchCarrier, type CarrierKind, type PeerEnd } from './carrier.js';
import { DeflateCodec, RSV1 } from './deflate.js';
import type { Negotiated } from './extensions.js';
import { FrameReader, Opcode, encodeFrame, closePayload, isControlOpcode, opcodeName, type Frame, type FrameSpec } from './frame.js';

/** Which end of the connection the suite plays. 'client' in server mode, 'server' in client mode. */
export type Role = 'client' | 'server';

export type WireEvent =
  | { type: 'message'; binary: boolean; payload: Buffer }
  | { type: 'ping'; payload: Buffer }
  | { type: 'pong'; payload: Buffer };

export interface LogEntry {
  /** Milliseconds since the connection opened. */
  t: number;
  /** 'tx' the suite sent, 'rx' the suite received, 'note' anything else (TCP or stream events, decisions). */
  dir: 'tx' | 'rx' | 'note';
  text: string;
}

export interface CloseInfo {
  /** null when the close frame had no body. */
  code: number | null;
  reason: Buffer;
}

const MAX_LOG_ENTRIES = 400;
const PREVIEW_BYTES = 48;

/** RFC 6455 §7.4: may this code appear in a close frame? (IANA registry as of today.) */
export function isValidCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

export function describeEvent(e: WireEvent): string {
  if (e.type === 'message') return `${e.binary ? 'BINARY' : 'TEXT'} message ${preview(e.payload)}`;
  return `${e.type.toUpperCase()} ${preview(e.payload)}`;
}

export function preview(payload: Buffer): string {
  const n = payload.length;
  const head = payload.subarray(0, PREVIEW_BYTES);
  const printable = head.every((b) => b >= 0x20 && b < 0x7f);
  const body = printable ? JSON.stringify(head.toString('latin1')) : `0x${head.toString('hex')}`;
  return `(${n} bytes) ${body}${n > PREVIEW_BYTES ? '…' : ''}`;
}

export class Wire {
  readonly events: WireEvent[] = [];
  /** Protocol violations by the peer; any of them fails the case. */
  readonly violations: string[] = [];
  readonly log: LogEntry[] = [];
  logDropped = 0;
  closeReceived: CloseInfo | null = null;
  closeSent: CloseInfo | null = null;
  /** Who started the closing handshake: true = the suite, false = the peer, null = nobody yet. */
  closedByMe: boolean | null = null;
  /**
   * The carrier is closed, or the peer ended its side: TCP FIN or close; over HTTP/2, END_STREAM,
   * RST_STREAM or the connection's end.
   */
  transportClosed = false;
  /** How the peer ended the carrier; null while it has not (or when the suite ended it first). */
  peerEnd: PeerEnd | null = null;
  /** The suite closed the carrier (timeout, end of case). */
  droppedByMe = false;
  /** When set, the suite does not answer the peer's close frame (cases that test bad closes). */
  suppressCloseReply = false;

  private readonly reader = new FrameReader();
  private readonly started = Date.now();
  private fragments: Buffer[] | null = null;
  private fragmentedBinary = false;
  /** The message being assembled had RSV1 on its first frame (RFC 7692 §6). */
  private fragmentedCompressed = false;
  /** permessage-deflate as negotiated for this connection; null when it was not. */
  readonly deflate: DeflateCodec | null;
  private waiters = new Set<() => void>();

  constructor(
    readonly socket: Duplex,
    readonly role: Role,
    initial: Buffer = Buffer.alloc(0),
    deflate: Negotiated | null = null,
    /** A TCP connection, or an HTTP/2 stream (RFC 8441; server mode with --h2). */
    readonly carrier: CarrierKind = 'tcp',
  ) {
    this.deflate = deflate ? new DeflateCodec(deflate) : null;
    watchCarrier(socket, carrier, {
      data: (chunk) => this.onData(chunk),
      ended: (end, detail) => {
        if (this.peerEnd !== null || this.droppedByMe) return;
        this.peerEnd = end;
        this.note(detail);
        this.markClosed();
      },
      closed: () => this.markClosed(),
      error: (text) => this.note(`${carrier === 'tcp' ? 'socket' : 'stream'} error: ${text}`),
    });
    if (initial.length > 0) this.onData(initial);
    socket.resume();
  }

  /** What the peer did to the carrier, for the reasons: "dropped TCP", "reset the stream (...)". */
  get peerEndText(): string {
    return this.peerEnd ? describePeerEnd(this.peerEnd) : this.carrier === 'tcp' ? 'dropped TCP' : 'closed the stream';
  }

  /** Did the peer end the carrier in order (TCP FIN; END_STREAM), as a clean close ends? */
  get peerEndedInOrder(): boolean {
    return this.peerEnd !== null && isOrderly(this.peerEnd);
  }

  // --- sending ---------------------------------------------------------------------------

  /** Encode a frame as this role must: RFC 6455 §5.3, only client frames are masked. */
  encode(spec: FrameSpec): Buffer {
    return encodeFrame({ ...spec, mask: spec.mask ?? this.role === 'client' });
  }

  /** Encode, log and write one frame; returns the bytes written. */
  send(spec: FrameSpec): Buffer {
    const bytes = this.encode(spec);
    this.logFrame('tx', spec.opcode, spec.fin ?? true, spec.rsv ?? 0, bytes.length, this.payloadOf(spec));
    if (spec.opcode === Opcode.Close && !this.closeSent) {
      const p = this.payloadOf(spec);
      this.closeSent = { code: p.length >= 2 ? p.readUInt16BE(0) : null, reason: p.subarray(2) };
      if (this.closedByMe === null) this.closedByMe = true;
    }
    this.write(bytes);
    return bytes;
  }

  sendClose(code?: number, reason?: Buffer | string): void {
    this.send({ opcode: Opcode.Close, payload: closePayload(code, reason) });
  }

  /** Log a frame that is written by other means (chopped delivery). */
  logTx(spec: FrameSpec, wireBytes: number, how: string): void {
    this.logFrame('tx', spec.opcode, spec.fin ?? true, spec.rsv ?? 0, wireBytes, this.payloadOf(spec), how);
    if (spec.opcode === Opcode.Close && !this.closeSent) {
      const p = this.payloadOf(spec);
      this.closeSent = { code: p.length >= 2 ? p.readUInt16BE(0) : null, reason: p.subarray(2) };
      if (this.closedByMe === null) this.closedByMe = true;
    }
  }

  write(bytes: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
  }

  get open(): boolean {
    return !this.transportClosed && !this.socket.destroyed;
  }

  // --- waiting ---------------------------------------------------------------------------

  /** Resolve true as soon as `pred()` holds, false after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(pred());
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Wait for the carrier to end; in client mode the suite (the server) ends it itself. */
  async waitTransportClose(timeoutMs: number): Promise<boolean> {
    return this.waitFor(() => this.transportClosed, timeoutMs);
  }

  destroy(): void {
    if (!this.socket.destroyed) {
      if (!this.transportClosed) {
        this.droppedByMe = true;
        this.note(this.carrier === 'tcp' ? 'suite dropped the TCP connection' : 'suite reset the stream (RST_STREAM CANCEL)');
      }
      releaseCarrier(this.socket, this.carrier, this.peerEndedInOrder);
    }
    this.markClosed();
  }

  note(text: string): void {
    this.addLog('note', text);
  }

  /** Keep only the last `keep` log entries (long cases), counting the rest as left out. */
  forgetLog(keep: number): void {
    if (this.log.length <= keep) return;
    this.logDropped += this.log.length - keep;
    this.log.splice(0, this.log.length - keep);
  }

  // --- receiving -------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.violation((err as Error).message);
      this.destroy();
      return;
    }
    for (const f of frames) this.onFrame(f);
    if (frames.length > 0) this.notify();
  }

  private onFrame(f: Frame): void {
    this.logFrame('rx', f.opcode, f.fin, f.rsv, -1, f.payload, f.masked ? 'masked' : undefined);
    if (this.closeReceived) {
      this.violation(`peer sent a ${opcodeName(f.opcode)} frame after its close frame (RFC 6455 §5.5.1)`);
      return;
    }
    // RFC 6455 §5.1: a server must not mask; a client must mask every frame.
    if (this.role === 'client' && f.masked) this.violation('server sent a masked frame (RFC 6455 §5.1)');
    if (this.role === 'server' && !f.masked) this.violation('client sent an unmasked frame (RFC 6455 §5.1)');
    this.checkRsv(f);

    if (isControlOpcode(f.opcode)) {
      if (!f.fin || f.payload.length > 125) {
        this.violation('peer sent a fragmented or oversized control frame (RFC 6455 §5.5)');
      }
      if (f.opcode === Opcode.Ping) {
        this.events.push({ type: 'ping', payload: f.payload });
        // Answer like any conforming endpoint would (RFC 6455 §5.5.2).
        if (!this.closeSent) this.send({ opcode: Opcode.Pong, payload: f.payload });
      } else if (f.opcode === Opcode.Pong) {
        this.events.push({ type: 'pong', payload: f.payload });
      } else if (f.opcode === Opcode.Close) {
        this.onClose(f.payload);
      } else {
        this.violation(`peer sent reserved opcode ${f.opcode} (RFC 6455 §5.2)`);
      }
      return;
    }

    if (f.opcode === Opcode.Continuation) {
      if (!this.fragments) {
        this.violation('peer sent a continuation frame with nothing to continue (RFC 6455 §5.4)');
        return;
      }
      this.fragments.push(f.payload);
    } else if (f.opcode === Opcode.Text || f.opcode === Opcode.Binary) {
      if (this.fragments) {
        this.violation('peer started a new message inside a fragmented one (RFC 6455 §5.4)');
      }
      this.fragments = [f.payload];
      this.fragmentedBinary = f.opcode === Opcode.Binary;
      this.fragmentedCompressed = this.deflate !== null && (f.rsv & RSV1) !== 0;
    } else {
      this.violation(`peer sent reserved opcode ${f.opcode} (RFC 6455 §5.2)`);
      return;
    }
    if (f.fin) {
      let payload = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments);
      this.fragments = null;
      if (this.fragmentedCompressed) {
        try {
          payload = this.deflate!.decompress(payload);
        } catch (err) {
          this.violation(`peer sent compressed data that does not inflate with the negotiated parameters (RFC 7692 §7.2.2): ${(err as Error).message}`);
          return;
        }
      }
      if (!this.fragmentedBinary && !isUtf8(payload)) {
        this.violation('peer sent a text message that is not valid UTF-8 (RFC 6455 §8.1)');
      }
      this.events.push({ type: 'message', binary: this.fragmentedBinary, payload });
    }
  }

  /** RFC 6455 §5.2: RSV bits are zero unless an extension gives them a meaning; RFC 7692 §6 gives RSV1 one. */
  private checkRsv(f: Frame): void {
    if (!this.deflate) {
      if (f.rsv !== 0) this.violation(`peer set RSV bits ${f.rsv} without an extension (RFC 6455 §5.2)`);
      return;
    }
    if ((f.rsv & ~RSV1) !== 0) this.violation(`peer set RSV bits ${f.rsv}; permessage-deflate defines RSV1 only (RFC 6455 §5.2)`);
    if ((f.rsv & RSV1) === 0) return;
    // RFC 7692 §6: RSV1 marks the first frame of a compressed message, never a control frame or a continuation.
    if (isControlOpcode(f.opcode)) this.violation(`peer set RSV1 on a ${opcodeName(f.opcode)} frame (RFC 7692 §6)`);
    else if (f.opcode === Opcode.Continuation) this.violation('peer set RSV1 on a continuation frame (RFC 7692 §6)');
  }

  private onClose(payload: Buffer): void {
    let code: number | null = null;
    if (payload.length === 1) this.violation('peer sent a close frame with a 1-byte body (RFC 6455 §5.5.1)');
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) this.violation(`peer sent invalid close code ${code} (RFC 6455 §7.4)`);
      if (!isUtf8(payload.subarray(2))) this.violation('peer sent a close reason that is not UTF-8 (RFC 6455 §5.5.1)');
    }
    this.closeReceived = { code, reason: payload.subarray(2) };
    if (this.closedByMe === null) this.closedByMe = false;
    if (!this.closeSent && !this.suppressCloseReply) {
      // Echo the code the way Autobahn's fuzzer does, when it is one we may send.
      const echo = code !== null && isValidCloseCode(code) ? code : undefined;
      this.sendClose(echo);
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection first; in client mode that is us.
    if (this.role === 'server' && this.closeSent) {
      this.note('closing handshake complete; suite (server) closes TCP');
      this.socket.end();
    }
  }

  private violation(text: string): void {
    this.violations.push(text);
    this.note(`VIOLATION: ${text}`);
  }

  private markClosed(): void {
    if (this.transportClosed) return;
    this.transportClosed = true;
    if (this.carrier === 'tcp') this.note('TCP connection closed');
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private payloadOf(spec: FrameSpec): Buffer {
    return spec.payload === undefined ? Buffer.alloc(0) : typeof spec.payload === 'string' ? Buffer.from(spec.payload) : spec.payload;
  }

  private logFrame(dir: 'tx' | 'rx', opcode: number, fin: boolean, rsv: number, _wireBytes: number, payload: Buffer, how?: string): void {
    let text = `${opcodeName(opcode)} fin=${fin ? 1 : 0}${rsv ? ` rsv=${rsv}` : ''} ${preview(payload)}`;
    if (opcode === Opcode.Close && payload.length >= 2) {
      text += ` code=${payload.readUInt16BE(0)}`;
    }
    if (how) text += ` [${how}]`;
    this.addLog(dir, text);
  }

  private addLog(dir: LogEntry['dir'], text: string): void {
    if (this.log.length >= MAX_LOG_ENTRIES) {
      this.logDropped++;
      return;
    }
    this.log.push({ t: Date.now() - this.started, dir, text });
  }
}
