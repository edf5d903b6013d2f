// The suite's permessage-deflate, checked against RFC 7692's examples and rules: if its codec or
// its judge of a negotiation is wrong, every verdict of sections 12 and 13 is.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { constants, deflateRawSync } from 'node:zlib';
import { DeflateCodec } from '../../spec/deflate.js';
import {
  formatOffer, formatResponse, judgeResponse, negotiated, parseExtensions, parseOffers, type DeflateParams,
} from '../../spec/extensions.js';
import { ALL_CASES } from '../../spec/cases/index.js';
import { DATA_SETS } from '../../spec/cases/compression-data.js';
import { selectCases } from '../../spec/case.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const plain: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false };
/** A client and a server codec that agree on `response`. */
const pair = (response: DeflateParams = plain) => ({
  client: new DeflateCodec(negotiated('client', response)),
  server: new DeflateCodec(negotiated('server', response)),
});

describe('codec: RFC 7692 §7.2.3 examples', () => {
  it('compresses "Hello" as in §7.2.3.1, and a second "Hello" with context takeover as in §7.2.3.2', () => {
    const { client } = pair();
    expect(client.compress(Buffer.from('Hello'))).toEqual(hex('f2 48 cd c9 c9 07 00'));
    expect(client.compress(Buffer.from('Hello'))).toEqual(hex('f2 00 11 00 00'));
  });
  it('without context takeover the second "Hello" is compressed afresh', () => {
    const { client } = pair({ ...plain, clientNoContextTakeover: true });
    client.compress(Buffer.from('Hello'));
    expect(client.compress(Buffer.from('Hello'))).toEqual(hex('f2 48 cd c9 c9 07 00'));
  });
  it('inflates every example: one block, context takeover, a stored block, BFINAL set, two blocks', () => {
    const { server } = pair();
    expect(server.decompress(hex('f2 48 cd c9 c9 07 00')).toString()).toBe('Hello');
    expect(server.decompress(hex('f2 00 11 00 00')).toString()).toBe('Hello');
    const fresh = (): DeflateCodec => pair().server;
    expect(fresh().decompress(hex('00 05 00 fa ff 48 65 6c 6c 6f 00')).toString()).toBe('Hello');
    expect(fresh().decompress(hex('f3 48 cd c9 c9 07 00 00')).toString()).toBe('Hello');
    expect(fresh().decompress(hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00')).toString()).toBe('Hello');
  });
  it('refuses a back-reference to an earlier message when context takeover is off', () => {
    const { server } = pair({ ...plain, clientNoContextTakeover: true });
    server.decompress(hex('f2 48 cd c9 c9 07 00'));
    expect(() => server.decompress(hex('f2 00 11 00 00'))).toThrow(/invalid distance too far back/);
  });
  it('refuses references further back than the negotiated window', () => {
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) >>> 3 & 0xff));
    const message = Buffer.concat([data, Buffer.from('-'), data]);
    const wide = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH });
    const { server } = pair({ ...plain, clientMaxWindowBits: 9 });
    expect(() => server.decompress(wide.subarray(0, wide.length - 4))).toThrow(/too far back/);
    expect(pair().server.decompress(wide.subarray(0, wide.length - 4))).toEqual(message);
  });
});

describe('codec properties', () => {
  const params = fc.record({
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined }),
    clientMaxWindowBits: fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined }),
  });
  const messages = fc.array(fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 600 }).map((s) => new TextEncoder().encode(s.repeat(3)))), { minLength: 1, maxLength: 8 });

  it('whatever was negotiated, each side inflates exactly what the other compressed, message after message', () => {
    fc.assert(fc.property(params, messages, (response, msgs) => {
      const { client, server } = pair(response);
      for (const m of msgs) {
        const b = Buffer.from(m);
        expect(server.decompress(client.compress(b))).toEqual(b);
        expect(client.decompress(server.compress(b))).toEqual(b);
      }
    }), { numRuns: 60 });
  });

  it('any bytes as compressed data: a message or an exception, never a crash or a hang', () => {
    fc.assert(fc.property(params, fc.uint8Array({ maxLength: 200 }), (response, bytes) => {
      try {
        expect(Buffer.isBuffer(pair(response).server.decompress(Buffer.from(bytes)))).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
      }
    }), { numRuns: 300 });
  });

  it('parses any header value into elements or a reason, never throwing', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (header) => {
      const r = parseExtensions(header);
      expect(typeof r === 'string' || Array.isArray(r)).toBe(true);
      expect(() => judgeResponse([{ ...plain, clientMaxWindowBits: true }], header)).not.toThrow();
      expect(() => parseOffers(header)).not.toThrow();
    }), { numRuns: 500 });
  });
});

