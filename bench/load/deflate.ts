// permessage-deflate (RFC 7692) for the load client: the offer browsers make, a strict reading of
// the server's answer, and the client's own compressed frames. Like the plain frames, these are
// compressed once per scenario, never per message (see compressedFrames).
import * as zlib from 'node:zlib';
import { FrameRing, maskedFrame } from './frames.js';

/** What Chromium and Firefox offer: §7.1.2.2's client_max_window_bits without a value. */
export const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';

const EXTENSION_NAME = 'permessage-deflate';
/** §7.1.2: the LZ77 window is 2^8 to 2^15 bytes; 15 when a side sets no limit. */
const MIN_WINDOW_BITS = 8;
export const MAX_WINDOW_BITS = 15;
/** zlib makes raw DEFLATE with at least a 512-byte window (it turns 8 into 9). */
const MIN_ZLIB_WINDOW_BITS = 9;
/** §7.2.1: a message flushed with an empty stored block ends in these 4 bytes, removed on the wire. */
export const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;

/** The parameters both sides agreed to (§7.1), as the client must honour them. */
export interface DeflateAgreement {
  /** §7.1.1.1: the server compresses each message on its own; else the client keeps its inflate window. */
  serverNoContextTakeover: boolean;
  /** §7.1.1.2: the client must compress each message on its own. */
  clientNoContextTakeover: boolean;
  /** §7.1.2.1: the server's window; decoding with a larger one is always right. */
  serverMaxWindowBits: number;
  /** §7.1.2.2: the largest window the client may compress with. */
  clientMaxWindowBits: number;
}

function windowBits(name: string, value: string | undefined): number | string {
  if (value === undefined) return `${name} without a value in the answer (§7.1.2)`;
  const bits = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(bits >= MIN_WINDOW_BITS && bits <= MAX_WINDOW_BITS)) return `${name}=${value} is not 8..15 (§7.1.2)`;
  return bits;
}

/**
 * Read the server's Sec-WebSocket-Extensions against DEFLATE_OFFER: exactly one permessage-deflate
 * with known, single, well-formed parameters. Returns the agreement or what is wrong with the answer.
 */
export function parseDeflateAnswer(header: string): DeflateAgreement | string {
  if (header.trim() === '') return 'the server did not accept permessage-deflate (no Sec-WebSocket-Extensions)';
  const extensions = header.split(',').map((e) => e.trim());
  if (extensions.length !== 1) return `the server answered ${extensions.length} extensions, one was offered: ${header}`;
  const [name, ...params] = extensions[0].split(';').map((p) => p.trim());
  if (name.toLowerCase() !== EXTENSION_NAME) return `the server answered an extension that was not offered: ${name}`;
  const agreement: DeflateAgreement = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: MAX_WINDOW_BITS,
    clientMaxWindowBits: MAX_WINDOW_BITS,
  };
  const seen = new Set<string>();
  for (const param of params) {
    const equals = param.indexOf('=');
    const key = (equals < 0 ? param : param.slice(0, equals)).trim().toLowerCase();
    // RFC 6455 §9.1: a value may be a token or a quoted string.
    const value = equals < 0 ? undefined : param.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1');
    if (seen.has(key)) return `parameter ${key} twice in the answer (§7)`;
    seen.add(key);
    if (key === 'server_no_context_takeover' || key === 'client_no_context_takeover') {
      if (value !== undefined) return `${key} with a value (§7.1.1)`;
      if (key === 'server_no_context_takeover') agreement.serverNoContextTakeover = true;
      else agreement.clientNoContextTakeover = true;
    } else if (key === 'server_max_window_bits' || key === 'client_max_window_bits') {
      const bits = windowBits(key, value);
      if (typeof bits === 'string') return bits;
      if (key === 'server_max_window_bits') agreement.serverMaxWindowBits = bits;
      else agreement.clientMaxWindowBits = bits;
    } else {
      return `unknown permessage-deflate parameter in the answer: ${param}`;
    }
  }
  if (agreement.clientMaxWindowBits < MIN_ZLIB_WINDOW_BITS) {
    return 'client_max_window_bits=8: node:zlib cannot compress with a 256-byte window';
  }
  return agreement;
}

/** Same agreement, parameter by parameter (every connection of a scenario must get the same). */
export function sameAgreement(a: DeflateAgreement, b: DeflateAgreement): boolean {
  return (
    a.serverNoContextTakeover === b.serverNoContextTakeover &&
    a.clientNoContextTakeover === b.clientNoContextTakeover &&
    a.serverMaxWindowBits === b.serverMaxWindowBits &&
    a.clientMaxWindowBits === b.clientMaxWindowBits
  );
}

/**
 * §7.2.1: compress, flush with an empty stored block, and drop its 00 00 ff ff. A `dictionary`
 * is text the peer's inflater already holds in its window (context takeover).
 */
export function compressMessage(payload: Buffer, windowBits: number, dictionary?: Buffer): Buffer {
  const options: zlib.ZlibOptions = { windowBits, finishFlush: SYNC_FLUSH };
  if (dictionary !== undefined && dictionary.length > 0) options.dictionary = dictionary;
  const compressed = zlib.deflateRawSync(payload, options);
  if (!compressed.subarray(-DEFLATE_TAIL.length).equals(DEFLATE_TAIL)) throw new Error('zlib did not end the message with a sync flush');
  return compressed.subarray(0, compressed.length - DEFLATE_TAIL.length);
}

/** What a connection sends: frame i carries payloads[i % n]; `opening` is the first burst. */
export interface OutgoingFrames {
  ring: FrameRing;
  /** The first `count` frames as one buffer (the very first may differ from its ring slot). */
  opening(count: number): Buffer;
}

export function plainFrames(frames: Buffer[]): OutgoingFrames {
  const ring = new FrameRing(frames);
  return { ring, opening: (count) => ring.slice(0, count) };
}

/**
 * The client's compressed frames, made once per scenario. Without client context takeover each
 * message is compressed on its own (§7.1.1.2), so a message's bytes depend on its text only.
 * With context takeover allowed the client compresses as a browser does, against what it sent
 * before, but only against the previous message: frame i is compressed with payloads[i-1] as
 * the dictionary, which the server's inflater holds at the same distance in its window (it keeps
 * everything the client sent). Its bytes then depend on slot i only, so the ring still holds
 * them; only a connection's very first message has no predecessor and its own frame.
 */
export function compressedFrames(payloads: Buffer[], opcode: number, agreement: DeflateAgreement): OutgoingFrames {
  const bits = agreement.clientMaxWindowBits;
  const frame = (payload: Buffer, dictionary?: Buffer): Buffer => maskedFrame(opcode, compressMessage(payload, bits, dictionary), true);
  if (agreement.clientNoContextTakeover) return plainFrames(payloads.map((p) => frame(p)));
  const n = payloads.length;
  const ring = new FrameRing(payloads.map((p, i) => frame(p, payloads[(i + n - 1) % n])));
  const first = frame(payloads[0]);
  return {
    ring,
    opening: (count) => (count <= 1 ? first : Buffer.concat([first, ring.slice(1, count - 1)])),
  };
}
