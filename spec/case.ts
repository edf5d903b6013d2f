// What a case is, the context it runs in, and the judges that turn what happened on the wire into
// Autobahn's verdicts.
import type { ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DeflateParams } from './extensions.js';
import type { H2Target } from './h2-connection.js';
import { Opcode, type FrameSpec } from './frame.js';
import { describeEvent, type Wire, type WireEvent } from './wire.js';

/** Autobahn's verdicts, with Autobahn's meaning. */
export type Verdict = 'OK' | 'NON-STRICT' | 'FAILED' | 'INFORMATIONAL' | 'UNIMPLEMENTED';
export const VERDICTS: readonly Verdict[] = ['OK', 'NON-STRICT', 'FAILED', 'INFORMATIONAL', 'UNIMPLEMENTED'];

export interface Outcome {
  verdict: Verdict;
  reason: string;
}

export interface Timing {
  /** Autobahn's deliberate pauses (e.g. between the parts of 6.4.x, 5.19), default 1000 ms. */
  waitMs: number;
  /** How long the suite waits for a reaction it expects (echo, pong, close), default 2000 ms. */
  replyTimeoutMs: number;
  /** How long the suite waits for the TCP close after a closing handshake, default 2000 ms. */
  closeTimeoutMs: number;
  /** Delay between chops in "frame-wise" and "octet-wise" delivery, default 1 ms (0: next tick). */
  chopDelayMs: number;
}

export const DEFAULT_TIMING: Timing = { waitMs: 1000, replyTimeoutMs: 2000, closeTimeoutMs: 2000, chopDelayMs: 1 };

/** Options that change how much a case does, never what it checks. */
export interface RunOptions {
  /**
   * Messages per case in sections 12 and 13 (Autobahn's definition: 1000). Fewer keep a test
   * run short; the case list and every check stay the same.
   */
  deflateMessages?: number;
}

export interface CaseContext {
  wire: Wire;
  timing: Timing;
  options: RunOptions;
  /** How permessage-deflate negotiation went (offer and answer), for the reports. */
  negotiation: string;
  /** Encode (masked when the suite is the client), log and write one frame. */
  send(spec: FrameSpec): Buffer;
  /** Write these frames' bytes in chops of `chopSize` octets, pausing between chops. */
  sendChopped(specs: FrameSpec[], chopSize: number, delayMs?: number): Promise<void>;
  /** Write each frame separately with a pause after each ("frame-wise chops", Autobahn's sync). */
  sendEach(specs: FrameSpec[], delayMs?: number): Promise<void>;
  /**
   * Send a message cut into fragments of `fragmentSize` bytes. With `compress`, the payload is
   * compressed first (RFC 7692 §7.2.1) and the compressed bytes are fragmented, RSV1 on the first.
   */
  sendMessage(opcode: number, payload: Buffer | string, fragmentSize?: number, compress?: boolean): void;
  sleep(ms: number): Promise<void>;
}

/** Server-mode only cases (the opening handshake) get the target and open raw sockets themselves. */
export interface RawContext {
  host: string;
  port: number;
  path: string;
  timing: Timing;
  log: Wire['log'];
  /** Add a wire log entry stamped with the time since the case started. */
  record(dir: 'tx' | 'rx' | 'note', text: string): void;
  note(text: string): void;
  connect(): Promise<Socket>;
}

/** The RFC 8441 handshake cases (server mode with --h2) open their own HTTP/2 connections. */
export interface H2HandshakeContext {
  target: H2Target;
  timing: Timing;
  log: Wire['log'];
  record(dir: 'tx' | 'rx' | 'note', text: string): void;
  note(text: string): void;
  /** A fresh HTTP/2 connection for this case (its SETTINGS received), closed when the case ends. */
  openSession(): Promise<ClientHttp2Session>;
  /** A fresh TLS (ALPN h2) or TCP connection for HTTP/2 frames the case writes itself. */
  openRaw(): Promise<Duplex>;
}

/** How a section 12/13 case negotiates permessage-deflate, in either role (RFC 7692 §7.1). */
export interface DeflateNegotiation {
  /** Server mode: the offers the suite sends, in order of preference. */
  offers: DeflateParams[];
  /** Client mode: the suite's answer to the client's offers; null declines them all. */
  accept(offers: DeflateParams[]): { response: DeflateParams; offer: DeflateParams } | null;
}

