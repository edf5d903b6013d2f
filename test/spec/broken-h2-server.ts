// A deliberately broken WebSocket-over-HTTP/2 echo server, written with node:http2 directly
// (h2c), each fault a switch. With every switch at its default it behaves: it advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL, refuses a CONNECT that is not a WebSocket with a complete
// 400 (END_STREAM), echoes frames, fails a bad frame with close 1002 and ends its stream after
// every close. The suite must tell each fault apart.
import { createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { FrameReader, Opcode, closePayload, encodeFrame, type Frame } from '../../spec/frame.js';
import { isValidCloseCode } from '../../spec/wire.js';

export interface BrokenH2Options {
  /** Send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3). Default true. */
  advertise?: boolean;
  /** Answer 200 to any CONNECT: no :protocol check, no sec-websocket-version check. Default false. */
  acceptAnything?: boolean;
  /** After its close frame: 'end' the stream (END_STREAM, right), 'reset' it (RST_STREAM), or leave it open ('never'). */
  afterClose?: 'end' | 'reset' | 'never';
  /** On a frame with RSV bits or a reserved opcode: 'fail' (close 1002), 'echo' it as it came, or 'drop-connection' (the whole HTTP/2 connection, no close frame). */
  onBadFrame?: 'fail' | 'echo' | 'drop-connection';
}

function isBad(f: Frame): boolean {
  return f.rsv !== 0 || (f.opcode > Opcode.Binary && f.opcode < Opcode.Close) || f.opcode > Opcode.Pong;
}

/** The request a well-behaved server takes (RFC 8441 §4, §5); the reason it refuses otherwise. */
function refusal(headers: Record<string, string | string[] | undefined>): string | null {
  if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') return 'not a WebSocket';
  if (headers['sec-websocket-version'] !== '13') return 'sec-websocket-version 13 only';
  return null;
}

export async function startBrokenH2Server(opts: BrokenH2Options = {}): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Set<Http2Session>();
  const server: Http2Server = createServer({ settings: { enableConnectProtocol: opts.advertise ?? true } });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const why = opts.acceptAnything ? null : refusal(headers);
    if (why !== null) {
      stream.respond({ ':status': 400, 'sec-websocket-version': '13', 'content-type': 'text/plain' }, { endStream: false });
      stream.end(why); // a complete response: the body, then END_STREAM
      return;
    }
    stream.respond({ ':status': 200 });
    echo(stream, opts);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      for (const s of sessions) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function echo(stream: ServerHttp2Stream, opts: BrokenH2Options): void {
  const reader = new FrameReader();
  let closed = false;
  const closeWith = (payload: Buffer): void => {
    closed = true;
    const frame = encodeFrame({ opcode: Opcode.Close, payload });
    if ((opts.afterClose ?? 'end') === 'end') stream.end(frame);
    // destroy() with an error is a bare RST_STREAM (close() would send END_STREAM first).
    else if (opts.afterClose === 'reset') stream.write(frame, () => stream.destroy(new Error('reset after the close frame')));
    else stream.write(frame);
  };
  stream.on('data', (chunk: Buffer) => {
    if (closed) return;
    for (const f of reader.push(chunk)) {
      if (closed) return;
      if (isBad(f) && opts.onBadFrame !== 'echo') {
        if (opts.onBadFrame === 'drop-connection') {
          stream.session?.destroy();
          return;
        }
        return closeWith(closePayload(1002));
      }
      if (f.opcode === Opcode.Ping) stream.write(encodeFrame({ opcode: Opcode.Pong, payload: f.payload }));
      else if (f.opcode === Opcode.Close) return closeWith(f.payload.length >= 2 && !isValidCloseCode(f.payload.readUInt16BE(0)) ? closePayload(1002) : f.payload);
      else if (f.opcode !== Opcode.Pong) stream.write(encodeFrame({ opcode: f.opcode, payload: f.payload, fin: f.fin, rsv: f.rsv }));
    }
  });
}
