// Section 0: the opening handshake (RFC 6455 §4.2.1, §4.2.2), our own addition to Autobahn's
// sections. Server mode only: the suite writes raw HTTP and reads the raw response.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CaseDef, Outcome, RawContext } from '../case.js';
import { FrameReader, Opcode, encodeFrame } from '../frame.js';
import { buildRequest, checkUpgradeResponse, hasToken, newKey, parseHttpHead, statusCode, type HttpHead, type RequestOptions } from '../handshake.js';

interface Exchange {
  head: HttpHead | null;
  socket: Socket;
}

/** Send a request (whole or in 1-byte chops) and read the response head, bounded in time. */
async function exchange(r: RawContext, request: Buffer, chopped = false): Promise<Exchange> {
  const socket = await r.connect();
  let buf = Buffer.alloc(0);
  const head = await new Promise<HttpHead | null>((resolve) => {
    const timer = setTimeout(() => done(null), r.timing.replyTimeoutMs);
    const done = (h: HttpHead | null): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      resolve(h);
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const h = parseHttpHead(buf);
      if (h) done(h);
    };
    const onClose = (): void => done(parseHttpHead(buf));
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', (e: Error) => r.note(`socket error: ${e.message}`));
    r.record('tx', request.toString('latin1').trim().replace(/\r\n/g, ' | ') + (chopped ? ' [octet-wise chops]' : ''));
    if (!chopped) socket.write(request);
    else {
      void (async () => {
        for (let i = 0; i < request.length && !socket.destroyed; i++) {
          socket.write(request.subarray(i, i + 1));
          await new Promise((res) => setTimeout(res, r.timing.chopDelayMs));
        }
      })();
    }
  });
  if (head) r.record('rx', [head.startLine, ...Object.entries(head.headers).map(([k, v]) => `${k}: ${v}`)].join(' | '));
  else r.note('no HTTP response head received');
  return { head, socket };
}

function request(r: RawContext, opts: Partial<RequestOptions> = {}): Buffer {
  return Buffer.from(buildRequest({ host: `${r.host}:${r.port}`, path: r.path, ...opts }));
}

/**
 * The request must be refused with a 4xx. Upgrading it is FAILED: each of these requests breaks
 * a MUST of RFC 6455 §4.2.1, so a server that upgrades it accepts a non-WebSocket handshake.
 */
function mustRefuse(id: string, description: string, why: string, opts: (r: RawContext) => Partial<RequestOptions>, wants?: (h: HttpHead) => string | null): CaseDef {
  return {
    id,
    description,
    expectation: `The server refuses the upgrade with a 4xx response (${why}).`,
    runRaw: async (r) => {
      const { head, socket } = await exchange(r, request(r, opts(r)));
      socket.destroy();
      if (!head) return { verdict: 'NON-STRICT', reason: 'the server closed the connection without an HTTP error response' };
      const status = statusCode(head);
      if (status === 101) return { verdict: 'FAILED', reason: 'the server upgraded the connection' };
      if (status < 400 || status > 499) return { verdict: 'NON-STRICT', reason: `status ${status}, expected a 4xx` };
      const extra = wants ? wants(head) : null;
      if (extra) return { verdict: 'NON-STRICT', reason: extra };
      return { verdict: 'OK', reason: `refused with ${head.startLine}` };
    },
  };
}

/** The request must be upgraded, and a message sent afterwards echoed. */
function mustAccept(id: string, description: string, build: (r: RawContext, key: string) => Buffer, opts: { chopped?: boolean; frameInSameWrite?: boolean; check?: (h: HttpHead) => string | null } = {}): CaseDef {
  return {
    id,
    description,
    expectation: 'The server upgrades the connection (101, correct Sec-WebSocket-Accept) and echoes a text message.',
    runRaw: async (r) => {
      const key = newKey();
      let req = build(r, key);
      const probe = encodeFrame({ opcode: Opcode.Text, payload: 'handshake probe', mask: true });
      if (opts.frameInSameWrite) req = Buffer.concat([req, probe]);
      const { head, socket } = await exchange(r, req, opts.chopped);
      try {
        if (!head) return { verdict: 'FAILED', reason: 'no HTTP response' };
        const bad = checkUpgradeResponse(head, key) ?? (opts.check ? opts.check(head) : null);
        if (bad) return { verdict: 'FAILED', reason: bad };
        return await echoProbe(r, socket, head.rest, opts.frameInSameWrite ? null : probe);
      } finally {
        socket.destroy();
      }
    },
  };
}

