import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Protocol, ReadyState, type ProtocolHandler, type ProtocolOptions } from '../../src/protocol/protocol.js';
import type { ProtocolError } from '../../src/protocol/errors.js';
import { Opcode, frameHeaderLength, writeFrameHeader } from '../../src/protocol/frame.js';
import { applyMask } from '../../src/protocol/mask.js';
import { parseFrames, type ParsedFrame } from './support/frames.js';

type Event =
  | ['message', string, boolean]
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['error', number, string];

/** A handler that records events (data as hex, so the comparison is exact). */
class Recorder implements ProtocolHandler {
  onReady(): void {}
  events: Event[] = [];
  onMessage(data: Buffer, isBinary: boolean): void {
    this.events.push(['message', data.toString('hex'), isBinary]);
  }
  onPing(data: Buffer): void {
    this.events.push(['ping', data.toString('hex')]);
  }
  onPong(data: Buffer): void {
    this.events.push(['pong', data.toString('hex')]);
  }
  onCloseFrame(code: number, reason: Buffer): void {
    this.events.push(['close', code, reason.toString('hex')]);
  }
  onProtocolError(error: ProtocolError): void {
    this.events.push(['error', error.closeCode, error.code]);
  }
  get errors(): Array<['error', number, string]> {
    return this.events.filter((e): e is ['error', number, string] => e[0] === 'error');
  }
}

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
let keyCounter = 0;
const maskKeySource = (): Uint8Array => Uint8Array.of(keyCounter++, 0x5a, 0xa5, 0xff);

function server(options: Partial<ProtocolOptions> = {}): { connection: Protocol; recorder: Recorder } {
  const recorder = new Recorder();
  return { recorder, connection: new Protocol(recorder, { role: 'server', ...options }) };
}

function client(options: Partial<ProtocolOptions> = {}): { connection: Protocol; recorder: Recorder } {
  const recorder = new Recorder();
  return { recorder, connection: new Protocol(recorder, { role: 'client', maskKeySource, ...options }) };
}

interface FrameSpec {
  fin?: boolean;
  opcode: number;
  payload?: Buffer | string;
  mask?: boolean;
  rsv?: number;
  /** Announce this length instead of the payload's (for truncated frames). */
  length?: number;
}

/** Encode a frame as a peer would (masked by default: a client's frame). */
function frame({ fin = true, opcode, payload = Buffer.alloc(0), mask = true, rsv = 0, length }: FrameSpec): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const announced = length ?? bytes.length;
  const key = mask ? KEY : null;
  const headerLength = frameHeaderLength(announced, mask);
  const out = Buffer.alloc(headerLength + bytes.length);
  writeFrameHeader(out, 0, fin, opcode, announced, key);
  out[0] |= rsv;
  bytes.copy(out, headerLength);
  if (key !== null) applyMask(out.subarray(headerLength), key);
  return out;
}

function closeBody(code: number, reason: Buffer | string = ''): Buffer {
  const r = typeof reason === 'string' ? Buffer.from(reason) : reason;
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code);
  r.copy(out, 2);
  return out;
}

type OutFrame = ParsedFrame;

/** Parse everything the connection wants to send. */
function output(connection: Protocol): OutFrame[] {
  return parseFrames(connection.dataToSend(), connection.role === 'server' ? 'client' : 'server');
}

function expectClose(frames: OutFrame[], code: number | null): void {
  const last = frames[frames.length - 1];
  expect(last?.opcode).toBe(Opcode.Close);
  if (code === null) expect(last.payload.length).toBe(0);
  else expect(last.payload.readUInt16BE(0)).toBe(code);
}

