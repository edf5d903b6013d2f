// Section h2: the opening handshake over HTTP/2 (RFC 8441), which takes the place of section 0
// when the suite runs with --h2. Each case opens its own HTTP/2 connection. The requests to be
// accepted go through node:http2, and a message is echoed on the stream; the ones to be refused
// are written and read frame by frame (h2-frames.ts): node:http2 will not send the malformed
// ones, and the suite sees exactly how each refusal ends.
import type { IncomingHttpHeaders } from 'node:http2';
import type { CaseDef, H2HandshakeContext, Outcome } from '../case.js';
import { h2ErrorName } from '../carrier.js';
import { acceptsExtendedConnect, sendRequest } from '../h2-connection.js';
import { describeH2Frame, rawRequest, type RawAnswer, type StreamEnd } from '../h2-frames.js';
import { checkAccepted, describeHeaders, extendedConnect, isSuccess } from '../h2-handshake.js';
import { Opcode, encodeFrame } from '../frame.js';
import { hasToken } from '../handshake.js';
import { echoProbe } from './handshake.js';

const NOT_ADVERTISED = 'the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so a client may not send :protocol (RFC 8441 §3)';
const PROTOCOL_ERROR = 0x1;

/** Write the request's HEADERS frame ourselves, on a connection of its own, and read the answer frame by frame. */
async function send(r: H2HandshakeContext, fields: [string, string][]): Promise<RawAnswer> {
  const socket = await r.openRaw();
  r.record('tx', `HEADERS ${fields.map(([k, v]) => `${k}: ${v}`).join(' | ')}`);
  const withProtocol = fields.some(([name]) => name === ':protocol');
  const a = await rawRequest(socket, fields, { timeoutMs: r.timing.replyTimeoutMs, extendedConnect: withProtocol, onFrame: (f) => r.record('rx', describeH2Frame(f)) });
  if (a.kind === 'response') r.note(`response headers: ${a.headers.map(([k, v]) => `${k}: ${v}`).join(' | ')}`);
  socket.destroy();
  return a;
}

/** The extended CONNECT of RFC 8441 §5 as fields in order (pseudo-header fields first), with changes. */
function connectFields(r: H2HandshakeContext, changes: Record<string, string | null> = {}, add: [string, string][] = []): [string, string][] {
  const all = Object.entries(extendedConnect(r.target, changes)).map(([k, v]) => [k, String(v)] as [string, string]);
  return [...all.filter(([k]) => k.startsWith(':')), ...all.filter(([k]) => !k.startsWith(':')), ...add];
}

interface Refusal {
  /**
   * RFC 9113 §8.1.1: the request is malformed, so resetting the stream with PROTOCOL_ERROR is a
   * refusal too, with or without a response first.
   */
  malformed: boolean;
  /** An extra demand on a refusal's headers (NON-STRICT when it is not met). */
  wants?: (headers: [string, string][]) => string | null;
}

/** A refused request's response must be complete: END_STREAM, not a RST_STREAM that cuts it off (RFC 9113 §8.1). */
function judgeResponseEnd(status: number, end: StreamEnd, how: Refusal): Outcome {
  const refused = `refused with status ${status}`;
  switch (end.how) {
    case 'end-stream': return { verdict: 'OK', reason: refused };
    case 'reset':
      if (how.malformed) return { verdict: 'OK', reason: `${refused}, then RST_STREAM ${h2ErrorName(end.code)}` };
      return { verdict: 'NON-STRICT', reason: `${refused}, but reset the stream (RST_STREAM ${h2ErrorName(end.code)}) before the response's END_STREAM: the response is cut off, and a client may discard it (RFC 9113 §8.1; node:http2 clients can)` };
    case 'connection-closed': return { verdict: 'NON-STRICT', reason: `${refused}, then closed the whole HTTP/2 connection (${end.why}) before the response's END_STREAM` };
    case 'open': return { verdict: 'NON-STRICT', reason: `${refused}, but never completed the response (no END_STREAM, no RST_STREAM)` };
  }
}

