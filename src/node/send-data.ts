/**
 * The data `send()`, `ping()` and `pong()` take, as `ws` takes it: strings (UTF-8), numbers (sent
 * as their decimal string), Buffers, ArrayBuffers, SharedArrayBuffers, typed arrays and
 * DataViews, arrays of byte values or anything else `Buffer.from()` accepts (a TypeError
 * otherwise), Blobs (read before they are sent), and nothing (an empty payload).
 */
import { Opcode } from '../protocol/frame.js';
import { sendBlob } from './blob-send.js';
import type { SendCallback, SocketTransport } from './socket-transport.js';

const EMPTY = Buffer.alloc(0);

/** Data `send()` accepts. */
export type SendData =
  | string
  | number
  | ArrayBufferLike
  | ArrayBufferView
  | Blob
  | readonly number[]
  /** A message's fragments (binaryType 'fragments'): sent joined. */
  | readonly Uint8Array[]
  | { valueOf(): ArrayBufferLike | Uint8Array | readonly number[] | string }
  | { [Symbol.toPrimitive](hint: string): string }
  | null
  | undefined;

/** A Blob, or a File (also from another realm: told apart as `ws` does, by its shape). */
export function isBlob(value: unknown): value is Blob {
  // Bytes and strings first: they are what is sent most, and never Blobs.
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return false;
  if (value instanceof Blob) return true;
  const candidate = value as Partial<Blob>;
  const tag = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  return (
    typeof candidate.arrayBuffer === 'function' &&
    typeof candidate.type === 'string' &&
    typeof candidate.stream === 'function' &&
    (tag === 'Blob' || tag === 'File')
  );
}

/** The payload to send: a string stays a string (encoded as it is framed), anything else bytes. */
export function toPayload(data: Exclude<SendData, Blob | number>): string | Buffer {
  if (typeof data === 'string') return data;
  if (!data) return EMPTY;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Fragments of a received message, echoed: their bytes (`ws` would take each as one number).
  if (Array.isArray(data) && data.length > 0 && data[0] instanceof Uint8Array) return Buffer.concat(data as Uint8Array[]);
  // Arrays, SharedArrayBuffers, objects with valueOf or Symbol.toPrimitive; a TypeError otherwise.
  return Buffer.from(data as Parameters<typeof Buffer.from>[0] & string);
}

/**
 * Queue a message, Ping or Pong on an open connection and have it written: a Blob once read
 * (`onBlobError(owner, error)` if it cannot be), the rest at once. Throws what `ws` throws: a TypeError for
 * data `Buffer.from()` refuses, a RangeError for a Ping or Pong over 125 bytes (§5.5).
 */
export function queueData<Owner>(
  transport: SocketTransport,
  opcode: Opcode.Text | Opcode.Binary | Opcode.Ping | Opcode.Pong,
  data: Exclude<SendData, number>,
  fin: boolean,
  compress: boolean,
  callback: SendCallback | undefined,
  owner: Owner,
  onBlobError: (owner: Owner, error: Error) => void,
): void {
  if (isBlob(data)) {
    sendBlob(transport, data, opcode, fin, callback, (error) => onBlobError(owner, error));
    return;
  }
  const payload = toPayload(data);
  const protocol = transport.protocol;
  if (opcode === Opcode.Text) protocol.sendText(payload, fin, compress);
  else if (opcode === Opcode.Binary) protocol.sendBinary(typeof payload === 'string' ? Buffer.from(payload) : payload, fin, compress);
  else if (opcode === Opcode.Ping) protocol.sendPing(payload);
  else protocol.sendPong(payload);
  if (callback !== undefined) transport.addCallback(callback);
  transport.scheduleFlush();
}

/** How many bytes `data` is (what a send after close adds to `bufferedAmount`, as in `ws`). */
export function byteLengthOf(data: Exclude<SendData, number>): number {
  if (isBlob(data)) return data.size;
  const payload = toPayload(data);
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}
