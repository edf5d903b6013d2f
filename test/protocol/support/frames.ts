// Reading back what an endpoint wrote, as its peer would: shared by the connection and outbox tests.
import { expect } from 'vitest';
import type { FrameHeader } from '../../../src/protocol/frame.js';
import { FrameParser } from '../../../src/protocol/parser.js';

export interface ParsedFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  /** RFC 7692 §6: the first frame of a compressed message. */
  rsv1: boolean;
  payload: Buffer;
}

/**
 * Parse every frame in `buffers`, which must hold whole frames and nothing else. `reader` is the
 * role of whoever reads them (a client reads what a server wrote).
 */
export function parseFrames(buffers: Buffer[], reader: 'server' | 'client'): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  let current: ParsedFrame | null = null;
  let pieces: Buffer[] = [];
  const parser = new FrameParser(
    {
      onFrameHeader(header: FrameHeader) {
        current = { fin: header.fin, opcode: header.opcode, masked: header.masked, rsv1: header.rsv1, payload: Buffer.alloc(0) };
        pieces = [];
        return true;
      },
      onFramePayload(piece) {
        pieces.push(Buffer.from(piece));
        return true;
      },
      onFrameEnd() {
        current!.payload = Buffer.concat(pieces);
        frames.push(current!);
        return true;
      },
    },
    // RSV1 is read (not refused): the tests of permessage-deflate look at it.
    { role: reader, allowedRsvBits: 0x40 },
  );
  // Copy: the parser unmasks in place and must not touch the writer's memory.
  for (const buffer of buffers) parser.push(Buffer.from(buffer));
  expect(parser.error).toBeNull();
  expect(parser.bufferedBytes).toBe(0);
  return frames;
}
