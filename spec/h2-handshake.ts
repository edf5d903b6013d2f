// The opening handshake over HTTP/2 as the suite speaks it (RFC 8441 §4, §5): an extended
// CONNECT with `:protocol: websocket`, answered with a 2xx. Sec-WebSocket-Key and -Accept,
// Upgrade and Connection are gone (§5); Sec-WebSocket-Version, -Protocol and -Extensions stay.
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { acceptsExtendedConnect, sendRequest, type H2Target, type RequestAnswer } from './h2-connection.js';

/** The request of RFC 8441 §5; `changes` replaces or (null) drops a field. */
export function extendedConnect(target: H2Target, changes: Record<string, string | null> = {}): OutgoingHttpHeaders {
  const base: Record<string, string | null> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': target.secure ? 'https' : 'http',
    ':authority': target.authority,
    ':path': target.path,
    'sec-websocket-version': '13',
  };
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries({ ...base, ...changes })) if (value !== null) out[name] = value;
  return out;
}

/** Is this a 2xx, the answer that accepts a WebSocket (RFC 8441 §5)? */
export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** One line for the wire log: ":status: 200 | sec-websocket-extensions: ...". */
export function describeHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders): string {
  return Object.entries(headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`).join(' | ');
}

export interface OpenStream {
  stream: ClientHttp2Stream;
  headers: IncomingHttpHeaders;
  /** DATA that came with the response (the stream is paused until the Wire reads it). */
  initial: Buffer;
}

/**
 * Open a WebSocket on a new stream: the extended CONNECT, then a 2xx that leaves the stream open.
 * Throws with the reason when the server refuses, resets, or does not answer.
 */
export async function openWebSocketStream(session: ClientHttp2Session, target: H2Target, timeoutMs: number, extensions?: string): Promise<OpenStream> {
  // RFC 8441 §3: :protocol only to a server that sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
  if (!acceptsExtendedConnect(session)) throw new Error('the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3)');
  const changes: Record<string, string> = extensions !== undefined ? { 'sec-websocket-extensions': extensions } : {};
  const answer: RequestAnswer = await sendRequest(session, extendedConnect(target, changes), timeoutMs);
  if (answer.kind !== 'response') throw new Error(`handshake failed: ${answer.text}`);
  const bad = checkAccepted(answer.status, answer.headers, answer.endStream);
  if (bad) {
    answer.stream.close();
    throw new Error(`handshake failed: ${bad}`);
  }
  return { stream: answer.stream, headers: answer.headers, initial: answer.initial };
}

/** RFC 8441 §5 and RFC 6455 §4.1 for a request that offered no subprotocol. */
export function checkAccepted(status: number, headers: IncomingHttpHeaders, endStream: boolean, offeredProtocols: string[] = []): string | null {
  if (!isSuccess(status)) return `expected a 2xx status, got ${status}`;
  if (endStream) return `the server ended the stream with its ${status} response (END_STREAM), leaving no stream for the WebSocket`;
  const protocol = headers['sec-websocket-protocol'];
  if (protocol !== undefined && !offeredProtocols.includes(String(protocol))) {
    return `the server chose subprotocol "${String(protocol)}", which was not offered (RFC 6455 §4.1)`;
  }
  return null;
}
