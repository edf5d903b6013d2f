// Fuzz: the frame parser and the protocol object behind it, fed any bytes in any chunking. No
// exception escapes; what it reports is exactly what an independent reference receiver
// (support/reference-receiver.ts) says — messages, pings, pongs, the Close, and the close code of a
// failure (1002, 1007, 1008, 1009) — with that Close on the wire; and the work it does is linear.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/protocol/frame.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { Recorder, closeBody, frame, h, maskKeySource, type FrameSpec } from '../protocol/support/protocol.js';
import { parseFrames } from '../protocol/support/frames.js';
import { referenceEvents, type RefEvent, type RefOptions } from './support/reference-receiver.js';
import { splitAt } from '../support/split-at.js';
import { reportRuns, runs, timeoutFor } from './support/runs.js';
import { countWork, workPerUnit } from './support/work.js';

const MAX_PAYLOAD = 3000;
const RUNS = runs(2_000);

/** Payloads a peer might send: text, bytes, broken UTF-8, close bodies, sizes at the limits. */
const payloadArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  fc.constantFrom(h('ed a0 80'), h('e2 82'), h('ac'), h('f4 90 80 80'), h('c0 80'), h('f0 9f'), h('98 80'), Buffer.alloc(125), Buffer.alloc(126)),
  fc.tuple(fc.constantFrom(1000, 1001, 1004, 1005, 1006, 1012, 1015, 2999, 3000, 4999, 5000, 0), fc.string({ maxLength: 10 })).map(([c, r]) => closeBody(c, r)),
  fc.integer({ min: 0, max: MAX_PAYLOAD + 10 }).map((n) => Buffer.alloc(n, 0x61)),
);

function frameSpecArb(maskedByDefault: boolean): fc.Arbitrary<FrameSpec> {
  return fc.record({
    opcode: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(0, 1, 2, 9, 10) }, { weight: 1, arbitrary: fc.constant(8) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    fin: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
    rsv: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(0x10, 0x20, 0x40) }),
    mask: fc.oneof({ weight: 40, arbitrary: fc.constant(maskedByDefault) }, { weight: 1, arbitrary: fc.constant(!maskedByDefault) }),
    payload: payloadArb,
  });
}

/** A well-formed message: fragments (cutting code points anywhere), pings and pongs between them. */
function messageArb(mask: boolean): fc.Arbitrary<Buffer> {
  return fc
    .record({
      binary: fc.boolean(),
      text: fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 })),
      cuts: fc.array(fc.nat({ max: 400 }), { maxLength: 6 }),
      controls: fc.array(fc.tuple(fc.nat({ max: 6 }), fc.constantFrom(Opcode.Ping, Opcode.Pong), fc.string({ maxLength: 20 })), { maxLength: 2 }),
    })
    .map(({ binary, text, cuts, controls }) => {
      const pieces = splitAt(Buffer.from(text), cuts);
      const frames = pieces.map((payload, i) =>
        frame({ opcode: i === 0 ? (binary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation, fin: i === pieces.length - 1, payload, mask }),
      );
      for (const [position, opcode, payload] of controls) frames.splice(Math.min(position, frames.length - 1), 0, frame({ opcode, payload, mask }));
      return Buffer.concat(frames);
    });
}

function streamArb(mask: boolean): fc.Arbitrary<Buffer> {
  const frames = frameSpecArb(mask);
  const conversation = fc
    .record({
      messages: fc.array(messageArb(mask), { maxLength: 5 }),
      close: fc.option(fc.constantFrom(closeBody(1000), closeBody(4001, 'bye'), Buffer.alloc(0)), { nil: undefined }),
      corruption: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { nil: undefined }),
    })
    .map(({ messages, close, corruption }) => {
      const stream = Buffer.concat([...messages, ...(close === undefined ? [] : [frame({ opcode: Opcode.Close, payload: close, mask })])]);
      if (corruption !== undefined && stream.length > 0) stream[corruption[0] % stream.length] ^= corruption[1];
      return stream;
    });
  return fc
    .tuple(
      fc.oneof(
        { weight: 4, arbitrary: conversation },
        { weight: 4, arbitrary: fc.array(frames, { maxLength: 8 }).map((specs) => Buffer.concat(specs.map(frame))) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.array(frames, { maxLength: 4 }), fc.uint8Array({ maxLength: 30 }), fc.array(frames, { maxLength: 2 }))
            .map(([a, garbage, b]) => Buffer.concat([...a.map(frame), Buffer.from(garbage), ...b.map(frame)])),
        },
      ),
      // Sometimes the stream stops anywhere (the peer went away mid-frame).
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([bytes, truncateAt]) => (truncateAt === undefined || bytes.length === 0 ? bytes : bytes.subarray(0, truncateAt % (bytes.length + 1))));
}

/** Feed the chunks; what the protocol reported, in the reference's terms, and what it wrote. */
function feed(options: RefOptions, chunks: Buffer[]): { events: RefEvent[]; out: Buffer[] } {
  const recorder = new Recorder();
  const protocol = new Protocol(recorder, {
    role: options.role,
    maxPayload: options.maxPayload,
    maxFragments: options.maxFragments,
    maskKeySource: options.role === 'client' ? maskKeySource : undefined,
  });
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    protocol.receiveData(chunk);
    for (const buffer of protocol.dataToSend()) out.push(Buffer.from(buffer));
  }
  const events = recorder.events.map((event): RefEvent => (event[0] === 'error' ? ['error', event[1]] : (event as RefEvent)));
  return { events, out };
}

