// The load client's permessage-deflate side decides whether a compression figure is printed at
// all: its reading of the server's answer, the frames it compresses, and the scanner that
// inflates and checks every answer, in any chunking, for both context-takeover modes.
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ContextTakeoverMessages,
  DeflateFrameScanner,
  IndependentMessages,
  InflateStats,
  type MessageCheck,
} from '../../bench/load/deflate-scanner.js';
import { compressedFrames, compressMessage, DEFLATE_TAIL, parseDeflateAnswer, type DeflateAgreement } from '../../bench/load/deflate.js';
import { jsonPayloads, Opcode, serverFrame, wirePayload } from '../../bench/load/frames.js';

const payloads = jsonPayloads(4, 1100, 1);
const WSMITH_ANSWER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
const WS_ANSWER = 'permessage-deflate';

/** A server that compresses each message on its own (§7.1.1.1): payloads 0..3, twice. */
const independentStream = Buffer.concat(
  [...payloads, ...payloads].map((p) => serverFrame(Opcode.Text, compressMessage(p, 15), true)),
);

/** A server with context takeover: one zlib stream, flushed after each message (§7.2.1). */
async function takeoverFrames(messages: Buffer[]): Promise<Buffer[]> {
  const deflate = zlib.createDeflateRaw({ windowBits: 15 });
  const frames: Buffer[] = [];
  for (const message of messages) {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): number => chunks.push(chunk);
    deflate.on('data', onData);
    deflate.write(message);
    await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    deflate.off('data', onData);
    const compressed = Buffer.concat(chunks);
    expect(compressed.subarray(-4)).toEqual(DEFLATE_TAIL);
    frames.push(serverFrame(Opcode.Text, compressed.subarray(0, -4), true));
  }
  deflate.close();
  return frames;
}

/** Inflate a client's frames in order with ONE inflate stream, as a server with context takeover does. */
async function inflateInOrder(frames: Buffer[]): Promise<Buffer[]> {
  const inflate = zlib.createInflateRaw({ windowBits: 15 });
  const texts: Buffer[] = [];
  for (const frame of frames) {
    const masked = wirePayload(frame);
    const key = frame.subarray(frame.length - masked.length - 4, frame.length - masked.length);
    const compressed = Buffer.from(masked.map((byte, i) => byte ^ key[i & 3]));
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): number => chunks.push(chunk);
    inflate.on('data', onData);
    inflate.write(Buffer.concat([compressed, DEFLATE_TAIL]));
    await new Promise<void>((resolve) => inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    inflate.off('data', onData);
    texts.push(Buffer.concat(chunks));
  }
  inflate.close();
  return texts;
}

function scan(bytes: Buffer, check: MessageCheck, pieces: number[] = [bytes.length]): DeflateFrameScanner {
  const scanner = new DeflateFrameScanner(Opcode.Text, check);
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, pieces[i % pieces.length]);
    scanner.push(bytes.subarray(at, at + size));
    at += size;
  }
  return scanner;
}

describe('parseDeflateAnswer', () => {
  it("reads wsmith's and ws's default answers", () => {
    expect(parseDeflateAnswer(WSMITH_ANSWER)).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    expect(parseDeflateAnswer(WS_ANSWER)).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    expect(parseDeflateAnswer('permessage-deflate; client_max_window_bits=10; server_max_window_bits="12"')).toMatchObject({
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 10,
    });
  });

  it('refuses a declined offer and every malformed answer', () => {
    expect(parseDeflateAnswer('')).toMatch(/did not accept/);
    expect(parseDeflateAnswer('permessage-deflate, permessage-deflate')).toMatch(/2 extensions/);
    expect(parseDeflateAnswer('x-webkit-deflate-frame')).toMatch(/not offered/);
    expect(parseDeflateAnswer('permessage-deflate; mystery')).toMatch(/unknown/);
    expect(parseDeflateAnswer('permessage-deflate; server_no_context_takeover; server_no_context_takeover')).toMatch(/twice/);
    expect(parseDeflateAnswer('permessage-deflate; client_no_context_takeover=1')).toMatch(/with a value/);
    expect(parseDeflateAnswer('permessage-deflate; client_max_window_bits')).toMatch(/without a value/);
    expect(parseDeflateAnswer('permessage-deflate; server_max_window_bits=16')).toMatch(/not 8..15/);
    expect(parseDeflateAnswer('permessage-deflate; server_max_window_bits=0x9')).toMatch(/not 8..15/);
    expect(parseDeflateAnswer('permessage-deflate; client_max_window_bits=8')).toMatch(/256-byte window/);
  });
});

