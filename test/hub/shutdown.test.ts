import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { WebSocket as WsClient } from 'ws';
import { rawClient, startHubServer, type HubServer } from './helpers.js';

describe('Hub graceful shutdown', () => {
  let server: HubServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('delivers every message broadcast before close() to every reading client, then closes with 1001', async () => {
    server = await startHubServer({ heartbeat: false, maxBufferedBytes: 64 * 1024 * 1024 });
    const clients = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const connected = server!.nextConnection();
        const client = new WsClient(server!.url);
        const got: number[] = [];
        client.on('message', (data: Buffer) => got.push(data.readUInt32BE(0)));
        const closed = once(client, 'close') as Promise<[number, Buffer]>;
        await once(client, 'open');
        await connected;
        return { got, closed };
      }),
    );
    const count = 300;
    for (let i = 0; i < count; i++) {
      const payload = Buffer.alloc(i % 3 === 0 ? 20_000 : 100);
      payload.writeUInt32BE(i, 0);
      server.hub.broadcast(payload);
    }
    await server.hub.close({ reason: 'maintenance' });
    expect(server.hub.size).toBe(0);
    for (const client of clients) {
      const [code, reason] = await client.closed;
      expect(code).toBe(1001);
      expect(reason.toString()).toBe('maintenance');
      expect(client.got).toEqual(Array.from({ length: count }, (_, i) => i));
    }
  });

  it('terminates peers that do not finish the closing handshake within the timeout, then resolves', async () => {
    server = await startHubServer({ heartbeat: false });
    const stuckSide = server.nextConnection();
    const stuck = await rawClient(server.port, '/', false);
    const stuckServer = await stuckSide;
    const politeSide = server.nextConnection();
    const polite = new WsClient(server.url);
    const politeClosed = once(polite, 'close') as Promise<[number, Buffer]>;
    await once(polite, 'open');
    await politeSide;
    const stuckClosed = once(stuckServer, 'close');
    await server.hub.close({ code: 1012, timeout: 100 });
    await stuckClosed;
    expect(server.hub.size).toBe(0);
    expect((await politeClosed)[0]).toBe(1012);
    stuck.socket.destroy();
  });

  it('takes no new sockets once closing: they are closed with 1001', async () => {
    server = await startHubServer({ heartbeat: false });
    const closing = server.hub.close();
    expect(server.hub.close()).toBe(closing);
    await closing;
    const client = new WsClient(server.url);
    const closed = once(client, 'close') as Promise<[number, Buffer]>;
    expect((await closed)[0]).toBe(1001);
    expect(server.hub.size).toBe(0);
  });
});
