// The load client's scanner for compressed answers (RFC 7692). Like FrameScanner it walks a
// server's frames in any chunking; it requires FIN + RSV1 + the opcode on an unmasked frame
// (§6: RSV1 marks a compressed message; the bench's messages are all above both servers'
// thresholds, so an uncompressed answer is a failure), gathers the payload, and has it checked:
//
// - With server context takeover (ws's default), each message may refer to earlier ones, so
//   every message is inflated against the connection's own window of what it received before.
// - Without it (§7.1.1.1, wsmith's default), a message's bytes alone decide its text. Each
//   message is inflated and compared, except that bytes identical to a compressed form already
//   inflated and found right for the same slot are accepted by one compare. A broadcast reaches
//   every subscriber as the same bytes, and at a million deliveries a second the client could
//   not inflate each one. Deflate decoding is deterministic: equal bytes, equal text.
import * as zlib from 'node:zlib';
import { DEFLATE_TAIL } from './deflate.js';

const MAX_HEADER = 14; // RFC 6455 §5.2: 2 + 8 (64-bit length) + 4 (mask key)
const RSV1 = 0x40;
/** Far above any message of the bench: a longer frame is wrong, not a reason to buffer it. */
const MAX_MESSAGE = 1024 * 1024;
/** §7.1.2: a server compresses with at most 2^15 bytes of window. */
const WINDOW = 32 * 1024;
/** Distinct right compressed forms remembered per slot; a server that varies more is inflated every time. */
const KNOWN_FORMS_PER_SLOT = 4;
const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;

/** The client's zlib work, for its cost in the results. */
export class InflateStats {
  inflated = 0;
  inflateNs = 0;
  /** Messages accepted as identical to a compressed form already inflated and checked. */
  matchedKnown = 0;

  detail(): Record<string, number> {
    return {
      clientInflates: this.inflated,
      clientInflateMicros: this.inflated > 0 ? Number((this.inflateNs / this.inflated / 1e3).toFixed(2)) : 0,
      clientKnownMatches: this.matchedKnown,
    };
  }
}

/** Checks message number `index` (expected text: payloads[index % n]) given its compressed bytes. */
export interface MessageCheck {
  check(index: number, compressed: Buffer): string | null;
}

/** §7.2.2: append 00 00 ff ff and inflate; the inflated text or why it failed. */
function inflate(compressed: Buffer, stats: InflateStats, dictionary: Buffer | null): Buffer | string {
  const input = Buffer.allocUnsafe(compressed.length + DEFLATE_TAIL.length);
  compressed.copy(input, 0);
  DEFLATE_TAIL.copy(input, compressed.length);
  const options: zlib.ZlibOptions = { windowBits: 15, finishFlush: SYNC_FLUSH, maxOutputLength: MAX_MESSAGE };
  if (dictionary !== null && dictionary.length > 0) options.dictionary = dictionary;
  const started = process.hrtime.bigint();
  try {
    return zlib.inflateRawSync(input, options);
  } catch (error) {
    return `inflate failed: ${(error as Error).message}`;
  } finally {
    stats.inflated++;
    stats.inflateNs += Number(process.hrtime.bigint() - started);
  }
}

function compare(index: number, text: Buffer | string, expected: Buffer): string | null {
  if (typeof text === 'string') return `message #${index}: ${text}`;
  if (!text.equals(expected)) return `message #${index}: inflated text differs from what was sent (${text.length} B, expected ${expected.length})`;
  return null;
}

/** No server context takeover: one instance for all connections of a scenario. */
export class IndependentMessages implements MessageCheck {
  private readonly known: Buffer[][];

  constructor(
    private readonly payloads: Buffer[],
    private readonly stats: InflateStats,
  ) {
    this.known = payloads.map(() => []);
  }

  check(index: number, compressed: Buffer): string | null {
    const slot = index % this.payloads.length;
    const forms = this.known[slot];
    for (const form of forms) {
      if (form.equals(compressed)) {
        this.stats.matchedKnown++;
        return null;
      }
    }
    const error = compare(index, inflate(compressed, this.stats, null), this.payloads[slot]);
    if (error === null && forms.length < KNOWN_FORMS_PER_SLOT) forms.push(Buffer.from(compressed));
    return error;
  }
}

/** Server context takeover: one per connection, holding the last 32 KiB it received. */
export class ContextTakeoverMessages implements MessageCheck {
  private history = Buffer.alloc(0);
  private length = 0;

  constructor(
    private readonly payloads: Buffer[],
    private readonly stats: InflateStats,
  ) {}

