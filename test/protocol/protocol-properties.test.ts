import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Protocol, ReadyState } from '../../src/protocol/protocol.js';
import { Opcode } from '../../src/protocol/frame.js';
import { Event, Recorder, server, client, FrameSpec, frame, closeBody, output, expectClose, hex, h } from './support/protocol.js';
import { splitAt } from '../support/split-at.js';


const MAX_PAYLOAD = 3000;

/** Frames a peer might send: mostly well-formed, sometimes wrong in every way the RFC names. */
const frameSpecArb: fc.Arbitrary<FrameSpec> = fc
  .record({
    opcode: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 1, 2, 9, 10) }, { weight: 1, arbitrary: fc.constant(8) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    fin: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
    rsv: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(0x10, 0x20, 0x40) }),
    mask: fc.oneof({ weight: 30, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    payload: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
      fc.constantFrom(h('ed a0 80'), h('e2 82'), h('ac'), h('f4 90 80 80'), h('c0 80'), Buffer.alloc(126), Buffer.alloc(70)),
      fc.tuple(fc.constantFrom(1000, 1001, 1005, 1006, 1015, 2999, 3000, 4999, 5000, 0), fc.string({ maxLength: 10 })).map(([c, r]) => closeBody(c, r)),
      fc.integer({ min: 0, max: 2 * MAX_PAYLOAD }).map((n) => Buffer.alloc(n, 0x61)),
    ),
  })
  .map((spec) => ({ ...spec, fin: spec.opcode >= 8 && spec.opcode <= 10 && spec.fin === false && spec.payload.length % 7 !== 0 ? true : spec.fin }));

/** A well-formed message in fragments with control frames between them, and the events it gives. */
const fragmentedMessageArb: fc.Arbitrary<{ frames: Buffer[]; events: Event[] }> = fc
  .record({
    binary: fc.boolean(),
    text: fc.string({ unit: 'binary', maxLength: 80 }),
    cuts: fc.array(fc.nat({ max: 400 }), { maxLength: 3 }),
    controls: fc.array(fc.tuple(fc.nat({ max: 3 }), fc.constantFrom(Opcode.Ping, Opcode.Pong), fc.string({ maxLength: 20 })), { maxLength: 2 }),
  })
  .map(({ binary, text, cuts, controls }) => {
    const bytes = Buffer.from(text);
    // Split at arbitrary byte positions: fragments may cut code points in half.
    const fragments = splitAt(bytes, cuts);
    const frames = fragments.map((payload, i) =>
      frame({ opcode: i === 0 ? (binary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation, fin: i === fragments.length - 1, payload }),
    );
    // Each frame with the event it causes (data fragments cause none until the last).
    const items: Array<[Buffer, Event | null]> = frames.map((f) => [f, null]);
    for (const [position, opcode, payload] of controls) {
      // Before the last fragment at most, so the control frame lands between fragments.
      items.splice(Math.min(position, items.length - 1), 0, [frame({ opcode, payload }), [opcode === Opcode.Ping ? 'ping' : 'pong', hex(payload)]]);
    }
    const events = items.flatMap(([, event]) => (event === null ? [] : [event]));
    events.push(['message', bytes.toString('hex'), binary]);
    return { frames: items.map(([f]) => f), events };
  });

const messageArb: fc.Arbitrary<Buffer[]> = fragmentedMessageArb.map(({ frames }) => frames);

const conversationArb: fc.Arbitrary<Buffer> = fc
  .record({
    messages: fc.array(messageArb, { maxLength: 6 }),
    close: fc.option(fc.constantFrom(closeBody(1000), closeBody(4001, 'bye'), Buffer.alloc(0)), { nil: undefined }),
    // Optionally corrupt one byte somewhere.
    corruption: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { nil: undefined }),
  })
  .map(({ messages, close, corruption }) => {
    const stream = Buffer.concat([...messages.flat(), ...(close === undefined ? [] : [frame({ opcode: Opcode.Close, payload: close })])]);
    if (corruption !== undefined && stream.length > 0) stream[corruption[0] % stream.length] ^= corruption[1];
    return stream;
  });

const streamArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: conversationArb },
  { weight: 4, arbitrary: fc.array(frameSpecArb, { maxLength: 8 }).map((specs) => Buffer.concat(specs.map(frame))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(frameSpecArb, { maxLength: 4 }), fc.uint8Array({ maxLength: 30 }), fc.array(frameSpecArb, { maxLength: 2 }))
      .map(([a, garbage, b]) => Buffer.concat([...a.map(frame), Buffer.from(garbage), ...b.map(frame)])),
  },
);

/** Feed the chunks (copies: the parser unmasks in place); record events and the output bytes. */
function run(chunks: Buffer[]): { events: Event[]; out: Buffer; connection: Protocol; recorder: Recorder } {
  const { connection, recorder } = server({ maxPayload: MAX_PAYLOAD });
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    connection.receiveData(Buffer.from(chunk));
    out.push(...connection.dataToSend().map((b) => Buffer.from(b)));
  }
  return { events: recorder.events, out: Buffer.concat(out), connection, recorder };
}


