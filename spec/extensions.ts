// The permessage-deflate negotiation as the suite speaks and judges it (RFC 7692 §5, §7.1): the
// Sec-WebSocket-Extensions grammar (RFC 6455 §9.1), offers and responses with their four
// parameters, and whether a server's response is one the client may accept.

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** RFC 7692 §7.1.2.1, §7.1.2.2: window bits are 8..15, a decimal without leading zeroes. */
export const MIN_WINDOW_BITS = 8;
export const MAX_WINDOW_BITS = 15;

/** The parameters of one offer or one response (RFC 7692 §7.1). */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** Absent when undefined. */
  serverMaxWindowBits?: number;
  /** Absent when undefined; `true` is the value-less form, allowed in an offer only. */
  clientMaxWindowBits?: number | true;
}

/** What each side uses once a response is accepted, seen from one end of the connection. */
export interface Negotiated {
  /** The response header value, for the reports. */
  response: string;
  /** Window bits and context takeover this end compresses with. */
  ownWindowBits: number;
  ownNoContextTakeover: boolean;
  /** Window bits and context takeover the peer compresses with, so this end inflates with. */
  peerWindowBits: number;
  peerNoContextTakeover: boolean;
}

export interface ExtensionElement {
  name: string;
  params: [string, string | true][];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** RFC 6455 §9.1: `name *(";" param ["=" (token | quoted-string)])`, comma separated. */
export function parseExtensions(header: string): ExtensionElement[] | string {
  const out: ExtensionElement[] = [];
  for (const element of header.split(',')) {
    if (element.trim() === '') continue;
    const [name, ...rawParams] = element.split(';').map((s) => s.trim());
    if (!TOKEN.test(name)) return `malformed extension name "${name}" (RFC 6455 §9.1)`;
    const params: [string, string | true][] = [];
    for (const raw of rawParams) {
      const eq = raw.indexOf('=');
      const key = (eq < 0 ? raw : raw.slice(0, eq)).trim();
      let value: string | true = eq < 0 ? true : raw.slice(eq + 1).trim();
      if (typeof value === 'string' && value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (!TOKEN.test(key) || (value !== true && !TOKEN.test(value))) return `malformed extension parameter "${raw}" (RFC 6455 §9.1)`;
      params.push([key.toLowerCase(), value]);
    }
    out.push({ name: name.toLowerCase(), params });
  }
  return out;
}

function windowBits(value: string | true): number | null {
  if (value === true || !/^[1-9][0-9]?$/.test(value)) return null;
  const n = Number(value);
  return n >= MIN_WINDOW_BITS && n <= MAX_WINDOW_BITS ? n : null;
}

/**
 * Parse the parameters of one permessage-deflate element. RFC 7692 §7.1: a parameter not defined
 * for an offer/response, an invalid value, or a repeated parameter makes it unacceptable.
 */
export function parseDeflateParams(params: [string, string | true][], kind: 'offer' | 'response'): DeflateParams | string {
  const p: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false };
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) return `parameter ${name} appears more than once (RFC 7692 §7.1)`;
    seen.add(name);
    const bad = `invalid value ${value === true ? '(none)' : `"${value}"`} for ${name} (RFC 7692 §7.1)`;
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return bad;
        if (name === 'server_no_context_takeover') p.serverNoContextTakeover = true;
        else p.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBits(value);
        if (bits === null) return bad;
        p.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // RFC 7692 §7.1.2.2: no value is allowed in an offer, a value is required in a response.
        const bits = value === true && kind === 'offer' ? true : windowBits(value);
        if (bits === null) return bad;
        p.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `parameter ${name} is not defined for use in ${kind === 'offer' ? 'an offer' : 'a response'} (RFC 7692 §7.1)`;
    }
  }
  return p;
}