  check(index: number, compressed: Buffer): string | null {
    const window = this.history.subarray(Math.max(0, this.length - WINDOW), this.length);
    const text = inflate(compressed, this.stats, window);
    const error = compare(index, text, this.payloads[index % this.payloads.length]);
    if (error === null) this.remember(text as Buffer);
    return error;
  }

  /** Append to the window; keeps at most 2 windows, sliding the last one to the front. */
  private remember(text: Buffer): void {
    if (text.length >= WINDOW) {
      this.history = Buffer.from(text.subarray(text.length - WINDOW));
      this.length = WINDOW;
      return;
    }
    if (this.length + text.length > this.history.length) {
      const keep = Math.min(this.length, WINDOW);
      const capacity = Math.min(2 * WINDOW, Math.max(4096, 2 * (keep + text.length)));
      const grown = capacity > this.history.length ? Buffer.allocUnsafe(capacity) : this.history;
      this.history.copy(grown, 0, this.length - keep, this.length);
      this.history = grown;
      this.length = keep;
    }
    text.copy(this.history, this.length);
    this.length += text.length;
  }
}

/** Walks one connection's compressed answers; `received` counts complete, right messages. */
export class DeflateFrameScanner {
  received: number;
  error: string | null = null;

  private readonly first: number;
  private readonly headerBuf = Buffer.allocUnsafe(MAX_HEADER);
  private headerHave = 0;
  private payload: Buffer = Buffer.alloc(0);
  private payloadHave = 0;
  private payloadLeft = 0;
  private gathering = false;

  constructor(
    opcode: number,
    private readonly messages: MessageCheck,
    firstIndex = 0,
  ) {
    this.first = 0x80 | RSV1 | opcode;
    this.received = firstIndex;
  }

  /** Scan one chunk; returns how many messages it completed (0 after an error). */
  push(chunk: Buffer): number {
    if (this.error !== null) return 0;
    const end = chunk.length;
    let pos = 0;
    let completed = 0;
    while (pos < end) {
      if (this.gathering) {
        const n = Math.min(this.payloadLeft, end - pos);
        chunk.copy(this.payload, this.payloadHave, pos, pos + n);
        pos += n;
        this.payloadHave += n;
        this.payloadLeft -= n;
        if (this.payloadLeft > 0) break;
        this.gathering = false;
        if (!this.finish(this.payload.subarray(0, this.payloadHave))) return 0;
        completed++;
        continue;
      }
      while (pos < end && (this.headerHave < 2 || this.headerHave < headerLengthOf(this.headerBuf[1]))) {
        this.headerBuf[this.headerHave++] = chunk[pos++];
      }
      if (this.headerHave < 2 || this.headerHave < headerLengthOf(this.headerBuf[1])) break;
      const length = this.startFrame();
      this.headerHave = 0;
      if (length < 0) return 0;
      if (end - pos >= length) {
        // The whole payload is in this chunk: check it in place.
        if (!this.finish(chunk.subarray(pos, pos + length))) return 0;
        pos += length;
        completed++;
      } else {
        if (this.payload.length < length) this.payload = Buffer.allocUnsafe(Math.max(length, 2 * this.payload.length));
        this.payloadHave = 0;
        this.payloadLeft = length;
        this.gathering = true;
      }
    }
    return completed;
  }

  /** Checks the gathered header; returns the payload length, or -1 after an error. */
  private startFrame(): number {
    const b0 = this.headerBuf[0];
    const b1 = this.headerBuf[1];
    const n = this.received;
    if (b0 !== this.first) {
      if ((b0 & RSV1) === 0) return this.fail(`message #${n}: RSV1 not set, the server sent it uncompressed (first byte 0x${b0.toString(16)})`);
      return this.fail(`message #${n}: first byte 0x${b0.toString(16)}, expected 0x${this.first.toString(16)} (FIN + RSV1 + opcode)`);
    }
    if (b1 & 0x80) return this.fail(`message #${n}: mask bit 1 on a server frame`);
    const len7 = b1 & 0x7f;
    const length = len7 === 126 ? this.headerBuf.readUInt16BE(2) : len7 === 127 ? Number(this.headerBuf.readBigUInt64BE(2)) : len7;
    if (length > MAX_MESSAGE) return this.fail(`message #${n}: ${length} compressed bytes, far above any message sent`);
    return length;
  }

  private finish(compressed: Buffer): boolean {
    const error = this.messages.check(this.received, compressed);
    if (error !== null) {
      this.fail(error);
      return false;
    }
    this.received++;
    return true;
  }

  private fail(message: string): -1 {
    this.error = message;
    return -1;
  }
}

function headerLengthOf(secondByte: number): number {
  const len7 = secondByte & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (secondByte & 0x80 ? 4 : 0);
}
