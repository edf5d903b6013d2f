// Section 5: fragmentation (RFC 6455 §5.4). Control frames must not be fragmented; a
// continuation needs a message to continue; a new message cannot start inside another one.
import { Opcode, expectEcho, expectFailure, pong, text, type CaseContext, type CaseDef } from '../case.js';
import type { FrameSpec } from '../frame.js';

type Delivery = 'one' | 'frames' | 'octets';
const HOW: Record<Delivery, string> = {
  one: '',
  frames: ' Octets are sent in frame-wise chops.',
  octets: ' Octets are sent in octet-wise chops.',
};

async function deliver(t: CaseContext, specs: FrameSpec[], how: Delivery): Promise<void> {
  if (how === 'one') for (const s of specs) t.send(s);
  else if (how === 'frames') await t.sendEach(specs);
  else await t.sendChopped(specs, 1);
}

const FRAG1 = 'fragment1';
const FRAG2 = 'fragment2';
const FAIL = 'The connection is failed immediately, since there is no message to continue.';

function twoFragments(id: string, how: Delivery): CaseDef {
  return {
    id,
    description: `Send text Message fragmented into 2 fragments.${HOW[how]}`,
    expectation: 'Message is processed and echo\'ed back to us.',
    run: async (t) => {
      await deliver(t, [
        { opcode: Opcode.Text, payload: FRAG1, fin: false },
        { opcode: Opcode.Continuation, payload: FRAG2 },
      ], how);
      return expectEcho(t, [text(FRAG1 + FRAG2)]);
    },
  };
}

function pingBetween(id: string, how: Delivery): CaseDef {
  return {
    id,
    description: `Send text Message fragmented into 2 fragments, one ping with payload in-between.${HOW[how]}`,
    expectation: 'A pong is received, then the message is echo\'ed back to us.',
    run: async (t) => {
      await deliver(t, [
        { opcode: Opcode.Text, payload: FRAG1, fin: false },
        { opcode: Opcode.Ping, payload: 'ping payload' },
        { opcode: Opcode.Continuation, payload: FRAG2 },
      ], how);
      return expectEcho(t, [pong('ping payload'), text(FRAG1 + FRAG2)]);
    },
  };
}

function orphanContinuation(id: string, fin: boolean, how: Delivery): CaseDef {
  return {
    id,
    description: `Send unfragmented Text Message after Continuation Frame with FIN = ${fin}, where there is nothing to continue, sent in ${how === 'one' ? 'one chop' : how === 'frames' ? 'per-frame chops' : 'octet-wise chops'}.`,
    expectation: FAIL,
    run: async (t) => {
      await deliver(t, [
        { opcode: Opcode.Continuation, payload: 'non-continuation payload', fin },
        { opcode: Opcode.Text, payload: 'Hello, world!' },
      ], how);
      return expectFailure(t, { code: 1002 });
    },
  };
}

function repeatedTwice(id: string, firstFin: boolean): CaseDef {
  return {
    id,
    description: `Repeated 2x: Continuation Frame with FIN = ${firstFin} (where there is nothing to continue), then text Message fragment, then Continuation Frame with FIN = true.`,
    expectation: FAIL,
    run: async (t) => {
      const round: FrameSpec[] = [
        { opcode: Opcode.Continuation, payload: FRAG1, fin: firstFin },
        { opcode: Opcode.Text, payload: FRAG2, fin: false },
        { opcode: Opcode.Continuation, payload: 'fragment3' },
      ];
      for (const s of [...round, ...round]) t.send(s);
      return expectFailure(t, { code: 1002 });
    },
  };
}