describe('Protocol properties', () => {
  it('arbitrary streams under arbitrary chunking never throw, and end in valid events or exactly one 1002/1007/1009 failure with a matching Close', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const { events, connection } = run(splitAt(bytes, cuts));
        const errors = events.filter((e) => e[0] === 'error');
        const closes = events.filter((e) => e[0] === 'close');
        expect(errors.length + closes.length).toBeLessThanOrEqual(1);
        // Whatever ends the connection is the last event.
        if (errors.length + closes.length === 1) expect(['error', 'close']).toContain(events[events.length - 1][0]);
        for (const event of events) {
          if (event[0] === 'message') {
            const data = Buffer.from(event[1], 'hex');
            expect(data.length).toBeLessThanOrEqual(MAX_PAYLOAD);
            if (!event[2]) expect(isUtf8(data)).toBe(true);
          }
        }
        // Replay to get the output frames (the run above consumed them).
        const replay = server({ maxPayload: MAX_PAYLOAD });
        for (const chunk of splitAt(bytes, cuts)) replay.connection.receiveData(chunk);
        const out = output(replay.connection);
        const pings = events.filter((e) => e[0] === 'ping');
        const pongsOut = out.filter((f) => f.opcode === Opcode.Pong);
        expect(pongsOut.map((f) => f.payload.toString('hex'))).toEqual(pings.map((e) => e[1]));
        if (errors.length === 1) {
          const [, closeCode] = errors[0] as ['error', number, string];
          expect([1002, 1007, 1009]).toContain(closeCode);
          expectClose(out, closeCode);
          expect(connection.closeSent).toBe(true);
        } else if (closes.length === 1) {
          const [, code] = closes[0] as ['close', number, string];
          expectClose(out, code === 1005 ? null : code);
        } else {
          expect(out.every((f) => f.opcode === Opcode.Pong)).toBe(true);
          expect(connection.state).toBe(ReadyState.Open);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('client role: arbitrary unmasked streams never throw and end in at most one failure, answered with a masked Close', () => {
    const unmaskedStream = fc.oneof(
      fc.array(frameSpecArb.map((spec) => ({ ...spec, mask: !spec.mask })), { maxLength: 8 }).map((specs) => Buffer.concat(specs.map(frame))),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(unmaskedStream, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const { connection, recorder } = client({ maxPayload: MAX_PAYLOAD });
        for (const chunk of splitAt(bytes, cuts)) connection.receiveData(chunk);
        const errors = recorder.errors;
        expect(errors.length).toBeLessThanOrEqual(1);
        const out = output(connection);
        expect(out.every((f) => f.masked)).toBe(true);
        if (errors.length === 1) {
          expect([1002, 1007, 1009]).toContain(errors[0][1]);
          expect(recorder.events[recorder.events.length - 1]).toBe(errors[0]);
          expectClose(out, errors[0][1]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('well-formed fragmented messages with control frames between fragments arrive intact under any chunking', () => {
    fc.assert(
      fc.property(fc.array(fragmentedMessageArb, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
        const bytes = Buffer.concat(messages.flatMap((m) => m.frames));
        const { events } = run(splitAt(bytes, cuts));
        expect(events).toEqual(messages.flatMap((m) => m.events));
      }),
      { numRuns: 500 },
    );
  });

  it('client -> server round trip: whatever a client Protocol sends, a server Protocol receives intact under any chunking', () => {
    const sizeArb = fc.oneof(fc.nat({ max: 200 }), fc.constantFrom(125, 126, 65535, 65536, 16 * 1024, 16 * 1024 + 1, 70_000));
    const sendArb = fc.record({
      binary: fc.boolean(),
      size: sizeArb,
      seed: fc.nat({ max: 255 }),
      // Fragment sizes: the message is sent in pieces of these lengths (the rest in the last).
      fragments: fc.array(fc.nat({ max: 30_000 }), { maxLength: 3 }),
      ping: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(sendArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (sends, cuts) => {
        const sender = client();
        const expected: Event[] = [];
        for (const { binary, size, seed, fragments, ping } of sends) {
          const payload = Buffer.alloc(size);
          for (let i = 0; i < size; i++) payload[i] = binary ? (seed + i * 13) & 0xff : 0x61 + ((seed + i) % 26);
          const original = Buffer.from(payload);
          let offset = 0;
          for (const length of fragments) {
            const piece = payload.subarray(offset, Math.min(size, offset + length));
            offset += piece.length;
            if (binary) sender.connection.sendBinary(piece, false);
            else sender.connection.sendText(piece, false);
            if (ping !== undefined) sender.connection.sendPing(ping); // between fragments
          }
          const rest = payload.subarray(offset);
          if (binary) sender.connection.sendBinary(rest, true);
          else sender.connection.sendText(rest, true);
          // The caller's bytes are never modified by masking (§5.3 masks a copy).
          expect(payload.equals(original)).toBe(true);
          if (ping !== undefined) for (let i = 0; i < fragments.length; i++) expected.push(['ping', hex(ping)]);
          expected.push(['message', original.toString('hex'), binary]);
        }
        const wire = Buffer.concat(sender.connection.dataToSend());
        const receiver = server({ maxPayload: 1 << 20 });
        for (const chunk of splitAt(wire, cuts)) receiver.connection.receiveData(chunk);
        expect(receiver.recorder.events.length).toBe(expected.length);
        expect(receiver.recorder.events).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('the same stream in one chunk and in arbitrary chunks yields the same events and the same output', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const whole = run([bytes]);
        const chunked = run(splitAt(bytes, cuts));
        const bytewise = run([...bytes].map((b) => Buffer.of(b)));
        expect(chunked.events).toEqual(whole.events);
        expect(bytewise.events).toEqual(whole.events);
        expect(chunked.out.equals(whole.out)).toBe(true);
        expect(bytewise.out.equals(whole.out)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
