// Client frames written by hand for tests that play a raw peer.

/**
 * The start of a client frame with an all-zero masking key (MASK set as §5.3 requires; the payload
 * goes as it is): a header announcing `length` bytes, then `payload`, all of them or the first part.
 */
export function zeroMaskFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0), length?: number, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const announced = length ?? data.length;
  const header = Buffer.alloc(announced < 126 ? 6 : announced <= 0xffff ? 8 : 14);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (announced < 126) header[1] = 0x80 | announced;
  else if (announced <= 0xffff) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(announced, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(announced), 2);
  }
  return Buffer.concat([header, data]);
}
