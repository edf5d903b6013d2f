/**
 * RFC 7692 framing rules in the protocol object, with an injected codec (raw DEFLATE through
 * node:zlib's one-shot calls, synchronous or deliberately late), so every rule is checked
 * without a socket: RSV1 on the first frame of a compressed message only, the threshold,
 * opting out, fragments, control frames between fragments, bombs, corrupt data, and that a
 * message inflating later holds back everything after it.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/close.js';
import type { InflateResult, MessageCodec } from '../../src/protocol/extensions/message-codec.js';
import { Opcode } from '../../src/protocol/frame.js';
import { Protocol, type ProtocolHandler } from '../../src/protocol/protocol.js';
import { parseFrames } from './support/frames.js';
import { frame } from './support/protocol.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** §7.2.1: compress, then drop the final 00 00 ff ff. */
function deflate(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

/** A codec over zlib's one-shot calls; `late` makes it answer on a later tick (as the thread pool does). */
class TestCodec implements MessageCodec {
  compressed = 0;
  inflated = 0;
  pending: Array<() => void> = [];
  constructor(private readonly late = false) {}
  compress(data: Buffer, done: (error: Error | null, compressed: Buffer) => void): boolean {
    this.compressed++;
    const result = deflate(data);
    if (!this.late) {
      done(null, result);
      return true;
    }
    this.pending.push(() => done(null, result));
    return false;
  }
  decompress(data: Buffer, maxBytes: number, done: (result: InflateResult) => void): boolean {
    this.inflated++;
    let result: InflateResult;
    try {
      result = { ok: true, data: inflateRawSync(Buffer.concat([data, TAIL]), { maxOutputLength: maxBytes, finishFlush: 2 }) };
    } catch (error) {
      const tooBig = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      result = { ok: false, reason: tooBig ? 'too-big' : 'corrupt', message: (error as Error).message };
    }
    if (!this.late) {
      done(result);
      return true;
    }
    this.pending.push(() => done(result));
    return false;
  }
  dispose(): void {}
  /** Let every late job finish, in order. */
  finishAll(): void {
    while (this.pending.length > 0) this.pending.shift()!();
  }
}

interface Seen {
  events: string[];
  ready: number;
}

function open(role: 'server' | 'client', codec: MessageCodec, options: { maxPayload?: number; threshold?: number } = {}) {
  const seen: Seen = { events: [], ready: 0 };
  const handler: ProtocolHandler = {
    onMessage: (data, isBinary) => seen.events.push(`${isBinary ? 'binary' : 'text'}:${data.toString()}`),
    onPing: (data) => seen.events.push(`ping:${data.toString()}`),
    onPong: () => {},
    onCloseFrame: (code) => seen.events.push(`close:${code}`),
    onProtocolError: (error) => seen.events.push(`fail:${error.closeCode}:${error.code}`),
    onReady: () => seen.ready++,
  };
  const protocol = new Protocol(handler, {
    role,
    maxPayload: options.maxPayload,
    maskKeySource: role === 'client' ? () => Uint8Array.of(1, 2, 3, 4) : undefined,
  });
  protocol.enableCompression({ codec, threshold: options.threshold ?? 0 });
  return { protocol, seen };
}

const RSV1 = 0x40;
const text = 'the same words, the same words, the same words again '.repeat(40);

describe('permessage-deflate in the protocol object (RFC 7692 §6, §7.2)', () => {
  it('receives a compressed message: RSV1 on its only frame, inflated, then checked as UTF-8', () => {
    const { protocol, seen } = open('server', new TestCodec());
    protocol.receiveData(frame({ opcode: Opcode.Text, payload: deflate(Buffer.from(text)), rsv: RSV1 }));
    expect(seen.events).toEqual([`text:${text}`]);
  });

  it('a compressed message may be fragmented, with control frames between its fragments (§6.1)', () => {
    const { protocol, seen } = open('server', new TestCodec());
    const compressed = deflate(Buffer.from(text));
    const third = Math.floor(compressed.length / 3);
    protocol.receiveData(
      Buffer.concat([
        frame({ opcode: Opcode.Text, payload: compressed.subarray(0, third), rsv: RSV1, fin: false }),
        frame({ opcode: Opcode.Ping, payload: 'between' }),
        frame({ opcode: Opcode.Continuation, payload: compressed.subarray(third, 2 * third), fin: false }),
        frame({ opcode: Opcode.Continuation, payload: compressed.subarray(2 * third) }),
      ]),
    );
    expect(seen.events).toEqual(['ping:between', `text:${text}`]);
  });

  it('RSV1 on a continuation or a control frame is 1002; a message without RSV1 is plain', () => {
    for (const bytes of [
      Buffer.concat([frame({ opcode: Opcode.Text, payload: 'a', fin: false }), frame({ opcode: Opcode.Continuation, payload: 'b', rsv: RSV1 })]),
      frame({ opcode: Opcode.Ping, payload: 'x', rsv: RSV1 }),
    ]) {
      const { protocol, seen } = open('server', new TestCodec());
      protocol.receiveData(bytes);
      expect(seen.events).toEqual(['fail:1002:WS_ERR_UNEXPECTED_RSV_1']);
    }
    const plain = open('server', new TestCodec());
    plain.protocol.receiveData(frame({ opcode: Opcode.Text, payload: 'not compressed' }));
    expect(plain.seen.events).toEqual(['text:not compressed']);
  });

  it('corrupt compressed data is 1007; inflating past maxPayload is 1009 (a bomb)', () => {
    const corrupt = open('server', new TestCodec());
    corrupt.protocol.receiveData(frame({ opcode: Opcode.Binary, payload: Buffer.from([0xff, 0xff, 0xff]), rsv: RSV1 }));
    expect(corrupt.seen.events).toEqual(['fail:1007:WS_ERR_INVALID_COMPRESSED_DATA']);
    // 1 MiB of zeros compresses to about 1 KiB; the limit is 64 KiB.
    const bomb = open('server', new TestCodec(), { maxPayload: 64 * 1024 });
    bomb.protocol.receiveData(frame({ opcode: Opcode.Binary, payload: deflate(Buffer.alloc(1024 * 1024)), rsv: RSV1 }));
    expect(bomb.seen.events).toEqual([`fail:${CloseCode.MessageTooBig}:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH`]);
    const closeFrame = parseFrames(bomb.protocol.dataToSend(), 'client').at(-1)!;
    expect(closeFrame.payload.readUInt16BE(0)).toBe(1009);
  });

  it('compressed text that inflates to invalid UTF-8 is 1007 (§8.1)', () => {
    const { protocol, seen } = open('server', new TestCodec());
    protocol.receiveData(frame({ opcode: Opcode.Text, payload: deflate(Buffer.from([0xc3, 0x28])), rsv: RSV1 }));
    expect(seen.events).toEqual(['fail:1007:WS_ERR_INVALID_UTF8']);
  });

  it('while a message inflates, nothing after it is read; then everything comes in order', () => {
    const codec = new TestCodec(true);
    const { protocol, seen } = open('server', codec);
    protocol.receiveData(
      Buffer.concat([
        frame({ opcode: Opcode.Text, payload: deflate(Buffer.from('first')), rsv: RSV1 }),
        frame({ opcode: Opcode.Ping, payload: 'after' }),
        frame({ opcode: Opcode.Text, payload: 'second' }),
      ]),
    );
    expect(seen.events).toEqual([]);
    expect(protocol.isReadPaused).toBe(true); // the I/O layer stops reading: one inflation at a time
    protocol.receiveData(frame({ opcode: Opcode.Text, payload: 'third' })); // buffered, not parsed
    expect(codec.inflated).toBe(1);
    codec.finishAll();
    expect(seen.events).toEqual(['text:first', 'ping:after', 'text:second', 'text:third']);
    expect(protocol.isReadPaused).toBe(false);
    expect(seen.ready).toBe(1);
  });

  it('sends: RSV1 on compressed messages only; below the threshold, with compress=false, fragments and control frames plain', () => {
    const { protocol } = open('server', new TestCodec(), { threshold: 100 });
    protocol.sendText(text);
    protocol.sendText('short');
    protocol.sendBinary(Buffer.from(text), true, false);
    protocol.sendText('frag-', false);
    protocol.sendText('ment', true);
    protocol.sendPing('p');
    const frames = parseFrames(protocol.dataToSend(), 'client');
    expect(frames.map((f) => [f.opcode, f.rsv1, f.fin])).toEqual([
      [Opcode.Text, true, true],
      [Opcode.Text, false, true],
      [Opcode.Binary, false, true],
      [Opcode.Text, false, false],
      [Opcode.Continuation, false, true],
      [Opcode.Ping, false, true],
    ]);
    expect(inflateRawSync(Buffer.concat([frames[0].payload, TAIL]), { finishFlush: 2 }).toString()).toBe(text);
  });

  it('a message compressing later holds back everything sent after it, control frames included', () => {
    const codec = new TestCodec(true);
    const { protocol, seen } = open('client', codec);
    protocol.sendText(text);
    protocol.sendPing('behind');
    protocol.sendClose(1000);
    expect(protocol.dataToSend()).toEqual([]);
    expect(protocol.isOutputWaiting).toBe(true);
    expect(protocol.closeTransport).toBe(false);
    expect(protocol.outputBytes).toBeGreaterThanOrEqual(text.length); // counted while waiting
    codec.finishAll();
    expect(seen.ready).toBe(1);
    const frames = parseFrames(protocol.dataToSend(), 'server');
    expect(frames.map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Ping, Opcode.Close]);
    expect(frames[0].rsv1).toBe(true);
    expect(frames.every((f) => f.masked)).toBe(true); // §5.3: still masked, each with its key
  });

  it('what a client compresses, a server inflates, under any chunking (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (messages, cuts) => {
        const client = open('client', new TestCodec(), { threshold: 10 });
        const server = open('server', new TestCodec());
        for (const message of messages) client.protocol.sendText(message);
        const bytes = Buffer.concat(client.protocol.dataToSend());
        let from = 0;
        for (const cut of cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)) {
          server.protocol.receiveData(bytes.subarray(from, Math.max(from, cut)));
          from = Math.max(from, cut);
        }
        server.protocol.receiveData(bytes.subarray(from));
        expect(server.seen.events).toEqual(messages.map((m) => `text:${m}`));
      }),
      { numRuns: 200 },
    );
  });

  it('a compression that fails fails the connection with 1011, whether it fails at once or later', () => {
    for (const late of [false, true]) {
      const failing: MessageCodec = {
        compress(_data, done) {
          if (!late) {
            done(new Error('zlib broke'), Buffer.alloc(0));
            return true;
          }
          queueMicrotask(() => done(new Error('zlib broke'), Buffer.alloc(0)));
          return false;
        },
        decompress: () => true,
        dispose() {},
      };
      const { protocol, seen } = open('server', failing);
      protocol.sendText(text);
      protocol.sendText('after it');
      const settled = (): void => {
        expect(seen.events).toEqual(['fail:1011:WS_ERR_COMPRESSION_FAILED']);
        expect(protocol.closeTransport).toBe(true);
        // The Close frame goes out, and no data frame: neither the failed message nor the next.
        const frames = parseFrames(protocol.dataToSend(), 'client');
        expect(frames.map((f) => f.opcode)).toEqual([Opcode.Close]);
        expect(frames[0].payload.readUInt16BE(0)).toBe(CloseCode.InternalError);
        expect(seen.ready).toBeGreaterThan(0);
      };
      if (!late) settled();
      else return new Promise<void>((resolve) => queueMicrotask(() => queueMicrotask(() => (settled(), resolve()))));
    }
  });
});
