/** A real receiver, fed one frame at a time: what it does with each, and when it stops reading. */
import { describe, expect, it } from 'vitest';
import { parseHex } from '../../src/inspect/hex.js';
import { replayToReceiver } from '../../src/inspect/receiver-actions.js';

const options = { role: 'client' as const, maxPayload: 1024 };

describe('replayToReceiver', () => {
  it('a fragment gives nothing yet; the last fragment gives the message', () => {
    const steps = replayToReceiver([parseHex('01 03 48 65 6c'), parseHex('80 02 6c 6f')], options);
    expect(steps).toEqual([
      { action: null, output: Buffer.alloc(0) },
      { action: { kind: 'message', isBinary: false, data: Buffer.from('Hello') }, output: Buffer.alloc(0) },
    ]);
  });

  it('a Ping is answered with a Pong, masked with a fixed example key when the receiver is a client', () => {
    const [step] = replayToReceiver([parseHex('89 02 68 62')], options);
    expect(step.action).toEqual({ kind: 'ping', data: Buffer.from('hb') });
    expect(step.output).toEqual(Buffer.concat([parseHex('8a 82 12 34 56 78'), Buffer.of(0x68 ^ 0x12, 0x62 ^ 0x34)]));
    // A server answers unmasked.
    const [server] = replayToReceiver([parseHex('89 82 00 00 00 00 68 62')], { role: 'server', maxPayload: 1024 });
    expect(server.output).toEqual(parseHex('8a 02 68 62'));
  });

  it('stops reading after a Close (answered) or a failure (with its close code)', () => {
    const closed = replayToReceiver([parseHex('88 02 03 e8'), parseHex('81 00')], options);
    expect(closed).toHaveLength(1);
    expect(closed[0].action).toEqual({ kind: 'close', code: 1000, reason: Buffer.alloc(0) });
    expect(closed[0].output.subarray(0, 2)).toEqual(parseHex('88 82'));
    const failed = replayToReceiver([parseHex('81 02 c3 28'), parseHex('81 00')], options);
    expect(failed).toHaveLength(1);
    expect(failed[0].action).toMatchObject({ kind: 'error', error: { closeCode: 1007, code: 'WS_ERR_INVALID_UTF8', section: 'RFC 6455 §8.1' } });
  });

  it('applies the message size limit (1009)', () => {
    const [step] = replayToReceiver([Buffer.concat([parseHex('82 7e 04 01'), Buffer.alloc(1025)])], options);
    expect(step.action).toMatchObject({ kind: 'error', error: { closeCode: 1009 } });
  });
});
