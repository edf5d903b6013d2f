// Section 1: framing. Text and binary messages around the 7/16/64-bit length boundaries
// (RFC 6455 §5.2), echoed back unchanged.
import { Opcode, binary, expectEcho, text, type CaseDef } from '../case.js';

const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

function messageCases(sub: number, isBinary: boolean): CaseDef[] {
  const kind = isBinary ? 'binary' : 'text';
  const make = (n: number): Buffer => Buffer.alloc(n, isBinary ? 0xfe : 0x2a);
  const event = (p: Buffer) => (isBinary ? binary(p) : text(p));
  const opcode = isBinary ? Opcode.Binary : Opcode.Text;
  const cases: CaseDef[] = SIZES.map((n, i) => ({
    id: `1.${sub}.${i + 1}`,
    description: `Send ${kind} message with payload of length ${n}.`,
    expectation: `Receive echo'ed ${kind} message (with the payload as sent). Clean close with normal code.`,
    run: async (t) => {
      const p = make(n);
      t.send({ opcode, payload: p });
      return expectEcho(t, [event(p)]);
    },
  }));
  cases.push({
    id: `1.${sub}.8`,
    description: `Send ${kind} message with payload of length 65536. Send out data in chops of 997 octets.`,
    expectation: `Receive echo'ed ${kind} message (with the payload as sent). Clean close with normal code.`,
    run: async (t) => {
      const p = make(65536);
      await t.sendChopped([{ opcode, payload: p }], 997, 0);
      return expectEcho(t, [event(p)]);
    },
  });
  return cases;
}

export const framingCases: CaseDef[] = [...messageCases(1, false), ...messageCases(2, true)];
