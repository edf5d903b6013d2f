import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../src/node/server.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { startServer, echo, nextConnection, serverClose, maskedFrame, rawWebSocket } from './support/server.js';

describe('WebSocketServer with raw sockets: what ws cannot send', () => {
  it('invalid UTF-8 in a text message gets close 1007', async () => {
    const { port } = await startServer();
    const peer = await rawWebSocket(port);
    peer.write(maskedFrame(0x1, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')));
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1007);
    await peer.closed;
  });

  it('invalid UTF-8 in the middle of a fragmented message gets 1007 before the message ends', async () => {
    const { port } = await startServer();
    const peer = await rawWebSocket(port);
    peer.write(maskedFrame(0x1, Buffer.from('cebae1bdb9cf83cebcceb5', 'hex'), false));
    peer.write(maskedFrame(0x0, Buffer.from('eda080', 'hex'), false));
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1007);
  });

  it('protocol errors get close 1002 (reserved opcode, unmasked frame, RSV bits, bad close code)', async () => {
    const { port } = await startServer();
    const bad = [
      Buffer.of(0x83, 0x80, 1, 2, 3, 4),
      Buffer.of(0x81, 0x01, 0x41),
      Buffer.of(0xc1, 0x80, 1, 2, 3, 4),
      maskedFrame(0x8, Buffer.of(0x03, 0xed)), // 1005 on the wire
      maskedFrame(0x0, 'x'),
      maskedFrame(0x9, Buffer.alloc(126)),
    ];
    for (const bytes of bad) {
      const peer = await rawWebSocket(port);
      peer.write(bytes);
      const frame = await peer.readFrame();
      expect(frame.opcode, bytes.toString('hex')).toBe(0x8);
      expect(frame.payload.readUInt16BE(0)).toBe(1002);
      await peer.closed;
    }
  });

  it('maxPayload is enforced from the header: 1009 before the payload is sent', async () => {
    const { port } = await startServer({ maxPayload: 1000 });
    const peer = await rawWebSocket(port);
    // Only the header of a 1 GiB frame.
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(2 ** 30), 2);
    peer.write(header);
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1009);
  });

  it('frames that arrive together with the upgrade request (head) are not lost', async () => {
    const { port, wss } = await startServer({}, (ws) => {
      ws.on('message', (data) => ws.send(`got ${data.toString()}`));
    });
    void wss;
    const early = Buffer.concat([maskedFrame(0x1, 'first'), maskedFrame(0x9, 'p'), maskedFrame(0x1, 'second')]);
    const peer = await rawWebSocket(port, early);
    const frames = [await peer.readFrame(), await peer.readFrame(), await peer.readFrame()];
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [0x1, 'got first'],
      [0xa, 'p'],
      [0x1, 'got second'],
    ]);
  });

  it('a frame split between the head and later packets is reassembled', async () => {
    const { port } = await startServer();
    const frame = maskedFrame(0x1, 'x'.repeat(300));
    const peer = await rawWebSocket(port, frame.subarray(0, 3)); // inside the 16-bit length
    await new Promise((resolve) => setTimeout(resolve, 10));
    peer.write(frame.subarray(3, 100));
    await new Promise((resolve) => setTimeout(resolve, 10));
    peer.write(frame.subarray(100));
    const echo = await peer.readFrame();
    expect(echo.opcode).toBe(0x1);
    expect(echo.payload.toString()).toBe('x'.repeat(300));
  });

  it('several frames in one read are answered with one write', async () => {
    let writes = 0;
    let reads = 0;
    const { port } = await startServer({}, (ws, request) => {
      echo(ws);
      // The upgraded socket is the request's socket; the 101 response is already written.
      const socket = request.socket;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => {
        writes++;
        return write(...args);
      }) as typeof socket.write;
      socket.on('data', () => reads++);
    });
    const peer = await rawWebSocket(port);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const burst = Buffer.concat([
      maskedFrame(0x9, 'p1'),
      maskedFrame(0x1, 'm1'),
      maskedFrame(0x9, 'p2'),
      maskedFrame(0x2, 'm2'),
      maskedFrame(0x1, 'm3'),
    ]);
    peer.write(burst);
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await peer.readFrame());
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [0xa, 'p1'],
      [0x1, 'm1'],
      [0xa, 'p2'],
      [0x2, 'm2'],
      [0x1, 'm3'],
    ]);
    // One write per read of the burst (normally exactly one read on loopback).
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(writes).toBe(reads);
  });

  it('closeTimeout cuts a peer that never answers our Close', async () => {
    const { port, wss } = await startServer({ closeTimeout: 100 }, () => {});
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    const closed = serverClose(server);
    server.close(1000, 'bye');
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1000);
    // The peer says nothing; the server gives up after closeTimeout and reports 1006.
    expect((await closed).code).toBe(1006);
    await peer.closed;
  });

  it('closeTimeout also ends a failed connection whose peer keeps its side of TCP open', async () => {
    const { port, wss } = await startServer({ closeTimeout: 100 }, () => {});
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port, Buffer.alloc(0), true);
    const [server] = await connection;
    const closed = serverClose(server);
    peer.write(Buffer.of(0x83, 0x80, 1, 2, 3, 4)); // reserved opcode
    expect((await peer.readFrame()).payload.readUInt16BE(0)).toBe(1002);
    await peer.until(() => peer.ended); // the server closed its side ...
    expect(peer.socket.writable).toBe(true); // ... and we keep ours open, saying nothing
    // ... and after closeTimeout it gives up on ours, reporting the code it failed with (as ws does).
    expect((await closed).code).toBe(1002);
    expect(server.readyState).toBe(3);
  });

  it('after a peer Close, the server echoes and closes TCP first (§7.1.1)', async () => {
    const { port, wss } = await startServer();
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    const closed = serverClose(server);
    peer.write(maskedFrame(0x8, Buffer.concat([Buffer.of(0x0f, 0xa1), Buffer.from('done')])));
    const frame = await peer.readFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(4001);
    await peer.until(() => peer.ended);
    peer.socket.end();
    expect(await closed).toEqual({ code: 4001, reason: 'done' });
  });

  it("a protocol error with no 'error' listener does not throw; with one, the error is emitted", async () => {
    const { port, wss } = await startServer({}, () => {});
    // No listener: the server must survive and close the connection.
    let connection = nextConnection(wss);
    let peer = await rawWebSocket(port);
    let [server] = await connection;
    let closed = serverClose(server);
    peer.write(Buffer.of(0x8f, 0x80, 1, 2, 3, 4));
    expect((await peer.readFrame()).payload.readUInt16BE(0)).toBe(1002);
    await closed;
    // With a listener.
    connection = nextConnection(wss);
    peer = await rawWebSocket(port);
    [server] = await connection;
    const errored = once(server, 'error');
    closed = serverClose(server);
    peer.write(Buffer.of(0x8f, 0x80, 1, 2, 3, 4));
    const [error] = (await errored) as [ProtocolError];
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.closeCode).toBe(1002);
    expect(error.code).toBe('WS_ERR_INVALID_OPCODE');
    await closed;
  });

  it('a peer that resets the connection gives close 1006, without an error thrown', async () => {
    const { port, wss } = await startServer({}, () => {});
    const connection = nextConnection(wss);
    const peer = await rawWebSocket(port);
    const [server] = await connection;
    const closed = serverClose(server);
    peer.socket.resetAndDestroy();
    expect((await closed).code).toBe(1006);
  });
});
