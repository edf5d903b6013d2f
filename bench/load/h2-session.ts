// The load client's HTTP/2 side (RFC 8441): one node:http2 session over TLS, set up as a browser
// sets up its own, and WebSockets opened on it as extended CONNECT streams. Frames then travel in
// the streams' DATA frames exactly as over TCP (masked, checked by the same scanner).
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { OpenSocket } from './handshake.js';

// Chromium's windows: 6 MiB per stream (SETTINGS_INITIAL_WINDOW_SIZE), 15 MiB for the connection.
const STREAM_WINDOW = 6 * 1024 * 1024;
const CONNECTION_WINDOW = 15 * 1024 * 1024;

/** A session to the bench's http2 server on 127.0.0.1, once its SETTINGS allow extended CONNECT (§3). */
export function openSession(port: number, ca: Buffer, timeoutMs = 10_000): Promise<ClientHttp2Session> {
  // (node:http2 turns Nagle's algorithm off on both ends, as browsers do.)
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    ca,
    servername: 'localhost',
    settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(`HTTP/2 session: no SETTINGS within ${timeoutMs} ms`), timeoutMs);
    const done = (error: string | null): void => {
      clearTimeout(timer);
      session.off('error', onError);
      session.off('close', onClose);
      if (error === null) {
        session.on('error', () => {}); // the streams report what goes wrong from now on
        resolve(session);
      } else {
        session.destroy();
        reject(new Error(error));
      }
    };
    const onError = (error: Error): void => done(`HTTP/2 session: ${error.message}`);
    const onClose = (): void => done('HTTP/2 session closed before its SETTINGS');
    session.once('remoteSettings', (settings) => {
      if (session.alpnProtocol !== 'h2') return done(`TLS: ALPN chose ${String(session.alpnProtocol)}, expected h2`);
      if (settings.enableConnectProtocol !== true) return done('the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)');
      session.setLocalWindowSize(CONNECTION_WINDOW);
      done(null);
    });
    session.on('error', onError);
    session.on('close', onClose);
  });
}

/** The extended CONNECT that opens a WebSocket (RFC 8441 §4, §5), as a browser sends it. */
export function extendedConnect(port: number, path: string): OutgoingHttpHeaders {
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':authority': `localhost:${port}`,
    ':path': path,
    'sec-websocket-version': '13',
  };
}

/** What is wrong with the answer to an extended CONNECT that offered nothing, or null. */
export function checkConnectResponse(headers: IncomingHttpHeaders): string | null {
  // node:http2 gives :status as a number, whatever its typing says.
  const status = headers[':status'] as unknown;
  if (status !== 200) return `expected :status 200, got ${String(status)}`;
  if (headers['sec-websocket-extensions'] !== undefined) return 'an extension in the answer, none was offered';
  if (headers['sec-websocket-protocol'] !== undefined) return 'a subprotocol in the answer, none was offered';
  return null;
}

/** Open one WebSocket as a stream of `session`. */
export function openStream(session: ClientHttp2Session, headers: OutgoingHttpHeaders, timeoutMs = 10_000): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: false });
    const timer = setTimeout(() => finish(new Error(`extended CONNECT: no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | null): void => {
      clearTimeout(timer);
      stream.off('response', onResponse);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error === null) return resolve({ socket: stream, leftover: Buffer.alloc(0), extensions: '' });
      stream.destroy();
      reject(error);
    };
    const onResponse = (answer: IncomingHttpHeaders): void => {
      const wrong = checkConnectResponse(answer);
      finish(wrong === null ? null : new Error(`extended CONNECT: ${wrong}`));
    };
    const onError = (error: Error): void => finish(error);
    const onClose = (): void => finish(new Error(`stream closed during the handshake (code ${stream.rstCode})`));
    stream.on('response', onResponse);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** Below this, the client's next writes wait for the server's WINDOW_UPDATE (RFC 9113 §6.9). */
const EXHAUSTED_WINDOW = 1024;

/**
 * How often the session's send window (the server's connection-level receive window, RFC 9113
 * §6.9.1) was exhausted: sampled every 10 ms from open to close. Node's server keeps HTTP/2's
 * initial 65,535 bytes for the connection unless the application raises it, and that window is
 * shared by every WebSocket on the connection, where each TCP connection has its own buffers.
 */
export class SendWindowSampler {
  private samples = 0;
  private exhausted = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly session: ClientHttp2Session) {
    this.timer = setInterval(() => this.sample(), 10);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  detail(): Record<string, number> {
    return { h2SendWindowExhaustedPct: this.samples > 0 ? Math.round((this.exhausted / this.samples) * 100) : 0 };
  }

  private sample(): void {
    if (this.session.destroyed) return;
    const window = this.session.state.remoteWindowSize ?? 0;
    this.samples++;
    if (window < EXHAUSTED_WINDOW) this.exhausted++;
  }
}
