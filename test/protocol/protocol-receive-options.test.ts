/**
 * The receiving options the `ws`-shaped API needs from the protocol core: skipping UTF-8 checks
 * for a trusted peer, limits on frames per message and on unparsed chunks, held events (one
 * event per turn for `allowSynchronousEvents: false`), and binary messages kept as their frames
 * (`binaryType: 'fragments'`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/protocol/frame.js';
import { Protocol, ReadyState } from '../../src/protocol/protocol.js';
import { Recorder, closeBody, expectClose, frame, hex, output, server } from './support/protocol.js';

const INVALID_UTF8 = Buffer.from([0x68, 0xc3, 0x28]);

/** A Recorder that also takes fragments. */
class FragmentRecorder extends Recorder {
  fragments: string[][] = [];
  onFragments(fragments: Buffer[]): void {
    this.fragments.push(fragments.map((fragment) => fragment.toString('hex')));
  }
}

function fragmentServer(options: ConstructorParameters<typeof Protocol>[1] = { role: 'server' }): {
  connection: Protocol;
  recorder: FragmentRecorder;
} {
  const recorder = new FragmentRecorder();
  const connection = new Protocol(recorder, options);
  connection.deliverFragments = true;
  return { connection, recorder };
}

describe('skipUtf8Validation (ws: skipUTF8Validation)', () => {
  it('delivers text that is not UTF-8, whole or fragmented, instead of failing with 1007', () => {
    const { connection, recorder } = server({ skipUtf8Validation: true });
    connection.receiveData(frame({ opcode: Opcode.Text, payload: INVALID_UTF8 }));
    connection.receiveData(frame({ opcode: Opcode.Text, fin: false, payload: INVALID_UTF8.subarray(0, 2) }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: INVALID_UTF8.subarray(2) }));
    expect(recorder.events).toEqual([
      ['message', INVALID_UTF8.toString('hex'), false],
      ['message', INVALID_UTF8.toString('hex'), false],
    ]);
    expect(connection.state).toBe(ReadyState.Open);
  });

  it('takes a close reason that is not UTF-8', () => {
    const { connection, recorder } = server({ skipUtf8Validation: true });
    connection.receiveData(frame({ opcode: Opcode.Close, payload: closeBody(1000, INVALID_UTF8) }));
    expect(recorder.events).toEqual([['close', 1000, INVALID_UTF8.toString('hex')]]);
  });

  it('is off by default: the same bytes fail with 1007 (RFC 6455 §8.1)', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Text, payload: INVALID_UTF8 }));
    expect(recorder.errors).toEqual([['error', 1007, 'WS_ERR_INVALID_UTF8']]);
    expectClose(output(connection), 1007);
  });
});

describe('maxFragments and maxBufferedChunks', () => {
  it('fails with 1008 WS_ERR_TOO_MANY_BUFFERED_PARTS on the frame past maxFragments, empty frames counted', () => {
    const { connection, recorder } = server({ maxFragments: 3 });
    connection.receiveData(frame({ opcode: Opcode.Binary, fin: false, payload: 'a' }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, fin: false, payload: 'b' }));
    expect(recorder.errors).toEqual([]);
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'c' }));
    expect(recorder.errors).toEqual([['error', 1008, 'WS_ERR_TOO_MANY_BUFFERED_PARTS']]);
    expectClose(output(connection), 1008);
  });

  it('counts per message: many messages of maxFragments frames each pass', () => {
    const { connection, recorder } = server({ maxFragments: 2 });
    for (let i = 0; i < 5; i++) {
      connection.receiveData(frame({ opcode: Opcode.Text, fin: false, payload: 'x' }));
      connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'y' }));
    }
    expect(recorder.events).toHaveLength(5);
    expect(recorder.errors).toEqual([]);
  });

  it('fails with 1008 when more chunks than maxBufferedChunks wait unparsed while events are held', () => {
    const { connection, recorder } = server({ maxBufferedChunks: 4 });
    connection.holdEvents();
    for (let i = 0; i < 4; i++) connection.receiveData(frame({ opcode: Opcode.Text, payload: `m${i}` }));
    expect(recorder.errors).toEqual([]);
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'one too many' }));
    expect(recorder.errors).toEqual([['error', 1008, 'WS_ERR_TOO_MANY_BUFFERED_PARTS']]);
  });
});

