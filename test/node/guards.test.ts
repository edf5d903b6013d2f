// The guards of open connections, in every mode the server runs in: keepalive finds a peer that
// vanished, the process-wide budget for unfinished messages (1009), the message deadline (1008),
// and maxFragments (1008).
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { messageMemory } from '../../src/node/message-guard.js';
import type { WebSocket } from '../../src/node/websocket.js';
import { until } from '../support/until.js';
import { TESTED_MODES, startIn, type ModeServer } from './support/modes.js';
import { zeroMaskFrame } from '../support/zero-mask-frame.js';
import { maskedFrame, type RawPeer } from './support/server.js';

const Op = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;


async function closeFrameCode(peer: RawPeer): Promise<number> {
  for (;;) {
    const frame = await peer.readFrame();
    if (frame.opcode === Op.Close) return frame.payload.readUInt16BE(0);
  }
}

/** Server-side sockets in connection order. */
function collect(server: ModeServer): WebSocket[] {
  const sockets: WebSocket[] = [];
  server.wss.on('connection', (ws) => sockets.push(ws));
  return sockets;
}

let server: ModeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  await until(() => messageMemory.used === 0); // nothing any test held is left counted
});

describe.each(TESTED_MODES)('keepalive (%s)', (mode) => {
  it('cuts a peer that vanished (reads nothing, answers nothing) with 1011, and keeps one that answers', async () => {
    const interval = 40;
    const timeout = 40;
    server = await startIn(mode, { keepalive: { interval, timeout } });
    const sockets = collect(server);
    const alive = await server.client(); // `ws` answers pings, as browsers do
    let pings = 0;
    alive.on('ping', () => pings++);
    const vanished = await server.open();
    vanished.socket.pause(); // its machine is gone: no byte, no FIN, no answer
    await until(() => sockets.length === 2);
    const start = Date.now();
    const [code] = (await once(sockets[1], 'close')) as [number];
    expect(code).toBe(1011);
    expect(Date.now() - start).toBeLessThan(interval + timeout + 2_000);
    await until(() => pings >= 3);
    expect(alive.readyState).toBe(1);
    expect(sockets[0].readyState).toBe(1);
  });

  it('can be turned off: keepalive false sends no ping', async () => {
    server = await startIn(mode, { keepalive: false, messageTimeout: false });
    const peer = await server.open();
    const sockets = collect(server);
    const other = await server.open(); // a second connection, to wait on something real
    await until(() => sockets.length === 1);
    sockets[0].ping();
    const frame = await other.readFrame();
    expect(frame.opcode).toBe(Op.Ping); // the one we asked for, and nothing before it
    expect(peer.received.length).toBe(0);
  });
});

describe.each(TESTED_MODES)('the process-wide budget for unfinished messages (%s)', (mode) => {
  it('fails with 1009 the connection whose bytes take the total past the limit; the others go on', async () => {
    const limit = messageMemory.limit;
    messageMemory.limit = 1024 * 1024;
    try {
      server = await startIn(mode);
      const frame = 800 * 1024;
      const first = await server.open();
      first.write(zeroMaskFrame(Op.Binary, Buffer.alloc(600 * 1024, 1), frame));
      await until(() => messageMemory.used >= 600 * 1024);
      const second = await server.open();
      second.write(zeroMaskFrame(Op.Binary, Buffer.alloc(600 * 1024, 2), frame));
      expect(await closeFrameCode(second)).toBe(1009);
      await until(() => messageMemory.used <= frame);
      const refusals = messageMemory.refusals;
      expect(refusals).toBeGreaterThan(0);
      first.write(Buffer.alloc(200 * 1024, 1)); // the rest of the first message: it arrives whole
      const echo = await first.readFrame();
      expect(echo.payload.length).toBe(frame);
      expect(messageMemory.used).toBe(0);
    } finally {
      messageMemory.limit = limit;
    }
  });
});

describe.each(TESTED_MODES)('the message deadline (%s)', (mode) => {
  it('a message that is not complete messageTimeout after its first frame fails with 1008 and lets go of its bytes', async () => {
    const messageTimeout = 150;
    server = await startIn(mode, { messageTimeout });
    const peer = await server.open();
    const start = Date.now();
    peer.write(zeroMaskFrame(Op.Binary, Buffer.alloc(30_000), 100_000)); // then silence
    await until(() => messageMemory.used > 0);
    expect(await closeFrameCode(peer)).toBe(1008);
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(messageTimeout - 10);
    expect(elapsed).toBeLessThan(messageTimeout * 1.25 + 2_000);
    await until(() => messageMemory.used === 0);
  });

  it('a message whose fragments arrive in time is delivered, and the deadline starts again with each message', async () => {
    server = await startIn(mode, { messageTimeout: 400 });
    const peer = await server.open();
    for (let message = 0; message < 3; message++) {
      peer.write(maskedFrame(Op.Text, 'a', false));
      for (let i = 0; i < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        peer.write(maskedFrame(Op.Continuation, 'b', false));
      }
      peer.write(maskedFrame(Op.Continuation, 'c'));
      expect((await peer.readFrame()).payload.toString()).toBe('abbbbc');
    }
  });
});

describe.each(TESTED_MODES)('maxFragments (%s)', (mode) => {
  it('fails a message of more data frames than maxFragments with 1008', async () => {
    server = await startIn(mode, { maxFragments: 10 });
    const ok = await server.open();
    ok.write(Buffer.concat([maskedFrame(Op.Text, 'x', false), ...Array.from({ length: 8 }, () => maskedFrame(Op.Continuation, '', false)), maskedFrame(Op.Continuation, 'y')]));
    expect((await ok.readFrame()).payload.toString()).toBe('xy');
    const tooMany = await server.open();
    tooMany.write(Buffer.concat([maskedFrame(Op.Text, 'x', false), ...Array.from({ length: 10 }, () => maskedFrame(Op.Continuation, '', false))]));
    expect(await closeFrameCode(tooMany)).toBe(1008);
  });
});
