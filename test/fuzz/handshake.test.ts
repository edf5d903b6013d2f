// Fuzz: the opening handshake as the server reads it from bytes (its own port), the client's check
// of the response, and the header grammars (token lists, Sec-WebSocket-Extensions). Requests are
// built from a spec with at most one known fault, so the answer is known: the request reaches the
// application, or the right status (400, 426, 431) goes out. Header names such as __proto__ and
// constructor are ordinary headers and pollute nothing. And no parser's work grows faster than
// its input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientProtocol, type ClientProtocolHandler } from '../../src/protocol/client-protocol.js';
import { parseExtensionHeader } from '../../src/protocol/extensions/extension-header.js';
import { computeAcceptKey, parseTokenList } from '../../src/protocol/server-handshake.js';
import { ServerProtocol, type HandshakeRequest, type ServerProtocolHandler } from '../../src/protocol/server-protocol.js';
import { parseWebSocketUrl } from '../../src/protocol/client-handshake.js';
import { splitAt } from '../support/split-at.js';
import { reportRuns, runs, timeoutFor } from './support/runs.js';
import { countWork, workPerUnit } from './support/work.js';

const RUNS = runs(1_000);
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Names that are properties of every plain object: a parser that used one would see them. */
const TRICKY_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

type Fault =
  | 'none'
  | 'plain-keepalive'
  | 'plain-close'
  | 'method'
  | 'http10'
  | 'no-host'
  | 'upgrade'
  | 'connection'
  | 'no-version'
  | 'version'
  | 'no-key'
  | 'bad-key'
  | 'two-keys'
  | 'protocols'
  | 'duplicate-protocol'
  | 'extensions'
  | 'too-large'
  | 'bare-lf'
  | 'bad-name'
  | 'control-char'
  | 'bad-target';

/** What the server must answer for each fault: the request reaching the application, or a status. */
const EXPECTED: Record<Fault, 'request' | 400 | 426 | 431> = {
  none: 'request',
  'plain-keepalive': 426,
  'plain-close': 426,
  method: 400,
  http10: 400,
  'no-host': 400,
  upgrade: 400,
  connection: 400,
  'no-version': 426,
  version: 426,
  'no-key': 400,
  'bad-key': 400,
  'two-keys': 400,
  protocols: 400,
  'duplicate-protocol': 400,
  extensions: 400,
  'too-large': 431,
  'bare-lf': 400,
  'bad-name': 400,
  'control-char': 400,
  'bad-target': 400,
};

/** Extra headers must not be the handshake's own (they would change the expected answer). */
const HANDSHAKE_HEADERS = new Set(['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'content-length', 'transfer-encoding', 'set-cookie']);

const tokenArb = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
const valueArb = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);

const requestArb = fc.record({
  fault: fc.constantFrom(...(Object.keys(EXPECTED) as Fault[])),
  extras: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...TRICKY_NAMES), tokenArb.filter((name) => !HANDSHAKE_HEADERS.has(name.toLowerCase()))), valueArb), {
    maxLength: 6,
  }),
  protocols: fc.uniqueArray(tokenArb, { maxLength: 3 }),
  upperCase: fc.boolean(),
});

