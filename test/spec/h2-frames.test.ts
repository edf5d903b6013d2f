// The HTTP/2 frames section h2 writes and reads itself, against node:http2 (nghttp2) as the
// server: whatever headers it answers with (Huffman-coded, indexed, split into CONTINUATION
// frames), the suite reads them back exactly, and it sees how the stream ended.
import fc from 'fast-check';
import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { connect, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2FrameReader, encodeH2Frame, rawRequest, type H2Frame } from '../../spec/h2-frames.js';

describe('H2FrameReader', () => {
  it('reads the same frames in any chunking', () => {
    const frame = fc.record({ type: fc.integer({ min: 0, max: 9 }), flags: fc.integer({ min: 0, max: 255 }), streamId: fc.integer({ min: 0, max: 2 ** 31 - 1 }), payload: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (frames, cuts) => {
      const bytes = Buffer.concat(frames.map((f) => encodeH2Frame(f.type, f.flags, f.streamId, Buffer.from(f.payload))));
      const reader = new H2FrameReader();
      const got: H2Frame[] = [];
      for (let at = 0, i = 0; at < bytes.length; at += cuts[i++ % cuts.length]) got.push(...reader.push(bytes.subarray(at, at + cuts[i % cuts.length])));
      expect(got.map((f) => ({ ...f, payload: Buffer.from(f.payload) }))).toEqual(frames.map((f) => ({ ...f, payload: Buffer.from(f.payload) })));
    }));
  });
});

describe('rawRequest against any bytes', () => {
  const SETTINGS = encodeH2Frame(0x4, 0, 0, Buffer.from([0, 8, 0, 0, 0, 1])); // ENABLE_CONNECT_PROTOCOL = 1
  const frame = fc.record({ type: fc.integer({ min: 0, max: 10 }), flags: fc.integer({ min: 0, max: 255 }), streamId: fc.constantFrom(0, 1, 3), payload: fc.uint8Array({ maxLength: 40 }) })
    .map((f) => encodeH2Frame(f.type, f.flags, f.streamId, Buffer.from(f.payload)));
  const garbage = fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b));

  it('frames or garbage from the server, in any chunking: an answer, never an exception', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(frame, garbage), { maxLength: 10 }), fc.integer({ min: 1, max: 64 }), async (parts, chop) => {
      const socket = new Duplex({ read: () => undefined, write: (_chunk, _enc, cb) => cb() });
      const answer = rawRequest(socket, [[':method', 'CONNECT'], [':protocol', 'websocket']], { timeoutMs: 1000, extendedConnect: true });
      const bytes = Buffer.concat([SETTINGS, ...parts]);
      for (let at = 0; at < bytes.length; at += chop) socket.push(bytes.subarray(at, at + chop));
      socket.destroy();
      expect(['response', 'reset', 'connection-closed', 'malformed']).toContain((await answer).kind);
    }), { numRuns: 300 });
  });
});

describe('rawRequest against node:http2', () => {
  let server: Http2Server;
  let port: number;
  let answer: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void = () => undefined;

  beforeAll(async () => {
    server = createServer({ settings: { enableConnectProtocol: true } });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      answer(stream, headers);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function request(fields: [string, string][], extendedConnect = true, frames: H2Frame[] = []): ReturnType<typeof rawRequest> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    try {
      return await rawRequest(socket, fields, { timeoutMs: 2000, extendedConnect, onFrame: (f) => frames.push(f) });
    } finally {
      socket.destroy();
    }
  }

  const CONNECT: [string, string][] = [[':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'http'], [':authority', 'localhost'], [':path', '/chat?x=1'], ['sec-websocket-version', '13']];

  it('sends the fields as written, and reads any response headers nghttp2 encodes', async () => {
    let seen: IncomingHttpHeaders = {};
    const name = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/);
    const value = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }).map((v) => v.trim());
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 12 }), fc.constantFrom(400, 404, 426, 501), async (headers, status) => {
      answer = (stream, h) => {
        seen = h;
        stream.respond({ ':status': status, ...Object.fromEntries(headers) }, { endStream: true });
      };
      const a = await request(CONNECT);
      expect(a.kind).toBe('response');
      if (a.kind !== 'response') return;
      expect(a.status).toBe(status);
      expect(a.end).toEqual({ how: 'end-stream' });
      expect(a.headers.filter(([n]) => n.startsWith('x-'))).toEqual(headers);
      expect(Object.entries(seen).filter(([n]) => n !== 'date' && typeof n === 'string')).toEqual(CONNECT);
    }), { numRuns: 25 });
  });

  it('reads a header block split into CONTINUATION frames, and a response cut off by RST_STREAM', async () => {
    answer = (stream) => {
      stream.respond({ ':status': 400, 'x-big': 'b'.repeat(40_000) }, { endStream: false });
      stream.write('why', () => stream.destroy(new Error('cut')));
    };
    const frames: H2Frame[] = [];
    const a = await request(CONNECT, true, frames);
    const types = frames.filter((f) => f.streamId === 1).map((f) => f.type);
    // HEADERS, at least one CONTINUATION (the block is above 16 KiB even Huffman-coded), DATA, RST_STREAM.
    expect(types.length).toBeGreaterThanOrEqual(4);
    expect(types).toEqual([0x1, ...new Array<number>(types.length - 3).fill(0x9), 0x0, 0x3]);
    expect(a.kind === 'response' && a.headers.find(([n]) => n === 'x-big')?.[1].length).toBe(40_000);
    expect(a.kind === 'response' && a.end).toEqual({ how: 'reset', code: 2 });
  });

  it('a 2xx is answered at once; a plain CONNECT does not wait for SETTINGS_ENABLE_CONNECT_PROTOCOL', async () => {
    answer = (stream) => stream.respond({ ':status': 200 });
    expect(await request(CONNECT)).toMatchObject({ kind: 'response', status: 200, end: { how: 'open' } });
    answer = (stream) => stream.respond({ ':status': 405 }, { endStream: true });
    expect(await request([[':method', 'CONNECT'], [':authority', 'localhost:1']], false)).toMatchObject({ kind: 'response', status: 405 });
  });

  it('no :protocol to a server that did not enable it (RFC 8441 §3)', async () => {
    const plain = createServer();
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', () => resolve()));
    const socket = connect((plain.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const frames: H2Frame[] = [];
    expect(await rawRequest(socket, CONNECT, { timeoutMs: 2000, extendedConnect: true, onFrame: (f) => frames.push(f) })).toEqual({ kind: 'no-extended-connect' });
    expect(frames.some((f) => f.type === 4)).toBe(true);
    socket.destroy();
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  });
});
