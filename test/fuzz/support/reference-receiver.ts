// An independent reference for what a receiver must do with a byte stream (RFC 6455 §5.2, §5.4,
// §5.5, §7.4, §8.1, §10.4), written from the RFC without looking at src/: the whole stream at once,
// frame by frame, the plainest way. The fuzz targets compare the real protocol object, fed the
// same bytes in arbitrary chunks, with it: the same messages, pings, pongs and Close, and the same
// close code when the connection must fail.

export type RefEvent =
  | ['message', string, boolean]
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['error', number];

export interface RefOptions {
  /** Whose frames we read: a server reads masked frames (§5.1), a client unmasked ones. */
  role: 'server' | 'client';
  maxPayload: number;
  maxFragments: number;
}

const PROTOCOL_ERROR = 1002;
const INVALID_DATA = 1007;
const POLICY = 1008;
const TOO_BIG = 1009;

/**
 * The state of a UTF-8 decoder after `bytes` (RFC 3629 §4): 'invalid' as soon as no continuation
 * could make it valid, 'complete' at a code point boundary, 'partial' inside a code point.
 */
export function utf8State(bytes: Uint8Array): 'invalid' | 'complete' | 'partial' {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead <= 0x7f) need = 0;
    else if (lead >= 0xc2 && lead <= 0xdf) need = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      need = 2;
      if (lead === 0xe0) low = 0xa0; // no overlongs
      if (lead === 0xed) high = 0x9f; // no surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      need = 3;
      if (lead === 0xf0) low = 0x90; // no overlongs
      if (lead === 0xf4) high = 0x8f; // nothing above U+10FFFF
    } else return 'invalid';
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return 'partial';
      const byte = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (byte < min || byte > max) return 'invalid';
    }
    i += need + 1;
  }
  return 'complete';
}

function isValidCloseCodeRef(code: number): boolean {
  // §7.4.1 and the IANA registry: 1000-1003, 1007-1011 (1012-1014 registered since), 3000-4999.
  if (code >= 3000 && code <= 4999) return true;
  return [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014].includes(code);
}

function unmask(bytes: Buffer, key: Buffer | null): Buffer {
  const out = Buffer.from(bytes);
  if (key !== null) for (let i = 0; i < out.length; i++) out[i] ^= key[i % 4];
  return out;
}

/** Everything the receiver must report for `bytes`, ending with ['error', code] if it must fail. */
export function referenceEvents(bytes: Buffer, options: RefOptions): RefEvent[] {
  const events: RefEvent[] = [];
  const fail = (code: number): RefEvent[] => (events.push(['error', code]), events);
  let message: { binary: boolean; parts: Buffer[]; length: number; frames: number } | null = null;
  let at = 0;
  for (;;) {
    const left = bytes.length - at;
    if (left < 2) return events;
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    const control = opcode >= 8;
    // What the first two bytes alone break (§5.2, §5.5, §5.1).
    if ((b0 & 0x70) !== 0) return fail(PROTOCOL_ERROR);
    if (![0, 1, 2, 8, 9, 10].includes(opcode)) return fail(PROTOCOL_ERROR);
    if (control && (!fin || len7 > 125)) return fail(PROTOCOL_ERROR);
    if (masked !== (options.role === 'server')) return fail(PROTOCOL_ERROR);
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const headerLength = 2 + extra + (masked ? 4 : 0);
    if (left < headerLength) return events;
    let length = len7;
    if (extra === 2) length = bytes.readUInt16BE(at + 2);
    if (extra === 8) {
      const high = bytes.readUInt32BE(at + 2);
      if (high >= 0x8000_0000) return fail(PROTOCOL_ERROR); // §5.2: most significant bit 0
      if (high > 0x1f_ffff) return fail(TOO_BIG);
      length = high * 2 ** 32 + bytes.readUInt32BE(at + 6);
    }
    if (length > options.maxPayload) return fail(TOO_BIG);
    if (!control) {
      // §5.4: a continuation needs an open message; a new message needs none open.
      if (opcode === 0 && message === null) return fail(PROTOCOL_ERROR);
      if (opcode !== 0) {
        if (message !== null) return fail(PROTOCOL_ERROR);
        message = { binary: opcode === 2, parts: [], length: 0, frames: 0 };
      }
      if (++message!.frames > options.maxFragments) return fail(POLICY);
      message!.length += length;
      if (message!.length > options.maxPayload) return fail(TOO_BIG);
    }
    const key = masked ? bytes.subarray(at + headerLength - 4, at + headerLength) : null;
    const available = Math.min(length, left - headerLength);
    const payload = unmask(bytes.subarray(at + headerLength, at + headerLength + available), key);
    if (available < length) {
      // The stream ends inside this frame: text received so far must still be able to be valid.
      if (!control && !message!.binary && utf8State(Buffer.concat([...message!.parts, payload])) === 'invalid') {
        return fail(INVALID_DATA);
      }
      return events;
    }
    at += headerLength + length;
    if (opcode === 9) events.push(['ping', payload.toString('hex')]);
    else if (opcode === 10) events.push(['pong', payload.toString('hex')]);
    else if (opcode === 8) {
      if (payload.length === 1) return fail(PROTOCOL_ERROR);
      if (payload.length === 0) return events.push(['close', 1005, '']), events;
      const code = payload.readUInt16BE(0);
      if (!isValidCloseCodeRef(code)) return fail(PROTOCOL_ERROR);
      const reason = payload.subarray(2);
      if (utf8State(reason) !== 'complete') return fail(INVALID_DATA);
      events.push(['close', code, reason.toString('hex')]);
      return events; // §5.5.1: nothing after a Close
    } else {
      message!.parts.push(payload);
      const data = Buffer.concat(message!.parts);
      if (!message!.binary) {
        const state = utf8State(data);
        // A fragmented text message fails on the fragment that makes it invalid (§8.1, fail fast).
        if (state === 'invalid' || (fin && state === 'partial')) return fail(INVALID_DATA);
      }
      if (fin) {
        events.push(['message', data.toString('hex'), message!.binary]);
        message = null;
      }
    }
  }
}
