// wsmith's side of the micro-benchmarks: its sans-I/O protocol core (src/protocol/connection.ts),
// loaded from dist/ because it is not part of the public API. Connection.receive does what ws's
// Receiver does (parse, unmask, assemble, validate UTF-8); sendText/sendBinary + takeOutput is
// the encoder. Returns null while dist/protocol is not built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProtocolAdapter } from './adapter.js';

interface Handler {
  onMessage(data: Buffer, isBinary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  onCloseFrame(code: number, reason: Buffer): void;
  onProtocolError(error: Error): void;
}
interface ConnectionLike {
  receive(chunk: Buffer): void;
  sendText(data: Uint8Array): void;
  sendBinary(data: Uint8Array): void;
  takeOutput(): Buffer[];
}
type ConnectionClass = new (handler: Handler, options: { role: 'server'; maxPayload: number }) => ConnectionLike;

// build/bench/micro/ -> repository root -> dist/protocol/connection.js
const CONNECTION_URL = new URL('../../../dist/protocol/connection.js', import.meta.url);

export async function wsmithAdapter(): Promise<ProtocolAdapter | null> {
  if (!existsSync(fileURLToPath(CONNECTION_URL))) return null;
  const { Connection } = (await import(CONNECTION_URL.href)) as { Connection?: ConnectionClass };
  if (!Connection) return null;
  const ignore = (): void => {};
  return {
    createParser(onMessage, onError) {
      const connection = new Connection(
        { onMessage, onPing: ignore, onPong: ignore, onCloseFrame: ignore, onProtocolError: onError },
        { role: 'server', maxPayload: 64 * 1024 * 1024 },
      );
      return { push: (chunk) => connection.receive(chunk) };
    },
    createEncoder() {
      // A connection nobody reads from: each call encodes one frame and takes it out again.
      const connection = new Connection(
        { onMessage: ignore, onPing: ignore, onPong: ignore, onCloseFrame: ignore, onProtocolError: ignore },
        { role: 'server', maxPayload: 64 * 1024 * 1024 },
      );
      return (payload, isBinary) => {
        if (isBinary) connection.sendBinary(payload);
        else connection.sendText(payload);
        return connection.takeOutput();
      };
    },
  };
}