function checkAgainstReference(options: RefOptions, bytes: Buffer, cuts: number[]): void {
  const chunks = splitAt(bytes, cuts);
  const { result, work } = countWork(() => feed(options, chunks));
  const expected = referenceEvents(bytes, options);
  expect(result.events).toEqual(expected);
  // What went out: a Pong per Ping, and the failing close code in our Close.
  const sent = parseFrames(result.out, options.role === 'server' ? 'client' : 'server');
  const pings = expected.filter((event) => event[0] === 'ping').map((event) => event[1]);
  expect(sent.filter((f) => f.opcode === Opcode.Pong).map((f) => f.payload.toString('hex'))).toEqual(pings);
  const last = expected[expected.length - 1];
  if (last?.[0] === 'error') {
    expect([1002, 1007, 1008, 1009]).toContain(last[1]);
    expect(sent[sent.length - 1].opcode).toBe(Opcode.Close);
    expect(sent[sent.length - 1].payload.readUInt16BE(0)).toBe(last[1]);
  }
  // Linear work: a few operations per byte and per chunk, never per byte already seen.
  // (The recorder's hex copy of each message is counted too: 2 per byte.)
  expect(work).toBeLessThanOrEqual(12 * bytes.length + 40 * chunks.length + 400);
}

describe('fuzz: frames, against the reference receiver', () => {
  it('server role: any stream, any chunking, any maxFragments', { timeout: timeoutFor(RUNS, 4) }, () => {
    fc.assert(
      fc.property(streamArb(true), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom(3, 131_072), (bytes, cuts, maxFragments) => {
        checkAgainstReference({ role: 'server', maxPayload: MAX_PAYLOAD, maxFragments }, bytes, cuts);
      }),
      { numRuns: RUNS },
    );
    reportRuns('frames (server role)', RUNS);
  });

  it('client role: unmasked frames expected, masked ones refused', { timeout: timeoutFor(RUNS, 4) }, () => {
    fc.assert(
      fc.property(streamArb(false), fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        checkAgainstReference({ role: 'client', maxPayload: MAX_PAYLOAD, maxFragments: 131_072 }, bytes, cuts);
      }),
      { numRuns: RUNS },
    );
    reportRuns('frames (client role)', RUNS);
  });

  it('large frames (gathered into buffers of their own) arrive intact or fail as the reference says', { timeout: timeoutFor(RUNS / 10, 40) }, () => {
    const numRuns = Math.max(50, Math.round(RUNS / 10));
    const large = fc.record({
      opcode: fc.constantFrom(Opcode.Text, Opcode.Binary),
      size: fc.integer({ min: 4 * 1024, max: 80 * 1024 }),
      fill: fc.constantFrom(0x61, 0xff, 0xe2),
      fragments: fc.nat({ max: 3 }),
    });
    fc.assert(
      fc.property(large, fc.array(fc.nat(), { maxLength: 40 }), ({ opcode, size, fill, fragments }, cuts) => {
        const payload = Buffer.alloc(size, fill);
        const frames: Buffer[] = [];
        const piece = Math.ceil(size / (fragments + 1));
        for (let i = 0, at = 0; at < size || i === 0; i++, at += piece) {
          const last = at + piece >= size;
          frames.push(frame({ opcode: i === 0 ? opcode : Opcode.Continuation, fin: last, payload: payload.subarray(at, at + piece) }));
        }
        checkAgainstReference({ role: 'server', maxPayload: 64 * 1024, maxFragments: 131_072 }, Buffer.concat(frames), cuts);
      }),
      { numRuns },
    );
    reportRuns('frames (large, gathered)', numRuns);
  });
});

describe('fuzz: frame parsing work is linear in the input', () => {
  const sizes = [500, 2_000, 8_000];
  const families: Array<[string, (n: number) => { run: () => unknown; units: number }]> = [
    ['n pings in one read', (n) => {
      const bytes = Buffer.concat(Array.from({ length: n }, () => frame({ opcode: Opcode.Ping, payload: 'x' })));
      return { run: () => feed({ role: 'server', maxPayload: 1 << 20, maxFragments: 1 << 20 }, [bytes]), units: bytes.length };
    }],
    ['one frame of n bytes, one byte per read', (n) => {
      const bytes = frame({ opcode: Opcode.Binary, payload: Buffer.alloc(n * 4, 1) });
      const chunks = [...bytes].map((byte) => Buffer.of(byte));
      return { run: () => feed({ role: 'server', maxPayload: 1 << 20, maxFragments: 1 << 20 }, chunks), units: chunks.length };
    }],
    ['a text message of n one-byte fragments, code points cut in half', (n) => {
      const text = Buffer.from('é'.repeat(n / 2));
      const bytes = Buffer.concat([...text].map((byte, i) => frame({ opcode: i === 0 ? Opcode.Text : Opcode.Continuation, fin: i === text.length - 1, payload: Buffer.of(byte) })));
      return { run: () => feed({ role: 'server', maxPayload: 1 << 20, maxFragments: 1 << 20 }, [bytes]), units: bytes.length };
    }],
    ['n empty continuations, every header split across reads', (n) => {
      const bytes = Buffer.concat([frame({ opcode: Opcode.Binary, fin: false }), ...Array.from({ length: n }, () => frame({ opcode: Opcode.Continuation, fin: false }))]);
      const chunks = splitAt(bytes, Array.from({ length: bytes.length / 3 }, (_, i) => i * 3 + 1));
      return { run: () => feed({ role: 'server', maxPayload: 1 << 20, maxFragments: 1 << 20 }, chunks), units: bytes.length };
    }],
  ];
  it.each(families)('%s', (_name, build) => {
    const perUnit = workPerUnit(build, sizes);
    // Linear: the work per byte does not grow with the input (16x the input, at most 1.25x per byte).
    expect(Math.max(...perUnit)).toBeLessThanOrEqual(Math.min(...perUnit) * 1.25 + 1);
  });
});