describe('compressedFrames', () => {
  const agreement = (clientNoContextTakeover: boolean): DeflateAgreement => ({
    serverNoContextTakeover: false,
    clientNoContextTakeover,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });

  it('without client context takeover: every frame inflates on its own', () => {
    const { ring, opening } = compressedFrames(payloads, Opcode.Text, agreement(true));
    expect(opening(3)).toEqual(ring.slice(0, 3));
    for (let i = 0; i < payloads.length; i++) {
      const frame = ring.slice(i, 1);
      expect(frame[0]).toBe(0xc1); // FIN + RSV1 + text
      expect(frame[1] & 0x80).toBe(0x80); // masked
    }
  });

  it('with context takeover: the opening and the ring after it inflate in order with one inflate stream', async () => {
    const { ring, opening } = compressedFrames(payloads, Opcode.Text, agreement(false));
    const split = (bytes: Buffer): Buffer[] => {
      const frames: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const len7 = bytes[at + 1] & 0x7f;
        const length = len7 === 126 ? bytes.readUInt16BE(at + 2) : len7;
        const size = (len7 === 126 ? 4 : 2) + 4 + length;
        frames.push(bytes.subarray(at, at + size));
        at += size;
      }
      return frames;
    };
    // Two full cycles: 0 (opening), 1, 2, 3, 0, 1, 2, 3, 0 from the ring.
    const frames = [...split(opening(2)), ...split(ring.slice(2, 4)), ...split(ring.slice(6, 3))];
    const texts = await inflateInOrder(frames);
    expect(texts.map((t) => t.toString())).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0].map((i) => payloads[i].toString()));
    // Compressed against the previous message, a frame is smaller than on its own.
    expect(wirePayload(ring.slice(1, 1)).length).toBeLessThan(compressMessage(payloads[1], 15).length);
  });
});

describe('DeflateFrameScanner', () => {
  it('without server context takeover: checks every message in any chunking, inflating each distinct form once', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (pieces) => {
        const stats = new InflateStats();
        const scanner = scan(independentStream, new IndependentMessages(payloads, stats), pieces);
        expect(scanner.error).toBeNull();
        expect(scanner.received).toBe(8);
        expect(stats.inflated).toBe(4);
        expect(stats.matchedKnown).toBe(4);
      }),
      { numRuns: 60 },
    );
  });

  it('with server context takeover: inflates against the window, across window slides, in any chunking', async () => {
    // 120 messages of ~1.1 KiB: the 32 KiB window slides several times.
    const many = jsonPayloads(40, 1100, 9);
    const stream = Buffer.concat(await takeoverFrames([...many, ...many, ...many]));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 10 }), async (pieces) => {
        const stats = new InflateStats();
        const scanner = scan(stream, new ContextTakeoverMessages(many, stats), pieces);
        expect(scanner.error).toBeNull();
        expect(scanner.received).toBe(120);
        expect(stats.inflated).toBe(120);
      }),
      { numRuns: 15 },
    );
    // Read as independent messages, the same stream fails: the client must honour the answer.
    const wrong = scan(stream, new IndependentMessages(many, new InflateStats()));
    expect(wrong.error).toMatch(/message #1: (inflate failed|inflated text differs)/);
  });

  it('fails on an uncompressed answer, a masked frame, a corrupted byte, a wrong or missing message', () => {
    const check = (): IndependentMessages => new IndependentMessages(payloads, new InflateStats());
    expect(scan(serverFrame(Opcode.Text, payloads[0]), check()).error).toMatch(/RSV1 not set/);
    expect(scan(serverFrame(Opcode.Binary, compressMessage(payloads[0], 15), true), check()).error).toMatch(/first byte 0xc2/);

    const masked = Buffer.from(serverFrame(Opcode.Text, compressMessage(payloads[0], 15), true));
    masked[1] |= 0x80;
    expect(scan(Buffer.concat([masked, Buffer.alloc(4)]), check()).error).toMatch(/mask bit 1/);

    for (let at = 4; at < independentStream.length; at += 97) {
      const corrupt = Buffer.from(independentStream);
      corrupt[at] ^= 0x10;
      const scanner = scan(corrupt, check(), [61]);
      expect(scanner.error, `byte ${at} flipped`).not.toBeNull();
    }

    const skipped = Buffer.concat([payloads[0], payloads[2]].map((p) => serverFrame(Opcode.Text, compressMessage(p, 15), true)));
    expect(scan(skipped, check()).error).toMatch(/message #1: inflated text differs/);
  });

  it('never accepts a known compressed form in the wrong place', () => {
    const stats = new InflateStats();
    const shared = new IndependentMessages(payloads, stats);
    expect(scan(independentStream, shared).error).toBeNull(); // every slot's form is now known
    const swapped = Buffer.concat([1, 0].map((i) => serverFrame(Opcode.Text, compressMessage(payloads[i], 15), true)));
    expect(scan(swapped, shared).error).toMatch(/message #0: inflated text differs/);
  });
});
