/**
 * What a 'message' listener receives for a binary message, by `binaryType` (as in `ws`):
 * 'nodebuffer' a Buffer, 'arraybuffer' an ArrayBuffer, 'blob' a Blob, 'fragments' the payloads of
 * the frames it came in (RFC 6455 §5.4), not joined. Text messages are always a Buffer.
 */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

export const BINARY_TYPES: readonly BinaryType[] = ['nodebuffer', 'arraybuffer', 'fragments', 'blob'];

/** The data of a binary message, received joined (a Buffer) or as its frames (a list). */
export function binaryMessageData(data: Buffer | Buffer[], binaryType: BinaryType): Buffer | ArrayBuffer | Buffer[] | Blob {
  switch (binaryType) {
    case 'fragments':
      return Array.isArray(data) ? data : [data];
    case 'blob':
      return new Blob((Array.isArray(data) ? data : [data]) as Uint8Array<ArrayBuffer>[]);
    case 'arraybuffer':
      return toArrayBuffer(Array.isArray(data) ? Buffer.concat(data) : data);
    default:
      return Array.isArray(data) ? Buffer.concat(data) : data;
  }
}

/** The size of a message's data, whatever its `binaryType`. */
export function rawDataLength(data: Buffer | ArrayBuffer | Buffer[] | Blob): number {
  if (Array.isArray(data)) return data.reduce((total, fragment) => total + fragment.length, 0);
  return data instanceof Blob ? data.size : data.byteLength;
}

/** The bytes as an ArrayBuffer of their own (the Buffer's memory when it spans all of it). */
function toArrayBuffer(data: Buffer): ArrayBuffer {
  const buffer = data.buffer;
  if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(data).buffer;
}