function buildRequest({ fault, extras, protocols, upperCase }: typeof requestArb extends fc.Arbitrary<infer T> ? T : never): Buffer {
  const method = fault === 'method' ? 'POST' : 'GET';
  const version = fault === 'http10' || fault === 'plain-close' ? '1.0' : '1.1';
  const target = fault === 'bad-target' ? '/a b' : '/chat?x=1';
  const headers: Array<[string, string]> = [];
  const plain = fault === 'plain-keepalive' || fault === 'plain-close';
  if (fault !== 'no-host') headers.push(['Host', 'example.test']);
  if (!plain) headers.push(['Upgrade', fault === 'upgrade' ? 'h2c' : upperCase ? 'WebSocket' : 'websocket']);
  if (!plain) headers.push(['Connection', fault === 'connection' ? 'keep-alive' : 'keep-alive, Upgrade']);
  if (fault !== 'no-version' && !plain) headers.push(['Sec-WebSocket-Version', fault === 'version' ? '8' : '13']);
  if (fault !== 'no-key' && !plain) headers.push(['Sec-WebSocket-Key', fault === 'bad-key' ? 'short' : KEY]);
  if (fault === 'two-keys') headers.push(['Sec-WebSocket-Key', KEY]);
  if (protocols.length > 0 || fault === 'protocols' || fault === 'duplicate-protocol') {
    const list = fault === 'protocols' ? [...protocols, 'a b'] : fault === 'duplicate-protocol' ? [...protocols, 'p', 'p'] : protocols;
    headers.push(['Sec-WebSocket-Protocol', list.join(', ')]);
  }
  if (fault === 'extensions') headers.push(['Sec-WebSocket-Extensions', 'permessage-deflate; x="unterminated']);
  for (const [name, value] of extras) headers.push([name, value]);
  if (fault === 'bad-name') headers.push(['Bad Name', 'x']);
  if (fault === 'control-char') headers.push(['X-Control', 'a\u0001b']);
  if (fault === 'too-large') headers.push(['X-Padding', 'p'.repeat(17 * 1024)]);
  const eol = fault === 'bare-lf' ? '\n' : '\r\n';
  return Buffer.from(`${method} ${target} HTTP/${version}${eol}${headers.map(([n, v]) => `${n}: ${v}${eol}`).join('')}${eol}`, 'latin1');
}

interface ServerOutcome {
  request: HandshakeRequest | null;
  status: number | null;
  output: string;
}

function serverReads(chunks: Buffer[]): ServerOutcome {
  let request: HandshakeRequest | null = null;
  let status: number | null = null;
  const handler: ServerProtocolHandler = {
    onMessage() {},
    onPing() {},
    onPong() {},
    onCloseFrame() {},
    onProtocolError() {},
    onReady() {},
    onRequest(received) {
      request = received;
    },
    onReject(rejected) {
      status = rejected;
    },
  };
  const protocol = new ServerProtocol(handler);
  const output: Buffer[] = [];
  for (const chunk of chunks) {
    protocol.receiveData(chunk);
    output.push(...protocol.dataToSend());
  }
  const text = Buffer.concat(output).toString('latin1');
  // A plain keep-alive request is answered without closing: no onReject, but a 426 on the wire.
  if (status === null && text.startsWith('HTTP/1.1 426 ')) status = 426;
  return { request, status, output: text };
}


/**
 * The one-pass parser of src/protocol/extensions/extension-header.ts: parameters come as an
 * ordered list of { name, value }, so no header can name a property of an object.
 */
function parseExtensionOffers(value: string) {
  const parsed = parseExtensionHeader(value);
  return typeof parsed === 'string' ? null : parsed;
}