/** Judge the answer to a request the server must not accept as a WebSocket. */
function judgeRefusal(a: RawAnswer, how: Refusal): Outcome {
  switch (a.kind) {
    case 'no-extended-connect': return { verdict: 'FAILED', reason: NOT_ADVERTISED };
    case 'malformed': return { verdict: 'FAILED', reason: `the server sent ${a.why}` };
    case 'timeout': return { verdict: 'FAILED', reason: 'the server neither answered nor reset the stream' };
    case 'connection-closed': {
      const why = how.malformed ? 'a malformed request is a stream error, not a connection error (RFC 9113 §8.1.1)' : 'one refused request should not end the connection';
      return { verdict: 'NON-STRICT', reason: `the server closed the whole HTTP/2 connection (${a.why}): ${why}` };
    }
    case 'reset': {
      const reset = `RST_STREAM ${h2ErrorName(a.code)}`;
      if (!how.malformed) return { verdict: 'NON-STRICT', reason: `refused with ${reset}, without an HTTP status saying why` };
      if (a.code !== PROTOCOL_ERROR) return { verdict: 'NON-STRICT', reason: `reset with ${reset}; a malformed request is a PROTOCOL_ERROR (RFC 9113 §8.1.1)` };
      return { verdict: 'OK', reason: `refused as malformed (${reset})` };
    }
    case 'response': {
      if (Number.isNaN(a.status)) return { verdict: 'NON-STRICT', reason: 'answered with headers that have no :status (RFC 9113 §8.3.2)' };
      if (isSuccess(a.status)) return { verdict: 'FAILED', reason: `the server accepted it with status ${a.status}` };
      if (a.status < 400 || a.status > 599) return { verdict: 'NON-STRICT', reason: `status ${a.status}, expected a 4xx or 5xx` };
      const extra = how.wants?.(a.headers) ?? null;
      if (extra) return { verdict: 'NON-STRICT', reason: extra };
      return judgeResponseEnd(a.status, a.end, how);
    }
  }
}

function mustRefuse(id: string, description: string, why: string, how: Refusal, fields: (r: H2HandshakeContext) => [string, string][]): CaseDef {
  const also = how.malformed ? ', or a reset of the stream with PROTOCOL_ERROR (RFC 9113 §8.1.1: the request is malformed)' : ', a complete response (END_STREAM)';
  return {
    id,
    description,
    expectation: `The server refuses it with a 4xx or 5xx status${also} (${why}).`,
    runH2: async (r) => judgeRefusal(await send(r, fields(r)), how),
  };
}

/** The extended CONNECT must be accepted (2xx, the stream left open) and a text message echoed. */
function mustAccept(id: string, description: string, opts: { changes?: Record<string, string>; early?: boolean; offeredProtocols?: string[]; check?: (h: IncomingHttpHeaders) => string | null }): CaseDef {
  return {
    id,
    description,
    expectation: 'The server accepts the WebSocket (a 2xx that leaves the stream open) and echoes a text message.',
    runH2: async (r) => {
      const session = await r.openSession();
      if (!acceptsExtendedConnect(session)) return { verdict: 'FAILED', reason: NOT_ADVERTISED };
      const headers = extendedConnect(r.target, opts.changes);
      const probe = encodeFrame({ opcode: Opcode.Text, payload: 'handshake probe', mask: true });
      r.record('tx', `HEADERS ${describeHeaders(headers)}`);
      const a = await sendRequest(session, headers, r.timing.replyTimeoutMs, opts.early ? probe : undefined);
      if (a.kind !== 'response') return { verdict: 'FAILED', reason: a.text };
      r.record('rx', `HEADERS ${describeHeaders(a.headers)}${a.endStream ? ' [END_STREAM]' : ''}`);
      try {
        const bad = checkAccepted(a.status, a.headers, a.endStream, opts.offeredProtocols) ?? opts.check?.(a.headers) ?? null;
        if (bad) return { verdict: 'FAILED', reason: bad };
        return await echoProbe(r, a.stream, a.initial, opts.early ? null : probe);
      } finally {
        a.stream.close();
      }
    },
  };
}

const noExtension = (h: IncomingHttpHeaders): string | null =>
  h['sec-websocket-extensions'] !== undefined ? 'the server accepted an extension nobody offered' : null;

