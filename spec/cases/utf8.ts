// Section 6: UTF-8 handling. Text messages must be valid UTF-8, checked across fragment
// boundaries, and a receiver should fail as soon as the bytes cannot become valid (RFC 6455 §8.1,
// §5.6: close 1007).
import { Opcode, expectEcho, expectFailure, text, type CaseContext, type CaseDef, type Outcome } from '../case.js';
import { KOSME, UTF8_GROUPS } from '../utf8-sequences.js';

const HELLO_UTF8 = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!', 'utf8');
const INVALID = Buffer.concat([KOSME, Buffer.from('eda080', 'hex'), Buffer.from('edited')]);
const FAIL_1007 = 'The connection is failed immediately (1007), since the payload is not valid UTF-8.';

/** Fail with 1007; 1002 is accepted as NON-STRICT. */
const fail1007 = (t: CaseContext): Promise<Outcome> => expectFailure(t, { code: 1007 });

function sendInFragments(t: CaseContext, payload: Buffer, size: number): void {
  t.sendMessage(Opcode.Text, payload, size);
}

/** 6.4.x: fail fast. The peer must fail after part 2, which makes the message invalid for good. */
function failFast(id: string, parts: Buffer[], chops: boolean, description: string): CaseDef {
  return {
    id,
    description,
    expectation: 'The first part is accepted, we expect to time out on the first wait. The 2nd part should be rejected immediately (fail fast on UTF-8, close 1007). If we time out, we expect the connection to be failed at least then, since the complete message payload is not valid UTF-8 (NON-STRICT).',
    run: async (t) => {
      const w = t.wire;
      const ended = (): boolean => w.closeReceived !== null || w.transportClosed;
      // Each step writes its bytes and logs them when they are written.
      let steps: (() => void)[];
      if (chops) {
        // One frame, written in three TCP chops.
        const payload = Buffer.concat(parts);
        const frame = w.encode({ opcode: Opcode.Text, payload });
        const cut1 = frame.length - payload.length + parts[0].length;
        const cut2 = cut1 + parts[1].length;
        const pieces = [frame.subarray(0, cut1), frame.subarray(cut1, cut2), frame.subarray(cut2)];
        steps = pieces.map((piece, i) => () => {
          if (i === 0) w.logTx({ opcode: Opcode.Text, payload }, frame.length, 'one frame written in 3 chops');
          w.note(`chop ${i + 1}: ${piece.length} bytes`);
          w.write(piece);
        });
      } else {
        steps = parts.map((p, i) => () => {
          w.send({ opcode: i === 0 ? Opcode.Text : Opcode.Continuation, payload: p, fin: i === 2 });
        });
      }
      steps[0]();
      if (await w.waitFor(ended, t.timing.waitMs)) return { verdict: 'FAILED', reason: 'peer closed after the first part, which is valid UTF-8' };
      w.note('timeout A: part 1 accepted');
      steps[1]();
      if (!(await w.waitFor(ended, t.timing.waitMs))) {
        w.note('timeout B: part 2 did not fail the connection');
        steps[2]();
        const late = await expectFailure(t, { code: 1007 });
        if (late.verdict === 'OK' || late.verdict === 'NON-STRICT') {
          return { verdict: 'NON-STRICT', reason: `not fail-fast: ${late.reason} only after the whole message` };
        }
        return late;
      }
      return expectFailure(t, { code: 1007 });
    },
  };
}