export interface CaseDef {
  id: string;
  description: string;
  expectation: string;
  /** Extra time budget for heavy cases (section 9). */
  extraMs?: number;
  /** Largest message the case sends, so a run can cap sizes (--max-size). */
  messageSize?: number;
  /** Case runs over an open WebSocket connection in either mode. */
  run?: (t: CaseContext) => Promise<Outcome>;
  /** Case speaks raw HTTP/1.1 to a server (server mode over TCP only: section 0). */
  runRaw?: (r: RawContext) => Promise<Outcome>;
  /** Case tests the opening handshake over HTTP/2 (server mode with --h2 only: section h2). */
  runH2?: (r: H2HandshakeContext) => Promise<Outcome>;
  /** The case negotiates permessage-deflate (sections 12 and 13); no other case offers an extension. */
  deflate?: DeflateNegotiation;
}

export function section(id: string): string {
  return id.split('.')[0];
}

/**
 * Sort case ids numerically part by part: 1.1.10 after 1.1.9, 10.1.1 after 9.8.6. A named part
 * ("h2", the HTTP/2 handshake section) comes before the numbered ones.
 */
export function compareIds(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const [x, y] = [Number(pa[i]), Number(pb[i])];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!Number.isNaN(x)) return 1;
      if (!Number.isNaN(y)) return -1;
      return pa[i] < pb[i] ? -1 : 1;
    }
    if (x !== y) return x - y;
  }
  return 0;
}

/** Autobahn-style case selection: "1.*", "6.4.*", "7.1.1", "9" (a prefix). */
export function matchesPattern(id: string, pattern: string): boolean {
  const p = pattern.trim();
  if (p === '' || p === '*') return true;
  if (p.includes('*')) {
    const re = new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
    return re.test(id);
  }
  return id === p || id.startsWith(p + '.');
}

export function selectCases(all: CaseDef[], include?: string[], exclude?: string[]): CaseDef[] {
  return all
    .filter((c) => !include || include.length === 0 || include.some((p) => matchesPattern(c.id, p)))
    .filter((c) => !exclude || !exclude.some((p) => matchesPattern(c.id, p)))
    .sort((a, b) => compareIds(a.id, b.id));
}

// --- expected events ---------------------------------------------------------------------

export function text(payload: Buffer | string): WireEvent {
  return { type: 'message', binary: false, payload: typeof payload === 'string' ? Buffer.from(payload) : payload };
}
export function binary(payload: Buffer): WireEvent {
  return { type: 'message', binary: true, payload };
}
export function pong(payload: Buffer | string = ''): WireEvent {
  return { type: 'pong', payload: typeof payload === 'string' ? Buffer.from(payload) : payload };
}

function sameEvent(a: WireEvent, b: WireEvent): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'message' && b.type === 'message' && a.binary !== b.binary) return false;
  return a.payload.equals(b.payload);
}

/** Compare what arrived with what was expected; null when they match. */
export function diffEvents(got: WireEvent[], want: WireEvent[]): string | null {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (!g) return `missing event #${i + 1}: expected ${describeEvent(w)}`;
    if (!w) return `unexpected event #${i + 1}: ${describeEvent(g)}`;
    if (!sameEvent(g, w)) return `event #${i + 1}: expected ${describeEvent(w)}, got ${describeEvent(g)}`;
  }
  return null;
}

// --- judges ------------------------------------------------------------------------------

const ok = (reason: string): Outcome => ({ verdict: 'OK', reason });
const failed = (reason: string): Outcome => ({ verdict: 'FAILED', reason });
const nonStrict = (reason: string): Outcome => ({ verdict: 'NON-STRICT', reason });

function violationOutcome(w: Wire): Outcome | null {
  return w.violations.length > 0 ? failed(`peer violated the protocol: ${w.violations.join('; ')}`) : null;
}

/**
 * After a clean closing handshake the server closes the connection (RFC 6455 §7.1.1): TCP, or
 * over HTTP/2 its stream, with END_STREAM (RFC 8441 §5: the orderly close, TCP's FIN). Leaving
 * it open, or resetting the stream instead, is safe but not what the RFCs ask: NON-STRICT. In
 * client mode the suite is the server, so there is nothing to check.
 */
