/**
 * Negotiating permessage-deflate (RFC 7692 §5 and §7.1): the server picks an offer and answers
 * it, the client builds its offer and checks the server's answer. Pure functions of the parsed
 * Sec-WebSocket-Extensions elements (extension-header.ts) and the settings (deflate-options.ts).
 *
 * Windows of 8 bits: zlib cannot compress raw DEFLATE with a 256-byte window; asked for 8 it
 * silently uses 512 bytes (zlib issue #171), so a side that agreed to 8 and compresses with
 * zlib breaks its promise (ws does, through node:zlib). We never promise it: a server declines
 * an offer whose server_max_window_bits is 8 (§7.1.2.1: it can only answer the same or a smaller
 * value), and a client fails a response that sets client_max_window_bits to 8 (§7.1.2.2 lets a
 * client fail a response it cannot honour). python-websockets does the same (its PR
 * #1768). The peer's window may be 8: we inflate with a window of at least 9 bits, which reads
 * anything a window of 8 can produce, and also what a zlib peer makes after promising 8.
 */
import type { ExtensionElement, ExtensionParam } from './extension-header.js';
import { formatExtensionHeader, parseExtensionHeader } from './extension-header.js';
import { MAX_WINDOW_BITS, MIN_ZLIB_WINDOW_BITS, type DeflateRole, type DeflateSettings } from './deflate-options.js';
import type { MessageCodec } from './message-codec.js';

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** The parameters both sides agreed on (RFC 7692 §7.1), with every default filled in. */
export interface DeflateParams {
  /** §7.1.1.1: the server resets its compressor after each message. */
  serverNoContextTakeover: boolean;
  /** §7.1.1.2: the client resets its compressor after each message. */
  clientNoContextTakeover: boolean;
  /** §7.1.2.1: the server compresses with at most 2^bits bytes of window (15 when not negotiated). */
  serverMaxWindowBits: number;
  /** §7.1.2.2: the client's window (15 when not negotiated). */
  clientMaxWindowBits: number;
}

/**
 * permessage-deflate as a connection is configured with it: the settings (the `perMessageDeflate`
 * option, normalised) and where a codec comes from once the parameters are agreed. The I/O layer
 * provides the codec (pooled zlib in wsmith's node layer; anything that implements
 * `MessageCodec` elsewhere), so the protocol core stays free of zlib.
 */
export interface DeflateSetup {
  settings: DeflateSettings;
  createCodec(params: DeflateParams, role: DeflateRole): MessageCodec;
}

const SERVER_NO_CONTEXT_TAKEOVER = 'server_no_context_takeover';
const CLIENT_NO_CONTEXT_TAKEOVER = 'client_no_context_takeover';
const SERVER_MAX_WINDOW_BITS = 'server_max_window_bits';
const CLIENT_MAX_WINDOW_BITS = 'client_max_window_bits';

/** One element's parameters, read: window bits are numbers, `true` where a value is absent. */
interface ReadParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | true | undefined;
}

/**
 * §7.1.2.1/§7.1.2.2: "a decimal integer value without leading zeroes between 8 to 15", so
 * exactly one of these strings (a quoted "10" arrives here already unquoted).
 */
function parseWindowBits(value: string | true): number | undefined {
  if (value === true || value.length > 2) return undefined;
  const bits = Number(value);
  return Number.isInteger(bits) && bits >= 8 && bits <= MAX_WINDOW_BITS && String(bits) === value ? bits : undefined;
}

/**
 * Read one element's parameters, as an offer (`inOffer`: client_max_window_bits may come without
 * a value) or a response. Returns why they are unacceptable (§5.1: unknown name, invalid value,
 * repeated name), or the parameters.
 */
