import { describe, expect, it } from 'vitest';
import { Protocol, ReadyState } from '../../src/protocol/protocol.js';
import { Opcode } from '../../src/protocol/frame.js';
import { server, client, frame, closeBody, output, expectClose, hex, h } from './support/protocol.js';

describe('Protocol: messages (RFC 6455 §5.4, §5.6)', () => {
  it('delivers a masked text message (§5.7) and a binary one', () => {
    const { connection, recorder } = server();
    connection.receiveData(h('81 85 37 fa 21 3d 7f 9f 4d 51 58'));
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: h('00 ff') }));
    expect(recorder.events).toEqual([
      ['message', hex('Hello'), false],
      ['message', '00ff', true],
    ]);
    expect(output(connection)).toEqual([]);
  });

  it('a client receives the unmasked §5.7 frames, including the fragmented message', () => {
    const { connection, recorder } = client();
    connection.receiveData(h('81 05 48 65 6c 6c 6f  01 03 48 65 6c  80 02 6c 6f'));
    expect(recorder.events).toEqual([
      ['message', hex('Hello'), false],
      ['message', hex('Hello'), false],
    ]);
  });

  it('assembles fragments, including empty ones and an empty message', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Text, payload: '', fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'a', fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: '', fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'bc' }));
    connection.receiveData(frame({ opcode: Opcode.Text, payload: '' }));
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: '' }));
    expect(recorder.events).toEqual([
      ['message', hex('abc'), false],
      ['message', '', false],
      ['message', '', true],
    ]);
  });

  it('a text message whose code point is split between fragments is valid', () => {
    const { connection, recorder } = server();
    const euro = Buffer.from('€'); // e2 82 ac
    connection.receiveData(frame({ opcode: Opcode.Text, payload: euro.subarray(0, 1), fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: euro.subarray(1, 2), fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: euro.subarray(2) }));
    expect(recorder.events).toEqual([['message', euro.toString('hex'), false]]);
  });

  it('a continuation frame with no message open is a protocol error (1002)', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'x' }));
    expect(recorder.events).toEqual([['error', 1002, 'WS_ERR_UNEXPECTED_CONTINUATION']]);
    expectClose(output(connection), 1002);
  });

  it('a new data frame while a message is open is a protocol error (1002)', () => {
    for (const opcode of [Opcode.Text, Opcode.Binary]) {
      const { connection, recorder } = server();
      connection.receiveData(frame({ opcode: Opcode.Binary, payload: 'x', fin: false }));
      connection.receiveData(frame({ opcode, payload: 'y' }));
      expect(recorder.events).toEqual([['error', 1002, 'WS_ERR_EXPECTED_CONTINUATION']]);
      expectClose(output(connection), 1002);
    }
  });
});

