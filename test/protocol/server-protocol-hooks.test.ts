/**
 * ServerProtocol's hooks for `ws`'s server events: the 101 response as lines an application may
 * change ('headers'), and invalid requests an application answers itself ('wsClientError').
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadyState } from '../../src/protocol/protocol.js';
import { computeAcceptKey, joinResponseLines } from '../../src/protocol/server-handshake.js';
import { ServerProtocol, type ServerProtocolHandler } from '../../src/protocol/server-protocol.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const REQUEST =
  'GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

function server(overrides: Partial<ServerProtocolHandler> = {}): { protocol: ServerProtocol; rejected: number[] } {
  const rejected: number[] = [];
  const handler: ServerProtocolHandler = {
    onRequest() {},
    onReject: (status) => rejected.push(status),
    onMessage() {},
    onPing() {},
    onPong() {},
    onCloseFrame() {},
    onProtocolError() {},
    onReady() {},
    ...overrides,
  };
  return { protocol: new ServerProtocol(handler), rejected };
}

const written = (protocol: ServerProtocol): string => Buffer.concat(protocol.dataToSend()).toString('utf8');

describe('the 101 response as lines', () => {
  it('responseLines() are what accept() sends, status line first, extra headers last', () => {
    const { protocol } = server();
    protocol.receiveData(Buffer.from(REQUEST));
    const options = { protocol: undefined, headers: { 'X-Two': ['a', 'b'] } };
    const lines = protocol.responseLines(options);
    expect(lines).toEqual([
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${computeAcceptKey(KEY)}`,
      'X-Two: a',
      'X-Two: b',
    ]);
    protocol.accept(options);
    expect(written(protocol)).toBe(lines.join('\r\n') + '\r\n\r\n');
  });

  it('accept({ lines }) sends the lines given (UTF-8), in place of the built ones', () => {
    const { protocol } = server();
    protocol.receiveData(Buffer.from(REQUEST));
    const lines = [...protocol.responseLines(), 'Set-Cookie: name=välue'];
    protocol.accept({ lines });
    expect(protocol.state).toBe(ReadyState.Open);
    expect(written(protocol)).toBe(lines.join('\r\n') + '\r\n\r\n');
  });

  it.each(['X-Injected: a\r\nX-Evil: b', 'X: a\nb', 'X: a\rb', 'X: a\0b'])(
    'a line holding CR, LF or NUL (%j) throws a TypeError and leaves the handshake undecided',
    (bad) => {
      const { protocol } = server();
      protocol.receiveData(Buffer.from(REQUEST));
      expect(() => protocol.accept({ lines: [...protocol.responseLines(), bad] })).toThrow(TypeError);
      expect(protocol.state).toBe(ReadyState.Connecting);
      expect(protocol.awaitingDecision).toBe(true);
      expect(protocol.dataToSend()).toEqual([]);
      protocol.reject(500, 'Internal Server Error');
      expect(written(protocol)).toMatch(/^HTTP\/1\.1 500 /);
    },
  );

  it('property: any lines are sent exactly as given, unless one holds CR, LF or NUL (then nothing is)', () => {
    const line = fc.string({ unit: fc.constantFrom('a', ':', ' ', 'é', '\r', '\n', '\0', 'X'), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (extra) => {
        const { protocol } = server();
        protocol.receiveData(Buffer.from(REQUEST));
        const lines = [...protocol.responseLines(), ...extra];
        const unsafe = extra.some((l) => /[\r\n\0]/.test(l));
        if (unsafe) {
          expect(() => protocol.accept({ lines })).toThrow(TypeError);
          expect(protocol.dataToSend()).toEqual([]);
        } else {
          protocol.accept({ lines });
          expect(written(protocol)).toBe(joinResponseLines(lines));
          expect(joinResponseLines(lines)).toBe(lines.join('\r\n') + '\r\n\r\n');
        }
      }),
    );
  });

  it('without a request to accept, responseLines and accept throw', () => {
    const { protocol } = server();
    expect(() => protocol.responseLines()).toThrow(/no handshake request/);
    expect(() => protocol.accept({ lines: ['HTTP/1.1 101 Switching Protocols'] })).toThrow(/no handshake request/);
  });
});

describe('onInvalidRequest', () => {
  const BAD_KEY = REQUEST.replace(KEY, 'short');

  it('returning true: nothing is written, no close is asked for, the protocol is CLOSED and hears no more', () => {
    const seen: Array<[number, string]> = [];
    const { protocol, rejected } = server({
      onInvalidRequest: (request, status, reason) => {
        seen.push([status, request.url]);
        expect(reason).toMatch(/Sec-WebSocket-Key/);
        return true;
      },
    });
    protocol.receiveData(Buffer.from(BAD_KEY));
    expect(seen).toEqual([[400, '/']]);
    expect(rejected).toEqual([]);
    expect(protocol.state).toBe(ReadyState.Closed);
    expect(protocol.dataToSend()).toEqual([]);
    expect(protocol.closeTransport).toBe(false);
    protocol.receiveData(Buffer.from(REQUEST));
    expect(protocol.dataToSend()).toEqual([]);
  });

  it('returning false: the protocol answers as usual (426 for a version it does not speak)', () => {
    const { protocol, rejected } = server({ onInvalidRequest: () => false });
    protocol.receiveData(Buffer.from(REQUEST.replace('Version: 13', 'Version: 8')));
    expect(rejected).toEqual([426]);
    expect(written(protocol)).toMatch(/^HTTP\/1\.1 426 /);
    expect(protocol.closeTransport).toBe(true);
  });
});
