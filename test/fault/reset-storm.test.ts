// 2,000 loopback connections killed abruptly (TCP RST) in the middle of a broadcast: some reading,
// some not reading (their writes pending when the reset comes), some halfway through sending a
// message. The server stays up, the Hub empties, nothing is left counted, no timer or listener is
// left behind, and no exception or rejection escapes.
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { WebSocketServer } from '../../src/index.js';
import { messageMemory } from '../../src/node/message-guard.js';
import { FrameCounter, trackLibraryTimers, clientFrame, figure, openFilesLimit, openRawClient, until, watchProcessFaults } from './support.js';

const CONNECTIONS = 2_000;

describe('fault: 2,000 connections reset during a broadcast', () => {
  it('the server stays up, the Hub returns to 0, nothing leaks, nothing escapes', { timeout: 120_000 }, async () => {
    expect(openFilesLimit(), 'open files limit (ulimit -n): 2,000 connections in one process need ~4,100').toBeGreaterThan(2 * CONNECTIONS + 200);
    await watchProcessFaults(async (faults) => {
      const timers = trackLibraryTimers();
      const processListeners = ['uncaughtException', 'unhandledRejection', 'warning'].map((name) => process.listenerCount(name));
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      const hub = new Hub({ maxBufferedBytes: 4 * 1024 * 1024 });
      let serverErrors = 0;
      wss.on('connection', (ws) => {
        ws.on('error', () => serverErrors++);
        ws.on('message', (data) => ws.send(data));
        hub.add(ws);
      });
      await once(wss, 'listening');
      const port = (wss.address() as AddressInfo).port;
      const netListeners = wss.netServer!.listenerCount('connection');

      // Open them in batches; a third read, a third never read, a third are halfway through a message.
      const clients: Socket[] = [];
      const counters: FrameCounter[] = [];
      for (let start = 0; start < CONNECTIONS; start += 200) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(200, CONNECTIONS - start) }, (_, i) => {
            const counter = new FrameCounter();
            counters.push(counter);
            return openRawClient(port, (start + i) % 3 === 0 ? (chunk) => counter.push(chunk) : undefined);
          }),
        );
        clients.push(...batch);
      }
      await until(() => hub.size === CONNECTIONS, 30_000, 'every connection in the hub');
      clients.forEach((socket, i) => {
        if (i % 3 === 1) socket.pause(); // reads nothing: the server's writes to it pile up
        if (i % 3 === 2) socket.write(clientFrame(0x2, Buffer.alloc(3000)).subarray(0, 1500)); // half a message
      });
      await until(() => messageMemory.used > 0, 10_000, 'half messages held');

      // Broadcast continuously, and reset everyone in four waves in the middle of it.
      let broadcasts = 0;
      let delivered = 0;
      let broadcasting = true;
      const payload = 'x'.repeat(512);
      const pump = (): void => {
        if (!broadcasting) return;
        delivered += hub.broadcast(payload);
        broadcasts++;
        setImmediate(pump);
      };
      pump();
      await until(() => counters[0].frames > 20, 10_000, 'the broadcast flowing');
      const order = clients.map((_, i) => i).sort(() => Math.random() - 0.5);
      for (let wave = 0; wave < 4; wave++) {
        for (const i of order.slice((wave * CONNECTIONS) / 4, ((wave + 1) * CONNECTIONS) / 4)) clients[i].resetAndDestroy();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await until(() => hub.size === 0 && wss.clients.size === 0, 60_000, 'the hub empty');
      broadcasting = false;

      // Still serving: a new client is echoed.
      const fresh = new FrameCounter();
      const socket = await openRawClient(port, (chunk) => fresh.push(chunk));
      socket.write(clientFrame(0x1, 'still here'));
      await until(() => fresh.frames >= 1, 10_000, 'the echo');
      socket.end(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
      await until(() => wss.clients.size === 0 && hub.size === 0, 10_000, 'the last client gone');

      expect(faults).toEqual([]);
      expect(messageMemory.used).toBe(0);
      await until(() => timers.pending().length === 0, 5_000, 'no timer left (keepalive, deadlines, close timers)').catch(() => {
        expect(timers.pending()).toEqual([]);
      });
      timers.stop();
      expect(wss.netServer!.listenerCount('connection')).toBe(netListeners);
      expect(['uncaughtException', 'unhandledRejection', 'warning'].map((name) => process.listenerCount(name))).toEqual(processListeners);
      figure(
        `reset-storm: ${CONNECTIONS} connections reset (RST) in 4 waves during ${broadcasts} broadcasts ` +
          `(${delivered} deliveries queued); ${CONNECTIONS / 3 | 0} were not reading, ${CONNECTIONS / 3 | 0} held half a message; ` +
          `server 'error' events ${serverErrors}; hub size after: ${hub.size}; server still serving: yes`,
      );
      await hub.close({ timeout: 100 });
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
  });
});
