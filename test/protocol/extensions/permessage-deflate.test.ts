import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizePerMessageDeflate,
  type DeflateSettings,
  type PerMessageDeflateOptions,
} from '../../../src/protocol/extensions/deflate-options.js';
import { parseExtensionHeader, type ExtensionElement } from '../../../src/protocol/extensions/extension-header.js';
import {
  acceptDeflateResponse,
  buildDeflateOffer,
  negotiateDeflateAsServer,
  type DeflateAgreement,
  type DeflateParams,
} from '../../../src/protocol/extensions/permessage-deflate.js';

function server(options: PerMessageDeflateOptions = {}): DeflateSettings {
  return normalizePerMessageDeflate(options, 'server')!;
}
function client(options: PerMessageDeflateOptions = {}): DeflateSettings {
  return normalizePerMessageDeflate(options, 'client')!;
}
function offers(header: string): ExtensionElement[] {
  const parsed = parseExtensionHeader(header);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}
function negotiate(header: string, settings = server()): DeflateAgreement | null {
  return negotiateDeflateAsServer(offers(header), settings);
}
function params(p: Partial<DeflateParams>): DeflateParams {
  return { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, ...p };
}

const NO_TAKEOVER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

describe('negotiateDeflateAsServer (RFC 7692 §5.1, §7.1)', () => {
  it('answers a bare offer and a browser offer with no context takeover either way, by default', () => {
    for (const offer of ['permessage-deflate', 'permessage-deflate; client_max_window_bits']) {
      expect(negotiate(offer)).toEqual({
        params: params({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
        // §7.1.2.2: no client_max_window_bits in the answer unless configured.
        response: NO_TAKEOVER,
      });
    }
  });

  it('takes the first acceptable offer of the RFC example, with its server_max_window_bits=10', () => {
    const agreement = negotiate(
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits',
    );
    expect(agreement?.response).toBe(`${NO_TAKEOVER}; server_max_window_bits=10`);
    expect(agreement?.params.serverMaxWindowBits).toBe(10);
  });

  it('ignores other extensions and returns null when nothing is acceptable', () => {
    expect(negotiate('x-webkit-deflate-frame, permessage-deflate')?.response).toBe(NO_TAKEOVER);
    expect(negotiate('x-webkit-deflate-frame')).toBeNull();
    expect(negotiate('')).toBeNull();
  });

  it('declines an offer with an unknown, repeated or invalid parameter, and takes the next (§5.1)', () => {
    const bad = [
      'permessage-deflate; mux',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; client_max_window_bits=10; client_max_window_bits',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; client_no_context_takeover="true"',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=010',
      'permessage-deflate; server_max_window_bits=+9',
      'permessage-deflate; client_max_window_bits=1e1',
      'permessage-deflate; client_max_window_bits=0x9',
    ];
    for (const offer of bad) {
      expect(negotiate(offer), offer).toBeNull();
      expect(negotiate(`${offer}, permessage-deflate; client_max_window_bits=12`)?.response, offer).toBe(
        `${NO_TAKEOVER}; client_max_window_bits=12`,
      );
    }
  });

  it('reads a quoted window value as its token (§9.1)', () => {
    expect(negotiate('permessage-deflate; server_max_window_bits="11"')?.params.serverMaxWindowBits).toBe(11);
  });

  it('declines server_max_window_bits=8: zlib cannot compress with 256 bytes, and it may not answer more', () => {
    expect(negotiate('permessage-deflate; server_max_window_bits=8')).toBeNull();
    expect(negotiate('permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9')?.params).toEqual(
      params({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9 }),
    );
  });

  it('answers server_max_window_bits with the smaller of the offer and its limit, even unasked (§7.1.2.1)', () => {
    const limited = server({ serverMaxWindowBits: 12 });
    expect(negotiate('permessage-deflate', limited)?.response).toBe(`${NO_TAKEOVER}; server_max_window_bits=12`);
    expect(negotiate('permessage-deflate; server_max_window_bits=10', limited)?.params.serverMaxWindowBits).toBe(10);
    expect(negotiate('permessage-deflate; server_max_window_bits=14', limited)?.params.serverMaxWindowBits).toBe(12);
  });

  it('answers client_max_window_bits only when offered, never above an offered value (§7.1.2.2)', () => {
    const limited = server({ clientMaxWindowBits: 10 });
    expect(negotiate('permessage-deflate; client_max_window_bits', limited)?.response).toBe(`${NO_TAKEOVER}; client_max_window_bits=10`);
    expect(negotiate('permessage-deflate; client_max_window_bits=12', limited)?.params.clientMaxWindowBits).toBe(10);
    expect(negotiate('permessage-deflate; client_max_window_bits=9', limited)?.params.clientMaxWindowBits).toBe(9);
    // Not offered: the client may not receive it; its window stays 15.
    expect(negotiate('permessage-deflate', limited)).toEqual({
      params: params({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
      response: NO_TAKEOVER,
    });
    // Offered with a value and no limit configured: the client's promise is confirmed.
    expect(negotiate('permessage-deflate; client_max_window_bits=11')?.response).toBe(`${NO_TAKEOVER}; client_max_window_bits=11`);
    // 8 is fine for the client's own window: we inflate with at least 9 bits.
    expect(negotiate('permessage-deflate; client_max_window_bits=8')?.params.clientMaxWindowBits).toBe(8);
  });

  it('with takeover allowed, still honours server_no_context_takeover and confirms the client hint', () => {
    const takeover = server({ serverNoContextTakeover: false, clientNoContextTakeover: false });
    expect(negotiate('permessage-deflate', takeover)).toEqual({ params: params({}), response: 'permessage-deflate' });
    expect(negotiate('permessage-deflate; server_no_context_takeover', takeover)).toEqual({
      params: params({ serverNoContextTakeover: true }),
      response: 'permessage-deflate; server_no_context_takeover',
    });
    expect(negotiate('permessage-deflate; client_no_context_takeover', takeover)).toEqual({
      params: params({ clientNoContextTakeover: true }),
      response: 'permessage-deflate; client_no_context_takeover',
    });
  });
});

describe('buildDeflateOffer', () => {
  it('offers client_max_window_bits without a value by default, as ws and browsers do', () => {
    expect(buildDeflateOffer(client())).toBe('permessage-deflate; client_max_window_bits');
    expect(buildDeflateOffer(client({ clientMaxWindowBits: false }))).toBe('permessage-deflate');
  });

  it('writes every requested parameter', () => {
    const settings = client({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 });
    expect(buildDeflateOffer(settings)).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
    );
  });
});

describe('acceptDeflateResponse (RFC 7692 §5.1, §7.1)', () => {
  it('gives null when the server accepted no extension', () => {
    expect(acceptDeflateResponse(undefined, client())).toBeNull();
    expect(acceptDeflateResponse('', client())).toBeNull();
    expect(acceptDeflateResponse(undefined, null)).toBeNull();
  });

  it('reads the agreed parameters', () => {
    expect(acceptDeflateResponse('permessage-deflate', client())).toEqual(params({}));
    expect(acceptDeflateResponse(NO_TAKEOVER, client())).toEqual(params({ serverNoContextTakeover: true, clientNoContextTakeover: true }));
    expect(acceptDeflateResponse('permessage-deflate; client_max_window_bits=10', client())).toEqual(params({ clientMaxWindowBits: 10 }));
    expect(acceptDeflateResponse('permessage-deflate; server_max_window_bits="9"', client())).toEqual(params({ serverMaxWindowBits: 9 }));
    // §7.1.2.1: a server may limit its own window unasked, to 8 as well: we inflate with 9 or more.
    expect(acceptDeflateResponse('permessage-deflate; server_max_window_bits=8', client())).toEqual(params({ serverMaxWindowBits: 8 }));
    // Two header lines are one list (RFC 7230 §3.2.2).
    expect(acceptDeflateResponse(['permessage-deflate', 'permessage-deflate'], client())).toMatch(/more than once/);
  });

  it('keeps the promises the offer made when the server does not repeat them', () => {
    const settings = client({ clientNoContextTakeover: true, clientMaxWindowBits: 12 });
    expect(acceptDeflateResponse('permessage-deflate', settings)).toEqual(params({ clientNoContextTakeover: true, clientMaxWindowBits: 12 }));
  });

  it('fails a response that is not what the client offered', () => {
    const cases: Array<[string, DeflateSettings | null, RegExp]> = [
      ['permessage-deflate; ', client(), /invalid Sec-WebSocket-Extensions header/],
      ['x-webkit-deflate-frame', client(), /accepted the extension "x-webkit-deflate-frame", which the client did not offer/],
      ['permessage-deflate', null, /did not offer/],
      ['permessage-deflate, permessage-deflate', client(), /more than once/],
      ['permessage-deflate; mux', client(), /unknown parameter "mux"/],
      ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', client(), /more than once/],
      ['permessage-deflate; client_no_context_takeover=1', client(), /takes no value/],
      // §7.1.2.2: in a response the value is required.
      ['permessage-deflate; client_max_window_bits', client(), /needs an integer from 8 to 15, got no value/],
      ['permessage-deflate; server_max_window_bits=16', client(), /server_max_window_bits" needs an integer/],
      ['permessage-deflate; client_max_window_bits=07', client(), /needs an integer/],
      ['permessage-deflate; client_max_window_bits=8', client(), /client_max_window_bits=8, a window zlib cannot compress with/],
      ['permessage-deflate; client_max_window_bits=10', client({ clientMaxWindowBits: false }), /did not offer/],
      ['permessage-deflate; client_max_window_bits=13', client({ clientMaxWindowBits: 12 }), /more than the 12 offered/],
      ['permessage-deflate', client({ serverMaxWindowBits: 10 }), /did not answer server_max_window_bits/],
      ['permessage-deflate; server_max_window_bits=11', client({ serverMaxWindowBits: 10 }), /more than the 10 asked for/],
      ['permessage-deflate', client({ serverNoContextTakeover: true }), /did not answer server_no_context_takeover/],
    ];
    for (const [response, settings, message] of cases) expect(acceptDeflateResponse(response, settings), response).toMatch(message);
  });

  it('accepts what the RFC lets a server add unasked', () => {
    expect(acceptDeflateResponse('permessage-deflate; server_no_context_takeover', client())).toEqual(params({ serverNoContextTakeover: true }));
    // §7.1.1.2: a client must support client_no_context_takeover in a response (ws fails it when clientNoContextTakeover is false).
    expect(acceptDeflateResponse('permessage-deflate; client_no_context_takeover', client({ clientNoContextTakeover: false }))).toEqual(
      params({ clientNoContextTakeover: true }),
    );
    expect(acceptDeflateResponse('permessage-deflate; server_max_window_bits=9', client({ serverMaxWindowBits: 10 }))).toEqual(
      params({ serverMaxWindowBits: 9 }),
    );
  });
});

// --- properties ------------------------------------------------------------------------------

const windowOption = fc.option(fc.integer({ min: 9, max: 15 }), { nil: undefined });
const clientOptions: fc.Arbitrary<PerMessageDeflateOptions> = fc.record(
  {
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: windowOption,
    clientMaxWindowBits: fc.oneof(fc.boolean(), fc.integer({ min: 9, max: 15 })),
  },
  { requiredKeys: [] },
);
const serverOptions: fc.Arbitrary<PerMessageDeflateOptions> = fc.record(
  {
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: windowOption,
    clientMaxWindowBits: windowOption,
  },
  { requiredKeys: [] },
);
/** Offers from any client: parameters valid or not, repeated or not. */
const paramName = fc.constantFrom(
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits',
  'client_max_window_bits',
  'x',
);
const paramValue = fc.oneof(fc.constant(true as const), fc.constantFrom('7', '8', '9', '10', '12', '15', '16', '09', 'a'));
const anyOffer: fc.Arbitrary<ExtensionElement> = fc.record({
  name: fc.constantFrom('permessage-deflate', 'permessage-deflate', 'x-other'),
  params: fc.array(fc.record({ name: paramName, value: paramValue }), { maxLength: 5 }),
});

describe('negotiation properties', () => {
  it('our server answers our client with a header that parses and that our client accepts, agreeing on every parameter', () => {
    fc.assert(
      fc.property(clientOptions, serverOptions, (clientOption, serverOption) => {
        const clientSettings = client(clientOption);
        const agreement = negotiateDeflateAsServer(offers(buildDeflateOffer(clientSettings)), server(serverOption));
        expect(agreement).not.toBeNull();
        if (agreement === null) return;
        expect(typeof parseExtensionHeader(agreement.response)).not.toBe('string');
        expect(acceptDeflateResponse(agreement.response, clientSettings)).toEqual(agreement.params);
      }),
      { numRuns: 2000 },
    );
  });

  it('any offers: the server never throws, and an answer keeps the rules of §7.1 for the offer it took', () => {
    fc.assert(
      fc.property(fc.array(anyOffer, { maxLength: 4 }), serverOptions, (list, serverOption) => {
        const agreement = negotiateDeflateAsServer(list, server(serverOption));
        if (agreement === null) return;
        const answer = offers(agreement.response);
        expect(answer).toHaveLength(1);
        expect(answer[0].name).toBe('permessage-deflate');
        const taken = list.find((offer) => offer.name === 'permessage-deflate' && isValidOffer(offer))!;
        expect(taken).toBeDefined();
        const offered = new Map(taken.params.map((p) => [p.name, p.value]));
        const answered = new Map(answer[0].params.map((p) => [p.name, p.value]));
        if (offered.has('server_no_context_takeover')) expect(answered.get('server_no_context_takeover')).toBe(true);
        if (!offered.has('client_max_window_bits')) expect(answered.has('client_max_window_bits')).toBe(false);
        const offeredClient = offered.get('client_max_window_bits');
        if (typeof offeredClient === 'string') expect(Number(answered.get('client_max_window_bits'))).toBeLessThanOrEqual(Number(offeredClient));
        const offeredServer = offered.get('server_max_window_bits');
        if (typeof offeredServer === 'string') expect(Number(answered.get('server_max_window_bits'))).toBeLessThanOrEqual(Number(offeredServer));
        expect(agreement.params.serverMaxWindowBits).toBeGreaterThanOrEqual(9);
      }),
      { numRuns: 3000 },
    );
  });

  it('any response string: the client never throws and answers null, parameters or a reason', () => {
    const alphabet = fc.constantFrom('permessage-deflate', '; ', ', ', 'server_no_context_takeover', 'client_max_window_bits', '=', '8', '10', '16', '"', 'x');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 12 }), clientOptions, (response, clientOption) => {
        const result = acceptDeflateResponse(response, client(clientOption));
        expect(result === null || typeof result === 'string' || typeof result.serverMaxWindowBits === 'number').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

/** An offer the RFC lets a server accept: known parameters, valid values, none repeated, not 8 for us. */
function isValidOffer(offer: ExtensionElement): boolean {
  const names = offer.params.map((p) => p.name);
  if (new Set(names).size !== names.length) return false;
  return offer.params.every(({ name, value }) => {
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') return value === true;
    if (name === 'client_max_window_bits' && value === true) return true;
    if (name === 'server_max_window_bits') return typeof value === 'string' && /^(9|1[0-5])$/.test(value);
    if (name === 'client_max_window_bits') return typeof value === 'string' && /^([89]|1[0-5])$/.test(value);
    return false;
  });
}
