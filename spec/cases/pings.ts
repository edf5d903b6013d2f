// Section 2: pings and pongs (RFC 6455 §5.5.2, §5.5.3).
import { Opcode, expectEcho, expectFailure, pong, type CaseDef } from '../case.js';

const BIN = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);

function pingEcho(id: string, description: string, payload: Buffer, chopped = false): CaseDef {
  return {
    id,
    description,
    expectation: 'Pong (with payload echo\'ed as sent). Clean close with normal code.',
    run: async (t) => {
      if (chopped) await t.sendChopped([{ opcode: Opcode.Ping, payload }], 1);
      else t.send({ opcode: Opcode.Ping, payload });
      return expectEcho(t, [pong(payload)]);
    },
  };
}

function tenPings(chopped: boolean): CaseDef['run'] {
  return async (t) => {
    const payloads = Array.from({ length: 10 }, (_, i) => Buffer.from(`payload-${i}`));
    const specs = payloads.map((payload) => ({ opcode: Opcode.Ping, payload }));
    if (chopped) await t.sendChopped(specs, 1);
    else for (const s of specs) t.send(s);
    return expectEcho(t, payloads.map((p) => pong(p)));
  };
}

export const pingCases: CaseDef[] = [
  pingEcho('2.1', 'Send ping without payload.', Buffer.alloc(0)),
  pingEcho('2.2', 'Send ping with small text payload.', Buffer.from('Hello, world!')),
  pingEcho('2.3', 'Send ping with small binary (non UTF-8) payload.', BIN),
  pingEcho('2.4', 'Send ping with binary payload of 125 octets.', Buffer.alloc(125, 0xfe)),
  {
    id: '2.5',
    description: 'Send ping with binary payload of 126 octets.',
    expectation: 'Connection is failed immediately (1002/Protocol Error), since control frames are only allowed to have payload up to and including 125 octets (RFC 6455 §5.5).',
    run: async (t) => {
      t.send({ opcode: Opcode.Ping, payload: Buffer.alloc(126, 0xfe) });
      return expectFailure(t, { code: 1002 });
    },
  },
  pingEcho('2.6', 'Send ping with binary payload of 125 octets, send in octet-wise chops.', Buffer.alloc(125, 0xfe), true),
  {
    id: '2.7',
    description: 'Send unsolicited pong without payload. Verify nothing is received. Clean close with normal code.',
    expectation: 'Nothing (RFC 6455 §5.5.3: an unsolicited pong needs no response).',
    run: async (t) => {
      t.send({ opcode: Opcode.Pong });
      await t.sleep(t.timing.waitMs / 4);
      return expectEcho(t, []);
    },
  },
  {
    id: '2.8',
    description: 'Send unsolicited pong with payload. Verify nothing is received. Clean close with normal code.',
    expectation: 'Nothing.',
    run: async (t) => {
      t.send({ opcode: Opcode.Pong, payload: 'unsolicited pong payload' });
      await t.sleep(t.timing.waitMs / 4);
      return expectEcho(t, []);
    },
  },
  {
    id: '2.9',
    description: 'Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.',
    expectation: 'Nothing in reply to own Pong, but Pong with payload echo\'ed in reply to Ping. Clean close with normal code.',
    run: async (t) => {
      t.send({ opcode: Opcode.Pong, payload: 'unsolicited pong payload' });
      t.send({ opcode: Opcode.Ping, payload: 'ping payload' });
      return expectEcho(t, [pong('ping payload')]);
    },
  },
  {
    id: '2.10',
    description: 'Send 10 Pings with payload.',
    expectation: 'Pongs for our Pings with all the payloads. Note: This is not required by the spec, but we check for this behaviour anyway. Clean close with normal code.',
    run: tenPings(false),
  },
  {
    id: '2.11',
    description: 'Send 10 Pings with payload. Send out octets in octet-wise chops.',
    expectation: 'Pongs for our Pings with all the payloads. Note: This is not required by the spec, but we check for this behaviour anyway. Clean close with normal code.',
    run: tenPings(true),
  },
];