/** Send "handshake probe" (unless it went with the request) and expect its echo; then close. */
export async function echoProbe(r: Pick<RawContext, 'record' | 'timing'>, socket: Duplex, rest: Buffer, probe: Buffer | null): Promise<Outcome> {
  const reader = new FrameReader();
  const frames = reader.push(rest);
  if (probe) socket.write(probe);
  r.record('tx', 'TEXT "handshake probe"' + (probe ? '' : ' [in the same write as the request]'));
  const got = frames.length > 0 ? frames : await new Promise<ReturnType<FrameReader['push']>>((resolve) => {
    const timer = setTimeout(() => resolve([]), r.timing.replyTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      const f = reader.push(chunk);
      if (f.length > 0) {
        clearTimeout(timer);
        resolve(f);
      }
    });
    socket.on('close', () => resolve([]));
    socket.resume();
  });
  const f = got[0];
  if (!f) return { verdict: 'FAILED', reason: 'no echo of the message sent after the handshake' };
  r.record('rx', `opcode ${f.opcode} ${JSON.stringify(f.payload.toString('latin1'))}`);
  if (f.opcode !== Opcode.Text || f.payload.toString() !== 'handshake probe') {
    return { verdict: 'FAILED', reason: `expected the echo of "handshake probe", got opcode ${f.opcode}` };
  }
  socket.write(encodeFrame({ opcode: Opcode.Close, payload: Buffer.from([0x03, 0xe8]), mask: true }));
  return { verdict: 'OK', reason: 'upgraded and echoed' };
}

export const handshakeCases: CaseDef[] = [
  mustAccept('0.1', 'Send a valid opening handshake, then a text message.', (r, key) => request(r, { key }), {
    check: (h) => (h.headers['sec-websocket-protocol'] !== undefined ? 'the server chose a subprotocol nobody offered' : null)
      ?? (h.headers['sec-websocket-extensions'] !== undefined ? 'the server accepted an extension nobody offered' : null),
  }),
  mustAccept('0.2', 'Send a handshake with "Connection: keep-alive, Upgrade" (as Firefox does).', (r, key) =>
    request(r, { key, headers: { Connection: 'keep-alive, Upgrade' } })),
  mustAccept('0.3', 'Send a handshake with header names in lower case and values in mixed case ("upgrade: WebSocket", "connection: upgrade").', (r, key) =>
    Buffer.from(`GET ${r.path} HTTP/1.1\r\nhost: ${r.host}:${r.port}\r\nupgrade: WebSocket\r\nconnection: upgrade\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`)),
  mustAccept('0.4', 'Send a valid handshake in octet-wise chops.', (r, key) => request(r, { key }), { chopped: true }),
  mustAccept('0.5', 'Send a valid handshake and the first frame in the same TCP write.', (r, key) => request(r, { key }), { frameInSameWrite: true }),
  mustRefuse('0.6', 'Send a Sec-WebSocket-Key that does not decode to 16 bytes.', 'RFC 6455 §4.2.1 item 5', () =>
    ({ key: Buffer.from('only ten b').toString('base64') })),
  mustRefuse('0.7', 'Send a handshake without Sec-WebSocket-Key.', 'RFC 6455 §4.2.1 item 5', () =>
    ({ headers: { 'Sec-WebSocket-Key': null } })),
  mustRefuse('0.8', 'Send a handshake with Sec-WebSocket-Version: 12.', 'RFC 6455 §4.2.2: 426 Upgrade Required with a Sec-WebSocket-Version header naming 13', () =>
    ({ headers: { 'Sec-WebSocket-Version': '12' } }),
  // The MUST is an error status plus the header; 426 is the RFC's example ("such as").
  (h) => (hasToken(h.headers['sec-websocket-version'], '13') ? null : 'refused without a Sec-WebSocket-Version: 13 header (RFC 6455 §4.2.2, §4.4)')),
  mustRefuse('0.9', 'Send a handshake without Sec-WebSocket-Version.', 'RFC 6455 §4.2.1 item 6', () =>
    ({ headers: { 'Sec-WebSocket-Version': null } })),
  mustRefuse('0.10', 'Send the handshake with method POST instead of GET.', 'RFC 6455 §4.2.1 item 1', () => ({ method: 'POST' })),
  mustRefuse('0.11', 'Send a handshake without the Upgrade header.', 'RFC 6455 §4.2.1 item 3', () =>
    ({ headers: { Upgrade: null } })),
  mustRefuse('0.12', 'Send a handshake without "Upgrade" in the Connection header.', 'RFC 6455 §4.2.1 item 4', () =>
    ({ headers: { Connection: 'keep-alive' } })),
  mustRefuse('0.13', 'Send a handshake without a Host header.', 'RFC 6455 §4.2.1 item 2', () =>
    ({ headers: { Host: null } })),
  mustRefuse('0.14', 'Send the handshake as an HTTP/1.0 request.', 'RFC 6455 §4.2.1 item 1: HTTP/1.1 or higher', () =>
    ({ httpVersion: 'HTTP/1.0' })),
  mustAccept('0.15', 'Offer an unknown extension "x-wsmith-unknown".', (r, key) =>
    request(r, { key, headers: { 'Sec-WebSocket-Extensions': 'x-wsmith-unknown' } }), {
    check: (h) => (h.headers['sec-websocket-extensions']?.includes('x-wsmith-unknown') ? 'the server accepted an extension it cannot know' : null),
  }),
  mustAccept('0.16', 'Offer subprotocols "chat, superchat".', (r, key) =>
    request(r, { key, headers: { 'Sec-WebSocket-Protocol': 'chat, superchat' } }), {
    check: (h) => {
      const p = h.headers['sec-websocket-protocol'];
      return p === undefined || p === 'chat' || p === 'superchat' ? null : `the server chose "${p}", which was not offered (RFC 6455 §4.2.2)`;
    },
  }),
];
