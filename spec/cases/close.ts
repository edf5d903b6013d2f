// Section 7: close handling (RFC 6455 §5.5.1, §7). Nothing is processed after a close frame; a
// close body is empty or a valid code plus a UTF-8 reason of at most 123 bytes.
import { Opcode, expectCloseReply, text, type CaseDef, type Outcome } from '../case.js';
import { closePayload } from '../frame.js';
import { KOSME } from '../utf8-sequences.js';

const CLEAN = 'Clean close with normal code.';
const NORMAL: (number | null)[] = [1000, null];

/** Autobahn's 7.7: valid codes the peer must accept, answering with 1000 or the same code. */
export const VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
/** Autobahn's 7.9: codes that must never appear in a close frame. */
export const INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

const cleanAfter = (before = [] as ReturnType<typeof text>[]) =>
  ({ okCodes: NORMAL, otherCode: 'NON-STRICT' as const, onDrop: 'FAILED' as const, before });

/** A close the peer must reject: 1002 (or `code`) is OK, dropping TCP (or the stream) NON-STRICT, anything else FAILED. */
const mustReject = (code = 1002) => ({ okCodes: [code], otherCode: 'FAILED' as const, onDrop: 'NON-STRICT' as const, failsConnection: true });

function closeWith(payload: Buffer, exp: Parameters<typeof expectCloseReply>[1]): CaseDef['run'] {
  return async (t): Promise<Outcome> => {
    t.wire.suppressCloseReply = true;
    t.send({ opcode: Opcode.Close, payload });
    return expectCloseReply(t, exp);
  };
}

const cases: CaseDef[] = [
  {
    id: '7.1.1',
    description: 'Send a message followed by a close frame.',
    expectation: `Echoed message followed by clean close with normal code.`,
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: 'Hello World!' });
      t.wire.sendClose(1000);
      return expectCloseReply(t, cleanAfter([text('Hello World!')]));
    },
  },
  {
    id: '7.1.2',
    description: 'Send two close frames.',
    expectation: `${CLEAN} Second close frame ignored.`,
    run: async (t) => {
      t.wire.sendClose(1000);
      t.send({ opcode: Opcode.Close, payload: closePayload(1000) });
      return expectCloseReply(t, cleanAfter());
    },
  },
  {
    id: '7.1.3',
    description: 'Send a ping after close message.',
    expectation: `${CLEAN} Ping ignored (no pong after a close, RFC 6455 §5.5.1).`,
    run: async (t) => {
      t.wire.sendClose(1000);
      t.send({ opcode: Opcode.Ping, payload: 'Hello World!' });
      return expectCloseReply(t, cleanAfter());
    },
  },
  {
    id: '7.1.4',
    description: 'Send text message after sending a close frame.',
    expectation: `${CLEAN} Text message ignored.`,
    run: async (t) => {
      t.wire.sendClose(1000);
      t.send({ opcode: Opcode.Text, payload: 'Hello World!' });
      return expectCloseReply(t, cleanAfter());
    },
  },
  {
    id: '7.1.5',
    description: 'Send message fragment1 followed by close then fragment.',
    expectation: `${CLEAN} Message fragments ignored.`,
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: 'fragment1', fin: false });
      t.wire.sendClose(1000);
      t.send({ opcode: Opcode.Continuation, payload: 'fragment2' });
      return expectCloseReply(t, cleanAfter());
    },
  },
  {
    id: '7.1.6',
    description: 'Send 256K message followed by close then a ping.',
    expectation: 'Case outcome depends on implementation defined close behavior. Message and close frame are sent back to back. If the close frame is processed before the text message write is complete (as can happen in asynchronous processing models) the close frame is processed first and the text message may not be received or may only be partially received.',
    run: async (t) => {
      const payload = Buffer.from('BAsd7&jh23'.repeat(26215).slice(0, 256 * 1024));
      t.send({ opcode: Opcode.Text, payload });
      t.wire.sendClose(1000);
      t.send({ opcode: Opcode.Ping, payload: 'Hello World!' });
      const w = t.wire;
      await w.waitFor(() => w.closeReceived !== null || w.transportClosed, t.timing.replyTimeoutMs * 2);
      await w.waitTransportClose(t.timing.closeTimeoutMs);
      if (w.violations.length > 0) return { verdict: 'FAILED', reason: w.violations.join('; ') };
      if (!w.closeReceived) return { verdict: 'FAILED', reason: 'peer did not answer the close frame' };
      const echoed = w.events.some((e) => e.type === 'message' && e.payload.equals(payload));
      const pongs = w.events.filter((e) => e.type === 'pong').length;
      if (pongs > 0) return { verdict: 'FAILED', reason: 'peer answered a ping sent after the close frame' };
      return { verdict: 'INFORMATIONAL', reason: `clean close with code ${w.closeReceived.code}; message ${echoed ? 'echoed before the close' : 'not echoed'}` };
    },
  },
  {
    id: '7.3.1',
    description: 'Send a close frame with payload length 0 (no close code, no close reason).',
    expectation: 'Clean close with normal code (or an empty close).',
    run: closeWith(Buffer.alloc(0), { okCodes: NORMAL, otherCode: 'NON-STRICT', onDrop: 'FAILED' }),
  },
  {
    id: '7.3.2',
    description: 'Send a close frame with payload length 1.',
    expectation: 'Clean close with protocol error code or drop TCP.',
    run: closeWith(Buffer.from('a'), mustReject()),
  },
  {
    id: '7.3.3',
    description: 'Send a close frame with payload length 2 (regular close with a code).',
    expectation: CLEAN,
    run: closeWith(closePayload(1000), { okCodes: NORMAL, otherCode: 'NON-STRICT', onDrop: 'FAILED' }),
  },
  {
    id: '7.3.4',
    description: 'Send close with close code and close reason.',
    expectation: CLEAN,
    run: closeWith(closePayload(1000, 'Hello World!'), { okCodes: NORMAL, otherCode: 'NON-STRICT', onDrop: 'FAILED' }),
  },
  {
    id: '7.3.5',
    description: 'Send close with close code and close reason of maximum length (123).',
    expectation: CLEAN,
    run: closeWith(closePayload(1000, 'y'.repeat(123)), { okCodes: NORMAL, otherCode: 'NON-STRICT', onDrop: 'FAILED' }),
  },
  {
    id: '7.3.6',
    description: 'Send close with close code and close reason which is too long (124) - total frame payload 126 octets.',
    expectation: 'Clean close with protocol error code or dropped TCP connection (RFC 6455 §5.5: control frames carry at most 125 bytes).',
    run: closeWith(closePayload(1000, 'y'.repeat(124)), mustReject()),
  },
  {
    id: '7.5.1',
    description: `Send a close frame with invalid UTF8 payload. Payload: 0x${Buffer.concat([KOSME, Buffer.from('eda080656469746564', 'hex')]).toString('hex')}`,
    expectation: 'Clean close with protocol error or invalid utf8 code (1007) or dropped TCP.',
    run: closeWith(closePayload(1000, Buffer.concat([KOSME, Buffer.from('eda080656469746564', 'hex')])),
      { okCodes: [1007, 1002], otherCode: 'FAILED', onDrop: 'NON-STRICT', failsConnection: true }),
  },
];

