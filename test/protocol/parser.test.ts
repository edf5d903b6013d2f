import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Opcode, frameHeaderLength, writeFrameHeader, type FrameHeader } from '../../src/protocol/frame.js';
import { applyMask } from '../../src/protocol/mask.js';
import { FrameParser, type FrameParserOptions, type FrameSink } from '../../src/protocol/parser.js';

/** A header as the parser reports it (the key is not compared), with the payload it carried. */
type ParsedFrame = Omit<FrameHeader, 'maskKey'> & { payload: Buffer };

/** A sink that records every frame (copying what the parser reuses). */
class Recorder implements FrameSink {
  frames: ParsedFrame[] = [];
  headers = 0;
  private current: ParsedFrame | null = null;
  private pieces: Buffer[] = [];
  constructor(private readonly stopAfterHeaders = Infinity) {}
  onFrameHeader(header: FrameHeader): boolean {
    this.headers++;
    const { fin, rsv1, rsv2, rsv3, opcode, masked, payloadLength, lengthForm } = header;
    this.current = { fin, rsv1, rsv2, rsv3, opcode, masked, payloadLength, lengthForm, payload: Buffer.alloc(0) };
    this.pieces = [];
    return this.headers < this.stopAfterHeaders;
  }
  onFramePayload(piece: Buffer): boolean {
    expect(piece.length).toBeGreaterThan(0);
    this.pieces.push(Buffer.from(piece));
    return true;
  }
  onFrameEnd(): boolean {
    const frame = this.current!;
    frame.payload = Buffer.concat(this.pieces);
    expect(frame.payload.length).toBe(frame.payloadLength);
    this.frames.push(frame);
    this.current = null;
    return true;
  }
}

interface FrameSpec {
  fin: boolean;
  opcode: number;
  payload: Buffer;
  maskKey: Uint8Array | null;
  rsv?: number;
}

/** A test-side encoder, independent of the outbox: header + (masked copy of the) payload. */
function encode({ fin, opcode, payload, maskKey, rsv = 0 }: FrameSpec): Buffer {
  const headerLength = frameHeaderLength(payload.length, maskKey !== null);
  const frame = Buffer.alloc(headerLength + payload.length);
  writeFrameHeader(frame, 0, fin, opcode, payload.length, maskKey);
  frame[0] |= rsv;
  payload.copy(frame, headerLength);
  if (maskKey !== null) applyMask(frame.subarray(headerLength), maskKey);
  return frame;
}