function readParams(params: readonly ExtensionParam[], inOffer: boolean): ReadParams | string {
  const read: ReadParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const { name, value } of params) {
    if (seen.has(name)) return `parameter "${name}" appears more than once`;
    seen.add(name);
    const shown = value === true ? 'no value' : `value "${value}"`;
    if (name === SERVER_NO_CONTEXT_TAKEOVER || name === CLIENT_NO_CONTEXT_TAKEOVER) {
      if (value !== true) return `parameter "${name}" takes no value, got ${shown}`;
      if (name === SERVER_NO_CONTEXT_TAKEOVER) read.serverNoContextTakeover = true;
      else read.clientNoContextTakeover = true;
    } else if (name === SERVER_MAX_WINDOW_BITS || name === CLIENT_MAX_WINDOW_BITS) {
      const bits = inOffer && name === CLIENT_MAX_WINDOW_BITS && value === true ? true : parseWindowBits(value);
      if (bits === undefined) return `parameter "${name}" needs an integer from 8 to 15, got ${shown}`;
      if (name === SERVER_MAX_WINDOW_BITS) read.serverMaxWindowBits = bits as number;
      else read.clientMaxWindowBits = bits;
    } else {
      return `unknown parameter "${name}"`;
    }
  }
  return read;
}

function smaller(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

// --- server -------------------------------------------------------------------------------

export interface DeflateAgreement {
  params: DeflateParams;
  /** The element to put in the response's Sec-WebSocket-Extensions header. */
  response: string;
}

/**
 * Pick the first permessage-deflate offer the server can accept (§5: offers come in the
 * client's order of preference) and answer it, or return null: no offer was acceptable, and
 * the connection goes on without the extension. Offers are declined, not failed (§5.1).
 */
export function negotiateDeflateAsServer(
  offers: readonly ExtensionElement[],
  settings: DeflateSettings,
): DeflateAgreement | null {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const read = readParams(offer.params, true);
    if (typeof read === 'string') continue; // §5.1: decline an offer with a bad parameter
    const agreement = answerOffer(read, settings);
    if (agreement !== null) return agreement;
  }
  return null;
}

function answerOffer(offer: ReadParams, settings: DeflateSettings): DeflateAgreement | null {
  // §7.1.2.1: answer with the offered value or a smaller one; a configured limit may lower it,
  // and may be sent even when the client did not ask.
  const serverBits = smaller(offer.serverMaxWindowBits, settings.serverMaxWindowBits);
  if (serverBits !== undefined && serverBits < MIN_ZLIB_WINDOW_BITS) return null; // 8: see above
  // §7.1.2.2: only when offered; a value in the offer is a promise we confirm or lower.
  let clientBits: number | undefined;
  if (offer.clientMaxWindowBits !== undefined) {
    const offered = offer.clientMaxWindowBits === true ? undefined : offer.clientMaxWindowBits;
    clientBits = smaller(offered, settings.clientMaxWindowBits === true ? undefined : settings.clientMaxWindowBits);
  }
  const params: DeflateParams = {
    // §7.1.1.1: an offered server_no_context_takeover is accepted by answering it.
    serverNoContextTakeover: settings.serverNoContextTakeover || offer.serverNoContextTakeover,
    // §7.1.1.2: the server may ask for it; an offered one (a hint) is confirmed.
    clientNoContextTakeover: settings.clientNoContextTakeover || offer.clientNoContextTakeover,
    serverMaxWindowBits: serverBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: clientBits ?? MAX_WINDOW_BITS,
  };
  const response = formatDeflateElement({
    serverNoContextTakeover: params.serverNoContextTakeover,
    clientNoContextTakeover: params.clientNoContextTakeover,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  });
  return { params, response };
}