function fiveFragmentsWithPings(id: string, sync: boolean): CaseDef {
  return {
    id,
    description: sync
      ? 'Same as Case 5.19, but send all frames with SYNC = True. Note, this does not change the octets sent in any way, only how the stream is chopped up on the wire.'
      : 'A fragmented text message is sent in multiple frames. After sending the first 2 frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment. Everything is legal.',
    expectation: 'The peer immediately answers the first Ping before it has received the last text message fragment. The peer pong\'s back the Ping\'s payload exactly, and echo\'s the payload of the fragmented message back to us.',
    run: async (t) => {
      const part1: FrameSpec[] = [
        { opcode: Opcode.Text, payload: 'fragment1', fin: false },
        { opcode: Opcode.Continuation, payload: 'fragment2', fin: false },
        { opcode: Opcode.Ping, payload: 'pongme 1!' },
      ];
      const part2: FrameSpec[] = [
        { opcode: Opcode.Continuation, payload: 'fragment3', fin: false },
        { opcode: Opcode.Continuation, payload: 'fragment4', fin: false },
        { opcode: Opcode.Ping, payload: 'pongme 2!' },
        { opcode: Opcode.Continuation, payload: 'fragment5' },
      ];
      if (sync) await t.sendEach(part1);
      else for (const s of part1) t.send(s);
      // The first pong must come before the message is complete.
      const first = await t.wire.waitFor(() => t.wire.events.length > 0 || !t.wire.open, t.timing.waitMs);
      if (!first) t.wire.note(`no pong within ${t.timing.waitMs} ms of the first ping`);
      if (sync) await t.sendEach(part2);
      else for (const s of part2) t.send(s);
      return expectEcho(t, [pong('pongme 1!'), pong('pongme 2!'), text('fragment1fragment2fragment3fragment4fragment5')]);
    },
  };
}

export const fragmentationCases: CaseDef[] = [
  {
    id: '5.1',
    description: 'Send Ping fragmented into 2 fragments.',
    expectation: 'Connection is failed immediately, since control message MUST NOT be fragmented.',
    run: async (t) => {
      t.send({ opcode: Opcode.Ping, payload: FRAG1, fin: false });
      t.send({ opcode: Opcode.Continuation, payload: FRAG2 });
      return expectFailure(t, { code: 1002 });
    },
  },
  {
    id: '5.2',
    description: 'Send Pong fragmented into 2 fragments.',
    expectation: 'Connection is failed immediately, since control message MUST NOT be fragmented.',
    run: async (t) => {
      t.send({ opcode: Opcode.Pong, payload: FRAG1, fin: false });
      t.send({ opcode: Opcode.Continuation, payload: FRAG2 });
      return expectFailure(t, { code: 1002 });
    },
  },
  twoFragments('5.3', 'one'),
  twoFragments('5.4', 'frames'),
  twoFragments('5.5', 'octets'),
  pingBetween('5.6', 'one'),
  pingBetween('5.7', 'frames'),
  pingBetween('5.8', 'octets'),
  orphanContinuation('5.9', true, 'one'),
  orphanContinuation('5.10', true, 'frames'),
  orphanContinuation('5.11', true, 'octets'),
  orphanContinuation('5.12', false, 'one'),
  orphanContinuation('5.13', false, 'frames'),
  orphanContinuation('5.14', false, 'octets'),
  {
    id: '5.15',
    description: 'Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.',
    expectation: 'The connection is failed immediately, since there is no message to continue.',
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: FRAG1, fin: false });
      t.send({ opcode: Opcode.Continuation, payload: FRAG2 });
      t.send({ opcode: Opcode.Continuation, payload: 'fragment3', fin: false });
      t.send({ opcode: Opcode.Text, payload: 'fragment4' });
      return expectFailure(t, { code: 1002, before: [text(FRAG1 + FRAG2)] });
    },
  },
  repeatedTwice('5.16', false),
  repeatedTwice('5.17', true),
  {
    id: '5.18',
    description: 'Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.',
    expectation: 'The connection is failed immediately, since all data frames after the initial data frame must have opcode 0.',
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: FRAG1, fin: false });
      t.send({ opcode: Opcode.Text, payload: FRAG2 });
      return expectFailure(t, { code: 1002 });
    },
  },
  fiveFragmentsWithPings('5.19', false),
  fiveFragmentsWithPings('5.20', true),
];