describe('fuzz: the server reads handshake requests from bytes', () => {
  it('a request with at most one known fault gets the known answer, in any chunking', { timeout: timeoutFor(RUNS, 10) }, () => {
    fc.assert(
      fc.property(requestArb, fc.array(fc.nat(), { maxLength: 12 }), (spec, cuts) => {
        const bytes = buildRequest(spec);
        const { result, work } = countWork(() => serverReads(splitAt(bytes, cuts)));
        const expected = EXPECTED[spec.fault];
        if (expected === 'request') {
          expect(result.status).toBeNull();
          expect(result.request).not.toBeNull();
          // Every extra header is an own property with its value (repeats joined), whatever its name.
          const joined = new Map<string, string[]>();
          for (const [name, value] of spec.extras) joined.set(name.toLowerCase(), [...(joined.get(name.toLowerCase()) ?? []), value]);
          for (const [name, values] of joined) {
            expect(Object.getOwnPropertyDescriptor(result.request!.headers, name)?.value).toBe(values.join(', '));
          }
        } else {
          expect(result.request).toBeNull();
          expect(result.status).toBe(expected);
          expect(result.output).toMatch(new RegExp(`^HTTP/1\\.1 ${expected} [^\\r\\n]*\\r\\n`));
          if (expected === 426 && spec.fault !== 'plain-keepalive') expect(result.output).toContain('\r\nSec-WebSocket-Version: 13\r\n');
        }
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(work).toBeLessThanOrEqual(12 * bytes.length + 30 * (cuts.length + 1) + 2_000); // + building the answer
      }),
      { numRuns: RUNS },
    );
    reportRuns('handshake requests (known faults)', RUNS);
  });

  it('any bytes: no exception, and an answer from the allowed set or still waiting (under 16 KiB)', { timeout: timeoutFor(RUNS, 10) }, () => {
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      fc.tuple(requestArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([spec, at, byte]) => {
        const bytes = buildRequest(spec);
        bytes[at % bytes.length] = byte; // one byte anywhere becomes anything
        return bytes;
      }),
      fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => Buffer.from(`GET / HTTP/1.1\r\n${s}\r\n\r\n`, 'latin1')),
    );
    fc.assert(
      fc.property(garbage, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const { result, work } = countWork(() => serverReads(splitAt(bytes, cuts)));
        if (result.status !== null) {
          expect([400, 426, 431]).toContain(result.status);
          expect(result.output).toMatch(/^HTTP\/1\.1 (400|426|431) /);
        }
        if (result.request !== null) expect(result.request.method).toBe('GET');
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(work).toBeLessThanOrEqual(12 * bytes.length + 30 * (cuts.length + 1) + 2_000); // + building the answer
      }),
      { numRuns: RUNS },
    );
    reportRuns('handshake requests (any bytes)', RUNS);
  });
});

describe('fuzz: the client checks the server response', () => {
  const accept = computeAcceptKey(KEY);
  const responseArb = fc.record({
    status: fc.constantFrom(101, 101, 101, 200, 301, 400, 426),
    accept: fc.constantFrom(accept, accept, 'wrong='),
    upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c'),
    extras: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...TRICKY_NAMES), tokenArb), valueArb), { maxLength: 5 }),
    flip: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { nil: undefined }),
  });
  it('opens only on a valid 101 for its key, fails otherwise, never throws', { timeout: timeoutFor(RUNS, 10) }, () => {
    fc.assert(
      fc.property(responseArb, fc.array(fc.nat(), { maxLength: 10 }), (spec, cuts) => {
        const lines = [`HTTP/1.1 ${spec.status} X`, `Upgrade: ${spec.upgrade}`, 'Connection: Upgrade', `Sec-WebSocket-Accept: ${spec.accept}`];
        for (const [name, value] of spec.extras) lines.push(`${name}: ${value}`);
        const bytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
        if (spec.flip !== undefined) bytes[spec.flip[0] % bytes.length] = spec.flip[1];
        let opened = false;
        let failed = false;
        const handler: ClientProtocolHandler = {
          onMessage() {},
          onPing() {},
          onPong() {},
          onCloseFrame() {},
          onProtocolError() {},
          onReady() {},
          onOpen() {
            opened = true;
          },
          onHandshakeFailure() {
            failed = true;
          },
        };
        const { work } = countWork(() => {
          const client = new ClientProtocol(handler, {
            request: { target: parseWebSocketUrl('ws://example.test/'), key: KEY },
            maskKeySource: () => new Uint8Array(4),
          });
          client.connect();
          for (const chunk of splitAt(bytes, cuts)) client.receiveData(chunk);
        });
        const valid = spec.flip === undefined && spec.status === 101 && spec.accept === accept && spec.upgrade !== 'h2c';
        if (valid) expect(opened).toBe(true);
        else expect(opened && spec.flip === undefined).toBe(false);
        if (spec.flip === undefined) expect(opened || failed).toBe(true);
        expect(opened && failed).toBe(false);
        expect(work).toBeLessThanOrEqual(12 * bytes.length + 30 * (cuts.length + 1) + 800);
      }),
      { numRuns: RUNS },
    );
    reportRuns('handshake responses (client)', RUNS);
  });
});