/** One permessage-deflate element with these parameters, in the order RFC 7692 §7.1 lists them. */
function formatDeflateElement(read: ReadParams): string {
  const params: ExtensionParam[] = [];
  if (read.serverNoContextTakeover) params.push({ name: SERVER_NO_CONTEXT_TAKEOVER, value: true });
  if (read.clientNoContextTakeover) params.push({ name: CLIENT_NO_CONTEXT_TAKEOVER, value: true });
  if (read.serverMaxWindowBits !== undefined) params.push({ name: SERVER_MAX_WINDOW_BITS, value: String(read.serverMaxWindowBits) });
  const clientBits = read.clientMaxWindowBits;
  if (clientBits !== undefined) params.push({ name: CLIENT_MAX_WINDOW_BITS, value: clientBits === true ? true : String(clientBits) });
  return formatExtensionHeader([{ name: PERMESSAGE_DEFLATE, params }]);
}

// --- client -------------------------------------------------------------------------------

/** The client's offer (one element), e.g. `permessage-deflate; client_max_window_bits`. */
export function buildDeflateOffer(settings: DeflateSettings): string {
  return formatDeflateElement(settings);
}

/**
 * Check the server's Sec-WebSocket-Extensions against what the client offered (`settings`,
 * or null when it offered nothing). Returns the agreed parameters, null when the server
 * accepted no extension, or why the client must fail the connection (RFC 6455 §4.1 item 5,
 * RFC 7692 §5.1).
 */
export function acceptDeflateResponse(
  header: string | readonly string[] | undefined,
  settings: DeflateSettings | null,
): DeflateParams | null | string {
  if (header === undefined) return null;
  const elements = parseExtensionHeader(header);
  if (typeof elements === 'string') return `invalid Sec-WebSocket-Extensions header: ${elements}`;
  if (elements.length === 0) return null;
  for (const element of elements) {
    if (element.name !== PERMESSAGE_DEFLATE || settings === null) {
      return `the server accepted the extension "${element.name}", which the client did not offer`;
    }
  }
  if (elements.length > 1) return 'the server accepted permessage-deflate more than once';
  const read = readParams(elements[0].params, false);
  if (typeof read === 'string') return `invalid permessage-deflate response: ${read}`;
  return checkResponse(read, settings!);
}

function checkResponse(response: ReadParams, settings: DeflateSettings): DeflateParams | string {
  // §7.1.1.1: a server accepts server_no_context_takeover by answering it.
  if (settings.serverNoContextTakeover && !response.serverNoContextTakeover) {
    return 'the server did not answer server_no_context_takeover, which the client asked for';
  }
  // §7.1.2.1: answered with the same or a smaller value; the server may set it unasked.
  const serverBits = response.serverMaxWindowBits;
  if (settings.serverMaxWindowBits !== undefined) {
    if (serverBits === undefined) return 'the server did not answer server_max_window_bits, which the client asked for';
    if (serverBits > settings.serverMaxWindowBits) {
      return `the server answered server_max_window_bits=${serverBits}, more than the ${settings.serverMaxWindowBits} asked for`;
    }
  }
  // §7.1.2.2: never unasked; a value no larger than one the client offered; 8 we cannot honour.
  const offered = settings.clientMaxWindowBits;
  let clientBits = response.clientMaxWindowBits as number | undefined;
  if (clientBits !== undefined) {
    if (offered === undefined) return 'the server answered client_max_window_bits, which the client did not offer';
    if (offered !== true && clientBits > offered) {
      return `the server answered client_max_window_bits=${clientBits}, more than the ${offered} offered`;
    }
    if (clientBits < MIN_ZLIB_WINDOW_BITS) {
      return 'the server asked for client_max_window_bits=8, a window zlib cannot compress with';
    }
  } else if (offered !== undefined && offered !== true) {
    clientBits = offered; // the client keeps the promise its offer made
  }
  return {
    serverNoContextTakeover: response.serverNoContextTakeover,
    // §7.1.1.2: the client must honour it; offering it was already a promise.
    clientNoContextTakeover: response.clientNoContextTakeover || settings.clientNoContextTakeover,
    serverMaxWindowBits: serverBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: clientBits ?? MAX_WINDOW_BITS,
  };
}
