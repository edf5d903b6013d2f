// Churn: 50,000 connect/disconnect cycles, and the heap after a full GC back within a small margin
// of where it started. 10,000 are real loopback TCP (about 1,800 cycles/s in one process on this
// 2-core machine: 50,000 would take ~28 s of the CI budget); 40,000 go over in-memory duplex
// streams, through the same handleUpgrade, transport, protocol, guards and Hub.
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { WebSocketServer, type WebSocket } from '../../src/index.js';
import { messageMemory } from '../../src/node/message-guard.js';
import { memoryPair, upgradeRequest } from '../support/memory-socket.js';
import { HANDSHAKE, clientFrame, collectGarbage, figure, trackLibraryTimers, until } from './support.js';

const TCP_CYCLES = 10_000;
const MEMORY_CYCLES = 40_000;
const WARMUP = 1_000;
const CONCURRENCY = 50;
/** Heap growth allowed over all 50,000 cycles (warming up included): 40 bytes a cycle. */
const MARGIN = 2 * 1024 * 1024;
/** Over the second 25,000 alone: 20 bytes a cycle; a leak of one object per connection exceeds it. */
const LEAK_MARGIN = 512 * 1024;

const HELLO = clientFrame(0x1, 'hi');
const CLOSE = clientFrame(0x8, Buffer.from([0x03, 0xe8]));
const HALF_MESSAGE = clientFrame(0x2, Buffer.alloc(2000)).subarray(0, 1000);

/** One real TCP cycle: handshake, a message and its echo, then one of four ways to leave. */
function tcpCycle(port: number, i: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let stage = 0;
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.on('connect', () => socket.write(HANDSHAKE));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (stage === 0) {
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        received = received.subarray(end + 4);
        stage = 1;
        socket.write(HELLO);
      }
      if (stage === 1 && received.length >= 4) {
        stage = 2;
        const way = i % 4;
        if (way === 0) socket.write(CLOSE); // closing handshake: the server answers and closes
        else if (way === 1) socket.resetAndDestroy();
        else if (way === 2) socket.end(); // FIN without a Close frame
        else {
          socket.write(HALF_MESSAGE); // half a message, then gone
          socket.resetAndDestroy();
        }
      }
    });
  });
}

/** One cycle over memory: the same server path without a port. */
function memoryCycle(wss: WebSocketServer, i: number): Promise<void> {
  return new Promise((resolve) => {
    const [server, peer] = memoryPair();
    peer.resume();
    peer.on('end', () => peer.end()); // as TCP without allowHalfOpen: the server's FIN is answered
    peer.on('close', () => resolve());
    wss.handleUpgrade(upgradeRequest(server), server, Buffer.alloc(0), (ws) => {
      wss.emit('connection', ws, upgradeRequest(server));
      peer.write(HELLO);
      if (i % 2 === 0) peer.write(CLOSE);
      else {
        peer.write(HALF_MESSAGE);
        peer.destroy();
      }
    });
  });
}

async function run(cycles: number, from: number, cycle: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  const end = from + cycles;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < end) await cycle(next++);
    }),
  );
}

async function heap(): Promise<{ heapUsed: number; external: number }> {
  await collectGarbage();
  const { heapUsed, external } = process.memoryUsage();
  return { heapUsed, external };
}

const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

describe('churn: 50,000 connect/disconnect cycles', () => {
  it('leaves the heap where it started (after GC), and nothing counted or pending', { timeout: 300_000 }, async () => {
    const hub = new Hub();
    const setUp = (wss: WebSocketServer): void => {
      wss.on('connection', (ws: WebSocket) => {
        ws.on('error', () => {});
        ws.on('message', (data) => ws.send(data));
        hub.add(ws);
        hub.join(ws, `room-${hub.size % 7}`);
      });
    };
    const tcp = new WebSocketServer({ port: 0, host: '127.0.0.1', maxConnectionsPerIp: 10_000, allowedOrigins: ['self'] });
    setUp(tcp);
    await once(tcp, 'listening');
    const port = (tcp.address() as AddressInfo).port;
    const memory = new WebSocketServer({ noServer: true, maxConnections: 10_000 });
    setUp(memory);
    const settled = (): Promise<void> => until(() => hub.size === 0 && tcp.clients.size === 0 && memory.clients.size === 0, 30_000, 'all closed');

    await run(WARMUP, 0, (i) => tcpCycle(port, i));
    await run(WARMUP, 0, (i) => memoryCycle(memory, i));
    await settled();
    const timers = trackLibraryTimers();
    // Two equal halves: a leak grows the heap in both; what the first alone adds is the code and
    // caches of a process still warming up (it does not come back in a third round).
    const start = await heap();
    let tcpMs = 0;
    let memoryMs = 0;
    const half = async (): Promise<void> => {
      let t = Date.now();
      await run(TCP_CYCLES / 2, WARMUP, (i) => tcpCycle(port, i));
      await settled();
      tcpMs += Date.now() - t;
      t = Date.now();
      await run(MEMORY_CYCLES / 2, WARMUP, (i) => memoryCycle(memory, i));
      await settled();
      memoryMs += Date.now() - t;
    };
    await half();
    const middle = await heap();
    await half();
    const end = await heap();

    await until(() => timers.pending().length === 0, 5_000, 'no library timer pending').catch(() => expect(timers.pending()).toEqual([]));
    timers.stop();
    const kib = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / 1024).toFixed(1)} KiB`;
    figure(
      `churn: ${TCP_CYCLES} TCP cycles in ${tcpMs} ms (${Math.round(TCP_CYCLES / (tcpMs / 1000))}/s), ` +
        `${MEMORY_CYCLES} in-memory cycles in ${memoryMs} ms (${Math.round(MEMORY_CYCLES / (memoryMs / 1000))}/s); ` +
        `heap after GC: start ${MiB(start.heapUsed)}, after 25,000 cycles ${MiB(middle.heapUsed)} (${kib(middle.heapUsed - start.heapUsed)}), ` +
        `after 50,000 ${MiB(end.heapUsed)} (${kib(end.heapUsed - start.heapUsed)} from the start, ${kib(end.heapUsed - middle.heapUsed)} in the second half); ` +
        `external ${MiB(start.external)} -> ${MiB(end.external)}`,
    );
    expect(hub.stats().rooms).toBe(0);
    expect(messageMemory.used).toBe(0);
    expect(end.heapUsed - start.heapUsed).toBeLessThan(MARGIN);
    expect(end.heapUsed - middle.heapUsed).toBeLessThan(LEAK_MARGIN);
    expect(end.external - start.external).toBeLessThan(LEAK_MARGIN);
    await hub.close({ timeout: 100 });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
  });
});