const cases: CaseDef[] = [
  {
    id: '6.1.1',
    description: 'Send text message of length 0.',
    expectation: 'A message is echo\'ed back to us (with empty payload).',
    run: async (t) => {
      t.send({ opcode: Opcode.Text });
      return expectEcho(t, [text('')]);
    },
  },
  {
    id: '6.1.2',
    description: 'Send fragmented text message, 3 fragments each of length 0.',
    expectation: 'A message is echo\'ed back to us (with empty payload).',
    run: async (t) => {
      t.send({ opcode: Opcode.Text, fin: false });
      t.send({ opcode: Opcode.Continuation, fin: false });
      t.send({ opcode: Opcode.Continuation });
      return expectEcho(t, [text('')]);
    },
  },
  {
    id: '6.1.3',
    description: 'Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.',
    expectation: 'A message is echo\'ed back to us (with payload = payload of middle fragment).',
    run: async (t) => {
      t.send({ opcode: Opcode.Text, fin: false });
      t.send({ opcode: Opcode.Continuation, payload: 'middle frame payload', fin: false });
      t.send({ opcode: Opcode.Continuation });
      return expectEcho(t, [text('middle frame payload')]);
    },
  },
  {
    id: '6.2.1',
    description: `Send a valid UTF-8 text message in one fragment. MESSAGE: ${HELLO_UTF8.toString()}`,
    expectation: 'The message is echo\'ed back to us.',
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: HELLO_UTF8 });
      return expectEcho(t, [text(HELLO_UTF8)]);
    },
  },
  {
    id: '6.2.2',
    description: 'Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.',
    expectation: 'The message is echo\'ed back to us.',
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: HELLO_UTF8.subarray(0, 11), fin: false });
      t.send({ opcode: Opcode.Continuation, payload: HELLO_UTF8.subarray(11) });
      return expectEcho(t, [text(HELLO_UTF8)]);
    },
  },
  {
    id: '6.2.3',
    description: 'Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
    expectation: 'The message is echo\'ed back to us.',
    run: async (t) => {
      sendInFragments(t, HELLO_UTF8, 1);
      return expectEcho(t, [text(HELLO_UTF8)]);
    },
  },
  {
    id: '6.2.4',
    description: `Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends. MESSAGE: 0x${KOSME.toString('hex')}`,
    expectation: 'The message is echo\'ed back to us.',
    run: async (t) => {
      sendInFragments(t, KOSME, 1);
      return expectEcho(t, [text(KOSME)]);
    },
  },
  {
    id: '6.3.1',
    description: `Send invalid UTF-8 text message unfragmented. MESSAGE: 0x${INVALID.toString('hex')}`,
    expectation: FAIL_1007,
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: INVALID });
      return fail1007(t);
    },
  },
  {
    id: '6.3.2',
    description: 'Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
    expectation: FAIL_1007,
    run: async (t) => {
      sendInFragments(t, INVALID, 1);
      return fail1007(t);
    },
  },
  failFast('6.4.1', [KOSME, Buffer.from('f4908080', 'hex'), Buffer.from('edited')], false,
    'Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, then 3rd frame with rest. PART2 is 0x110000 encoded as in the UTF-8 integer encoding scheme, but the code point is out of range.'),
  failFast('6.4.2', [Buffer.concat([KOSME, Buffer.from('f4', 'hex')]), Buffer.from('90', 'hex'), Buffer.from('8080656469746564', 'hex')], false,
    'Same as Case 6.4.1, but in the 2nd frame, we send only 1 octet, the one that makes the sequence invalid.'),
  failFast('6.4.3', [KOSME, Buffer.from('f4908080', 'hex'), Buffer.from('edited')], true,
    'Same as Case 6.4.1, but we send the message not in 3 frames, but in 3 chops of the same message frame.'),
  failFast('6.4.4', [Buffer.concat([KOSME, Buffer.from('f4', 'hex')]), Buffer.from('90', 'hex'), Buffer.from('8080656469746564', 'hex')], true,
    'Same as Case 6.4.2, but we send the message not in 3 frames, but in 3 chops of the same message frame.'),
];

UTF8_GROUPS.forEach((g, gi) => {
  g.sequences.forEach((s, si) => {
    cases.push({
      id: `6.${gi + 5}.${si + 1}`,
      description: `${g.title}: send a text message with payload which is ${s.valid ? '' : 'not '}valid UTF-8 in one fragment. Payload: 0x${s.bytes.toString('hex')}`,
      expectation: s.valid ? 'The message is echo\'ed back to us.' : 'The connection is failed immediately (1007), since the payload is not valid UTF-8.',
      run: async (t) => {
        t.send({ opcode: Opcode.Text, payload: s.bytes });
        return s.valid ? expectEcho(t, [text(s.bytes)]) : fail1007(t);
      },
    });
  });
});

export const utf8Cases: CaseDef[] = cases;