function serverClosedCleanly(w: Wire): Outcome | null {
  if (w.role !== 'client') return null;
  if (!w.transportClosed) {
    return nonStrict(w.carrier === 'tcp'
      ? 'server did not close the TCP connection after the closing handshake (RFC 6455 §7.1.1)'
      : 'server did not end its stream (END_STREAM) after the closing handshake (RFC 6455 §7.1.1, RFC 8441 §5)');
  }
  if (!w.peerEndedInOrder) {
    return nonStrict(`server ${w.peerEndText} after the closing handshake, where the orderly close is END_STREAM (RFC 8441 §5)`);
  }
  return null;
}

/** A server that failed the connection closes it after its close frame; over HTTP/2 ending or resetting the stream both do. */
function serverClosedAfterFailing(w: Wire, code: number | null): Outcome | null {
  if (w.role !== 'client' || w.transportClosed) return null;
  return nonStrict(`closed with ${code} but did not ${w.carrier === 'tcp' ? 'close TCP' : 'end or reset its stream'} (RFC 6455 §7.1.1)`);
}

/** ", then reset the stream (RST_STREAM CANCEL)": how an HTTP/2 stream ended, for the OK reasons. */
function streamEnding(w: Wire): string {
  return w.carrier === 'h2' && w.peerEnd !== null ? `, then ${w.peerEndText}` : '';
}

/**
 * The suite starts a clean close (1000 unless given) and checks the peer completes it: a close
 * frame back with an acceptable code, then the TCP close or END_STREAM (RFC 6455 §7.1.1: the
 * server closes first; in client mode the suite is the server and closes it itself).
 */
export async function finishClean(t: CaseContext, want: WireEvent[], okCodes: (number | null)[] = [1000, null]): Promise<Outcome> {
  const w = t.wire;
  if (!w.closeSent && w.open) w.sendClose(1000);
  await w.waitFor(() => w.closeReceived !== null || w.transportClosed, t.timing.replyTimeoutMs);
  await w.waitTransportClose(t.timing.closeTimeoutMs);
  const v = violationOutcome(w);
  if (v) return v;
  const diff = diffEvents(w.events, want);
  if (diff) return failed(diff);
  if (!w.closeReceived) {
    return failed(w.transportClosed ? `peer ${w.peerEndText} without answering the close frame` : 'peer never answered the close frame');
  }
  if (w.closedByMe === false) return failed(`peer closed the connection itself (code ${w.closeReceived.code}) instead of going on`);
  if (!okCodes.includes(w.closeReceived.code)) {
    return nonStrict(`peer answered the close with code ${w.closeReceived.code}, expected ${okCodes.map(String).join(' or ')}`);
  }
  return serverClosedCleanly(w) ?? ok(`events as expected; clean close${streamEnding(w)}`);
}

/** The expected exchange happens, then the suite closes cleanly (Autobahn's closedByMe: true). */
export async function expectEcho(t: CaseContext, want: WireEvent[], timeoutMs = t.timing.replyTimeoutMs): Promise<Outcome> {
  const w = t.wire;
  await w.waitFor(
    () => w.events.length >= want.length || w.closeReceived !== null || w.transportClosed || w.violations.length > 0,
    timeoutMs,
  );
  const early = violationOutcome(w);
  if (early) return early;
  if (w.events.length < want.length) {
    const diff = diffEvents(w.events, want);
    if (w.closeReceived) return failed(`peer closed (code ${w.closeReceived.code}) before: ${diff}`);
    if (w.transportClosed) return failed(`peer dropped the connection before: ${diff}`);
    return failed(`timed out after ${timeoutMs} ms: ${diff}`);
  }
  const diff = diffEvents(w.events, want);
  if (diff) return failed(diff);
  return finishClean(t, want);
}

export interface FailureExpectation {
  /** The close code the peer must fail the connection with: 1002 protocol error, 1007 bad UTF-8. */
  code: number;
  /** What must arrive before the failure (echo of a valid first message, a pong ...). */
  before?: WireEvent[];
  /** Codes also accepted, as NON-STRICT (e.g. 1002 where 1007 is meant). Default: any other code. */
  nonStrictCodes?: number[];
}

/**
 * The peer must fail the connection (RFC 6455 §7.1.7): close frame with `code` then TCP close (or
 * over HTTP/2 END_STREAM or RST_STREAM) is OK; a TCP close or a stream's end alone, or another
 * code, is NON-STRICT; carrying on (echo, pong) or doing
 * nothing is FAILED. A peer that failed the connection without first echoing the valid message
 * before the bad frame is NON-STRICT, as Autobahn judges it (its expected[NON_STRICT] = []).
 */
