import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Protocol } from '../../src/protocol/protocol.js';
import { Opcode } from '../../src/protocol/frame.js';
import { parseFrames } from './support/frames.js';
import { Recorder, server, client, frame, output, hex } from './support/protocol.js';

describe('Protocol: sending', () => {
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