export const h2HandshakeCases: CaseDef[] = [
  {
    id: 'h2.1',
    description: 'Read the server\'s SETTINGS.',
    expectation: 'SETTINGS_ENABLE_CONNECT_PROTOCOL = 1: the server takes the extended CONNECT (RFC 8441 §3).',
    runH2: async (r) => {
      const session = await r.openSession();
      r.record('rx', `SETTINGS ${JSON.stringify(session.remoteSettings)}`);
      return acceptsExtendedConnect(session)
        ? { verdict: 'OK', reason: 'SETTINGS_ENABLE_CONNECT_PROTOCOL = 1' }
        : { verdict: 'FAILED', reason: NOT_ADVERTISED };
    },
  },
  mustAccept('h2.2', 'Send a valid extended CONNECT (:protocol websocket, sec-websocket-version 13), then a text message.', { check: noExtension }),
  mustAccept('h2.3', 'Send a valid extended CONNECT and a text message at once, without waiting for the response.', { early: true }),
  mustAccept('h2.4', 'Offer an unknown extension "x-wsmith-unknown".', {
    changes: { 'sec-websocket-extensions': 'x-wsmith-unknown' },
    check: (h) => (String(h['sec-websocket-extensions'] ?? '').includes('x-wsmith-unknown') ? 'the server accepted an extension it cannot know' : null),
  }),
  mustAccept('h2.5', 'Offer subprotocols "chat, superchat".', { changes: { 'sec-websocket-protocol': 'chat, superchat' }, offeredProtocols: ['chat', 'superchat'] }),
  mustRefuse('h2.6', 'Send a plain CONNECT (no :protocol, so no :scheme and :path) to the server\'s own authority.',
    'RFC 8441 §4, §5: only :protocol websocket asks for a WebSocket; a plain CONNECT asks for a tunnel', { malformed: false },
    (r) => [[':method', 'CONNECT'], [':authority', r.target.authority], ['sec-websocket-version', '13']]),
  mustRefuse('h2.7', 'Send an extended CONNECT with :protocol "chat".', 'RFC 8441 §5: a WebSocket is :protocol websocket', { malformed: false },
    (r) => connectFields(r, { ':protocol': 'chat' })),
  mustRefuse('h2.8', 'Send a GET with :protocol websocket.', 'RFC 8441 §4: :protocol belongs to the extended CONNECT', { malformed: true },
    (r) => connectFields(r, { ':method': 'GET' })),
  mustRefuse('h2.9', 'Send an extended CONNECT without :path.', 'RFC 8441 §4: :scheme and :path MUST be included', { malformed: true },
    (r) => connectFields(r, { ':path': null })),
  mustRefuse('h2.10', 'Send an extended CONNECT without :scheme.', 'RFC 8441 §4: :scheme and :path MUST be included', { malformed: true },
    (r) => connectFields(r, { ':scheme': null })),
  mustRefuse('h2.11', 'Send an extended CONNECT without :authority (and no host).', 'RFC 8441 §5: :authority carries RFC 6455\'s Host and is required', { malformed: true },
    (r) => connectFields(r, { ':authority': null })),
  mustRefuse('h2.12', 'Send an extended CONNECT with HTTP/1.1\'s "connection: upgrade" and "upgrade: websocket".',
    'RFC 8441 §5: they MUST NOT be included; RFC 9113 §8.2.2: connection-specific fields make a request malformed', { malformed: true },
    (r) => connectFields(r, {}, [['connection', 'upgrade'], ['upgrade', 'websocket']])),
  mustRefuse('h2.13', 'Send an extended CONNECT with sec-websocket-version 12.',
    'RFC 6455 §4.2.2, kept by RFC 8441 §5: an error status with a sec-websocket-version header naming 13', {
      malformed: false,
      wants: (h) => (h.some(([k, v]) => k === 'sec-websocket-version' && hasToken(v, '13')) ? null : 'refused without a sec-websocket-version: 13 header (RFC 6455 §4.2.2, §4.4)'),
    },
    (r) => connectFields(r, { 'sec-websocket-version': '12' })),
  mustRefuse('h2.14', 'Send an extended CONNECT without sec-websocket-version.', 'RFC 6455 §4.2.1 item 6, kept by RFC 8441 §5', { malformed: false },
    (r) => connectFields(r, { 'sec-websocket-version': null })),
];
