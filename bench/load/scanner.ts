// The load client's frame scanner: it walks the bytes a server sends back, frame by frame, in any
// chunking, and checks each frame against the message it must be (opcode, FIN, mask bit, length,
// every payload byte). It keeps no copies: payloads are compared in place against the expected
// bytes. The first mismatch stops the scenario; a harness that counts wrong answers as throughput
// would reward a broken server.

/** What one stream of frames must contain: payloads[i % payloads.length] for the i-th frame. */
export interface StreamExpectation {
  opcode: number;
  /** Raw TCP echo returns the client's own frames, so mask bit set and payload still masked. */
  masked: boolean;
  /** Wire payload bytes of each frame in the cycle. */
  payloads: Buffer[];
}

const MAX_HEADER = 14; // RFC 6455 §5.2: 2 + 8 (64-bit length) + 4 (mask key)
const SMALL_COMPARE = 64; // below this a JS loop beats a call into Buffer#compare

export class FrameScanner {
  /** Complete, correct frames seen so far. */
  received = 0;
  /** Set on the first wrong byte; the scanner then ignores all further input. */
  error: string | null = null;

  private readonly opcode: number;
  private readonly masked: boolean;
  private readonly payloads: Buffer[];
  private expected: Buffer;
  private payloadOffset = 0;
  private payloadLeft = 0;
  private readonly headerBuf = Buffer.allocUnsafe(MAX_HEADER);
  private headerHave = 0;

  constructor(expectation: StreamExpectation, firstIndex = 0) {
    this.opcode = expectation.opcode;
    this.masked = expectation.masked;
    this.payloads = expectation.payloads;
    this.received = firstIndex;
    this.expected = this.payloads[firstIndex % this.payloads.length];
  }

  /** Scan one chunk; returns how many frames it completed (0 after an error). */
  push(chunk: Buffer): number {
    if (this.error !== null) return 0;
    const end = chunk.length;
    let pos = 0;
    let completed = 0;
    while (pos < end) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, end - pos);
        if (!this.samePayload(chunk, pos, n)) {
          this.fail(`payload of message #${this.received} differs from what was sent`);
          return 0;
        }
        pos += n;
        this.payloadOffset += n;
        this.payloadLeft -= n;
        if (this.payloadLeft === 0) {
          completed++;
          this.nextMessage();
        }
        continue;
      }
      // Header: parse straight from the chunk when it is all there, else gather it byte-wise.
      let header: Buffer;
      let at: number;
      let headerLength: number;
      if (this.headerHave === 0 && end - pos >= 2 && end - pos >= (headerLength = this.headerLengthOf(chunk[pos + 1]))) {
        header = chunk;
        at = pos;
        pos += headerLength;
      } else {
        while (pos < end && (this.headerHave < 2 || this.headerHave < this.headerLengthOf(this.headerBuf[1]))) {
          this.headerBuf[this.headerHave++] = chunk[pos++];
        }
        if (this.headerHave < 2 || this.headerHave < this.headerLengthOf(this.headerBuf[1])) break;
        header = this.headerBuf;
        at = 0;
        headerLength = this.headerHave;
        this.headerHave = 0;
      }
      if (!this.startFrame(header, at, headerLength)) return 0;
      if (this.payloadLeft === 0) {
        completed++;
        this.nextMessage();
      }
    }
    return completed;
  }

  private headerLengthOf(secondByte: number): number {
    const len7 = secondByte & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (secondByte & 0x80 ? 4 : 0);
  }

  private startFrame(header: Buffer, at: number, headerLength: number): boolean {
    const b0 = header[at];
    const b1 = header[at + 1];
    if (b0 !== (0x80 | this.opcode)) {
      return this.fail(`message #${this.received}: first byte 0x${b0.toString(16)}, expected FIN + opcode ${this.opcode}`);
    }
    if ((b1 & 0x80) !== (this.masked ? 0x80 : 0)) {
      return this.fail(`message #${this.received}: mask bit ${b1 >> 7}, expected ${this.masked ? 1 : 0}`);
    }
    const len7 = b1 & 0x7f;
    let length = len7;
    if (len7 === 126) length = header.readUInt16BE(at + 2);
    else if (len7 === 127) length = Number(header.readBigUInt64BE(at + 2));
    if (length !== this.expected.length) {
      return this.fail(`message #${this.received}: length ${length}, expected ${this.expected.length} (header ${headerLength} B)`);
    }
    this.payloadLeft = length;
    this.payloadOffset = 0;
    return true;
  }

  private samePayload(chunk: Buffer, pos: number, n: number): boolean {
    const expected = this.expected;
    const offset = this.payloadOffset;
    if (n <= SMALL_COMPARE) {
      for (let i = 0; i < n; i++) if (chunk[pos + i] !== expected[offset + i]) return false;
      return true;
    }
    return chunk.compare(expected, offset, offset + n, pos, pos + n) === 0;
  }

  private nextMessage(): void {
    this.received++;
    this.expected = this.payloads[this.received % this.payloads.length];
  }

  private fail(message: string): false {
    this.error = message;
    return false;
  }
}