export async function expectFailure(t: CaseContext, exp: FailureExpectation): Promise<Outcome> {
  const w = t.wire;
  const before = exp.before ?? [];
  await w.waitFor(
    () => w.closeReceived !== null || w.transportClosed || w.events.length > before.length || w.violations.length > 0,
    t.timing.replyTimeoutMs,
  );
  // Let the closing handshake finish (our reply is automatic), so the TCP close (the stream's end) is observed.
  if (w.closeReceived) await w.waitTransportClose(t.timing.closeTimeoutMs);
  const v = violationOutcome(w);
  if (v) return v;
  if (w.events.length > before.length) {
    return failed(`peer went on instead of failing the connection: ${describeEvent(w.events[before.length])}`);
  }
  const missedEcho = w.events.length === 0 && before.length > 0;
  const diff = missedEcho ? null : diffEvents(w.events, before);
  if (diff) return failed(diff);
  const outcome = judgeFailure(t, exp);
  if (missedEcho && outcome.verdict !== 'FAILED') {
    return nonStrict(`${outcome.reason}, but never echoed the valid message sent before the bad frame (${describeEvent(before[0])})`);
  }
  return outcome;
}

/** The close part of expectFailure: who failed the connection, with which code. */
function judgeFailure(t: CaseContext, exp: FailureExpectation): Outcome {
  const w = t.wire;
  if (w.closeReceived) {
    if (w.closedByMe) return failed('peer only answered our close; it never failed the connection');
    const code = w.closeReceived.code;
    if (code === exp.code) {
      return serverClosedAfterFailing(w, code) ?? ok(`peer failed the connection with close code ${code}${streamEnding(w)}`);
    }
    if (exp.nonStrictCodes && !exp.nonStrictCodes.includes(code ?? -1)) {
      return failed(`peer closed with code ${code}, expected ${exp.code}`);
    }
    return nonStrict(`peer failed the connection with close code ${code}, expected ${exp.code}`);
  }
  if (w.transportClosed) return nonStrict(`peer ${w.peerEndText} without a close frame (expected close ${exp.code} first)`);
  return failed(`peer neither failed the connection nor answered within ${t.timing.replyTimeoutMs} ms`);
}

export interface CloseReplyExpectation {
  /** Codes accepted in the peer's close reply (null: an empty close body). */
  okCodes: (number | null)[];
  /** Verdict when the peer replies with another code. */
  otherCode: Verdict;
  /** Verdict when the peer drops TCP (ends or resets its stream) without a close frame. */
  onDrop: Verdict;
  /**
   * The close sent was bad, so the peer fails the connection: after its close frame it may end
   * its stream or reset it (HTTP/2). Otherwise its reply completes a clean close, which ends
   * with END_STREAM.
   */
  failsConnection?: boolean;
  /** Messages that must arrive before the close (7.1.1). */
  before?: WireEvent[];
}

/** The suite has sent a close frame (maybe a bad one); judge the peer's answer. */
export async function expectCloseReply(t: CaseContext, exp: CloseReplyExpectation): Promise<Outcome> {
  const w = t.wire;
  await w.waitFor(() => w.closeReceived !== null || w.transportClosed, t.timing.replyTimeoutMs);
  if (w.closeReceived) await w.waitTransportClose(t.timing.closeTimeoutMs);
  const v = violationOutcome(w);
  if (v) return v;
  const diff = diffEvents(w.events, exp.before ?? []);
  if (diff) return failed(diff);
  if (w.closeReceived) {
    const code = w.closeReceived.code;
    if (exp.okCodes.includes(code)) {
      const notClosed = exp.failsConnection ? serverClosedAfterFailing(w, code) : serverClosedCleanly(w);
      return notClosed ?? ok(`peer answered with close code ${code}${streamEnding(w)}`);
    }
    return { verdict: exp.otherCode, reason: `peer answered with close code ${code}, expected ${exp.okCodes.map(String).join(' or ')}` };
  }
  if (w.transportClosed) return { verdict: exp.onDrop, reason: `peer ${w.peerEndText} without a close frame` };
  return failed(`peer did not answer the close frame within ${t.timing.replyTimeoutMs} ms`);
}

export { Opcode };
