// The Hub's heartbeat is its members' keepalive (src/node/keepalive.ts, tested on a fake clock in
// test/node/keepalive.test.ts): here over real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { WebSocket as WsClient } from 'ws';
import { maskedFrame, rawClient, startHubServer, until, type HubServer } from './helpers.js';

describe('Hub heartbeat over real sockets', () => {
  let server: HubServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('terminates a raw TCP client that completed the handshake and then stopped reading and answering', async () => {
    const interval = 60;
    const timeout = 40;
    server = await startHubServer({ heartbeat: { interval, timeout } });
    const connected = server.nextConnection();
    const client = await rawClient(server.port, '/', false);
    const ws = await connected;
    const start = Date.now();
    expect(server.hub.size).toBe(1);
    await once(ws, 'close');
    const elapsed = Date.now() - start;
    // The client's TCP is cut too: once it reads again it sees the end.
    client.socket.resume();
    await client.closed;
    expect(server.hub.size).toBe(0);
    expect(server.hub.stats().heartbeatTerminations).toBe(1);
    // interval + timeout is the bound; the slack only absorbs a busy test machine's timer lateness.
    expect(elapsed).toBeLessThan(interval + timeout + 1000);
  });

  it('keeps clients that answer pings, and counts no terminations', async () => {
    server = await startHubServer({ heartbeat: { interval: 20, timeout: 2000 } }); // generous: a busy machine may answer late
    const connected = server.nextConnection();
    const client = new WsClient(server.url);
    await once(client, 'open');
    const ws = await connected;
    let pings = 0;
    client.on('ping', () => pings++);
    await until(() => pings >= 5);
    expect(server.hub.size).toBe(1);
    expect(server.hub.get(server.hub.idOf(ws)!)).toBe(ws);
    expect(server.hub.stats().heartbeatTerminations).toBe(0);
    client.close();
    await once(client, 'close');
  });

  it('never pings a socket that is closing (its error listeners hear nothing from the hub)', async () => {
    server = await startHubServer({ heartbeat: { interval: 10, timeout: 1000 } });
    const connected = server.nextConnection();
    const client = await rawClient(server.port, '/');
    const ws = await connected;
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const pings = (): number => client.reader.frames.filter((frame) => frame.opcode === 0x9).length;
    await until(() => pings() >= 2);
    ws.close(); // the peer never answers: the socket stays CLOSING
    await until(() => client.reader.frames.some((frame) => frame.opcode === 0x8));
    const before = pings();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(pings()).toBe(before);
    expect(errors).toEqual([]);
    client.socket.destroy();
  });

  it('cuts a peer that keeps sending bytes (Pings of its own) but never answers ours: a byte is not life', async () => {
    const interval = 40;
    const timeout = 40;
    server = await startHubServer({ heartbeat: { interval, timeout } });
    const connected = server.nextConnection();
    const client = await rawClient(server.port, '/');
    const ws = await connected;
    // Every 5 ms a Ping of its own: the server answers each with a Pong, but no Pong ever comes back.
    const chatter = setInterval(() => client.socket.write(maskedFrame(0x9, Buffer.from('hi'))), 5);
    const [code] = (await once(ws, 'close')) as [number];
    clearInterval(chatter);
    expect(code).toBe(1011);
    expect(client.reader.frames.filter((frame) => frame.opcode === 0xa).length).toBeGreaterThan(2);
    expect(server.hub.stats().heartbeatTerminations).toBe(1);
    expect(server.hub.size).toBe(0);
  });

  it('keeps a peer that sends messages but never a Pong (a data frame is a sign of life)', async () => {
    server = await startHubServer({ heartbeat: { interval: 20, timeout: 20 } });
    const connected = server.nextConnection();
    const client = await rawClient(server.port, '/');
    const ws = await connected;
    const chatter = setInterval(() => client.socket.write(maskedFrame(0x1, Buffer.from('still here'))), 5);
    const pings = (): number => client.reader.frames.filter((frame) => frame.opcode === 0x9).length;
    await until(() => pings() >= 6);
    clearInterval(chatter);
    expect(ws.readyState).toBe(1);
    expect(server.hub.stats().heartbeatTerminations).toBe(0);
    await once(ws, 'close'); // now silent: gone
    expect(server.hub.stats().heartbeatTerminations).toBe(1);
  });
});
