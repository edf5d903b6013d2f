// The suite's HTTP/2 connection to a server under test (server mode with --h2), made with
// node:http2: TLS with ALPN "h2" for https://, or h2c with prior knowledge for http:// (RFC 9113
// §3.2, §3.3). One connection serves a whole run, a stream per case, as a browser puts every
// WebSocket to an origin on one connection; it is opened again when the server closes it.
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { h2ErrorName } from './carrier.js';

export interface H2Target {
  secure: boolean;
  host: string;
  port: number;
  /** The request target: RFC 8441 §5's :path (the WebSocket URI's path and query). */
  path: string;
  /** host:port, RFC 8441 §5's :authority (RFC 6455's Host). */
  authority: string;
  /** PEM certificates to trust (a self-signed server's, or its CA). */
  ca?: string | Buffer;
  /** Skip certificate verification altogether. */
  insecure?: boolean;
}

export interface TlsTrust {
  ca?: string | Buffer;
  insecure?: boolean;
}

/** https:// (or wss://) is HTTP/2 over TLS; http:// (or ws://) is h2c with prior knowledge. */
export function parseH2Target(url: string, trust: TlsTrust = {}): H2Target {
  const u = new URL(url);
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  if (!secure && u.protocol !== 'http:' && u.protocol !== 'ws:') {
    throw new Error(`--h2 needs an https:// (TLS) or http:// (h2c) URL, got ${url}`);
  }
  const port = Number(u.port || (secure ? 443 : 80));
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { secure, host, port, path: (u.pathname || '/') + u.search, authority: u.host, ca: trust.ca, insecure: trust.insecure };
}

function tlsOptions(target: H2Target): { ca?: string | Buffer; rejectUnauthorized: boolean; servername?: string } {
  const isIp = /^[\d.]+$|:/.test(target.host);
  return { ca: target.ca, rejectUnauthorized: target.insecure !== true, servername: isIp ? undefined : target.host };
}

/** Open an HTTP/2 connection; resolves once the server's SETTINGS arrived (RFC 9113 §3.4). */
export function openSession(target: H2Target, timeoutMs: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const scheme = target.secure ? 'https' : 'http';
    const hostPart = target.host.includes(':') ? `[${target.host}]` : target.host;
    const session = connect(`${scheme}://${hostPart}:${target.port}`, target.secure ? tlsOptions(target) : {});
    const timer = setTimeout(() => fail(new Error(`no HTTP/2 SETTINGS from the server within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      session.destroy();
      reject(err);
    }
    session.once('error', fail);
    session.once('close', () => fail(new Error('the server closed the HTTP/2 connection before its SETTINGS')));
    session.once('remoteSettings', () => {
      clearTimeout(timer);
      session.removeAllListeners('error');
      session.removeAllListeners('close');
      session.on('error', () => undefined); // each stream reports its own end
      resolve(session);
    });
  });
}

/** RFC 8441 §3: has the server said it takes the extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL = 1)? */
export function acceptsExtendedConnect(session: ClientHttp2Session): boolean {
  return session.remoteSettings.enableConnectProtocol === true;
}

/** One HTTP/2 connection for a run, opened again when the server has closed the last one. */
export class H2Connection {
  private current: ClientHttp2Session | null = null;
  /** How many connections were opened (more than 1: the server closed one). */
  opened = 0;

  constructor(private readonly target: H2Target, private readonly timeoutMs: number) {}

  async session(): Promise<ClientHttp2Session> {
    const s = this.current;
    if (s && !s.closed && !s.destroyed && !goneAway.has(s)) return s;
    s?.destroy();
    const fresh = await openSession(this.target, this.timeoutMs);
    fresh.once('goaway', () => goneAway.add(fresh));
    this.current = fresh;
    this.opened++;
    return fresh;
  }

  /** The next case gets a new connection; this one finishes what it has in flight, then closes. */
  retire(): void {
    this.current?.close();
    this.current = null;
  }

  close(): void {
    this.retire();
  }
}

/** How long a stream may take to close after the suite ended its side. */
const SETTLE_MS = 200;

/**
 * Did the stream close in order, END_STREAM both ways? A stream reset, or one whose END_STREAM
 * is stuck behind data flow control holds back, may leave the connection's flow-control window
 * spent; the runner then moves on to a new connection, so that no case inherits that.
 */
export async function closedInOrder(stream: ClientHttp2Stream): Promise<boolean> {
  if (!stream.closed) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, SETTLE_MS);
      stream.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return stream.closed && stream.rstCode === constants.NGHTTP2_NO_ERROR;
}

/** Sessions that received GOAWAY: no new stream may start on them (RFC 9113 §6.8). */
const goneAway = new WeakSet<ClientHttp2Session>();

/** What came back for a request: response headers, a reset, or nothing. */
export type RequestAnswer =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; endStream: boolean; stream: ClientHttp2Stream; initial: Buffer }
  | { kind: 'reset'; code: number; text: string }
  | { kind: 'connection-closed'; text: string }
  | { kind: 'timeout'; text: string };

/**
 * Send a request's headers (the stream stays open for DATA) and wait for the answer. The stream
 * is read from the start: node:http2 (v20) can lose the 'response' of a stream nobody reads when
 * a RST_STREAM follows at once. DATA read before the answer is handed on as `initial`, and the
 * stream is paused until its next reader resumes it.
 */
export function sendRequest(session: ClientHttp2Session, headers: OutgoingHttpHeaders, timeoutMs: number, early?: Buffer): Promise<RequestAnswer> {
  return new Promise((resolve) => {
    const stream = session.request(headers, { endStream: false });
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): number => chunks.push(chunk);
    let settled = false;
    stream.on('error', () => undefined); // the answer below says what happened
    stream.on('data', onData);
    const timer = setTimeout(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      done({ kind: 'timeout', text: `no response within ${timeoutMs} ms` });
    }, timeoutMs);
    function done(answer: RequestAnswer): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeListener('response', onResponse);
      stream.removeListener('close', onClose);
      stream.removeListener('data', onData);
      stream.pause();
      resolve(answer);
    }
    function onResponse(h: IncomingHttpHeaders, flags: number): void {
      const endStream = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      done({ kind: 'response', status: Number(h[':status']), headers: h, endStream, stream, initial: Buffer.concat(chunks) });
    }
    function onClose(): void {
      // A 'response' is emitted on a later tick than the frames it came in: let it come first.
      setImmediate(() => {
        if (session.destroyed || session.closed) done({ kind: 'connection-closed', text: 'the HTTP/2 connection closed before a response' });
        else done({ kind: 'reset', code: stream.rstCode, text: `reset without a response (RST_STREAM ${h2ErrorName(stream.rstCode)})` });
      });
    }
    stream.on('response', onResponse);
    stream.on('close', onClose);
    if (early) stream.write(early);
  });
}

/** A TLS (ALPN h2) or TCP connection for the frames the suite writes itself (h2-frames.ts). */
export function openRawConnection(target: H2Target, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = target.secure
      ? tlsConnect({ host: target.host, port: target.port, ALPNProtocols: ['h2'], ...tlsOptions(target) })
      : tcpConnect({ host: target.host, port: target.port });
    const timer = setTimeout(() => fail(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    socket.once('error', fail);
    socket.once(target.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      socket.on('error', () => undefined);
      const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
      if (target.secure && alpn !== 'h2') return fail(new Error(`the server did not choose HTTP/2 by ALPN (got ${alpn || 'none'})`));
      resolve(socket);
    });
  });
}