/** Header text for an offer, parameters in the order Autobahn writes them. */
export function formatOffer(o: DeflateParams): string {
  let s = PERMESSAGE_DEFLATE;
  if (o.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (o.clientMaxWindowBits !== undefined) s += o.clientMaxWindowBits === true ? '; client_max_window_bits' : `; client_max_window_bits=${o.clientMaxWindowBits}`;
  if (o.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (o.serverMaxWindowBits !== undefined) s += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  return s;
}

/** Header text for a response, parameters in the order Autobahn writes them. */
export function formatResponse(r: DeflateParams): string {
  let s = PERMESSAGE_DEFLATE;
  if (r.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (r.serverMaxWindowBits !== undefined) s += `; server_max_window_bits=${r.serverMaxWindowBits}`;
  if (r.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (typeof r.clientMaxWindowBits === 'number') s += `; client_max_window_bits=${r.clientMaxWindowBits}`;
  return s;
}

/** Why `response` does not accept `offer`, or null when it does (RFC 7692 §7.1.1, §7.1.2). */
export function mismatch(offer: DeflateParams, response: DeflateParams): string | null {
  // §7.1.1.1: the server accepts server_no_context_takeover by including it (it may add it unasked).
  if (offer.serverNoContextTakeover && !response.serverNoContextTakeover) return 'server_no_context_takeover was offered but not in the response (RFC 7692 §7.1.1.1)';
  // §7.1.2.1: the response carries server_max_window_bits with the same or a smaller value.
  if (offer.serverMaxWindowBits !== undefined) {
    if (response.serverMaxWindowBits === undefined) return `server_max_window_bits=${offer.serverMaxWindowBits} was offered but not in the response (RFC 7692 §7.1.2.1)`;
    if (response.serverMaxWindowBits > offer.serverMaxWindowBits) {
      return `server_max_window_bits=${response.serverMaxWindowBits} is larger than the ${offer.serverMaxWindowBits} offered (RFC 7692 §7.1.2.1)`;
    }
  }
  // §7.1.2.2: without client_max_window_bits in the offer, the response MUST NOT have it.
  if (response.clientMaxWindowBits !== undefined && offer.clientMaxWindowBits === undefined) {
    return 'client_max_window_bits is in the response but was not offered (RFC 7692 §7.1.2.2)';
  }
  return null;
}

/**
 * Judge a server's Sec-WebSocket-Extensions response to `offers` (the client's side of RFC 7692
 * §7.1 and RFC 6455 §4.1): null params when the server declined, an error when the client must
 * fail the connection.
 */
export function judgeResponse(offers: DeflateParams[], header: string | undefined): { params: DeflateParams | null; offer?: DeflateParams } | { error: string } {
  if (header === undefined || header.trim() === '') return { params: null };
  const elements = parseExtensions(header);
  if (typeof elements === 'string') return { error: elements };
  const deflate = elements.filter((e) => e.name === PERMESSAGE_DEFLATE);
  const other = elements.find((e) => e.name !== PERMESSAGE_DEFLATE || offers.length === 0);
  if (other) return { error: `the server accepted the extension "${other.name}", which was not offered (RFC 6455 §4.1)` };
  if (deflate.length > 1) return { error: 'the server accepted permessage-deflate more than once (RFC 7692 §5)' };
  if (deflate.length === 0) return { params: null };
  const params = parseDeflateParams(deflate[0].params, 'response');
  if (typeof params === 'string') return { error: params };
  const reasons = offers.map((o) => mismatch(o, params));
  const accepted = reasons.indexOf(null);
  if (accepted < 0) return { error: `the response "${header}" accepts none of the offers: ${[...new Set(reasons)].join('; ')}` };
  return { params, offer: offers[accepted] };
}

/** Parse a client's offers; invalid permessage-deflate offers give an error (Autobahn fails the handshake). */
export function parseOffers(header: string | undefined): DeflateParams[] | string {
  if (header === undefined) return [];
  const elements = parseExtensions(header);
  if (typeof elements === 'string') return elements;
  const offers: DeflateParams[] = [];
  for (const e of elements) {
    if (e.name !== PERMESSAGE_DEFLATE) continue;
    const p = parseDeflateParams(e.params, 'offer');
    if (typeof p === 'string') return `invalid permessage-deflate offer: ${p}`;
    offers.push(p);
  }
  return offers;
}

/**
 * What each end uses once `response` (to `offer`, when known) is in force. A client that offered
 * client_no_context_takeover keeps that promise even when the response leaves it out (§7.1.1.2),
 * and a value in its client_max_window_bits offer caps its own window (§7.1.2.2).
 */
export function negotiated(role: 'client' | 'server', response: DeflateParams, offer?: DeflateParams): Negotiated {
  const clientBits = typeof response.clientMaxWindowBits === 'number' ? response.clientMaxWindowBits : MAX_WINDOW_BITS;
  const clientHint = typeof offer?.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : MAX_WINDOW_BITS;
  const client = {
    bits: role === 'client' ? Math.min(clientBits, clientHint) : clientBits,
    noContext: response.clientNoContextTakeover || (role === 'client' && offer?.clientNoContextTakeover === true),
  };
  const server = { bits: response.serverMaxWindowBits ?? MAX_WINDOW_BITS, noContext: response.serverNoContextTakeover };
  const own = role === 'client' ? client : server;
  const peer = role === 'client' ? server : client;
  return {
    response: formatResponse(response),
    ownWindowBits: own.bits,
    ownNoContextTakeover: own.noContext,
    peerWindowBits: peer.bits,
    peerNoContextTakeover: peer.noContext,
  };
}
