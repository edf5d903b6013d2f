/**
 * The stream side of a socket transport: one set of listener functions for every connection
 * (no closures per connection; `this` is the stream, which carries its transport), and the
 * stand-in for a stream that has not come yet.
 */
import { Duplex } from 'node:stream';

/** What a stream reports to: a SocketTransport (socket-transport.ts). */
export interface StreamHandler {
  handleData(chunk: Buffer): void;
  handleEnd(): void;
  handleStreamError(error: Error): void;
  handleDrain(): void;
  handleClose(): void;
}

/** Stands for the stream until there is one: it takes no writes and ends at once. */
export const NO_STREAM: Duplex = new (class NoStream extends Duplex {
  override _read(): void {}
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback(new Error('No stream yet'));
  }
})();
NO_STREAM.destroy();

const kHandler = Symbol('wsmith.transport');
type OwnedStream = Duplex & { [kHandler]: StreamHandler };

function onData(this: Duplex, chunk: Buffer): void {
  (this as OwnedStream)[kHandler].handleData(chunk);
}
function onEnd(this: Duplex): void {
  (this as OwnedStream)[kHandler].handleEnd();
}
function onError(this: Duplex, error: Error): void {
  (this as OwnedStream)[kHandler].handleStreamError(error);
}
function onDrain(this: Duplex): void {
  (this as OwnedStream)[kHandler].handleDrain();
}
function onClose(this: Duplex): void {
  (this as OwnedStream)[kHandler].handleClose();
}

/** Send `stream`'s events to `handler` from now on. */
export function listenToStream(stream: Duplex, handler: StreamHandler): void {
  (stream as OwnedStream)[kHandler] = handler;
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('drain', onDrain);
  stream.on('close', onClose);
}