describe('negotiation: judging a server response (RFC 7692 §7.1)', () => {
  const autobahn = (nct = false, bits?: number): DeflateParams => ({ clientNoContextTakeover: true, clientMaxWindowBits: true, serverNoContextTakeover: nct, serverMaxWindowBits: bits });
  const judge = (offers: DeflateParams[], header: string | undefined): string => {
    const r = judgeResponse(offers, header);
    return 'error' in r ? `error: ${r.error}` : r.params ? formatResponse(r.params) : 'declined';
  };

  it('writes offers as Autobahn does', () => {
    expect(formatOffer(autobahn())).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits');
    expect(formatOffer(autobahn(true, 9))).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9');
  });
  it('accepts valid responses, quoted values included, and treats no header as declined', () => {
    expect(judge([autobahn()], undefined)).toBe('declined');
    expect(judge([autobahn()], 'permessage-deflate')).toBe('permessage-deflate');
    expect(judge([autobahn()], 'Permessage-Deflate; Client_No_Context_Takeover; server_max_window_bits="10"'))
      .toBe('permessage-deflate; server_max_window_bits=10; client_no_context_takeover');
    expect(judge([autobahn(false, 15)], 'permessage-deflate; server_max_window_bits=12; client_max_window_bits=9')).toMatch(/^permessage-deflate; server_max_window_bits=12/);
    // §7.1.1.1 and §7.1.2.1: the server may add server_no_context_takeover and server_max_window_bits unasked.
    expect(judge([autobahn()], 'permessage-deflate; server_no_context_takeover; server_max_window_bits=8')).not.toMatch(/^error/);
  });
  it('fails responses with undefined, repeated or malformed parameters', () => {
    expect(judge([autobahn()], 'permessage-deflate; x_foo')).toMatch(/error: parameter x_foo is not defined for use in a response/);
    expect(judge([autobahn()], 'permessage-deflate; server_no_context_takeover; server_no_context_takeover')).toMatch(/appears more than once/);
    for (const v of ['', '=08', '=16', '=7', '=ten']) {
      expect(judge([autobahn()], `permessage-deflate; server_max_window_bits${v}`)).toMatch(/error: invalid value/);
    }
    // §7.1.2.2: client_max_window_bits needs a value in a response.
    expect(judge([autobahn()], 'permessage-deflate; client_max_window_bits')).toMatch(/error: invalid value/);
    expect(judge([autobahn()], 'permessage-deflate; client_no_context_takeover=1')).toMatch(/error: invalid value/);
  });
  it('fails responses that accept nothing that was offered', () => {
    expect(judge([], 'permessage-deflate')).toMatch(/error: .*not offered \(RFC 6455 §4.1\)/);
    expect(judge([autobahn()], 'x-webkit-deflate-frame')).toMatch(/error: .*"x-webkit-deflate-frame", which was not offered/);
    expect(judge([autobahn()], 'permessage-deflate, permessage-deflate')).toMatch(/more than once/);
    expect(judge([autobahn(true)], 'permessage-deflate')).toMatch(/server_no_context_takeover was offered but not in the response/);
    expect(judge([autobahn(false, 9)], 'permessage-deflate')).toMatch(/server_max_window_bits=9 was offered but not in the response/);
    expect(judge([autobahn(false, 9)], 'permessage-deflate; server_max_window_bits=10')).toMatch(/larger than the 9 offered/);
    expect(judge([{ ...plain }], 'permessage-deflate; client_max_window_bits=10')).toMatch(/client_max_window_bits is in the response but was not offered/);
  });
  it('accepts a response to any one of several offers (13.7)', () => {
    const offers = [autobahn(true, 9), autobahn(true), autobahn()];
    expect(judge(offers, 'permessage-deflate')).toBe('permessage-deflate');
    expect(judge(offers, 'permessage-deflate; server_no_context_takeover')).toBe('permessage-deflate; server_no_context_takeover');
  });
  it('keeps a client to its own client_no_context_takeover offer even when the response leaves it out (§7.1.1.2)', () => {
    const r = judgeResponse([autobahn()], 'permessage-deflate; server_max_window_bits=10');
    if ('error' in r || !r.params) throw new Error('expected an accepted response');
    expect(negotiated('client', r.params, r.offer)).toMatchObject({ ownNoContextTakeover: true, ownWindowBits: 15, peerNoContextTakeover: false, peerWindowBits: 10 });
    expect(negotiated('server', r.params, r.offer)).toMatchObject({ ownNoContextTakeover: false, ownWindowBits: 10, peerNoContextTakeover: false, peerWindowBits: 15 });
  });
  it('parses client offers, ignoring other extensions and refusing malformed deflate offers', () => {
    expect(parseOffers('permessage-deflate; client_max_window_bits, x-other')).toEqual([{ ...plain, clientMaxWindowBits: true }]);
    expect(parseOffers('permessage-deflate; client_max_window_bits=16')).toMatch(/invalid permessage-deflate offer/);
    expect(parseOffers(undefined)).toEqual([]);
  });
});