const hex = (s: string): string => Buffer.from(s).toString('hex');
const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('Connection: messages (RFC 6455 §5.4, §5.6)', () => {
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

describe('Connection: control frames (§5.5)', () => {
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

describe('Connection: the closing handshake (§5.5.1, §7)', () => {
  it('echoes the code of a Close frame and reports it', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Close, payload: closeBody(1001, 'bye') }));
    expect(recorder.events).toEqual([['close', 1001, hex('bye')]]);
    expectClose(output(connection), 1001);
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

describe('Connection: protocol errors fail the connection once (§7.1.7)', () => {
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

describe('Connection: maxPayload (1009) is decided from the header', () => {
  it('a single frame over the limit: only its header is fed', () => {
    const { connection, recorder } = server({ maxPayload: 1000 });
    connection.receiveData(frame({ opcode: Opcode.Binary, length: 1001 })); // header only, no payload bytes
    expect(recorder.events).toEqual([['error', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']]);
    expectClose(output(connection), 1009);
  });

  it('a 64-bit length far over the default 64 MiB limit', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Binary, length: 2 ** 40 }));
    expect(recorder.events).toEqual([['error', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']]);
  });

  it('a fragmented message that adds up to more than the limit fails at the fragment header', () => {
    const { connection, recorder } = server({ maxPayload: 1000 });
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'a'.repeat(600), fin: false }));
    expect(recorder.events).toEqual([]);
    connection.receiveData(frame({ opcode: Opcode.Continuation, length: 401 })); // header only
    expect(recorder.events).toEqual([['error', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']]);
    expectClose(output(connection), 1009);
  });

  it('exactly the limit is accepted, across fragments too', () => {
    const { connection, recorder } = server({ maxPayload: 1000 });
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: Buffer.alloc(1000) }));
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: Buffer.alloc(500), fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Ping, payload: Buffer.alloc(100) })); // control frames do not count
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: Buffer.alloc(500) }));
    expect(recorder.events.map((e) => e[0])).toEqual(['message', 'ping', 'message']);
  });
});

describe('Connection: maxPayload bounds memory, not only payload (§10.4)', () => {
  it('a fragmented message whose fragments ride in reads full of Pongs keeps at most 2× its payload alive', () => {
    // Each 64 KiB read: a 1 KiB continuation, then Pongs (which cost the peer nothing).
    const { connection, recorder } = server({ maxPayload: 4 * 1024 * 1024 });
    const pong = frame({ opcode: Opcode.Pong, payload: Buffer.alloc(125) });
    const read = (fragment: Buffer): Buffer => {
      const filler = Buffer.concat(Array.from({ length: Math.floor((64 * 1024 - fragment.length) / pong.length) }, () => pong));
      return Buffer.concat([fragment, filler]);
    };
    const fragments = 100;
    connection.receiveData(read(frame({ opcode: Opcode.Binary, payload: Buffer.alloc(1024, 0), fin: false })));
    for (let i = 1; i < fragments; i++) {
      connection.receiveData(read(frame({ opcode: Opcode.Continuation, payload: Buffer.alloc(1024, i), fin: false })));
    }
    expect(connection.receivingMemory).toBeLessThanOrEqual(2 * fragments * 1024); // it was 100 × 64 KiB
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: Buffer.alloc(0) }));
    const messages = recorder.events.filter((e) => e[0] === 'message');
    expect(messages).toHaveLength(1);
    const data = Buffer.from(messages[0][1] as string, 'hex');
    expect(data).toHaveLength(fragments * 1024);
    for (let i = 0; i < fragments; i++) expect(data[i * 1024]).toBe(i);
  });
});

describe('Connection: invalid UTF-8 fails fast (§8.1, Autobahn 6.4.x)', () => {
  it('6.4.1-style: 1007 is emitted in the middle of a fragmented message, before the final fragment', () => {
    const { connection, recorder } = server();
    // κόσμε, then ED A0 80 (a surrogate), then "edited" in the last fragment.
    connection.receiveData(frame({ opcode: Opcode.Text, payload: h('ce ba e1 bd b9 cf 83 ce bc ce b5'), fin: false }));
    expect(recorder.events).toEqual([]);
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: h('ed a0 80'), fin: false }));
    expect(recorder.events).toEqual([['error', 1007, 'WS_ERR_INVALID_UTF8']]);
    expectClose(output(connection), 1007);
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: hex('edited') }));
    expect(recorder.events).toHaveLength(1);
  });

  it('6.4.2-style: the bad byte split into its own fragment is caught when that fragment arrives', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Text, payload: h('ce ba e1 bd b9 cf 83 ce bc ce b5 f4'), fin: false }));
    expect(recorder.events).toEqual([]);
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: h('90'), fin: false }));
    expect(recorder.events).toEqual([['error', 1007, 'WS_ERR_INVALID_UTF8']]);
  });

  it('6.4.3/6.4.4-style: a single text frame fed in pieces fails at the piece with the bad byte', () => {
    const payload = h('ce ba e1 bd b9 cf 83 ce bc ce b5  f4 90 80 80  65 64 69 74 65 64');
    const bytes = frame({ opcode: Opcode.Text, payload });
    const headerLength = bytes.length - payload.length;
    const badIndex = headerLength + 12; // the 0x90 after F4: the first byte no valid text can follow
    const { connection, recorder } = server();
    for (let i = 0; i < bytes.length; i++) {
      connection.receiveData(Buffer.from(bytes.subarray(i, i + 1)));
      if (i < badIndex) expect(recorder.events, `byte ${i}`).toEqual([]);
      else expect(recorder.events, `byte ${i}`).toEqual([['error', 1007, 'WS_ERR_INVALID_UTF8']]);
    }
    expectClose(output(connection), 1007);
  });

  it('a valid text message fed byte by byte is delivered once complete', () => {
    const text = 'κόσμε € 𝄞 ok';
    const bytes = frame({ opcode: Opcode.Text, payload: text });
    const { connection, recorder } = server();
    for (let i = 0; i < bytes.length; i++) connection.receiveData(Buffer.from(bytes.subarray(i, i + 1)));
    expect(recorder.events).toEqual([['message', hex(text), false]]);
  });

  it('a fragmented message ending in the middle of a code point: 1007 at the final fragment', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Text, payload: 'ok', fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: h('f0 9f 98') }));
    expect(recorder.events).toEqual([['error', 1007, 'WS_ERR_INVALID_UTF8']]);
  });

  it('binary messages are not checked', () => {
    const { connection, recorder } = server();
    connection.receiveData(frame({ opcode: Opcode.Binary, payload: h('ff c0 80'), fin: false }));
    connection.receiveData(frame({ opcode: Opcode.Continuation, payload: h('ed a0 80') }));
    expect(recorder.events).toEqual([['message', 'ffc080eda080', true]]);
  });
});

