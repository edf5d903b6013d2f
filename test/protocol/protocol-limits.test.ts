import { describe, expect, it } from 'vitest';
import { Protocol } from '../../src/protocol/protocol.js';
import { Opcode } from '../../src/protocol/frame.js';
import { server, frame, output, expectClose, hex, h } from './support/protocol.js';

describe('Protocol: maxPayload (1009) is decided from the header', () => {
  it('a single frame over the limit: only its header is fed', () => {
    const { connection, recorder } = server({ maxPayload: 1000 });
    connection.receiveData(frame({ opcode: Opcode.Binary, length: 1001 })); // header only, no payload bytes
    expect(recorder.events).toEqual([['error', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']]);
    expectClose(output(connection), 1009);
  });

  it('a 64-bit length far over the default 100 MiB limit', () => {
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

describe('Protocol: maxPayload bounds memory, not only payload (§10.4)', () => {
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

describe('Protocol: invalid UTF-8 fails fast (§8.1, Autobahn 6.4.x)', () => {
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
