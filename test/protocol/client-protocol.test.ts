import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKey, parseWebSocketUrl, type ResponseHead } from '../../src/protocol/client-handshake.js';
import { ClientProtocol, type ClientProtocolHandler, type ClientProtocolOptions } from '../../src/protocol/client-protocol.js';
import { ReadyState } from '../../src/protocol/protocol.js';
import { computeAcceptKey } from '../../src/protocol/server-handshake.js';

const KEY = generateKey(Buffer.alloc(16, 7));
const OK_RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Accept: ${computeAcceptKey(KEY)}\r\n\r\n`;
/** "Hello" in an unmasked text frame, as a server sends it (RFC 6455 §5.7). */
const HELLO = Buffer.from('810548656c6c6f', 'hex');

interface Seen {
  opened: Array<{ response: ResponseHead; head: Buffer }>;
  failures: Array<{ message: string; status: number | null }>;
  messages: string[];
}

function client(options: Partial<ClientProtocolOptions> = {}): { protocol: ClientProtocol; seen: Seen } {
  const seen: Seen = { opened: [], failures: [], messages: [] };
  const handler: ClientProtocolHandler = {
    onOpen: (response, head) => seen.opened.push({ response, head }),
    onHandshakeFailure: (error, response) => seen.failures.push({ message: error.message, status: response?.statusCode ?? null }),
    onMessage: (data) => seen.messages.push(data.toString()),
    onPing() {},
    onPong() {},
    onCloseFrame() {},
    onProtocolError() {},
    onReady() {},
  };
  const protocol = new ClientProtocol(handler, {
    request: { target: parseWebSocketUrl('ws://example.com/chat'), key: KEY },
    maskKeySource: () => Uint8Array.of(1, 2, 3, 4),
    ...options,
  });
  return { protocol, seen };
}

describe('ClientProtocol: the opening handshake (RFC 6455 §4.1)', () => {
  it('queues the request on connect(), and opens on a valid 101', () => {
    const { protocol, seen } = client();
    expect(protocol.state).toBe(ReadyState.Connecting);
    protocol.connect();
    const request = Buffer.concat(protocol.dataToSend()).toString('latin1');
    expect(request.startsWith('GET /chat HTTP/1.1\r\nHost: example.com\r\n')).toBe(true);
    expect(request).toContain(`\r\nSec-WebSocket-Key: ${KEY}\r\n`);
    protocol.receiveData(Buffer.concat([Buffer.from(OK_RESPONSE, 'latin1'), HELLO]));
    expect(protocol.state).toBe(ReadyState.Open);
    expect(seen.opened).toHaveLength(1);
    expect(seen.opened[0].head).toEqual(HELLO); // the frames that came with it, for the caller to feed
    protocol.receiveData(seen.opened[0].head);
    expect(seen.messages).toEqual(['Hello']);
  });

  it('fails on anything but a correct 101: the status, the accept key, an unrequested subprotocol', () => {
    const cases: Array<[string, string, number | null]> = [
      ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'Unexpected server response: 404', 404],
      [OK_RESPONSE.replace(computeAcceptKey(KEY), computeAcceptKey(generateKey())), 'Invalid Sec-WebSocket-Accept header', 101],
      [OK_RESPONSE.replace('\r\n\r\n', '\r\nSec-WebSocket-Protocol: chat\r\n\r\n'), 'Server sent a subprotocol but none was requested', 101],
      [OK_RESPONSE.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n'), 'Server sent a Sec-WebSocket-Extensions header but no extension was requested', 101],
      ['SSH-2.0-OpenSSH\r\n\r\n', 'Invalid HTTP response: malformed status line "SSH-2.0-OpenSSH"', null],
    ];
    for (const [response, message, status] of cases) {
      const { protocol, seen } = client();
      protocol.connect();
      protocol.receiveData(Buffer.from(response, 'latin1'));
      expect(seen.failures).toEqual([{ message, status }]);
      expect(protocol.state).toBe(ReadyState.Closed);
      expect(protocol.closeTransport).toBe(true);
    }
  });

  it('an offered extension is judged by its owner: accepted, or the handshake fails with its reason', () => {
    const accepting = client({ extensions: { offer: 'x-test', accept: (value) => (value === 'x-test' ? { compression: null } : 'not ours') } });
    accepting.protocol.connect();
    expect(Buffer.concat(accepting.protocol.dataToSend()).toString()).toContain('\r\nSec-WebSocket-Extensions: x-test\r\n');
    accepting.protocol.receiveData(Buffer.from(OK_RESPONSE.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: x-test\r\n\r\n')));
    expect(accepting.protocol.state).toBe(ReadyState.Open);
    expect(accepting.protocol.agreedExtensions).toBe('x-test');
    const refusing = client({ extensions: { offer: 'x-test', accept: () => 'not ours' } });
    refusing.protocol.connect();
    refusing.protocol.receiveData(Buffer.from(OK_RESPONSE.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: x-other\r\n\r\n')));
    expect(refusing.seen.failures).toEqual([{ message: 'not ours', status: 101 }]);
  });

  it('any response bytes in any chunking: never throws; opens only on the valid 101 (fast-check)', () => {
    const responses = fc.oneof(
      fc.constant(Buffer.from(OK_RESPONSE, 'latin1')),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ maxLength: 200 }).map((text) => Buffer.from(OK_RESPONSE.slice(0, 30) + text, 'latin1')),
    );
    fc.assert(
      fc.property(responses, fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const { protocol, seen } = client();
        protocol.connect();
        let from = 0;
        for (const cut of cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)) {
          protocol.receiveData(bytes.subarray(from, Math.max(from, cut)));
          from = Math.max(from, cut);
        }
        protocol.receiveData(bytes.subarray(from));
        if (protocol.state === ReadyState.Open) expect(bytes.toString('latin1').startsWith(OK_RESPONSE)).toBe(true);
        else if (protocol.state === ReadyState.Closed) expect(seen.failures).toHaveLength(1);
        else expect(seen.failures).toHaveLength(0);
      }),
      { numRuns: 500 },
    );
  });
});