describe('Connection: sending', () => {
  it('a server sends unmasked frames; fragments continue with opcode 0', () => {
    const { connection } = server();
    connection.sendText('Hel', false);
    connection.sendText('lo');
    connection.sendBinary(Buffer.of(1, 2));
    connection.sendPing('p');
    connection.sendPong(Buffer.from('q'));
    expect(Buffer.concat(connection.dataToSend()).toString('hex')).toBe(
      '010348656c' + '80026c6f' + '82020102' + '890170' + '8a0171',
    );
  });

  it('a client masks every frame with a fresh key', () => {
    const { connection } = client();
    connection.sendText('Hello');
    connection.sendText('Hello');
    const bytes = Buffer.concat(connection.dataToSend());
    const first = bytes.subarray(0, 11);
    const second = bytes.subarray(11);
    expect(first[1] & 0x80).toBe(0x80);
    expect(first.subarray(2, 6).equals(second.subarray(2, 6))).toBe(false);
    const { connection: receiver, recorder } = server();
    receiver.receiveData(Buffer.from(bytes));
    expect(recorder.events).toEqual([
      ['message', hex('Hello'), false],
      ['message', hex('Hello'), false],
    ]);
  });

  it('refuses control payloads over 125 bytes and a client without a key source', () => {
    const { connection } = server();
    expect(() => connection.sendPing(Buffer.alloc(126))).toThrow(RangeError);
    expect(() => connection.sendPong('x'.repeat(126))).toThrow(RangeError);
    expect(() => new Protocol(new Recorder(), { role: 'client' })).toThrow(TypeError);
  });

  it('outputBytes counts what is queued', () => {
    const { connection } = server();
    expect(connection.outputBytes).toBe(0);
    connection.sendText('abc');
    expect(connection.outputBytes).toBe(5);
    connection.dataToSend();
    expect(connection.outputBytes).toBe(0);
  });
});

// --- properties ------------------------------------------------------------------------------

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

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(Buffer.from(bytes.subarray(from, point)));
    from = point;
  }
  pieces.push(Buffer.from(bytes.subarray(from)));
  return pieces;
}

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

describe('pre-encoded frames during a fragmented send (§5.4)', () => {
  /** The opcodes and FIN bits of the frames in a server's output, in order. */
  const frameKinds = (output: Buffer[]): string[] =>
    parseFrames(output, 'client').map((frame) => `${frame.fin ? 'fin' : 'more'}:${frame.opcode}`);

  it('holds a broadcast frame until the final fragment, so fragments are never interleaved', () => {
    const { connection } = server();
    const broadcast = Buffer.from([0x81, 0x02, 0x68, 0x69]); // "hi", encoded once elsewhere
    connection.sendText('frag-1', false);
    connection.sendEncoded(broadcast);
    connection.sendText('frag-2', true);
    connection.sendEncoded(broadcast);
    expect(frameKinds(connection.dataToSend())).toEqual([
      `more:${Opcode.Text}`,
      `fin:${Opcode.Continuation}`,
      `fin:${Opcode.Text}`,
      `fin:${Opcode.Text}`,
    ]);
  });
});
