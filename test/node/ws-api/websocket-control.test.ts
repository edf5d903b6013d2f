/**
 * doc/ws.md: "websocket.ping([data[, mask]][, callback])", "websocket.pong(...)", the 'ping' and
 * 'pong' events, the `autoPong` option, "websocket.close([code[, reason]])", the 'close' event
 * and "websocket.terminate()".
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { WebSocket } from '../../../src/index.js';
import { collect, next, openPair, openWithWs, until } from './support.js';

/** The error `fn` throws (to compare ours with ws's). */
function thrown(fn: () => void): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}

describe('ping() and pong()', () => {
  it('take no data, a number, a string, bytes or a Blob; the peer sees exactly that payload', async () => {
    const { server, peer } = await openWithWs();
    const pings = collect<Buffer>(peer, 'ping');
    const pongs = collect<Buffer>(peer, 'pong');
    server.ping();
    server.ping(42);
    server.ping('text');
    server.ping(Buffer.from([1, 2]));
    server.ping(new Blob(['blob']));
    server.pong(7);
    server.pong();
    await until(() => pings.length === 5 && pongs.length === 2);
    expect(pings.map((data) => data.toString())).toEqual(['', '42', 'text', '\u0001\u0002', 'blob']);
    expect(pongs.map((data) => data.toString())).toEqual(['7', '']);
  });

  it('a callback as the first or second argument is called once the frame is written; mask is ignored on a server', async () => {
    const { server, peer } = await openWithWs();
    const pings = collect<Buffer>(peer, 'ping');
    const calls: string[] = [];
    server.ping(() => calls.push('first'));
    server.ping('x', () => calls.push('second'));
    server.pong('y', true, () => calls.push('third'));
    await until(() => calls.length === 3);
    expect(calls).toEqual(['first', 'second', 'third']);
    await until(() => pings.length === 2);
    expect(pings.map((data) => data.toString())).toEqual(['', 'x']);
  });

  it('over 125 bytes throws the RangeError ws throws, for strings, bytes and Blobs alike', async () => {
    const { server, peer } = await openWithWs();
    const expected = thrown(() => peer.ping(Buffer.alloc(126)));
    expect(expected).toBeInstanceOf(RangeError);
    for (const data of ['x'.repeat(126), Buffer.alloc(126), new Blob([Buffer.alloc(126)])]) {
      const error = thrown(() => server.ping(data));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toBe(expected.message);
      expect(thrown(() => server.pong(data)).message).toBe(expected.message);
    }
  });

  it("'ping' and 'pong' events carry the payload; a ping is answered with a pong by default", async () => {
    const { server, peer } = await openWithWs();
    const pongs = collect<Buffer>(peer, 'pong');
    const [[pinged], [ponged]] = await Promise.all([next<[Buffer]>(server, 'ping'), next<[Buffer]>(server, 'pong'), peer.ping('hi'), peer.pong('ho')]);
    expect(pinged.toString()).toBe('hi');
    expect(ponged.toString()).toBe('ho');
    await until(() => pongs.length === 1);
    expect(pongs[0].toString()).toBe('hi');
  });

  it('autoPong: false (server and client) emits the ping and answers nothing', async () => {
    const { server, client } = await openPair({ autoPong: false }, { autoPong: false });
    const clientPongs = collect<Buffer>(client, 'pong');
    const serverPongs = collect<Buffer>(server, 'pong');
    const [[serverPing], [clientPing]] = await Promise.all([next<[Buffer]>(server, 'ping'), next<[Buffer]>(client, 'ping'), client.ping('c'), server.ping('s')]);
    expect([serverPing.toString(), clientPing.toString()]).toEqual(['c', 's']);
    // A message each side sends once it read the other's ping arrives after any pong would have.
    const barriers = Promise.all([next(client, 'message'), next(server, 'message')]);
    server.send('after');
    client.send('after');
    await barriers;
    expect([clientPongs, serverPongs]).toEqual([[], []]);
    // A manual pong still works.
    server.on('ping', (data) => server.pong(data));
    client.ping('manual');
    const [manual] = await next<[Buffer]>(client, 'pong');
    expect(manual.toString()).toBe('manual');
  });

  it('once CLOSING, the callback gets the not-open error instead', async () => {
    const { server } = await openPair();
    server.close();
    const error = await new Promise<Error | undefined>((resolve) => server.ping('x', undefined, resolve));
    expect(error?.message).toBe('WebSocket is not open: readyState 2 (CLOSING)');
  });
});

describe('close([code[, reason]])', () => {
  it('sends the code and reason given; no code is 1005 on the other side, and an empty reason is none', async () => {
    for (const [args, expected] of [
      [[], [1005, '']],
      [[1000], [1000, '']],
      [[4000, 'bye'], [4000, 'bye']],
      [[1001, Buffer.from('buffer')], [1001, 'buffer']],
      [[1002, new Uint8Array([0x68, 0x69])], [1002, 'hi']],
      [[3000, ''], [3000, '']],
      // As in ws, a reason without a code is left out.
      [[undefined, 'ignored'], [1005, '']],
    ] as const) {
      const { server, peer } = await openWithWs();
      const closed = once(peer, 'close');
      server.close(...(args as unknown as [number, string]));
      const [code, reason] = (await closed) as [number, Buffer];
      expect([code, reason.toString()]).toEqual(expected);
    }
  });

  it('invalid codes and reasons throw what ws throws, before anything is sent', async () => {
    const { server, peer } = await openWithWs();
    const cases: Array<[unknown, unknown]> = [
      [1005, undefined],
      [999, undefined],
      [2000, undefined],
      ['1000', undefined],
      [1000, 'x'.repeat(124)],
      [1000, { length: 3 }],
    ];
    for (const [code, reason] of cases) {
      const ours = thrown(() => server.close(code as number, reason as string));
      const theirs = thrown(() => peer.close(code as number, reason as string));
      expect([ours.constructor, ours.message], `close(${String(code)}, ${String(reason)})`).toEqual([theirs.constructor, theirs.message]);
    }
    expect(server.readyState).toBe(WebSocket.OPEN);
    expect(peer.readyState).toBe(WsClient.OPEN);
  });

  it('does nothing once CLOSING or CLOSED', async () => {
    const { server, peer } = await openWithWs();
    const closed = once(peer, 'close');
    server.close(4001);
    server.close(4002);
    expect((await closed)[0]).toBe(4001);
    await once(server, 'close');
    expect(() => server.close(4003)).not.toThrow();
    expect(server.readyState).toBe(WebSocket.CLOSED);
  });

  it("'close' gets the code and the reason as a Buffer", async () => {
    const { server, peer } = await openWithWs();
    const closed = next<[number, Buffer]>(server, 'close');
    peer.close(4321, 'why');
    const [code, reason] = await closed;
    expect(code).toBe(4321);
    expect(Buffer.isBuffer(reason)).toBe(true);
    expect(reason.toString()).toBe('why');
  });
});

describe('terminate()', () => {
  it('closes TCP at once: both sides report 1006', async () => {
    const { server, peer } = await openWithWs();
    const peerClosed = once(peer, 'close');
    const serverClosed = next<[number, Buffer]>(server, 'close');
    server.terminate();
    expect((await peerClosed)[0]).toBe(1006);
    expect((await serverClosed)[0]).toBe(1006);
  });
});
