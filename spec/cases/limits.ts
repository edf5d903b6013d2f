// Section 9: limits and performance. Big messages, many fragments, chopped delivery and round
// trips; the report gives the time of each case. Sizes are Autobahn's, up to 16 MiB.
import { Opcode, binary, expectEcho, text, type CaseContext, type CaseDef, type Outcome } from '../case.js';

const KB = 1024;
const MB = 1024 * KB;
/** Heavy cases get a minute to echo, well above any sane implementation on loopback. */
const HEAVY_MS = 60_000;

/**
 * A peer that refuses a message by a configured limit, cleanly (1009 Message Too Big, 1008 Policy
 * Violation), made a choice rather than a mistake: INFORMATIONAL, where Autobahn says FAILED.
 */
function limitAware(run: (t: CaseContext) => Promise<Outcome>): (t: CaseContext) => Promise<Outcome> {
  return async (t) => {
    const outcome = await run(t);
    const code = t.wire.closeReceived?.code;
    if (outcome.verdict === 'FAILED' && t.wire.closedByMe === false && (code === 1008 || code === 1009) && t.wire.violations.length === 0) {
      return { verdict: 'INFORMATIONAL', reason: `peer refused the message by its configured limit (close ${code})` };
    }
    return outcome;
  };
}

const human = (n: number): string => (n >= MB ? `${n / MB}M` : n >= KB ? `${n / KB}K` : `${n}`);

function payloadOf(size: number, isBinary: boolean): Buffer {
  return Buffer.alloc(size, isBinary ? 0xfe : 0x2a);
}

const cases: CaseDef[] = [];

// 9.1 / 9.2: one message of increasing size.
[false, true].forEach((isBinary, b) => {
  [64 * KB, 256 * KB, MB, 4 * MB, 8 * MB, 16 * MB].forEach((size, i) => {
    const kind = isBinary ? 'binary' : 'text';
    cases.push({
      id: `9.${1 + b}.${i + 1}`,
      description: `Send ${kind} message with payload of length ${human(size)} (${size} bytes).`,
      expectation: `Receive echo'ed ${kind} message (with payload as sent). Clean close with normal code. The time is reported.`,
      messageSize: size,
      extraMs: HEAVY_MS,
      run: limitAware(async (t) => {
        const p = payloadOf(size, isBinary);
        t.send({ opcode: isBinary ? Opcode.Binary : Opcode.Text, payload: p });
        return expectEcho(t, [isBinary ? binary(p) : text(p)], HEAVY_MS);
      }),
    });
  });
});

// 9.3 / 9.4: a 4 MiB message in fragments of increasing size.
[false, true].forEach((isBinary, b) => {
  [64, 256, KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, MB, 4 * MB].forEach((frag, i) => {
    const kind = isBinary ? 'binary' : 'text';
    cases.push({
      id: `9.${3 + b}.${i + 1}`,
      description: `Send fragmented ${kind} message message with message payload of length 4M and fragment size ${human(frag)}.`,
      expectation: `Receive echo'ed ${kind} message (with payload as sent). The time is reported.`,
      messageSize: 4 * MB,
      extraMs: HEAVY_MS,
      run: limitAware(async (t) => {
        const p = payloadOf(4 * MB, isBinary);
        t.sendMessage(isBinary ? Opcode.Binary : Opcode.Text, p, frag);
        return expectEcho(t, [isBinary ? binary(p) : text(p)], HEAVY_MS);
      }),
    });
  });
});

// 9.5 / 9.6: a 1 MiB message written in chops of increasing size.
[false, true].forEach((isBinary, b) => {
  [64, 128, 256, 512, KB, 2 * KB].forEach((chop, i) => {
    const kind = isBinary ? 'binary' : 'text';
    cases.push({
      id: `9.${5 + b}.${i + 1}`,
      description: `Send ${kind} message message with payload of length 1M. Sent out data in chops of ${chop} octets.`,
      expectation: `Receive echo'ed ${kind} message (with payload as sent). The time is reported.`,
      messageSize: MB,
      extraMs: HEAVY_MS,
      run: limitAware(async (t) => {
        const p = payloadOf(MB, isBinary);
        await t.sendChopped([{ opcode: isBinary ? Opcode.Binary : Opcode.Text, payload: p }], chop, 0);
        return expectEcho(t, [isBinary ? binary(p) : text(p)], HEAVY_MS);
      }),
    });
  });
});

// 9.7 / 9.8: 1000 round trips, each waiting for its echo.
[false, true].forEach((isBinary, b) => {
  [0, 16, 64, 256, KB, 4 * KB].forEach((size, i) => {
    const kind = isBinary ? 'binary' : 'text';
    cases.push({
      id: `9.${7 + b}.${i + 1}`,
      description: `Send 1000 ${kind} messages of payload size ${size} to measure implementation/network RTT (round trip time) / latency.`,
      expectation: `Receive echo'ed ${kind} messages (with payload as sent). Timeout case after 60 secs.`,
      messageSize: size,
      extraMs: HEAVY_MS,
      run: limitAware(async (t) => {
        const p = payloadOf(size, isBinary);
        const w = t.wire;
        const want = [];
        const deadline = Date.now() + HEAVY_MS;
        for (let n = 1; n <= 1000; n++) {
          t.send({ opcode: isBinary ? Opcode.Binary : Opcode.Text, payload: p });
          want.push(isBinary ? binary(p) : text(p));
          const got = await w.waitFor(() => w.events.length >= n || !w.open || w.violations.length > 0, Math.max(1, deadline - Date.now()));
          if (!got || w.events.length < n) break;
        }
        return expectEcho(t, want, 0);
      }),
    });
  });
});

export const limitCases: CaseDef[] = cases;

// Section 10: auto-fragmentation, a message the peer may re-fragment as it likes.
export const autoFragmentationCases: CaseDef[] = [
  {
    id: '10.1.1',
    description: 'Send text message with payload of length 65536 auto-fragmented with autoFragmentSize = 1300.',
    expectation: 'Receive echo\'ed text message (with payload as sent and transmitted frame counts as expected). Clean close with normal code.',
    messageSize: 65536,
    run: async (t) => {
      const p = payloadOf(65536, false);
      t.sendMessage(Opcode.Text, p, 1300);
      return expectEcho(t, [text(p)]);
    },
  },
];