describe('fuzz: header grammars', () => {
  const paramArb = fc.tuple(
    fc.oneof(fc.constantFrom(...TRICKY_NAMES), tokenArb),
    fc.oneof(fc.constant(true as const), tokenArb, tokenArb.map((t) => `"${t}"` as const)),
  );
  const offerArb = fc.tuple(fc.oneof(fc.constantFrom('permessage-deflate', ...TRICKY_NAMES), tokenArb), fc.array(paramArb, { maxLength: 4 }));
  it('Sec-WebSocket-Extensions: a well-formed offer parses to exactly what was written, own properties only', { timeout: timeoutFor(RUNS) }, () => {
    fc.assert(
      fc.property(fc.array(offerArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(', ', ',', ' ,  '), (offers, separator) => {
        const header = offers
          .map(([name, params]) => [name, ...params.map(([p, v]) => (v === true ? p : `${p}=${v}`))].join('; '))
          .join(separator);
        const parsed = parseExtensionOffers(header);
        expect(parsed).not.toBeNull();
        expect(parsed!.map((o) => o.name)).toEqual(offers.map(([name]) => name));
        parsed!.forEach((offer, i) => {
          const expected = new Map<string, string | true>();
          for (const [p, v] of offers[i][1]) expected.set(p, v === true ? true : v.replace(/^"|"$/g, ''));
          expect(Array.isArray(offer.params)).toBe(true);
          expect(new Map(offer.params.map(({ name, value }) => [name, value]))).toEqual(expected);
        });
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    reportRuns('Sec-WebSocket-Extensions (well-formed)', RUNS);
  });

  it('any header value: the list parsers never throw, and their work is linear', { timeout: timeoutFor(RUNS) }, () => {
    const alphabet = fc.constantFrom(...'ab=;,"\\ \t-x\u00ff\u0001'.split(''));
    const text = fc.oneof(fc.string({ unit: alphabet, maxLength: 200 }), fc.string({ maxLength: 100 }));
    fc.assert(
      fc.property(text, (value) => {
        const { result: offers, work } = countWork(() => parseExtensionOffers(value));
        if (offers !== null) for (const offer of offers) expect(offer.name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
        expect(work).toBeLessThanOrEqual(12 * value.length + 50);
        const { result: tokens, work: tokenWork } = countWork(() => parseTokenList(value));
        if (tokens !== null) for (const token of tokens) expect(token).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
        expect(tokenWork).toBeLessThanOrEqual(6 * value.length + 50);
      }),
      { numRuns: RUNS },
    );
    reportRuns('header lists (any value)', RUNS);
  });
});

describe('fuzz: head and header parsing work is linear in the input', () => {
  const sizes = [400, 1_600, 6_400];
  const families: Array<[string, (n: number) => { run: () => unknown; units: number }]> = [
    ['a request head trickled one byte per read', (n) => {
      const bytes = Buffer.from(`GET / HTTP/1.1\r\n${'X-A: b\r\n'.repeat(n / 8)}\r\n`);
      const chunks = [...bytes].map((byte) => Buffer.of(byte));
      return { run: () => serverReads(chunks), units: bytes.length };
    }],
    ['a head of n header lines in one read', (n) => {
      const bytes = Buffer.from(`GET / HTTP/1.1\r\n${'constructor: x\r\n'.repeat(n / 16)}\r\n`);
      return { run: () => serverReads([bytes]), units: bytes.length };
    }],
    ['Sec-WebSocket-Protocol of n commas', (n) => ({ run: () => parseTokenList(',' + ', '.repeat(n)), units: 2 * n })],
    ['Sec-WebSocket-Extensions: n parameters', (n) => ({ run: () => parseExtensionOffers('x' + '; a=b'.repeat(n / 5)), units: n })],
    ['Sec-WebSocket-Extensions: a quoted value of n escapes', (n) => ({ run: () => parseExtensionOffers(`x; a="${'\\a'.repeat(n / 2)}"`), units: n })],
    ['Sec-WebSocket-Extensions: n empty elements', (n) => ({ run: () => parseExtensionOffers(' ,'.repeat(n / 2)), units: n })],
  ];
  it.each(families)('%s', (_name, build) => {
    const perUnit = workPerUnit(build, sizes);
    expect(Math.max(...perUnit)).toBeLessThanOrEqual(Math.min(...perUnit) * 1.25 + 1);
  });
});
