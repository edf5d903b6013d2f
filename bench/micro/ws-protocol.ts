// ws's own protocol pieces, as the package exports them (ws.Receiver = lib/receiver.js, a Writable
// that parses, unmasks, assembles and validates; ws.Sender = lib/sender.js, whose Sender.frame
// builds header + payload).
// Whether they use bufferutil depends on WS_NO_BUFFER_UTIL in this process's environment.
import { createRequire } from 'node:module';
import type { ProtocolAdapter } from './adapter.js';

interface WsReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  write(chunk: Buffer): boolean;
}
interface WsFrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
interface WsSenderClass {
  frame(data: Buffer, options: WsFrameOptions): Buffer[];
}
type WsReceiverClass = new (options: { isServer: boolean; maxPayload: number; binaryType: string }) => WsReceiver;

const require = createRequire(import.meta.url);

export function wsAdapter(): ProtocolAdapter {
  const { Receiver, Sender } = require('ws') as { Receiver: WsReceiverClass; Sender: WsSenderClass };
  return {
    createParser(onMessage, onError) {
      const receiver = new Receiver({ isServer: true, maxPayload: 64 * 1024 * 1024, binaryType: 'nodebuffer' });
      receiver.on('message', onMessage);
      receiver.on('error', onError);
      return { push: (chunk) => void receiver.write(chunk) };
    },
    createEncoder() {
      const text: WsFrameOptions = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };
      const binary: WsFrameOptions = { fin: true, opcode: 2, mask: false, readOnly: true, rsv1: false };
      return (payload, isBinary) => Sender.frame(payload, isBinary ? binary : text);
    },
  };
}