VALID_CLOSE_CODES.forEach((code, i) => {
  cases.push({
    id: `7.7.${i + 1}`,
    description: `Send close with valid close code ${code}.`,
    expectation: 'Clean close with normal or echoed code.',
    run: closeWith(closePayload(code), { okCodes: [1000, code], otherCode: 'FAILED', onDrop: 'NON-STRICT' }),
  });
});

INVALID_CLOSE_CODES.forEach((code, i) => {
  cases.push({
    id: `7.9.${i + 1}`,
    description: `Send close with invalid close code ${code}.`,
    expectation: 'Clean close with protocol error code or drop TCP.',
    run: closeWith(closePayload(code), mustReject()),
  });
});

// Autobahn's 7.13: codes above 4999 are not defined by RFC 6455 §7.4, so any reaction is allowed
// and the case is INFORMATIONAL; the report says what the peer did.
[5000, 65535].forEach((code, i) => {
  cases.push({
    id: `7.13.${i + 1}`,
    description: `Send close with close code ${code}.`,
    expectation: 'Actual events are undefined by the spec (codes above 4999 are not defined, RFC 6455 §7.4.2).',
    run: async (t): Promise<Outcome> => {
      const w = t.wire;
      w.suppressCloseReply = true;
      t.send({ opcode: Opcode.Close, payload: closePayload(code) });
      await w.waitFor(() => w.closeReceived !== null || w.transportClosed, t.timing.replyTimeoutMs);
      if (w.closeReceived) await w.waitTransportClose(t.timing.closeTimeoutMs);
      const answer = w.closeReceived ? `answered with close code ${w.closeReceived.code ?? '(none)'}` : w.transportClosed ? `${w.peerEndText} without a close frame` : `did not answer within ${t.timing.replyTimeoutMs} ms`;
      const also = w.violations.length > 0 ? `; noted: ${w.violations.join('; ')}` : '';
      return { verdict: 'INFORMATIONAL', reason: `peer ${answer}${also}` };
    },
  });
});

export const closeCases: CaseDef[] = cases;
