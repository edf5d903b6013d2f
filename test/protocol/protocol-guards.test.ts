// What the protocol object tells the I/O layer's guards (keepalive, the shared message budget, the
// message deadline) and the one limit it applies itself: maxFragments (1008).
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/close.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { DEFAULT_MAX_FRAGMENTS, ReadyState } from '../../src/protocol/protocol.js';
import { Opcode } from '../../src/protocol/frame.js';
import { server, frame, output, expectClose } from './support/protocol.js';

describe('Protocol: maxFragments (§10.4, 1008)', () => {
  it('accepts a message of exactly maxFragments data frames and fails the next one with 1008', () => {
    const { connection, recorder } = server({ maxFragments: 4 });
    const fragments = [
      frame({ opcode: Opcode.Text, payload: 'a', fin: false }),
      frame({ opcode: Opcode.Ping, payload: 'control frames do not count' }),
      frame({ opcode: Opcode.Continuation, payload: '', fin: false }),
      frame({ opcode: Opcode.Continuation, payload: 'b', fin: false }),
      frame({ opcode: Opcode.Continuation, payload: 'c' }),
    ];
    connection.receiveData(Buffer.concat(fragments));
    expect(recorder.events.map((e) => e[0])).toEqual(['ping', 'message']);
    // The count starts again with each message; five data frames are one too many.
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: 'x', fin: false }));
    for (let i = 0; i < 3; i++) connection.receiveData(frame({ opcode: Opcode.Continuation, fin: false }));
    expect(recorder.errors).toEqual([]);
    connection.receiveData(frame({ opcode: Opcode.Continuation, fin: false }));
    expect(recorder.errors).toEqual([['error', 1008, 'WS_ERR_TOO_MANY_BUFFERED_PARTS']]);
    expectClose(output(connection), 1008);
    expect(connection.closeCode).toBe(1008);
  });

  it('defaults to 131,072: above the 65,536 fragments of Autobahn 9.3.1', () => {
    expect(DEFAULT_MAX_FRAGMENTS).toBe(131_072);
    const { connection, recorder } = server();
    const empty = frame({ opcode: Opcode.Continuation, fin: false });
    connection.receiveData(frame({ opcode: Opcode.Binary, fin: false }));
    connection.receiveData(Buffer.concat(Array.from({ length: DEFAULT_MAX_FRAGMENTS - 2 }, () => empty)));
    connection.receiveData(frame({ opcode: Opcode.Continuation }));
    expect(recorder.events.map((e) => e[0])).toEqual(['message']);
    connection.receiveData(frame({ opcode: Opcode.Binary, fin: false }));
    connection.receiveData(Buffer.concat(Array.from({ length: DEFAULT_MAX_FRAGMENTS }, () => empty)));
    expect(recorder.errors).toEqual([['error', 1008, 'WS_ERR_TOO_MANY_BUFFERED_PARTS']]);
  });
});

describe('Protocol: activity counts pongs and data frames, not bytes or pings', () => {
  it('moves on a Pong and on each data frame, not on a Ping, a partial frame or a Close', () => {
    const { connection } = server();
    expect(connection.activity).toBe(0);
    connection.receiveData(frame({ opcode: Opcode.Ping, payload: 'are you there' }));
    expect(connection.activity).toBe(0);
    const big = frame({ opcode: Opcode.Binary, payload: Buffer.alloc(1000, 1) });
    connection.receiveData(big.subarray(0, 500)); // half a frame: bytes, but no sign of life yet
    expect(connection.activity).toBe(0);
    connection.receiveData(big.subarray(500));
    expect(connection.activity).toBe(1);
    connection.receiveData(frame({ opcode: Opcode.Pong }));
    expect(connection.activity).toBe(2);
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'a', fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: 'b' }));
    expect(connection.activity).toBe(4);
    connection.receiveData(frame({ opcode: Opcode.Close }));
    expect(connection.activity).toBe(4);
  });
});

describe('Protocol: heldBytes and the message in progress', () => {
  it('counts the bytes of an unfinished message, and drops to 0 when it completes', () => {
    const { connection, recorder } = server();
    expect(connection.heldBytes).toBe(0);
    expect(connection.isReceivingMessage).toBe(false);
    const first = frame({ opcode: Opcode.Binary, payload: Buffer.alloc(3000, 7), fin: false });
    connection.receiveData(first);
    expect(connection.isReceivingMessage).toBe(true);
    expect(connection.messagesStarted).toBe(1);
    expect(connection.heldBytes).toBe(3000);
    // A large frame that is still arriving: its announced length is not counted, its bytes are.
    const second = frame({ opcode: Opcode.Continuation, payload: Buffer.alloc(100_000, 8) });
    connection.receiveData(second.subarray(0, 10_000));
    expect(connection.heldBytes).toBeGreaterThanOrEqual(3000 + 10_000 - 14);
    expect(connection.heldBytes).toBeLessThanOrEqual(3000 + 10_000);
    connection.receiveData(second.subarray(10_000, 40_000)); // a quarter: gathered into its own buffer
    expect(connection.heldBytes).toBeGreaterThanOrEqual(100_000);
    expect(connection.heldBytes).toBeLessThanOrEqual(103_000);
    connection.receiveData(second.subarray(40_000));
    expect(recorder.events.map((e) => e[0])).toEqual(['message']);
    expect(connection.heldBytes).toBe(0);
    expect(connection.isReceivingMessage).toBe(false);
  });

  it('lets go of an unfinished message when the connection fails or ends', () => {
    for (const end of ['fail', 'eof', 'close'] as const) {
      const { connection } = server();
      connection.receiveData(frame({ opcode: Opcode.Binary, payload: Buffer.alloc(5000), fin: false }));
      expect(connection.heldBytes).toBe(5000);
      if (end === 'fail') connection.fail(new ProtocolError(CloseCode.MessageTooBig, 'WS_ERR_MESSAGE_MEMORY', 'budget'));
      else if (end === 'eof') connection.receiveEof();
      else connection.receiveData(frame({ opcode: Opcode.Close }));
      expect(connection.heldBytes, end).toBe(0);
      expect(connection.isReceivingMessage, end).toBe(false);
      expect(connection.state, end).not.toBe(ReadyState.Open);
    }
  });

  it('fail() on request sends the given close code and reports it', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: Buffer.alloc(10), fin: false }));
    connection.fail(new ProtocolError(CloseCode.PolicyViolation, 'WS_ERR_MESSAGE_TIMEOUT', 'too slow'));
    expectClose(output(connection), 1008);
    expect(recorder.errors).toEqual([['error', 1008, 'WS_ERR_MESSAGE_TIMEOUT']]);
    expect(connection.closeCode).toBe(1008);
  });
});