describe('holdEvents / releaseEvents (one event per turn)', () => {
  it('an event that holds makes it the last of the read; each release delivers exactly the next one', () => {
    const recorder = new Recorder();
    const connection = new Protocol(recorder, { role: 'server' });
    const onMessage = recorder.onMessage.bind(recorder);
    recorder.onMessage = (data, isBinary) => {
      onMessage(data, isBinary);
      connection.holdEvents();
    };
    const onPing = recorder.onPing.bind(recorder);
    recorder.onPing = (data) => {
      onPing(data);
      connection.holdEvents();
    };
    connection.receiveData(
      Buffer.concat([
        frame({ opcode: Opcode.Text, payload: 'one' }),
        frame({ opcode: Opcode.Ping, payload: 'p' }),
        frame({ opcode: Opcode.Text, payload: 'two' }),
        frame({ opcode: Opcode.Close, payload: closeBody(1000) }),
      ]),
    );
    expect(recorder.events).toEqual([['message', hex('one'), false]]);
    expect(connection.isReadPaused).toBe(true);
    expect(connection.eventsHeld).toBe(true);
    connection.releaseEvents();
    expect(recorder.events.slice(1)).toEqual([['ping', hex('p')]]);
    // The Pong was queued when the Ping was read (§5.5.2), not later.
    expect(output(connection).map((f) => f.opcode)).toEqual([Opcode.Pong]);
    connection.releaseEvents();
    expect(recorder.events.slice(2)).toEqual([['message', hex('two'), false]]);
    expect(connection.state).toBe(ReadyState.Open);
    connection.releaseEvents();
    expect(recorder.events.slice(3)).toEqual([['close', 1000, '']]);
    expect(connection.state).toBe(ReadyState.Closing);
  });

  it('bytes that arrive while held are parsed on release, and a failure among them fails the connection then', () => {
    const { connection, recorder } = server();
    connection.holdEvents();
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'kept' }));
    connection.receiveData(frame({ opcode: 0x3 })); // a reserved opcode (§5.2)
    expect(recorder.events).toEqual([]);
    connection.releaseEvents();
    expect(recorder.events).toEqual([
      ['message', hex('kept'), false],
      ['error', 1002, 'WS_ERR_INVALID_OPCODE'],
    ]);
  });

  it('release without a hold does nothing', () => {
    const { connection, recorder } = server();
    connection.releaseEvents();
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'a' }));
    expect(recorder.events).toEqual([['message', hex('a'), false]]);
  });
});

