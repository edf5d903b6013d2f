/**
 * Sending a Blob (`ws` 8.18+ sends Blobs and Files): its bytes are read asynchronously, so its
 * frame holds its place in the queue meanwhile (Protocol.sendLater), and what is sent after it —
 * messages, pings, a Close — leaves after it, in order. Its size counts in `bufferedAmount` while
 * it is read.
 */
import type { Opcode } from '../protocol/frame.js';
import type { SendCallback, SocketTransport } from './socket-transport.js';

export function sendBlob(
  transport: SocketTransport,
  blob: Blob,
  opcode: Opcode.Text | Opcode.Binary | Opcode.Ping | Opcode.Pong,
  fin: boolean,
  callback: SendCallback | undefined,
  onReadError: (error: Error) => void,
): void {
  // A Ping or Pong Blob over 125 bytes throws here, before anything is queued (§5.5).
  const complete = transport.protocol.sendLater(opcode, blob.size, fin);
  let readError: Error | undefined;
  if (callback !== undefined) transport.addCallback((error) => callback(error ?? readError));
  blob.arrayBuffer().then(
    (bytes) => {
      complete(new Uint8Array(bytes));
      transport.scheduleFlush();
    },
    (error: unknown) => {
      readError = error instanceof Error ? error : new Error(String(error));
      complete(null);
      transport.scheduleFlush();
      onReadError(readError);
    },
  );
}
