// wsmith's side of the micro-benchmarks: its sans-I/O protocol core, `Protocol` from the public
// `wsmith/protocol` entry, in the Open state. Protocol.receiveData does what ws's Receiver does
// (parse, unmask, assemble, validate UTF-8); sendText/sendBinary + dataToSend is the encoder.
// Returns null while dist/ is not built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProtocolAdapter } from './adapter.js';

interface Handler {
  onMessage(data: Buffer, isBinary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  onCloseFrame(code: number, reason: Buffer): void;
  onProtocolError(error: Error): void;
  onReady(): void;
}
interface ProtocolLike {
  receiveData(chunk: Buffer): void;
  sendText(data: Uint8Array): void;
  sendBinary(data: Uint8Array): void;
  dataToSend(): Buffer[];
}
type ProtocolClass = new (handler: Handler, options: { role: 'server'; maxPayload: number }) => ProtocolLike;

// build/bench/micro/ -> repository root -> dist/protocol/index.js (the wsmith/protocol entry)
const PROTOCOL_URL = new URL('../../../dist/protocol/index.js', import.meta.url);

export async function wsmithAdapter(): Promise<ProtocolAdapter | null> {
  if (!existsSync(fileURLToPath(PROTOCOL_URL))) return null;
  const { Protocol } = (await import(PROTOCOL_URL.href)) as { Protocol?: ProtocolClass };
  if (!Protocol) return null;
  const ignore = (): void => {};
  const handler = (onMessage: Handler['onMessage'], onError: Handler['onProtocolError']): Handler => ({
    onMessage,
    onPing: ignore,
    onPong: ignore,
    onCloseFrame: ignore,
    onProtocolError: onError,
    onReady: ignore,
  });
  return {
    createParser(onMessage, onError) {
      const protocol = new Protocol(handler(onMessage, onError), { role: 'server', maxPayload: 64 * 1024 * 1024 });
      return { push: (chunk) => protocol.receiveData(chunk) };
    },
    createEncoder() {
      // A connection nobody reads from: each call encodes one frame and takes it out again.
      const protocol = new Protocol(handler(ignore, ignore), { role: 'server', maxPayload: 64 * 1024 * 1024 });
      return (payload, isBinary) => {
        if (isBinary) protocol.sendBinary(payload);
        else protocol.sendText(payload);
        return protocol.dataToSend();
      };
    },
  };
}
