// wsmith's side of the micro-benchmarks: its sans-I/O protocol core, `Protocol` from the public
// entry `wsmith/protocol` (src/protocol/protocol.ts). receiveData does what ws's Receiver does
// (parse, unmask, assemble, validate UTF-8); sendText/sendBinary + dataToSend is the encoder.
// Returns null while the package is not built.
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

// build/bench/micro/ -> repository root -> dist/ (what `wsmith/protocol` loads once built)
const BUILT = new URL('../../../dist/protocol/index.js', import.meta.url);

export async function wsmithAdapter(): Promise<ProtocolAdapter | null> {
  if (!existsSync(fileURLToPath(BUILT))) return null;
  // A variable specifier keeps the bench compiling before dist/ exists.
  const specifier = 'wsmith/protocol';
  const { Protocol } = (await import(specifier)) as { Protocol?: ProtocolClass };
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
