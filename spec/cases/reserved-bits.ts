// Section 3: reserved bits. Without a negotiated extension any RSV bit fails the connection
// (RFC 6455 §5.2).
import { Opcode, expectFailure, text, type CaseDef } from '../case.js';

const HELLO = 'Hello, world!';
const FAIL = 'The connection is failed immediately (1002/Protocol Error), since RSV must be 0 when no extension defining RSV meaning has been negotiated.';

type Delivery = 'one' | 'frames' | 'octets';

function textThenBadThenPing(id: string, rsv: number, delivery: Delivery): CaseDef {
  const how = delivery === 'one' ? '' : delivery === 'frames' ? ' Octets are sent in frame-wise chops.' : ' Octets are sent in octet-wise chops.';
  return {
    id,
    description: `Send small text message, then send again with RSV = ${rsv}, then send Ping.${how}`,
    expectation: `Echo for first message is received, but then connection is failed immediately, since RSV must be 0 when no extension defining RSV meaning has been negotiated. The Pong is not received.`,
    run: async (t) => {
      const specs = [
        { opcode: Opcode.Text, payload: HELLO },
        { opcode: Opcode.Text, payload: HELLO, rsv },
        { opcode: Opcode.Ping, payload: '' },
      ];
      if (delivery === 'one') for (const s of specs) t.send(s);
      else if (delivery === 'frames') await t.sendEach(specs);
      else await t.sendChopped(specs, 1);
      return expectFailure(t, { code: 1002, before: [text(HELLO)] });
    },
  };
}

export const reservedBitsCases: CaseDef[] = [
  {
    id: '3.1',
    description: 'Send small text message with RSV = 1.',
    expectation: FAIL,
    run: async (t) => {
      t.send({ opcode: Opcode.Text, payload: HELLO, rsv: 1 });
      return expectFailure(t, { code: 1002 });
    },
  },
  textThenBadThenPing('3.2', 2, 'one'),
  textThenBadThenPing('3.3', 3, 'frames'),
  textThenBadThenPing('3.4', 4, 'octets'),
  {
    id: '3.5',
    description: 'Send small binary message with RSV = 5.',
    expectation: FAIL,
    run: async (t) => {
      t.send({ opcode: Opcode.Binary, payload: Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]), rsv: 5 });
      return expectFailure(t, { code: 1002 });
    },
  },
  {
    id: '3.6',
    description: 'Send Ping with RSV = 6.',
    expectation: FAIL + ' The Pong is not received.',
    run: async (t) => {
      t.send({ opcode: Opcode.Ping, payload: Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]), rsv: 6 });
      return expectFailure(t, { code: 1002 });
    },
  },
  {
    id: '3.7',
    description: 'Send Close with RSV = 7.',
    expectation: FAIL + ' The close is not echoed as if it were valid.',
    run: async (t) => {
      t.wire.suppressCloseReply = true;
      t.send({ opcode: Opcode.Close, payload: Buffer.alloc(0), rsv: 7 });
      // Our close does not count as a clean one: the peer must fail the connection itself.
      t.wire.closedByMe = null;
      // A peer that answers our close as if it were valid did not fail the connection: FAILED.
      return expectFailure(t, { code: 1002, nonStrictCodes: [] });
    },
  },
];