describe('deliverFragments (binaryType "fragments")', () => {
  it('a binary message comes as its non-empty frames, not joined; control frames between them do not count', () => {
    const { connection, recorder } = fragmentServer();
    connection.receiveData(frame({ opcode: Opcode.Binary, fin: false, payload: 'ab' }));
    connection.receiveData(frame({ opcode: Opcode.Ping, payload: 'p' }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'cde' }));
    expect(recorder.fragments).toEqual([[hex('ab'), hex('cde')]]);
    expect(recorder.events).toEqual([['ping', hex('p')]]);
  });

  it('text messages still come whole to onMessage; a single-frame binary message is a list of one', () => {
    const { connection, recorder } = fragmentServer();
    connection.receiveData(frame({ opcode: Opcode.Text, fin: false, payload: 'he' }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'llo' }));
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: 'x' }));
    connection.receiveData(frame({ opcode: Opcode.Binary }));
    expect(recorder.events).toEqual([['message', hex('hello'), false]]);
    expect(recorder.fragments).toEqual([[hex('x')], []]);
  });

  it('a handler without onFragments gets the joined message', () => {
    const { connection, recorder } = server();
    connection.deliverFragments = true;
    connection.receiveData(frame({ opcode: Opcode.Binary, fin: false, payload: 'ab' }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'c' }));
    expect(recorder.events).toEqual([['message', hex('abc'), true]]);
  });

  it('a small frame inside a large read is copied, so that it does not keep the read alive (§10.4)', () => {
    const recorder = new (class extends FragmentRecorder {
      kept: Buffer[] = [];
      override onFragments(fragments: Buffer[]): void {
        this.kept.push(...fragments);
      }
    })();
    const connection = new Protocol(recorder, { role: 'server' });
    connection.deliverFragments = true;
    const read = Buffer.concat([
      frame({ opcode: Opcode.Binary, fin: false, payload: 'tiny' }),
      frame({ opcode: Opcode.Continuation, payload: Buffer.alloc(60_000, 1) }),
    ]);
    connection.receiveData(read);
    expect(recorder.kept).toHaveLength(2);
    expect(recorder.kept[0].buffer).not.toBe(read.buffer);
    expect(recorder.kept[1].buffer).toBe(read.buffer); // most of the read: kept as a view
  });

  it('property: under any chunking, the fragments are the frames sent, and they join to the message', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const { connection, recorder } = fragmentServer();
          const wire = Buffer.concat(
            payloads.map((payload, i) =>
              frame({
                opcode: i === 0 ? Opcode.Binary : Opcode.Continuation,
                fin: i === payloads.length - 1,
                payload: Buffer.from(payload),
              }),
            ),
          );
          let offset = 0;
          for (let i = 0; offset < wire.length; i++) {
            const size = cuts[i % cuts.length];
            connection.receiveData(wire.subarray(offset, offset + size));
            offset += size;
          }
          const expected = payloads.filter((p) => p.length > 0).map((p) => Buffer.from(p).toString('hex'));
          expect(recorder.fragments).toEqual([expected]);
        },
      ),
    );
  });
});

describe('sendLater (a payload read later, e.g. a Blob)', () => {
  it('holds its place: frames sent after it wait until its bytes come, then leave in order', () => {
    const { connection } = server();
    connection.sendText('before');
    const later = connection.sendLater(Opcode.Binary, 3);
    connection.sendText('after');
    connection.sendPing('p');
    expect(output(connection).map((f) => f.payload.toString())).toEqual(['before']);
    expect(connection.outputBytes).toBe(3 + 7 + 3); // its size, counted while it waits
    expect(connection.isOutputWaiting).toBe(true);
    later(Buffer.from('abc'));
    const frames = output(connection);
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [Opcode.Binary, 'abc'],
      [Opcode.Text, 'after'],
      [Opcode.Ping, 'p'],
    ]);
    expect(connection.isOutputWaiting).toBe(false);
  });

  it('null drops it and lets the rest go; a second call does nothing', () => {
    const { connection } = server();
    const later = connection.sendLater(Opcode.Text, 5);
    connection.sendText('next');
    later(null);
    later(Buffer.from('late!'));
    expect(output(connection).map((f) => f.payload.toString())).toEqual(['next']);
    expect(connection.outputBytes).toBe(0);
  });

  it('continues a fragmented message it belongs to (§5.4), and a Ping or Pong over 125 bytes throws at once', () => {
    const { connection } = server();
    connection.sendText('frag', false);
    const later = connection.sendLater(Opcode.Text, 3, true);
    later(Buffer.from('end'));
    const frames = output(connection);
    expect(frames.map((f) => [f.opcode, f.fin])).toEqual([
      [Opcode.Text, false],
      [Opcode.Continuation, true],
    ]);
    expect(() => connection.sendLater(Opcode.Ping, 126)).toThrow(new RangeError('The data size must not be greater than 125 bytes'));
  });
});