describe('sections 12 and 13: catalogue and negotiation per case', () => {
  const def = (id: string) => ALL_CASES.find((c) => c.id === id)!;
  const wsOffer: DeflateParams = { ...plain, clientMaxWindowBits: true };

  it('has Autobahn\'s 216 cases, 18 per group, each negotiating permessage-deflate', () => {
    expect(selectCases([...ALL_CASES], ['12.*'])).toHaveLength(90);
    expect(selectCases([...ALL_CASES], ['13.*'])).toHaveLength(126);
    for (const g of ['12.1', '12.5', '13.1', '13.7']) expect(selectCases([...ALL_CASES], [`${g}.*`])).toHaveLength(18);
    for (const c of selectCases([...ALL_CASES], ['12.*', '13.*'])) expect(c.deflate && c.run).toBeTruthy();
    expect(def('12.2.18').description).toMatch(/^Send 1000 compressed messages each of payload size 131072, auto-fragment to 32768 octets\./);
    expect(def('12.1.1').expectation).toMatch(/Timeout case after 60 secs/);
  });
  it('offers in server mode as Autobahn does for each 13.x group', () => {
    const offers = (id: string) => def(id).deflate!.offers.map(formatOffer).join(', ');
    expect(offers('12.3.1')).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits');
    expect(offers('13.2.1')).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover');
    expect(offers('13.6.1')).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15');
    expect(def('13.7.1').deflate!.offers).toHaveLength(3);
  });
  it('answers client offers in client mode as Autobahn\'s accept functions do', () => {
    const answer = (id: string, offers: DeflateParams[]) => {
      const a = def(id).deflate!.accept(offers);
      return a ? formatResponse(a.response) : null;
    };
    expect(answer('12.1.1', [wsOffer])).toBe('permessage-deflate');
    expect(answer('13.2.1', [wsOffer])).toBe('permessage-deflate; client_no_context_takeover');
    expect(answer('13.5.1', [wsOffer])).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits=9');
    // §7.1.2.2: no client_max_window_bits in the offer, so 13.3-13.6 decline it (UNIMPLEMENTED).
    expect(answer('13.3.1', [plain])).toBeNull();
    expect(answer('13.7.1', [plain])).toBe('permessage-deflate; client_no_context_takeover');
    expect(answer('13.1.1', [{ ...plain, serverNoContextTakeover: true, serverMaxWindowBits: 10 }])).toBe('permessage-deflate; server_no_context_takeover; server_max_window_bits=10');
  });
  it('generates data sets long enough for Autobahn\'s slices, with text that stays UTF-8 across the wrap', () => {
    for (const set of DATA_SETS) {
      const d = set.get();
      expect(d.length).toBeGreaterThan(131072);
      expect(set.get()).toBe(d);
      for (const from of [0, 12345, d.length - 7]) {
        const s = d.slice(from, 1024);
        if (set.binary) expect(s.length).toBe(1024);
        else expect(isUtf8(s) && s.toString().length).toBe(1024);
      }
    }
    expect(DATA_SETS.map((s) => s.binary)).toEqual([false, true, true, false, true]);
  });
});
