// A server restart under 500 reconnecting clients (ReconnectingWebSocket) that publish and
// subscribe: the server is stopped (1012 Service Restart) and a new one takes the port; every
// client comes back, and every message the new server broadcasts after a client joined it reaches
// that client exactly once, in the server's order (so in order per publisher).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { ReconnectingWebSocket, WebSocketServer } from '../../src/index.js';
import { figure, until, watchProcessFaults } from './support.js';

const CLIENTS = 500;

interface Published {
  from: number;
  seq: number;
}

/** One server generation: its hub, the order it broadcast in, and where each client joined. */
interface Generation {
  name: string;
  wss: WebSocketServer;
  hub: Hub;
  /** Every broadcast, in order. */
  log: Published[];
  /** Client id -> how many broadcasts came before it joined; and how often it joined. */
  joinedAt: Map<number, number>;
  joins: number;
}

async function startGeneration(name: string, port: number): Promise<Generation> {
  for (let attempt = 0; ; attempt++) {
    const wss = new WebSocketServer({ port, host: '127.0.0.1' });
    const failed = once(wss, 'error').then(([error]) => error as NodeJS.ErrnoException);
    const listening = once(wss, 'listening').then(() => null);
    const error = await Promise.race([failed, listening]);
    if (error === null) return serve(name, wss);
    if (error.code !== 'EADDRINUSE' || attempt > 50) throw error;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function serve(name: string, wss: WebSocketServer): Generation {
  const generation: Generation = { name, wss, hub: new Hub(), log: [], joinedAt: new Map(), joins: 0 };
  wss.on('connection', (ws, request) => {
    const id = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('id'));
    generation.joins++;
    // Joining and the broadcasts are on one thread: this count is exact.
    generation.joinedAt.set(id, generation.log.length);
    generation.hub.add(ws);
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Published;
      generation.log.push(message);
      generation.hub.broadcast(`${name} ${message.from} ${message.seq}`);
    });
  });
  return generation;
}

describe('fault: a server restart under 500 reconnecting clients', () => {
  it('every client is back, and gets each later broadcast exactly once, in order', { timeout: 120_000 }, async () => {
    await watchProcessFaults(async (faults) => {
      const first = await startGeneration('A', 0);
      const port = (first.wss.address() as AddressInfo).port;
      const received: string[][] = Array.from({ length: CLIENTS }, () => []);
      const sequence = new Array<number>(CLIENTS).fill(0);
      let reconnected = 0;
      const clients = Array.from({ length: CLIENTS }, (_, id) => {
        const client = new ReconnectingWebSocket(`ws://127.0.0.1:${port}/?id=${id}`, [], { minDelay: 20, maxDelay: 300 });
        const publish = (): void => client.send(JSON.stringify({ from: id, seq: sequence[id]++ }));
        client.on('error', () => {});
        client.on('message', (data) => {
          const text = data.toString();
          if (text.startsWith('B ')) received[id].push(text);
        });
        client.on('reconnected', () => {
          reconnected++;
          publish();
          publish();
        });
        return { client, publish };
      });
      await until(() => first.hub.size === CLIENTS, 60_000, 'all connected to A');
      for (const { publish } of clients) publish();
      await until(() => first.log.length === CLIENTS, 30_000, 'A heard everyone');

      // The restart: A says 1012 and goes; clients publish while it is down (their sends queue).
      await first.hub.close({ code: 1012, reason: 'restart', timeout: 2_000 });
      await new Promise<void>((resolve) => first.wss.close(() => resolve()));
      for (const { publish } of clients) publish();
      const second = await startGeneration('B', port);
      await until(() => reconnected === CLIENTS && second.hub.size === CLIENTS, 60_000, 'every client back');
      const published = CLIENTS * 3; // one queued while down, two on reconnection
      await until(() => second.log.length === published, 30_000, 'B heard everyone');
      const expected = (id: number): string[] => second.log.slice(second.joinedAt.get(id)).map((m) => `B ${m.from} ${m.seq}`);
      await until(() => received.every((got, id) => got.length >= expected(id).length), 60_000, 'every broadcast delivered');
      await new Promise((resolve) => setTimeout(resolve, 50)); // room for a duplicate to show up

      expect(second.joins).toBe(CLIENTS);
      let deliveries = 0;
      for (let id = 0; id < CLIENTS; id++) {
        expect(received[id], `client ${id}`).toEqual(expected(id));
        deliveries += received[id].length;
      }
      // The server's order keeps each publisher's order.
      const last = new Map<number, number>();
      for (const { from, seq } of second.log) {
        expect(seq).toBeGreaterThan(last.get(from) ?? -1);
        last.set(from, seq);
      }
      expect(faults).toEqual([]);
      figure(
        `restart: ${CLIENTS} ReconnectingWebSocket clients, all back after a restart (1012); ${published} messages published ` +
          `to the new server, ${deliveries} deliveries checked: each exactly once, in order`,
      );
      for (const { client } of clients) client.close();
      await second.hub.close({ timeout: 2_000 });
      await new Promise<void>((resolve) => second.wss.close(() => resolve()));
    });
  });
});
