// Section 4: reserved opcodes 3-7 (non-control) and 11-15 (control) fail the connection
// (RFC 6455 §5.2).
import { Opcode, expectFailure, text, type CaseDef } from '../case.js';

const HELLO = 'Hello, world!';

function opcodeCase(id: string, opcode: number, withPayload: boolean, textFirst: boolean): CaseDef {
  const kind = opcode < 8 ? 'non-control' : 'control';
  const frame = `frame with reserved ${kind} Opcode = ${opcode}${withPayload ? ' and non-empty payload' : ''}`;
  return {
    id,
    description: textFirst ? `Send small text message, then send ${frame}, then send Ping.` : `Send ${frame}.`,
    expectation: textFirst
      ? 'Echo for first message is received, but then connection is failed immediately, since reserved opcode frame is used. A Pong is not received.'
      : 'The connection is failed immediately.',
    run: async (t) => {
      if (textFirst) t.send({ opcode: Opcode.Text, payload: HELLO });
      t.send({ opcode, payload: withPayload ? 'reserved opcode payload' : '' });
      if (textFirst) t.send({ opcode: Opcode.Ping });
      return expectFailure(t, { code: 1002, before: textFirst ? [text(HELLO)] : [] });
    },
  };
}

export const opcodeCases: CaseDef[] = [
  opcodeCase('4.1.1', 3, false, false),
  opcodeCase('4.1.2', 4, true, false),
  opcodeCase('4.1.3', 5, false, true),
  opcodeCase('4.1.4', 6, true, true),
  opcodeCase('4.1.5', 7, true, true),
  opcodeCase('4.2.1', 11, false, false),
  opcodeCase('4.2.2', 12, true, false),
  opcodeCase('4.2.3', 13, false, true),
  opcodeCase('4.2.4', 14, true, true),
  opcodeCase('4.2.5', 15, true, true),
];