function parse(bytes: Buffer | Buffer[], options: FrameParserOptions = { role: 'client' }): { recorder: Recorder; parser: FrameParser } {
  const recorder = new Recorder();
  const parser = new FrameParser(recorder, options);
  for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) parser.push(Buffer.from(chunk));
  return { recorder, parser };
}

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(Buffer.from(bytes.subarray(from, point)));
    from = point;
  }
  pieces.push(Buffer.from(bytes.subarray(from)));
  return pieces;
}

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('FrameParser: the examples of RFC 6455 §5.7', () => {
  const unmaskedHello = h('81 05 48 65 6c 6c 6f');
  const maskedHello = h('81 85 37 fa 21 3d 7f 9f 4d 51 58');

  it('a single-frame unmasked text message (client side)', () => {
    const { recorder, parser } = parse(unmaskedHello, { role: 'client' });
    expect(parser.error).toBeNull();
    expect(recorder.frames).toMatchObject([{ fin: true, opcode: Opcode.Text, masked: false, payloadLength: 5, lengthForm: 7 }]);
    expect(recorder.frames[0].payload.toString()).toBe('Hello');
  });

  it('a single-frame masked text message (server side)', () => {
    const { recorder, parser } = parse(maskedHello, { role: 'server' });
    expect(parser.error).toBeNull();
    expect(recorder.frames).toMatchObject([{ fin: true, opcode: Opcode.Text, masked: true }]);
    expect(recorder.frames[0].payload.toString()).toBe('Hello');
  });

  it('a fragmented unmasked text message', () => {
    const { recorder } = parse(h('01 03 48 65 6c  80 02 6c 6f'));
    expect(recorder.frames.map((f) => [f.fin, f.opcode, f.payload.toString()])).toEqual([
      [false, Opcode.Text, 'Hel'],
      [true, Opcode.Continuation, 'lo'],
    ]);
  });

  it('an unmasked ping and a masked pong', () => {
    const ping = parse(h('89 05 48 65 6c 6c 6f'), { role: 'client' });
    expect(ping.recorder.frames[0]).toMatchObject({ opcode: Opcode.Ping, fin: true });
    expect(ping.recorder.frames[0].payload.toString()).toBe('Hello');
    const pong = parse(h('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' });
    expect(pong.recorder.frames[0]).toMatchObject({ opcode: Opcode.Pong, masked: true });
    expect(pong.recorder.frames[0].payload.toString()).toBe('Hello');
  });

  it('256 bytes binary in one unmasked frame (16-bit length)', () => {
    const payload = Buffer.alloc(256, 0x5a);
    const { recorder } = parse(Buffer.concat([h('82 7E 01 00'), payload]));
    expect(recorder.frames).toHaveLength(1);
    expect(recorder.frames[0]).toMatchObject({ opcode: Opcode.Binary, payloadLength: 256, lengthForm: 16 });
    expect(recorder.frames[0].payload.equals(payload)).toBe(true);
  });

  it('64 KiB binary in one unmasked frame (64-bit length)', () => {
    const payload = Buffer.alloc(65536);
    for (let i = 0; i < payload.length; i++) payload[i] = i * 7;
    const { recorder } = parse(Buffer.concat([h('82 7F 00 00 00 00 00 01 00 00'), payload]));
    expect(recorder.frames[0]).toMatchObject({ opcode: Opcode.Binary, payloadLength: 65536, lengthForm: 64 });
    expect(recorder.frames[0].payload.equals(payload)).toBe(true);
  });

  it('every example parses identically when split at every byte boundary, and byte by byte', () => {
    const examples: Array<[Buffer, 'server' | 'client']> = [
      [unmaskedHello, 'client'],
      [maskedHello, 'server'],
      [h('01 03 48 65 6c  80 02 6c 6f'), 'client'],
      [h('89 05 48 65 6c 6c 6f'), 'client'],
      [h('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), 'server'],
      [Buffer.concat([h('82 7E 01 00'), Buffer.alloc(256, 1)]), 'client'],
      [Buffer.concat([h('82 FE 01 00 01 02 03 04'), Buffer.alloc(256, 9)]), 'server'],
    ];
    for (const [bytes, role] of examples) {
      const whole = parse(bytes, { role }).recorder.frames;
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(parse([bytes.subarray(0, cut), bytes.subarray(cut)], { role }).recorder.frames).toEqual(whole);
      }
      expect(parse([...bytes].map((b) => Buffer.of(b)), { role }).recorder.frames).toEqual(whole);
    }
  });
});

describe('FrameParser: protocol errors from the header', () => {
  function failure(bytes: Buffer, options: FrameParserOptions = { role: 'client' }): { closeCode: number; code: string } {
    const { parser, recorder } = parse(bytes, options);
    expect(parser.error, bytes.toString('hex')).not.toBeNull();
    expect(parser.stopped).toBe(true);
    expect(recorder.headers).toBe(0);
    return { closeCode: parser.error!.closeCode, code: parser.error!.code };
  }

  it('RSV1, RSV2, RSV3 without an extension: 1002', () => {
    expect(failure(h('c1 00'))).toEqual({ closeCode: 1002, code: 'WS_ERR_UNEXPECTED_RSV_1' });
    expect(failure(h('a1 00'))).toEqual({ closeCode: 1002, code: 'WS_ERR_UNEXPECTED_RSV_2_3' });
    expect(failure(h('91 00'))).toEqual({ closeCode: 1002, code: 'WS_ERR_UNEXPECTED_RSV_2_3' });
    expect(failure(h('f1 00')).closeCode).toBe(1002);
  });

  it('an allowed RSV bit passes through to the header', () => {
    const { recorder, parser } = parse(h('c1 01 41'), { role: 'client', allowedRsvBits: 0x40 });
    expect(parser.error).toBeNull();
    expect(recorder.frames[0]).toMatchObject({ rsv1: true, rsv2: false });
    expect(failure(h('e1 01 41'), { role: 'client', allowedRsvBits: 0x40 }).code).toBe('WS_ERR_UNEXPECTED_RSV_2_3');
  });

  it('reserved opcodes 3-7 and 0xB-0xF: 1002', () => {
    for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      expect(failure(Buffer.of(0x80 | opcode, 0))).toEqual({ closeCode: 1002, code: 'WS_ERR_INVALID_OPCODE' });
    }
  });

  it('control frames with FIN clear or a payload over 125 bytes: 1002', () => {
    for (const opcode of [0x8, 0x9, 0xa]) {
      expect(failure(Buffer.of(opcode, 0))).toEqual({ closeCode: 1002, code: 'WS_ERR_EXPECTED_FIN' });
      expect(failure(Buffer.of(0x80 | opcode, 126))).toEqual({ closeCode: 1002, code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH' });
      expect(failure(Buffer.of(0x80 | opcode, 127))).toEqual({ closeCode: 1002, code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH' });
      // 125 is fine.
      const { parser, recorder } = parse(Buffer.concat([Buffer.of(0x80 | opcode, 125), Buffer.alloc(125)]));
      expect(parser.error).toBeNull();
      expect(recorder.frames[0].payloadLength).toBe(125);
    }
  });

  it('an unmasked frame to a server and a masked frame to a client: 1002 (§5.1)', () => {
    expect(failure(h('81 05 48 65 6c 6c 6f'), { role: 'server' })).toEqual({ closeCode: 1002, code: 'WS_ERR_EXPECTED_MASK' });
    expect(failure(h('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'client' })).toEqual({ closeCode: 1002, code: 'WS_ERR_UNEXPECTED_MASK' });
  });

  it('a 64-bit length with the most significant bit set: 1002', () => {
    expect(failure(h('82 7f 80 00 00 00 00 00 00 00'))).toEqual({ closeCode: 1002, code: 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH' });
    expect(failure(h('82 7f ff ff ff ff ff ff ff ff')).closeCode).toBe(1002);
  });

  it('a length beyond 2^53 - 1 (not representable): 1009', () => {
    expect(failure(h('82 7f 00 20 00 00 00 00 00 00'))).toEqual({ closeCode: 1009, code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
    expect(failure(h('82 7f 7f ff ff ff ff ff ff ff')).closeCode).toBe(1009);
  });

  it('a frame over maxFramePayload: 1009, decided from the header before any payload arrives', () => {
    const recorder = new Recorder();
    const parser = new FrameParser(recorder, { role: 'client', maxFramePayload: 1000 });
    parser.push(h('82 7e 03 e9')); // 1001 bytes announced, none sent
    expect(parser.error?.closeCode).toBe(1009);
    expect(parser.error?.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(recorder.headers).toBe(0);
    // Exactly the limit is fine.
    const ok = parse(Buffer.concat([h('82 7e 03 e8'), Buffer.alloc(1000)]), { role: 'client', maxFramePayload: 1000 });
    expect(ok.parser.error).toBeNull();
    // The 64-bit form too, with a huge announced length.
    expect(parse(h('82 7f 00 00 00 01 00 00 00 00'), { role: 'client', maxFramePayload: 1000 }).parser.error?.closeCode).toBe(1009);
  });

  it('fails from the first two bytes without waiting for the rest of the header', () => {
    const recorder = new Recorder();
    const parser = new FrameParser(recorder, { role: 'server' });
    parser.push(Buffer.of(0x83)); // reserved opcode: needs the second byte still (mask bit)
    expect(parser.error).toBeNull();
    parser.push(Buffer.of(0xff)); // masked, 64-bit length: header not complete, but the opcode is wrong
    expect(parser.error?.code).toBe('WS_ERR_INVALID_OPCODE');
  });

  it('ignores everything after an error, and the error is reported once', () => {
    const { parser, recorder } = parse([h('83 00'), h('81 05 48 65 6c 6c 6f')]);
    expect(parser.error?.code).toBe('WS_ERR_INVALID_OPCODE');
    expect(recorder.frames).toHaveLength(0);
    expect(parser.bufferedBytes).toBe(0);
  });
});

describe('FrameParser: what it read of a header, for tools that show it (headerBytesRead)', () => {
  it('reads the first two bytes, then the whole header, and starts over after each frame', () => {
    const recorder = new Recorder();
    const parser = new FrameParser(recorder, { role: 'server' });
    expect(parser.headerBytesRead).toBe(0);
    parser.push(h('82'));
    expect(parser.headerBytesRead).toBe(0);
    parser.push(h('fe')); // masked, 16-bit length: 8 header bytes, 2 here
    expect(parser.headerBytesRead).toBe(2);
    expect(parser.header).toMatchObject({ fin: true, opcode: Opcode.Binary, masked: true, lengthForm: 16 });
    parser.push(h('00 80 0a 0b 0c'));
    expect(parser.headerBytesRead).toBe(2); // the key is still cut short
    parser.push(h('0d'));
    expect(parser.headerBytesRead).toBe(8);
    expect(parser.header).toMatchObject({ payloadLength: 128, maskKey: [0x0a, 0x0b, 0x0c, 0x0d] });
    parser.push(Buffer.alloc(128));
    expect(recorder.frames).toHaveLength(1);
    expect(parser.headerBytesRead).toBe(0);
    expect(parser.unsafeLength).toBeNull();
  });

  it('a refused header that is all buffered is read whole before it is judged', () => {
    // RSV1 on the masked "Hello" of §5.7: refused, yet its length and key were read.
    const { parser, recorder } = parse(h('c1 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' });
    expect(parser.error?.code).toBe('WS_ERR_UNEXPECTED_RSV_1');
    expect(recorder.headers).toBe(0);
    expect(parser.headerBytesRead).toBe(6);
    expect(parser.header).toMatchObject({ rsv1: true, opcode: Opcode.Text, masked: true, payloadLength: 5 });
    expect(parser.header.maskKey).toEqual([0x37, 0xfa, 0x21, 0x3d]);
  });

  it('a header refused from its first two bytes alone shows only those', () => {
    const { parser } = parse(h('89 7e'));
    expect(parser.error?.code).toBe('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
    expect(parser.headerBytesRead).toBe(2);
    expect(parser.header).toMatchObject({ opcode: Opcode.Ping, lengthForm: 16 });
    // The same header with its 16-bit length present: the length is read, the verdict is the same.
    const whole = parse(h('89 7e 00 7e')).parser;
    expect(whole.error?.code).toBe('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
    expect(whole.headerBytesRead).toBe(4);
    expect(whole.header.payloadLength).toBe(126);
  });

  it('keeps the exact value of a 64-bit length that a number cannot hold (unsafeLength)', () => {
    const top = parse(h('82 7f 80 00 00 00 00 00 00 01')).parser;
    expect(top.error?.code).toBe('WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH');
    expect(top.unsafeLength).toBe((1n << 63n) + 1n);
    const beyond = parse(h('82 7f 00 20 00 00 00 00 00 03')).parser;
    expect(beyond.error?.closeCode).toBe(1009);
    expect(beyond.unsafeLength).toBe((1n << 53n) + 3n);
    expect(parse(h('82 7f 00 1f ff ff ff ff ff ff')).parser.unsafeLength).toBeNull(); // 2^53 - 1 is exact
  });
});

describe('FrameParser: buffering and flow', () => {
  /** A parser whose sink keeps every payload piece as it is handed over (not copied). */
  function pieceParser(role: 'server' | 'client'): {
    parser: FrameParser;
    pieces: Buffer[];
    inFrameBuffer: boolean[];
    received: () => number;
  } {
    const pieces: Buffer[] = [];
    const inFrameBuffer: boolean[] = [];
    const sink: FrameSink = {
      onFrameHeader: () => true,
      onFramePayload: (piece, own) => (pieces.push(piece), inFrameBuffer.push(own), true),
      onFrameEnd: () => true,
    };
    const received = (): number => pieces.reduce((sum, piece) => sum + piece.length, 0);
    return { parser: new FrameParser(sink, { role }), pieces, inFrameBuffer, received };
  }

  it('hands payload pieces over as they arrive, without waiting for the whole frame', () => {
    const { parser, pieces } = pieceParser('client');
    const lengths = (): number[] => pieces.map((piece) => piece.length);
    parser.push(h('82 7e 01 00'));
    expect(lengths()).toEqual([]);
    parser.push(Buffer.alloc(100));
    parser.push(Buffer.alloc(100));
    expect(lengths()).toEqual([100, 100]);
    expect(parser.bufferedBytes).toBe(0);
    parser.push(Buffer.concat([Buffer.alloc(56), h('82 7e 01')])); // the end, then an incomplete header
    expect(lengths()).toEqual([100, 100, 56]);
    expect(parser.bufferedBytes).toBe(3);
  });

  it('says which pieces are views into received chunks and which lie in a buffer of their frame alone', () => {
    const { parser, pieces, inFrameBuffer } = pieceParser('client');
    parser.push(h('82 05 68 65 6c 6c 6f')); // a small frame: a view into this chunk
    const large = encode({ fin: true, opcode: Opcode.Binary, payload: Buffer.alloc(8192, 7), maskKey: null });
    parser.push(large.subarray(0, 5000)); // more than a quarter: gathered into a buffer of its own
    parser.push(large.subarray(5000));
    expect(inFrameBuffer).toEqual([false, true, true]);
    expect(pieces[1].buffer.byteLength).toBe(8192);
  });

  it('a large frame spanning reads waits for a quarter of itself, then fills one buffer of its own', () => {
    const payload = Buffer.alloc(64 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
    const frame = encode({ fin: true, opcode: Opcode.Binary, payload, maskKey: Uint8Array.of(9, 8, 7, 6) });
    const { parser, pieces } = pieceParser('server');
    const headerLength = frame.length - payload.length;
    const read = 4096;
    let sent = 0;
    // Three reads are less than a quarter: nothing is passed on, the bytes wait in the parser.
    for (let i = 0; i < 3; i++, sent += read) parser.push(Buffer.from(frame.subarray(sent, sent + read)));
    expect(pieces).toEqual([]);
    expect(parser.bufferedBytes).toBe(3 * read - headerLength);
    // Past a quarter, everything so far comes out, and then each read as it arrives.
    for (; sent < headerLength + payload.length / 4 + read; sent += read) {
      parser.push(Buffer.from(frame.subarray(sent, sent + read)));
    }
    expect(pieces.length).toBeGreaterThan(0);
    expect(parser.bufferedBytes).toBe(0);
    const passed = pieces.length;
    parser.push(Buffer.from(frame.subarray(sent, sent + read)));
    expect(pieces.length).toBe(passed + 1);
    parser.push(Buffer.from(frame.subarray(sent + read)));
    // The pieces are consecutive views of one buffer: joining them copies nothing.
    for (let i = 1; i < pieces.length; i++) {
      expect(pieces[i].buffer).toBe(pieces[0].buffer);
      expect(pieces[i].byteOffset).toBe(pieces[i - 1].byteOffset + pieces[i - 1].length);
    }
    expect(Buffer.concat(pieces).equals(payload)).toBe(true);
  });

  it('an announced length alone passes nothing on and holds only the bytes received (§10.4)', () => {
    const { parser, received } = pieceParser('client');
    parser.push(h('82 7f 00 00 00 00 04 00 00 00')); // a 64 MiB binary frame
    parser.push(Buffer.alloc(3000));
    expect(received()).toBe(0);
    expect(parser.bufferedBytes).toBe(3000);
  });

  it('a large frame trickled in tiny reads is passed on as it comes, not held read by read', () => {
    const { parser, received } = pieceParser('client');
    parser.push(h('82 7f 00 00 00 00 00 10 00 00')); // 1 MiB
    for (let i = 0; i < 5000; i++) parser.push(Buffer.of(i & 0xff));
    // Holding 5,000 one-byte Buffers would cost far more memory than the bytes themselves.
    expect(received()).toBe(5000);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('a very large frame is not held for more than a bounded number of reads', () => {
    const { parser, received } = pieceParser('client');
    parser.push(h('82 7f 00 00 00 00 04 00 00 00')); // 64 MiB: its quarter is 256 reads of 64 KiB
    const read = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 40; i++) parser.push(read);
    expect(parser.bufferedBytes).toBe(0);
    expect(received()).toBe(40 * read.length);
  });

  it('unmasks with the right key offset when a masked payload arrives in pieces', () => {
    const payload = Buffer.from('The quick brown fox jumps over the lazy dog, several times over. '.repeat(3));
    const frame = encode({ fin: true, opcode: Opcode.Text, payload, maskKey: Uint8Array.of(1, 2, 3, 4) });
    for (const cuts of [[3, 9], [7, 8, 9, 10, 11], [6, 33, 34, 101]]) {
      const { recorder } = parse(splitAt(frame, cuts), { role: 'server' });
      expect(recorder.frames[0].payload.equals(payload)).toBe(true);
    }
  });

  it('empty frames of every kind', () => {
    const { recorder, parser } = parse(h('81 00 02 00 80 00 89 00 8a 00 88 00'));
    expect(parser.error).toBeNull();
    expect(recorder.frames.map((f) => [f.opcode, f.payloadLength])).toEqual([
      [1, 0], [2, 0], [0, 0], [9, 0], [10, 0], [8, 0],
    ]);
  });

  it('a non-minimal length encoding is accepted (the RFC only requires senders to be minimal)', () => {
    const { recorder, parser } = parse(h('82 7e 00 03 61 62 63  82 7f 00 00 00 00 00 00 00 02 64 65'));
    expect(parser.error).toBeNull();
    expect(recorder.frames.map((f) => [f.lengthForm, f.payload.toString()])).toEqual([[16, 'abc'], [64, 'de']]);
  });

  it('stops when the sink returns false, and after stop()', () => {
    const recorder = new Recorder(1);
    const parser = new FrameParser(recorder, { role: 'client' });
    parser.push(h('81 01 41 81 01 42'));
    expect(recorder.headers).toBe(1);
    expect(parser.stopped).toBe(true);
    expect(parser.error).toBeNull();
    const other = new Recorder();
    const parser2 = new FrameParser(other, { role: 'client' });
    parser2.push(h('81 01 41 81'));
    parser2.stop();
    parser2.push(h('01 42'));
    expect(other.frames).toHaveLength(1);
  });
});

// --- properties ------------------------------------------------------------------------------

const lengthArb = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 200 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 124, 125, 126, 127, 65535, 65536, 65537) },
  { weight: 1, arbitrary: fc.integer({ min: 126, max: 70000 }) },
);

/** Short lengths only (still across the 7/16-bit boundary), for tests that compare many runs. */
const shortLengthArb = fc.oneof(fc.nat({ max: 130 }), fc.constantFrom(125, 126, 127, 300));

function frameArb(masked: boolean, lengths: fc.Arbitrary<number> = lengthArb): fc.Arbitrary<FrameSpec> {
  return fc
    .record({
      opcode: fc.constantFrom(0x0, 0x1, 0x2, 0x8, 0x9, 0xa),
      fin: fc.boolean(),
      length: lengths,
      seed: fc.integer({ min: 0, max: 255 }),
      key: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    })
    .map(({ opcode, fin, length, seed, key }) => {
      const control = opcode >= 8;
      const size = control ? length % 126 : length;
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (seed + i * 31) & 0xff;
      return { opcode, fin: control ? true : fin, payload, maskKey: masked ? key : null };
    });
}

const cutsArb = fc.array(fc.nat({ max: 140_000 }), { maxLength: 12 });

describe('FrameParser properties', () => {
  it('encode -> parse round trip for arbitrary frames under arbitrary chunking', () => {
    fc.assert(
      fc.property(
        fc.boolean().chain((masked) => fc.tuple(fc.constant(masked), fc.array(frameArb(masked), { minLength: 1, maxLength: 5 }))),
        cutsArb,
        fc.array(fc.nat({ max: 20 }), { maxLength: 6 }),
        ([masked, frames], cuts, smallCuts) => {
          const stream = Buffer.concat(frames.map(encode));
          // Cuts anywhere, plus some near the start (inside the first headers).
          const { recorder, parser } = parse(splitAt(stream, [...cuts, ...smallCuts]), { role: masked ? 'server' : 'client' });
          expect(parser.error).toBeNull();
          expect(parser.bufferedBytes).toBe(0);
          expect(recorder.frames).toHaveLength(frames.length);
          recorder.frames.forEach((parsed, i) => {
            const spec = frames[i];
            expect(parsed.fin).toBe(spec.fin);
            expect(parsed.opcode).toBe(spec.opcode);
            expect(parsed.masked).toBe(masked);
            const length = spec.payload.length;
            expect(parsed.lengthForm).toBe(length < 126 ? 7 : length <= 0xffff ? 16 : 64);
            expect(parsed.payload.equals(spec.payload)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes under arbitrary chunking never throw and end the same way as in one chunk', () => {
    const byteStream = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      // Valid frames followed by garbage: reach the error paths after some frames.
      fc.tuple(fc.array(frameArb(false, shortLengthArb), { maxLength: 3 }), fc.uint8Array({ maxLength: 40 })).map(([frames, tail]) =>
        Buffer.concat([...frames.map(encode), tail]),
      ),
    );
    fc.assert(
      fc.property(byteStream, fc.constantFrom<'server' | 'client'>('server', 'client'), cutsArb, (bytes, role, cuts) => {
        const whole = parse(bytes, { role, maxFramePayload: 100_000 });
        const chunked = parse(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))), { role, maxFramePayload: 100_000 });
        expect(chunked.recorder.frames).toEqual(whole.recorder.frames);
        expect(chunked.parser.error?.code).toBe(whole.parser.error?.code);
        if (whole.parser.error !== null) {
          expect([1002, 1009]).toContain(whole.parser.error.closeCode);
          expect(whole.parser.stopped).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