describe('Protocol: control frames (§5.5)', () => {
  it('answers a ping with a pong carrying the same payload', () => {
    for (const payload of [Buffer.alloc(0), Buffer.from('Hello'), Buffer.alloc(125, 0xab)]) {
      const { connection, recorder } = server();
      connection.receiveData(frame({ opcode: Opcode.Ping, payload }));
      expect(recorder.events).toEqual([['ping', payload.toString('hex')]]);
      const out = output(connection);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ opcode: Opcode.Pong, fin: true, masked: false });
      expect(out[0].payload.equals(payload)).toBe(true);
    }
  });

  it('a client answers an unmasked ping with a masked pong', () => {
    const { connection } = client();
    connection.receiveData(h('89 05 48 65 6c 6c 6f'));
    const [pong] = output(connection);
    expect(pong).toMatchObject({ opcode: Opcode.Pong, masked: true });
    expect(pong.payload.toString()).toBe('Hello');
  });

  it('handles pings between fragments at once, before the message completes', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'frag1', fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Ping, payload: 'p1' }));
    expect(recorder.events).toEqual([['ping', hex('p1')]]);
    const out = output(connection);
    expect(out.map((f) => [f.opcode, f.payload.toString()])).toEqual([[Opcode.Pong, 'p1']]);
    connection.receiveData(
      Buffer.concat([
        frame({ opcode: Opcode.Continuation, payload: 'frag2', fin: false }),
        frame({ opcode: Opcode.Pong, payload: 'x' }),
        frame({ opcode: Opcode.Continuation, payload: 'frag3' }),
      ]),
    );
    expect(recorder.events).toEqual([
      ['ping', hex('p1')],
      ['pong', hex('x')],
      ['message', hex('frag1frag2frag3'), false],
    ]);
  });

  it('an unsolicited pong is reported and needs no answer', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Pong, payload: 'heartbeat' }));
    expect(recorder.events).toEqual([['pong', hex('heartbeat')]]);
    expect(output(connection)).toEqual([]);
    expect(connection.state).toBe(ReadyState.Open);
  });

  it('does not answer pings after our Close was sent', () => {
    const { connection, recorder } = server();
    connection.sendClose(1000);
    output(connection);
    connection.receiveData(frame({ opcode: Opcode.Ping, payload: 'late' }));
    expect(recorder.events).toEqual([['ping', hex('late')]]);
    expect(output(connection)).toEqual([]);
  });

  it('control frames over 125 bytes, fragmented control frames: 1002', () => {
    for (const opcode of [Opcode.Ping, Opcode.Pong, Opcode.Close]) {
      const big = server();
      big.connection.receiveData(frame({ opcode, payload: Buffer.alloc(126) }));
      expect(big.recorder.events).toEqual([['error', 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH']]);
      expectClose(output(big.connection), 1002);
      const fragmented = server();
      fragmented.connection.receiveData(frame({ opcode, payload: closeBody(1000), fin: false }));
      expect(fragmented.recorder.events).toEqual([['error', 1002, 'WS_ERR_EXPECTED_FIN']]);
      expectClose(output(fragmented.connection), 1002);
    }
  });
});

describe('Protocol: the closing handshake (§5.5.1, §7)', () => {
  it('echoes the code and reason of a Close frame (as ws does) and reports them', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Close, payload: closeBody(1001, 'bye') }));
    expect(recorder.events).toEqual([['close', 1001, hex('bye')]]);
    const frames = output(connection);
    expectClose(frames, 1001);
    expect(frames[frames.length - 1].payload.subarray(2).toString()).toBe('bye');
    expect(connection.closeReceived).toBe(true);
    expect(connection.closeSent).toBe(true);
    expect(connection.receivedCloseCode).toBe(1001);
    expect(connection.receivedCloseReason.toString()).toBe('bye');
    expect(connection.state).toBe(ReadyState.Closing);
    expect(connection.canSend).toBe(false);
  });

  it('an empty Close is answered with an empty Close and reported as 1005', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Close }));
    expect(recorder.events).toEqual([['close', 1005, '']]);
    expectClose(output(connection), null);
  });

  it('processes nothing after a Close frame, in the same chunk or later', () => {
    const { connection, recorder } = server();
    connection.receiveData(
      Buffer.concat([
        frame({ opcode: Opcode.Close, payload: closeBody(1000) }),
        frame({ opcode: Opcode.Text, payload: 'after' }),
        frame({ opcode: Opcode.Ping, payload: 'after' }),
      ]),
    );
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'later' }));
    connection.receiveData(h('ff ff ff')); // garbage would be an error if it were parsed
    expect(recorder.events).toEqual([['close', 1000, '']]);
    expect(output(connection)).toHaveLength(1);
  });

  it('after sending Close first, the peer\'s Close is not answered again', () => {
    const { connection, recorder } = server();
    connection.sendClose(4000, 'done');
    const [ours] = output(connection);
    expect(ours.payload.readUInt16BE(0)).toBe(4000);
    expect(ours.payload.subarray(2).toString()).toBe('done');
    expect(connection.state).toBe(ReadyState.Closing);
    expect(connection.sentCloseCode).toBe(4000);
    // §5.5.1: the peer may still send data before its Close.
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'in flight' }));
    connection.receiveData(frame({ opcode: Opcode.Close, payload: closeBody(4000) }));
    expect(recorder.events).toEqual([
      ['message', hex('in flight'), false],
      ['close', 4000, ''],
    ]);
    expect(output(connection)).toEqual([]);
    connection.sendClose(1000); // no-op: already sent
    expect(output(connection)).toEqual([]);
  });

  it('invalid Close frames: 1-byte body and bad codes give 1002, a non-UTF-8 reason 1007', () => {
    const cases: Array<[Buffer, number, string]> = [
      [Buffer.of(0x03), 1002, 'WS_ERR_INVALID_CLOSE_PAYLOAD'],
      [closeBody(999), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      [closeBody(1004), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      [closeBody(1005), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      [closeBody(1006), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      [closeBody(1015), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      [closeBody(2999), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      [closeBody(5000), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      [closeBody(1000, h('ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80')), 1007, 'WS_ERR_INVALID_UTF8'],
    ];
    for (const [payload, closeCode, code] of cases) {
      const { connection, recorder } = server();
      connection.receiveData(frame({ opcode: Opcode.Close, payload }));
      expect(recorder.events, payload.toString('hex')).toEqual([['error', closeCode, code]]);
      expectClose(output(connection), closeCode);
      expect(connection.closeReceived).toBe(false);
    }
  });

  it('sendClose refuses bad codes and reasons over 123 bytes (caller errors, before anything is queued)', () => {
    const { connection } = server();
    expect(() => connection.sendClose(1005)).toThrow(TypeError);
    expect(() => connection.sendClose(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(connection.closeSent).toBe(false);
    expect(output(connection)).toEqual([]);
    connection.sendClose(1000, 'x'.repeat(123));
    expect(output(connection)[0].payload.length).toBe(125);
  });
});

describe('Protocol: protocol errors fail the connection once (§7.1.7)', () => {
  const cases: Array<[string, Buffer, 'server' | 'client', number, string]> = [
    ['RSV1 without extension', frame({ opcode: Opcode.Text, payload: 'x', rsv: 0x40 }), 'server', 1002, 'WS_ERR_UNEXPECTED_RSV_1'],
    ['RSV2', frame({ opcode: Opcode.Text, payload: 'x', rsv: 0x20 }), 'server', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
    ['RSV3 on a ping', frame({ opcode: Opcode.Ping, rsv: 0x10 }), 'server', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
    ['reserved opcode 3', frame({ opcode: 3 }), 'server', 1002, 'WS_ERR_INVALID_OPCODE'],
    ['reserved opcode 7', frame({ opcode: 7 }), 'server', 1002, 'WS_ERR_INVALID_OPCODE'],
    ['reserved opcode 0xB', frame({ opcode: 0xb }), 'server', 1002, 'WS_ERR_INVALID_OPCODE'],
    ['reserved opcode 0xF', frame({ opcode: 0xf }), 'server', 1002, 'WS_ERR_INVALID_OPCODE'],
    ['unmasked frame to a server', frame({ opcode: Opcode.Text, payload: 'x', mask: false }), 'server', 1002, 'WS_ERR_EXPECTED_MASK'],
    ['masked frame to a client', frame({ opcode: Opcode.Text, payload: 'x', mask: true }), 'client', 1002, 'WS_ERR_UNEXPECTED_MASK'],
    ['64-bit length with the top bit set', h('82 ff 80 00 00 00 00 00 00 00 37 fa 21 3d'), 'server', 1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
    ['invalid UTF-8 in a single text frame', frame({ opcode: Opcode.Text, payload: h('48 c0 80') }), 'server', 1007, 'WS_ERR_INVALID_UTF8'],
    ['text truncated at the end of the message', frame({ opcode: Opcode.Text, payload: h('48 e2 82') }), 'server', 1007, 'WS_ERR_INVALID_UTF8'],
  ];

  for (const [name, bytes, role, closeCode, code] of cases) {
    it(`${name}: ${closeCode} ${code}`, () => {
      const { connection, recorder } = role === 'server' ? server() : client();
      connection.receiveData(bytes);
      expect(recorder.events).toEqual([['error', closeCode, code]]);
      const out = output(connection);
      expect(out).toHaveLength(1);
      expectClose(out, closeCode);
      expect(out[0].masked).toBe(role === 'client');
      expect(connection.state).toBe(ReadyState.Closing);
      expect(connection.sentCloseCode).toBe(closeCode);
      // Nothing more is processed or sent.
      connection.receiveData(frame({ opcode: Opcode.Ping, payload: 'x', mask: role === 'server' }));
      connection.receiveData(frame({ opcode: 0xf }));
      expect(recorder.events).toHaveLength(1);
      expect(output(connection)).toEqual([]);
    });
  }

  it('a failure after our own Close does not send a second Close', () => {
    const { connection, recorder } = server();
    connection.sendClose(1000);
    output(connection);
    connection.receiveData(frame({ opcode: 0x5 }));
    expect(recorder.events).toEqual([['error', 1002, 'WS_ERR_INVALID_OPCODE']]);
    expect(output(connection)).toEqual([]);
  });

  it('frames before the bad one are still delivered, in order', () => {
    const { connection, recorder } = server();
    connection.receiveData(
      Buffer.concat([
        frame({ opcode: Opcode.Text, payload: 'one' }),
        frame({ opcode: Opcode.Ping, payload: 'two' }),
        frame({ opcode: 0x4 }),
        frame({ opcode: Opcode.Text, payload: 'never' }),
      ]),
    );
    expect(recorder.events).toEqual([
      ['message', hex('one'), false],
      ['ping', hex('two')],
      ['error', 1002, 'WS_ERR_INVALID_OPCODE'],
    ]);
    const out = output(connection);
    expect(out.map((f) => f.opcode)).toEqual([Opcode.Pong, Opcode.Close]);
  });
});
